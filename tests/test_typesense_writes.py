"""Every write path goes to the backend that serves: with ``SEARCHSVC_BACKEND=typesense`` the
server's ``POST /api/reindex`` and uploads write into the 3-node cluster (through
``writing.sync``), never into a Whoosh index, and what they wrote is searchable through the
same server (its ``Engine`` over Typesense) as soon as they answer.

A real waitress server, real bulletins, a real cluster: the server starts with an empty
cluster and a corpus holding the seed; the first reindex builds the collection; an uploaded
shared bulletin is found by its own headline at once, on every node; a bulletin taken out of
the corpus leaves the results after the next reindex; the Whoosh index folder is never made.
"""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

import pytest

from searchsvc import bulletin
from searchsvc.config import BackendConfig, Config
from searchsvc.typesense.client import Cluster
from searchsvc.typesense.config import TypesenseConfig

from .conftest import SEED, LiveServer, shared_bulletins
from .http import call, get_json
from .test_live import multipart

pytest_plugins = ("tests.typesense_cluster",)
pytestmark = pytest.mark.typesense

TOKEN = "ts-writes-" + uuid.uuid4().hex
ADMIN = {"Authorization": f"Bearer {TOKEN}"}
ALIAS = "writes"


@pytest.fixture
def ts_server(ts_cluster, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    ts = TypesenseConfig(ts_cluster.config.nodes, ts_cluster.api_key, ALIAS)
    config = Config(
        corpus=corpus,
        index=tmp_path / "index",
        admin_token=TOKEN,
        backend=BackendConfig("typesense", ts),
    )
    with LiveServer(config) as server:
        yield server, Cluster(ts)
    Cluster(ts).drop_collection(Cluster(ts).alias_target(ALIAS) or "none")


def _ids(server, q: str) -> tuple[int, list[str]]:
    status, data = get_json(server, "/api/search", q=q, per_page=100, sort="-date")
    assert status == 200, data
    return data["total"], [r["id"] for r in data["results"]]


def _paragraphs(page: Path) -> int:
    return sum(len(a.paragraphs) for a in bulletin.read(page, page.parent).articles)


def test_reindex_and_uploads_write_into_the_cluster(ts_server, ts_cluster):
    server, cluster = ts_server
    corpus, whoosh_home = server.config.corpus, server.config.index

    # 1. The first reindex builds the collection behind the alias, from the seed.
    status, report = call(server, "POST", "/api/reindex", headers=ADMIN)
    assert status == 200 and report["status"] == "done", report
    assert report["rebuilt"] and report["added"] == [SEED.name]
    live = cluster.alias_target(ALIAS)
    assert report["collection"] == live
    assert ts_cluster.wait_synced(ALIAS) == _paragraphs(SEED) == report["paragraphs"]
    seed_total, seed_ids = _ids(server, "工会")
    assert seed_total > 0 and all(a.startswith("000_73d2eb0e74c950a6") for a in seed_ids)

    # 2. An upload lands in the same collection and is searchable when it answers 201.
    page = shared_bulletins()[4]
    articles = bulletin.read(page, page.parent).articles
    headline = max((a for a in articles if a.paragraphs), key=lambda a: len(a.title)).title
    title_q = f'"{headline[:12]}"'
    before_total, before = _ids(server, title_q)
    body, form = multipart(page.name, page.read_bytes())
    status, data = call(server, "POST", "/api/bulletins", body, {**ADMIN, **form})
    assert status == 201 and data["status"] == "indexed", data
    total, found = _ids(server, title_q)  # at once: no polling
    uploaded = {a.id for a in articles if headline[:12] in a.title}
    assert uploaded and uploaded <= set(found) and not uploaded & set(before)
    assert total == before_total + len(uploaded)
    assert cluster.alias_target(ALIAS) == live  # incremental: written into the live collection
    # … on every node, not just the one the engine asked.
    expected = _paragraphs(SEED) + _paragraphs(page)
    for i in range(3):
        assert ts_cluster.document_count(i, live) == expected
    health = get_json(server, "/api/health")[1]
    assert health["files"] == 2 and health["paragraphs"] == expected

    # 3. A bulletin taken out of the corpus leaves the results with the next reindex.
    (corpus / SEED.name).unlink()
    status, report = call(server, "POST", "/api/reindex", headers=ADMIN)
    assert status == 200 and report["status"] == "done", report
    assert _ids(server, "工会")[1] and not set(_ids(server, "工会")[1]) & set(seed_ids)
    for i in range(3):
        assert ts_cluster.document_count(i, live) == _paragraphs(page)

    # Nothing of this went to a Whoosh index.
    assert not whoosh_home.exists()

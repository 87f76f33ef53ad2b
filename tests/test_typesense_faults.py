"""The cluster losing its leader under load: reads go on, writes resume, the lost node catches up.

Readers search the indexed archive over and over through ``search.Engine`` — the path the web
face takes: parsing, the catalogue, one ``multi_search`` or the per-literal evaluation, results
and snippets — one engine shared by the reader threads, as the server shares one. Each query's
answer (total and page of article ids) must be the one it gave before the kill. A writer upserts
into a scratch collection through ``Cluster.write``; after the election a bulletin is synced
through ``writing.sync`` (the seam uploads and ``POST /api/reindex`` use). The Raft leader is
SIGKILLed mid-load. Every read and every write must succeed (after the client's retries);
writes must go on after a new leader is elected; the killed node, restarted on its data folder,
must come to hold every document the others hold (polled). The numbers are printed
(``pytest -s``) for the issue's closing note.
"""

from __future__ import annotations

import dataclasses
import statistics
import threading
import time
from dataclasses import dataclass, field

import pytest

from searchsvc.config import BackendConfig
from searchsvc.records import SearchRequest
from searchsvc.search import Engine
from searchsvc.typesense.client import Cluster
from searchsvc.typesense.config import TypesenseConfig
from searchsvc.writing import Target, sync
from tests.conftest import shared_bulletins

pytest_plugins = ("tests.typesense_cluster",)  # its fixtures: ts_cluster, ts_indexed
pytestmark = pytest.mark.typesense

# One search (words, a phrase, an exclusion, a filter, a date sort) and evaluated here (OR,
# title:, within): both of the backend's paths.
QUERIES = [
    SearchRequest(q="工会"),
    SearchRequest(q='"北京市总工会"', sort="-date"),
    SearchRequest(q="劳模 工匠"),
    SearchRequest(q="职工 -培训", district=("未注明",)),
    SearchRequest(q="志愿服务 OR 慰问"),
    SearchRequest(q="title:工会"),
    SearchRequest(q="会", within=("职工",)),
    SearchRequest(q=""),
]
MAX_SECONDS = 60  # the whole load, however the cluster behaves: the loops stop by themselves
SCRATCH = {"name": "faults", "fields": [{"name": "k", "type": "int32"}]}


@dataclass
class Load:
    ok: int = 0
    failed: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    done_at: list[float] = field(default_factory=list)  # monotonic time of each success

    def timed(self, call) -> None:
        """Run one request, counting it as a success (with its latency) or a failure."""
        started = time.monotonic()
        try:
            call()
        except Exception as err:  # noqa: BLE001 — any failure is what this test counts
            self.failed.append(repr(err)[:200])
            return
        now = time.monotonic()
        self.ok += 1
        self.latencies.append(now - started)
        self.done_at.append(now)


def _answer(engine: Engine, req: SearchRequest) -> tuple[int, list[str]]:
    resp = engine.search(req)
    return resp.total, [r.id for r in resp.results]


def _read_loop(engine: Engine, want: list, stop: threading.Event, load: Load, offset: int) -> None:
    i = offset
    while not stop.is_set():
        n = i % len(QUERIES)
        i += 1

        def ask(n=n) -> None:
            got = _answer(engine, QUERIES[n])
            if got != want[n]:
                raise AssertionError(f"{QUERIES[n].q!r}: {got} ≠ {want[n]} before the kill")

        load.timed(ask)


def _write_loop(config, stop: threading.Event, load: Load) -> None:
    cluster = Cluster(config)
    k = 0
    while not stop.is_set():
        k += 1
        docs = [{"id": str(k), "k": k}, {"id": f"{k}b", "k": k}]
        # the indexer's own path: a batched import (action=upsert) via Cluster.write
        load.timed(lambda docs=docs: cluster.upsert(SCRATCH["name"], docs))
        time.sleep(0.02)  # steady, not flat out: the 2 cores also run three nodes


def _until(check, deadline: float, what: str) -> None:
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def test_leader_sigkill_under_load(ts_indexed, tmp_path):
    local, alias = ts_indexed.local, ts_indexed.alias
    Cluster(local.config).create_collection(SCRATCH)
    config = TypesenseConfig(local.config.nodes, local.api_key, alias)
    engine = Engine(tmp_path / "unused", cache=False, backend=BackendConfig("typesense", config))
    want = [_answer(engine, req) for req in QUERIES]
    assert all(total > 0 for total, _ids in want[:-1]), want
    leader = local.wait_leader()
    reads, writes = Load(), Load()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_read_loop, args=(engine, want, stop, reads, n)) for n in range(2)
    ] + [threading.Thread(target=_write_loop, args=(local.config, stop, writes))]
    deadline = time.monotonic() + MAX_SECONDS
    for t in threads:
        t.start()
    try:
        _until(lambda: reads.ok >= 30 and writes.ok >= 10, deadline, "steady load")
        killed_at = time.monotonic()
        local.kill(leader)
        new_leader = local.wait_leader(other_than=leader)
        elected_at = time.monotonic()
        _until(
            lambda: sum(t > elected_at for t in writes.done_at) >= 10,
            deadline,
            "writes after the election",
        )
        # The seam every upload and reindex goes through, with one node down.
        corpus = tmp_path / "corpus"
        corpus.mkdir()
        page = shared_bulletins()[7]
        (corpus / page.name).write_bytes(page.read_bytes())
        target = Target(corpus, tmp_path / "index", None, BackendConfig("typesense", config))
        synced = sync(replace_alias(target, "faults_sync"))
        _until(lambda: reads.ok >= 30 + len(QUERIES) * 3, deadline, "reads after the kill")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert reads.failed == [] and writes.failed == []
    assert synced.paragraphs > 0 and not synced.rejected
    during = [lat for lat, t in zip(reads.latencies, reads.done_at, strict=True) if t > killed_at]
    assert len(during) >= 20  # the load went on through the election
    first_write = min(t for t in writes.done_at if t > killed_at) - killed_at

    # The killed node comes back on its data folder and catches up with what it missed.
    restarted_at = time.monotonic()
    local.restart(leader)
    expected = local.document_count(new_leader, SCRATCH["name"])
    catch_up = local.wait_documents(leader, SCRATCH["name"], expected)
    local.wait_documents(leader, synced.collection, synced.paragraphs)
    local.wait_synced(alias)
    print(
        f"\nleader SIGKILL (Engine.search, {len(QUERIES)} queries): re-election "
        f"{elected_at - killed_at:.1f} s; reads {reads.ok} ok, "
        f"{len(reads.failed)} failed ({len(during)} after the kill, p95 "
        f"{statistics.quantiles(during, n=20)[-1] * 1000:.0f} ms, max {max(during) * 1000:.0f} ms); "
        f"writes {writes.ok} ok, {len(writes.failed)} failed, first after the kill "
        f"{first_write:.1f} s, max {max(writes.latencies):.1f} s; writing.sync with the node "
        f"down: {synced.paragraphs} paragraphs in {synced.seconds:.1f} s; restarted node "
        f"healthy + caught up ({expected} docs) in {time.monotonic() - restarted_at:.1f} s "
        f"(catch-up {catch_up:.1f} s)"
    )


def replace_alias(target: Target, alias: str) -> Target:
    ts = dataclasses.replace(target.backend.typesense, collection=alias)
    return dataclasses.replace(target, backend=BackendConfig("typesense", ts))

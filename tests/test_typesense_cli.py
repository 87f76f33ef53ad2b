"""The faces over the Typesense backend: ``searchsvc index`` syncs into the cluster, ``search
--json`` answers from it what it answers from Whoosh, a bad setting is exit 2, a dead cluster
a 503 (``TypesenseUnavailable`` is an ``ApiError``)."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from searchsvc.backend import Ask
from searchsvc.cache import LRUCache
from searchsvc.cli import main
from searchsvc.errors import ApiError
from searchsvc.matching import Deadline
from searchsvc.records import SearchRequest
from searchsvc.typesense.backend import TypesenseBackend
from searchsvc.typesense.client import Cluster, TypesenseUnavailable
from searchsvc.typesense.config import TypesenseConfig
from tests.conftest import SEED, shared_bulletins

pytest_plugins = ("tests.typesense_cluster",)


def _env(ts_cluster, **more) -> dict[str, str]:
    return {
        "SEARCHSVC_BACKEND": "typesense",
        "SEARCHSVC_TYPESENSE_NODES": ",".join(ts_cluster.config.nodes),
        "SEARCHSVC_TYPESENSE_API_KEY": ts_cluster.api_key,
        "SEARCHSVC_TYPESENSE_COLLECTION": "cli",
        **more,
    }


@pytest.mark.typesense
def test_index_then_search_through_the_cli(ts_cluster, tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for page in [SEED, *shared_bulletins()[:3]]:
        shutil.copy(page, corpus / page.name)
    runner, env = CliRunner(), _env(ts_cluster)
    first = runner.invoke(main, ["index", "--corpus", str(corpus)], env=env)
    assert first.exit_code == 0, first.output
    assert "+4 ~0 -0 files" in first.output and "(rebuilt)" in first.output
    again = runner.invoke(main, ["index", "--corpus", str(corpus)], env=env)
    assert "+0 ~0 -0 files" in again.output and "rebuilt" not in again.output
    full = runner.invoke(main, ["index", "--full", "--corpus", str(corpus)], env=env)
    assert "+4 ~0 -0 files" in full.output and "(rebuilt)" in full.output
    ts_cluster.wait_synced("cli")
    asked = ["search", "工会", "--json", "--sort", "-date", "--per-page", "50"]
    got = json.loads(runner.invoke(main, asked, env=env).output)
    whoosh_index = tmp_path / "index"
    runner.invoke(main, ["index", "--corpus", str(corpus), "--index", str(whoosh_index)], env={})
    want = json.loads(
        runner.invoke(
            main, [*asked, "--index", str(whoosh_index)], env={"SEARCHSVC_BACKEND": ""}
        ).output
    )
    assert got["total"] == want["total"] > 0
    assert [r["id"] for r in got["results"]] == [r["id"] for r in want["results"]]
    assert got["facets"] == want["facets"] and got["histogram"] == want["histogram"]


def test_a_bad_backend_setting_is_bad_usage():
    runner = CliRunner()
    bad = runner.invoke(main, ["search", "工会"], env={"SEARCHSVC_BACKEND": "solr"})
    assert bad.exit_code == 2 and "SEARCHSVC_BACKEND" in bad.output
    unset = runner.invoke(
        main,
        ["search", "工会"],
        env={"SEARCHSVC_BACKEND": "typesense", "SEARCHSVC_TYPESENSE_NODES": ""},
    )
    assert unset.exit_code == 2 and "SEARCHSVC_TYPESENSE_NODES" in unset.output


def test_a_dead_cluster_is_a_503():
    config = TypesenseConfig(("http://127.0.0.1:9",), "key")
    cluster = Cluster(config, connection_timeout=0.2, read_deadline=0.5)
    backend = TypesenseBackend(config, LRUCache(), cluster=cluster)
    with pytest.raises(TypesenseUnavailable) as err:
        backend.find(SearchRequest(q="工会"), Ask(None), Deadline(5))
    assert isinstance(err.value, ApiError) and err.value.status == 503
    assert "Typesense" in err.value.message and "/" in err.value.message  # 中文 / English

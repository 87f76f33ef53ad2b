"""Every Typesense-backed search ends within its budget; past it, a 503 (not a 500, not late).

A real 3-node cluster (``ts_indexed``). The engine's client has a request hook that counts the
HTTP calls of one search; at the ``k``-th it stops every node with SIGSTOP, so that call hangs
on the real cluster (a stopped process still has the kernel accept its connections; nobody
answers). For each query shape — one search, a filtered one, OR, ``title:``, a relaxed
question, a zero-result suggestion, ``within``, a broad literal fetched month by month, and the
paragraph texts of the page — and for every ``k`` up to the number of calls that shape makes,
the search must end within its budget (plus a little) with a 503, and no call may be sent after
the hung one (no retry, on another node or by the client's own retry loop, past the budget).
Before: a hung call was given 2 s on each node in turn (7 tries), then the read envelope began
again for 10 s — ~24 s, then a 503 of another kind.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from searchsvc.cache import LRUCache
from searchsvc.config import BackendConfig
from searchsvc.errors import ApiError, SearchTimeout
from searchsvc.records import SearchRequest
from searchsvc.search import Engine
from searchsvc.typesense import match as ts_match
from searchsvc.typesense.backend import TypesenseBackend
from searchsvc.typesense.client import Cluster, TypesenseUnavailable
from searchsvc.typesense.config import TypesenseConfig

pytest_plugins = ("tests.typesense_cluster",)

pytestmark = pytest.mark.typesense

BUDGET = 0.6  # seconds
SLACK = 0.5  # what ending a request may add past its budget on a busy 2-core machine (0.37 s seen
# once the Typesense files ran beside the live and crash tests; a hung call used to take ~24 s)

SHAPES = {
    "one search": SearchRequest(q="工会"),
    "one search, filtered, page 2": SearchRequest(q="职工", district=("未注明",), page=2),
    "OR": SearchRequest(q="宣讲 OR 志愿服务"),
    "title:": SearchRequest(q="title:工会"),
    "relaxed question": SearchRequest(q="北京市总工会哪年举办了宣讲活动？"),
    "suggestion": SearchRequest(q="zzzqqq 工会"),
    "within": SearchRequest(q="劳模", within=("北京",)),
    "broad literal, by month": SearchRequest(q="会 OR 的"),
}


class Hang:
    """A request hook: the ``at``-th call of the cluster stops every node first."""

    def __init__(self, local, at: int | None):
        self.local, self.at, self.calls, self.after = local, at, 0, 0

    def __call__(self, _request) -> None:
        self.calls += 1
        if self.calls == self.at:
            for node in self.local.nodes:
                os.kill(node.proc.pid, signal.SIGSTOP)
        elif self.at is not None and self.calls > self.at:
            self.after += 1

    def release(self) -> None:
        for node in self.local.nodes:
            os.kill(node.proc.pid, signal.SIGCONT)


def engine_with(ts_indexed, mixed_dirs, hang: Hang, budget: float = BUDGET) -> Engine:
    at, hang.at = hang.at, None  # not while the catalogue is read
    """An engine over the cluster whose every HTTP call goes through ``hang``; no caches, the
    catalogue read (it is shared by all requests and not bound by one's budget) and then due
    to be checked again, so that every search makes the same calls."""
    config = TypesenseConfig(ts_indexed.local.config.nodes, ts_indexed.local.api_key, "archive")
    engine = Engine(mixed_dirs[1], budget, cache=False, backend=BackendConfig("typesense", config))
    cluster = Cluster(config, event_hooks={"request": [hang]})
    engine.backend = TypesenseBackend(config, LRUCache(max_entries=0), cluster=cluster)
    engine.backend.catalog()
    engine.backend._catalog.expire()
    hang.calls, hang.at = 0, at
    return engine


@pytest.fixture
def by_month(monkeypatch):
    monkeypatch.setattr(ts_match, "PAGED_PAGES", 0)  # a literal of two pages is split by month


@pytest.mark.parametrize("shape", SHAPES)
def test_a_hung_call_ends_the_search_within_its_budget(ts_indexed, mixed_dirs, by_month, shape):
    req = SHAPES[shape]
    counting = Hang(ts_indexed.local, None)
    engine_with(ts_indexed, mixed_dirs, counting, budget=60).search(req)
    calls = counting.calls
    assert calls >= 2, calls  # the catalogue check, then the search itself
    for k in range(1, calls + 1):
        hang = Hang(ts_indexed.local, k)
        engine = engine_with(ts_indexed, mixed_dirs, hang)
        started = time.perf_counter()
        try:
            with pytest.raises(ApiError) as err:
                engine.search(req)
        finally:
            hang.release()
        took = time.perf_counter() - started
        label = f"{shape}: call {k} of {calls} hung"
        assert err.value.status == 503, label
        assert isinstance(err.value, SearchTimeout), (label, err.value)
        assert took <= BUDGET + SLACK, (label, took)
        assert hang.after == 0, label  # nothing sent again past the budget
        ts_indexed.local.wait_ready()


def test_a_cluster_that_refuses_is_a_503_within_the_budget(mixed_dirs):
    """Every node refusing (nothing listens): tried again only while the budget lasts."""
    config = TypesenseConfig(("http://127.0.0.1:9", "http://127.0.0.1:10"), "key", "archive")
    engine = Engine(mixed_dirs[1], BUDGET, backend=BackendConfig("typesense", config))
    started = time.perf_counter()
    with pytest.raises(TypesenseUnavailable) as err:
        engine.search(SearchRequest(q="工会"))
    assert err.value.status == 503
    assert time.perf_counter() - started <= BUDGET + SLACK

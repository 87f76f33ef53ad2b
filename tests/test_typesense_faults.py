"""The cluster losing its leader under load: reads go on, writes resume, the lost node catches up.

Readers ask the indexed archive over and over through their own ``Cluster`` (round-robin over
all three nodes); a writer upserts into a scratch collection through ``Cluster.write``. The
Raft leader is SIGKILLed mid-load. Every read and every write must succeed (after the client's
retries); writes must go on after a new leader is elected; the killed node, restarted on its
data folder, must come to hold every document the others hold. The numbers are printed
(``pytest -s``) for the issue's closing note.
"""

from __future__ import annotations

import statistics
import threading
import time
from dataclasses import dataclass, field

import pytest

from searchsvc.typesense.client import Cluster
from searchsvc.typesense.query import TsQuery, search

pytest_plugins = ("tests.typesense_cluster",)  # its fixtures: ts_cluster, ts_indexed
pytestmark = pytest.mark.typesense

QUERIES = [("工会",), ("北京市总工会",), ("劳模", "工匠"), ("职工",), ("志愿服务",), ("会",), ()]
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


def _read_loop(config, alias: str, stop: threading.Event, load: Load, offset: int) -> None:
    cluster = Cluster(config)
    i = offset
    while not stop.is_set():
        words = QUERIES[i % len(QUERIES)]
        i += 1
        load.timed(lambda words=words: search(cluster, alias, TsQuery(words=words, per_page=10)))


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


def test_leader_sigkill_under_load(ts_indexed):
    local, alias = ts_indexed.local, ts_indexed.alias
    Cluster(local.config).create_collection(SCRATCH)
    leader = local.wait_leader()
    reads, writes = Load(), Load()
    stop = threading.Event()
    threads = [
        threading.Thread(target=_read_loop, args=(local.config, alias, stop, reads, n))
        for n in range(2)
    ] + [threading.Thread(target=_write_loop, args=(local.config, stop, writes))]
    deadline = time.monotonic() + MAX_SECONDS
    for t in threads:
        t.start()
    try:
        _until(lambda: reads.ok >= 50 and writes.ok >= 10, deadline, "steady load")
        killed_at = time.monotonic()
        local.kill(leader)
        new_leader = local.wait_leader(other_than=leader)
        elected_at = time.monotonic()
        _until(
            lambda: sum(t > elected_at for t in writes.done_at) >= 10,
            deadline,
            "writes after the election",
        )
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert reads.failed == [] and writes.failed == []
    during = [lat for lat, t in zip(reads.latencies, reads.done_at, strict=True) if t > killed_at]
    assert len(during) >= 50  # the load went on through the election
    first_write = min(t for t in writes.done_at if t > killed_at) - killed_at

    # The killed node comes back on its data folder and catches up with what it missed.
    restarted_at = time.monotonic()
    local.restart(leader)
    expected = local.document_count(new_leader, SCRATCH["name"])
    catch_up = local.wait_documents(leader, SCRATCH["name"], expected)
    local.wait_synced(alias)
    print(
        f"\nleader SIGKILL: re-election {elected_at - killed_at:.1f} s; reads {reads.ok} ok, "
        f"{len(reads.failed)} failed ({len(during)} after the kill, p95 "
        f"{statistics.quantiles(during, n=20)[-1] * 1000:.0f} ms, max {max(during) * 1000:.0f} ms); "
        f"writes {writes.ok} ok, {len(writes.failed)} failed, first after the kill "
        f"{first_write:.1f} s, max {max(writes.latencies):.1f} s; restarted node healthy + "
        f"caught up ({expected} docs) in {time.monotonic() - restarted_at:.1f} s "
        f"(catch-up {catch_up:.1f} s)"
    )

"""One Whoosh process beside a 3-node Typesense cluster: requests/s and p95, the same query mix.

    python bench/cluster.py                                   # seed + the 20 shared bulletins
    python bench/cluster.py --corpus DIR --pages 300 --load-only   # what a paragraph costs
    flock /tmp/searchsvc-heavy.lock python bench/cluster.py --corpus DIR --index DIR  # whole

**Load**: the corpus (or ``--pages`` of it, a fixed random sample) is synced into a fresh 3-node
cluster on 127.0.0.1 through ``typesense.index.sync`` (what ``searchsvc index`` runs), timed
until every node has indexed every document; the nodes' memory is read before and after: RSS
from ``/proc`` and jemalloc's active bytes (``/metrics.json``), per node, per paragraph, and
extrapolated to the whole archive. ``--load-only`` stops there. ``--keep DIR``: the cluster
lives in DIR (data folders and ports kept); a later run starts it there and skips the load.

**Queries**: both backends answer through the same ``Engine`` (parsing, results and snippets
included, no match cache: every search in full), in this process, from ``--clients`` threads for
``--seconds`` each. The Whoosh engine reads ``--index`` (an index of the same corpus: the whole
archive's is built by ``searchsvc index --full``) or one built here. The query mix is
``bench/archive.py``'s — strings cut at random places from random paragraphs, quoted phrases,
common and rare words, pairs, reporters' names, questions — each with or without a date filter,
by relevance or date, page 1 or 2, plus a facet filter on one query in five and a few OR /
``title:`` queries; no query repeats (each backend gets the same list from the same start, and
the run says if it ran out). Every node is stopped by PID at the end (``LocalCluster``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.archive import mix, variants  # noqa: E402
from searchsvc.bulletin import corpus_files  # noqa: E402
from searchsvc.config import BackendConfig  # noqa: E402
from searchsvc.index import sync  # noqa: E402
from searchsvc.records import SearchRequest  # noqa: E402
from searchsvc.search import Engine  # noqa: E402
from searchsvc.typesense import client as ts_client  # noqa: E402
from searchsvc.typesense import index as ts_index  # noqa: E402
from searchsvc.typesense.backend import TypesenseBackend  # noqa: E402
from searchsvc.typesense.client import Cluster  # noqa: E402
from searchsvc.typesense.config import TypesenseConfig  # noqa: E402
from tests.conftest import SEED, SHARED_BULLETINS  # noqa: E402
from tests.typesense_cluster import LocalCluster  # noqa: E402

ARCHIVE_PARAGRAPHS = 360_886  # paragraph documents of the whole archive, in either backend
ALIAS = "bench"


def query_mix(corpus: Path, n: int, facet_values: dict[str, list[str]], seed: int = 15):
    """``n`` distinct requests (archive.py's kinds, plus facet filters, OR and title:)."""
    rng = random.Random(seed)
    kinds = mix(corpus, n // 6 + 1, seed)
    extra = []
    strings = [text.strip('"') for text, _aid in kinds["string"] + kinds["phrase"]]
    for a, b in zip(strings[::2], strings[1::2], strict=False):
        extra.append(("or", SearchRequest(q=f"{a} OR {b}")))
        extra.append(("title", SearchRequest(q=f"title:{b[:2]}")))
    asks = variants(kinds, rng) + extra[: n // 10]
    rng.shuffle(asks)
    out, seen = [], set()
    for i, (kind, req) in enumerate(asks):
        if i % 5 == 2 and facet_values:
            name = rng.choice(sorted(facet_values))
            req = dataclasses.replace(req, **{name: (rng.choice(facet_values[name]),)})
        key = (req.q, req.sort, req.page, req.date_from, req.district, req.type, req.organizer)
        if key not in seen:
            seen.add(key)
            out.append((kind, req))
    return out[:n]


CALLS = threading.local()  # HTTP calls to the cluster made by this thread's current search


def count_call(_request) -> None:
    CALLS.n = getattr(CALLS, "n", 0) + 1


def counting(engine: Engine, ts: TypesenseConfig) -> Engine:
    """``engine`` with a Typesense backend whose every HTTP call is counted (``CALLS``)."""
    cluster = Cluster(ts, event_hooks={"request": [count_call]})
    engine.backend = TypesenseBackend(ts, engine._cache, cluster=cluster)
    return engine


def run(engine: Engine, asks: list, seconds: float, clients: int) -> dict:
    """``clients`` threads asking ``asks`` in order, each query once, for ``seconds``. A failed
    search (a 503 past the budget) counts with its time."""
    times: list[tuple[str, float]] = []  # (kind, ms)
    calls: dict[str, list[int]] = {}  # kind → cluster calls of each search
    failed: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    cursor = [0]

    def client() -> None:
        while time.monotonic() < stop:
            with lock:
                if cursor[0] >= len(asks):
                    return  # out of distinct queries: none is asked twice
                kind, req = asks[cursor[0]]
                cursor[0] += 1
            started = time.perf_counter()
            CALLS.n = 0
            try:
                engine.search(req)
            except Exception as err:  # noqa: BLE001 — counted, not raised: a bench row
                with lock:
                    failed.append(f"{kind} {req.q!r}: {type(err).__name__}")
            with lock:
                times.append((kind, (time.perf_counter() - started) * 1000))
                calls.setdefault(kind, []).append(CALLS.n)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    kinds: dict[str, list[float]] = {}
    for kind, ms in times:
        kinds.setdefault(kind, []).append(ms)
    return {
        "requests": len(times),
        "failed": failed,
        "rps": len(times) / wall,
        **percentiles([ms for _kind, ms in times]),
        "kinds": {
            kind: percentiles(v) | {"n": len(v), "calls": statistics.mean(calls[kind])}
            for kind, v in sorted(kinds.items())
        },
        "asked": cursor[0],
        "ran_out": cursor[0] >= len(asks),
    }


def percentiles(ms: list[float]) -> dict[str, float]:
    ms = sorted(ms)
    if not ms:
        return {"p50": 0.0, "p95": 0.0}
    return {"p50": statistics.median(ms), "p95": ms[int(0.95 * (len(ms) - 1))]}


def proc_kib(pid: int, key: str) -> int:
    """A ``/proc/<pid>/status`` size in KiB (``VmRSS``: now, ``VmHWM``: the peak)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line[: len(key)] == key)


def node_memory(local: LocalCluster) -> list[tuple[int, int]]:
    """(RSS bytes, jemalloc active bytes) of every node."""
    out = []
    for node in local.nodes:
        rss = proc_kib(node.proc.pid, "VmRSS")
        req = urllib.request.Request(
            f"{node.url}/metrics.json", headers={"X-TYPESENSE-API-KEY": local.api_key}
        )
        with urllib.request.urlopen(req, timeout=5) as resp:
            active = int(float(json.load(resp)["typesense_memory_active_bytes"]))
        out.append((rss * 1024, active))
    return out


def disk_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def sample_corpus(source: Path, pages: int | None, into: Path) -> Path:
    """``source`` itself, or ``pages`` of its bulletins (a fixed random sample) linked into
    ``into`` under the same relative paths (ids stay the archive's)."""
    if not pages:
        return source
    files = corpus_files(source)
    for rel in random.Random(15).sample(sorted(files), pages):
        (into / rel).parent.mkdir(parents=True, exist_ok=True)
        (into / rel).symlink_to(files[rel])
    return into


class Watchdog(threading.Thread):
    """Stops the cluster (by PID) if the nodes together pass ``limit`` bytes of RSS: the
    machine is shared. Also keeps the largest total it saw."""

    def __init__(self, local: LocalCluster, limit: float):
        super().__init__(daemon=True)
        self.local, self.limit, self.peak, self.tripped = local, limit, 0, False
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(1.0):
            try:
                total = sum(proc_kib(n.proc.pid, "VmRSS") * 1024 for n in self.local.nodes)
            except (OSError, StopIteration):
                continue  # a node restarting
            self.peak = max(self.peak, total)
            if total > self.limit:
                self.tripped = True
                print(f"cluster RSS {total / 2**30:.1f} GiB > {self.limit / 2**30:.0f}: stopping")
                self.local.stop()
                return


def load(local: LocalCluster, corpus: Path) -> ts_index.TsSyncReport:
    before = node_memory(local)
    started = time.monotonic()

    def progress(done: int, total: int, _rel: str) -> None:
        if done % 500 == 0 or done == total:
            print(f"  {done}/{total} pages in {time.monotonic() - started:.0f} s", flush=True)

    report = ts_index.sync(Cluster(local.config), corpus, alias=ALIAS, progress=progress)
    synced = time.monotonic()
    local.wait_synced(ALIAS, timeout=3600)
    replicated = time.monotonic()
    time.sleep(2)  # the allocator's counters are sampled, not exact at each write
    after = node_memory(local)
    n = report.paragraphs
    rss = [a[0] - b[0] for a, b in zip(after, before, strict=True)]
    active = [a[1] - b[1] for a, b in zip(after, before, strict=True)]
    disk = [disk_bytes(node.data_dir) for node in local.nodes]
    print(f"load: {len(report.added)} pages, {report.articles} articles, {n} paragraphs; "
          f"sync {synced - started:.0f} s (leader indexed), every node {replicated - started:.0f} s "
          f"= {(replicated - started) / n * 1000:.2f} ms a paragraph")  # fmt: skip
    for name, per in (("RSS", rss), ("active", active)):
        each = statistics.median(per) / n
        print(f"  node {name} growth: {', '.join(f'{b / 2**20:.0f}' for b in per)} MiB = "
              f"{each / 1024:.2f} KiB a paragraph (median node) → whole archive "
              f"{each * ARCHIVE_PARAGRAPHS / 2**30:.2f} GiB a node, "
              f"{3 * each * ARCHIVE_PARAGRAPHS / 2**30:.2f} GiB for 3")  # fmt: skip
    print(f"  node RSS now {', '.join(f'{a[0] / 2**20:.0f}' for a in after)} MiB; data folder "
          f"{statistics.median(disk) / 2**20:.0f} MiB a node; whole-archive load at this rate "
          f"≈ {(replicated - started) / n * ARCHIVE_PARAGRAPHS / 60:.0f} min")  # fmt: skip
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, help="default: the seed and the 20 shared bulletins")
    ap.add_argument("--pages", type=int, help="a fixed random sample of this many pages")
    ap.add_argument("--index", type=Path, help="a Whoosh index of exactly this corpus")
    ap.add_argument("--load-only", action="store_true")
    ap.add_argument("--keep", type=Path, help="the cluster's folder, kept: loaded once, reused")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--queries", type=int, default=3000)
    ap.add_argument("--max-rss-gib", type=float, default=14.0, help="stop the cluster past it")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        work = Path(tmp)
        (work / "corpus").mkdir()
        if args.corpus is None:
            for page in [SEED, *sorted(SHARED_BULLETINS.glob("*.md"))]:
                shutil.copy(page, work / "corpus" / page.name)
            corpus = work / "corpus"
        else:
            corpus = sample_corpus(args.corpus, args.pages, work / "corpus")
        local, loaded = kept_cluster(args.keep, work)
        try:
            local.start(timeout=3600)  # a kept cluster indexes its data folders again first
            watchdog = Watchdog(local, args.max_rss_gib * 2**30)
            watchdog.start()
            if loaded is None:
                report = load(local, corpus)
                if args.keep:
                    (args.keep / LOADED).write_text(json.dumps(dataclasses.asdict(report)))
            else:
                report = reloaded(local, loaded)
            if not args.load_only:
                bench(local, corpus, report, args, work)
            watchdog.done.set()
            peaks = [proc_kib(n.proc.pid, "VmHWM") * 1024 for n in local.nodes]
            print(f"node RSS peak {', '.join(f'{p / 2**30:.2f}' for p in peaks)} GiB; cluster "
                  f"total peak (sampled) {watchdog.peak / 2**30:.2f} GiB; this process "
                  f"{proc_kib(os.getpid(), 'VmHWM') / 2**20:.2f} GiB peak")  # fmt: skip
        finally:
            local.stop()


LOADED = "loaded.json"  # in a kept cluster's folder: the load's report, once it finished


def kept_cluster(keep: Path | None, work: Path) -> tuple[LocalCluster, dict | None]:
    """A fresh cluster under ``work``, or the one kept in ``keep`` (same ports, same data
    folders) with the report of its load, None if it was never loaded to the end."""
    if keep is None:
        return LocalCluster(work / "ts"), None
    keep.mkdir(parents=True, exist_ok=True)
    ports_file = keep / "ports.json"
    ports = json.loads(ports_file.read_text()) if ports_file.exists() else None
    local = LocalCluster(keep, ports=ports)
    ports_file.write_text(
        json.dumps([p for n in local.nodes for p in (n.api_port, n.peering_port)])
    )
    loaded = keep / LOADED
    return local, json.loads(loaded.read_text()) if loaded.exists() else None


def reloaded(local: LocalCluster, report: dict) -> ts_index.TsSyncReport:
    """A kept cluster's load report, once every node has indexed its data folder again (the
    count is the report's: a node's count grows while it reads its folder back)."""
    started = time.monotonic()
    leader = local.wait_leader(timeout=3600)
    target = local.alias_target(leader, ALIAS)
    [local.wait_documents(i, target, report["paragraphs"], 3600) for i in local.alive()]
    print(f"kept cluster: {report['paragraphs']} documents on every node, indexed again from "
          f"disk in {time.monotonic() - started:.0f} s after the leader was "
          f"elected")  # fmt: skip
    return ts_index.TsSyncReport(**report)


def bench(local: LocalCluster, corpus: Path, report, args, work: Path) -> None:
    index = args.index
    if index is None:
        index = work / "index"
        sync(corpus, index, full=True)
    pointer = index / "CURRENT"
    print(f"whoosh index: {index} ({pointer.read_text().strip() if pointer.exists() else '?'})")
    ts = TypesenseConfig(local.config.nodes, local.api_key, ALIAS)
    whoosh = Engine(index, cache=False, backend=BackendConfig())
    typesense = counting(Engine(index, cache=False, backend=BackendConfig("typesense", ts)), ts)
    started = time.perf_counter()
    values = _facet_values(typesense)
    print(f"typesense catalogue read (every article's record): "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip
    before = counting(Engine(index, cache=False, backend=BackendConfig("typesense", ts)), ts)
    before.backend.catalog()
    engines = {
        "whoosh (1 process)": (whoosh, None),
        "typesense (3 nodes)": (typesense, None),
        # The budget undone (the query-shape changes stay): no call bound by it, the client's
        # 2 s timeout sent to each node in turn, then read()'s 10 s — as before this stop.
        "typesense, unbounded": (before, unbudgeted),
    }
    asks = query_mix(corpus, args.queries, values)
    print(f"corpus: {len(report.added)} pages, {report.articles} articles, "
          f"{report.paragraphs} paragraphs; {len(asks)} distinct queries; "
          f"{args.clients} clients, {args.seconds:g} s each; budget {whoosh.time_budget:g} s; "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'backend':22} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'asked':>6} "
          f"{'failed':>6}  failures")  # fmt: skip
    warm, measured = asks[:60], asks[60:]
    rows = {}
    for name, (engine, patch) in engines.items():
        with patch() if patch else contextlib.nullcontext():
            run(engine, warm, 30, args.clients)  # jieba, catalogue, connections, page cache
            r = rows[name] = run(engine, measured, args.seconds, args.clients)
        why = Counter(line.rsplit(": ", 1)[-1] for line in r["failed"])
        print(f"{name:22} {r['rps']:7.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
              f"{r['asked']:6d} {len(r['failed']):6d}  {dict(why) or ''}"
              + ("  (ran out of distinct queries)" if r["ran_out"] else "")
              + f"  load {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
    print("by kind (n, p50 / p95 ms, cluster calls a search):")
    for kind in rows[next(iter(rows))]["kinds"]:
        cells = []
        for r in rows.values():
            k = r["kinds"].get(kind, {"n": 0, "p50": 0, "p95": 0, "calls": 0})
            cells.append(f"{k['n']:4d} {k['p50']:7.0f} / {k['p95']:6.0f} {k['calls']:5.1f}")
        print(f"  {kind:9} " + "   ".join(cells))
    for name, r in rows.items():
        for line in r["failed"][:8]:
            print(f"  {name} failed: {line}")


@contextlib.contextmanager
def unbudgeted():
    """The Typesense client as it was before its calls were bound by the request's budget."""
    saved = ts_client._budget
    ts_client._budget = lambda: None
    try:
        yield
    finally:
        ts_client._budget = saved


def _facet_values(engine: Engine) -> dict[str, list[str]]:
    """Facet values a filter may pick: known ones with at least 20 articles."""
    catalog = engine.backend.catalog()
    picked = {
        name: [v for v, c in counts.items() if c >= 20 and v != "未注明"]
        for name, counts in catalog.values.items()
    }
    return {name: values for name, values in picked.items() if values}


if __name__ == "__main__":
    main()

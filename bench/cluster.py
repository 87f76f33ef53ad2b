"""One Whoosh process beside a 3-node Typesense cluster: requests/s and p95, the same query mix.

    python bench/cluster.py                                   # seed + the 20 shared bulletins
    python bench/cluster.py --corpus DIR --pages 300 --load-only   # what a paragraph costs
    flock /tmp/searchsvc-heavy.lock python bench/cluster.py --corpus DIR --index DIR  # whole

**Load**: the corpus (or ``--pages`` of it, a fixed random sample) is synced into a fresh 3-node
cluster on 127.0.0.1 through ``typesense.index.sync`` (what ``searchsvc index`` runs), timed
until every node has indexed every document; the nodes' memory is read before and after: RSS
from ``/proc`` and jemalloc's active bytes (``/metrics.json``), per node, per paragraph, and
extrapolated to the whole archive. ``--load-only`` stops there.

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
import dataclasses
import json
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.archive import mix, variants  # noqa: E402
from searchsvc.bulletin import corpus_files  # noqa: E402
from searchsvc.config import BackendConfig  # noqa: E402
from searchsvc.index import sync  # noqa: E402
from searchsvc.records import SearchRequest  # noqa: E402
from searchsvc.search import Engine  # noqa: E402
from searchsvc.typesense import index as ts_index  # noqa: E402
from searchsvc.typesense.client import Cluster  # noqa: E402
from searchsvc.typesense.config import TypesenseConfig  # noqa: E402
from tests.conftest import SEED, SHARED_BULLETINS  # noqa: E402
from tests.typesense_cluster import LocalCluster  # noqa: E402

ARCHIVE_PAGES = 5_188
ARCHIVE_PARAGRAPHS = 362_705
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


def run(engine: Engine, asks: list, seconds: float, clients: int) -> dict:
    times: list[float] = []
    failed: list[str] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    cursor = [0]

    def client() -> None:
        while time.monotonic() < stop:
            with lock:
                if cursor[0] >= len(asks):
                    return  # out of distinct queries: none is asked twice
                _kind, req = asks[cursor[0]]
                cursor[0] += 1
            started = time.perf_counter()
            try:
                engine.search(req)
            except Exception as err:  # noqa: BLE001 — counted, not raised: a bench row
                failed.append(f"{req.q!r}: {type(err).__name__}")
                continue
            with lock:
                times.append((time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - began
    times.sort()
    return {
        "requests": len(times),
        "failed": failed,
        "rps": len(times) / wall,
        "p50": statistics.median(times) if times else 0,
        "p95": times[int(0.95 * (len(times) - 1))] if times else 0,
        "asked": cursor[0],
        "ran_out": cursor[0] >= len(asks),
    }


def node_memory(local: LocalCluster) -> list[tuple[int, int]]:
    """(RSS bytes, jemalloc active bytes) of every node."""
    out = []
    for node in local.nodes:
        status = Path(f"/proc/{node.proc.pid}/status").read_text()
        rss = next(int(line.split()[1]) for line in status.splitlines() if line[:6] == "VmRSS:")
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


def load(local: LocalCluster, corpus: Path) -> ts_index.TsSyncReport:
    before = node_memory(local)
    started = time.monotonic()
    report = ts_index.sync(Cluster(local.config), corpus, alias=ALIAS)
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
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--clients", type=int, default=4)
    ap.add_argument("--queries", type=int, default=3000)
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
        with LocalCluster(work / "ts") as local:
            report = load(local, corpus)
            if args.load_only:
                return
            index = args.index
            if index is None:
                index = work / "index"
                sync(corpus, index, full=True)
            ts = TypesenseConfig(local.config.nodes, local.api_key, ALIAS)
            engines = {
                "whoosh (1 process)": Engine(index, cache=False, backend=BackendConfig()),
                "typesense (3 nodes)": Engine(
                    index, cache=False, backend=BackendConfig("typesense", ts)
                ),
            }
            values = _facet_values(engines["typesense (3 nodes)"])
            asks = query_mix(corpus, args.queries, values)
            print(f"corpus: {len(report.added)} pages, {report.articles} articles, "
                  f"{report.paragraphs} paragraphs; {len(asks)} distinct queries; "
                  f"{args.clients} clients, {args.seconds:g} s each")  # fmt: skip
            print(f"{'backend':22} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'asked':>6} "
                  f"{'failed':>6}")  # fmt: skip
            warm, measured = asks[:60], asks[60:]
            for name, engine in engines.items():
                run(engine, warm, 30, args.clients)  # jieba, catalogue, connections, page cache
                r = run(engine, measured, args.seconds, args.clients)
                print(f"{name:22} {r['rps']:7.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
                      f"{r['asked']:6d} {len(r['failed']):6d}"
                      + ("  (ran out of distinct queries)" if r["ran_out"] else ""))  # fmt: skip
                for line in r["failed"][:5]:
                    print(f"    failed: {line}")


def _facet_values(engine: Engine) -> dict[str, list[str]]:
    """Facet values a filter may pick: known ones with at least 20 articles."""
    catalog = engine.backend.catalog()
    return {
        name: [v for v, c in counts.items() if c >= 20 and v != "未注明"]
        for name, counts in catalog.values.items()
        if any(c >= 20 for c in counts.values())
    }


if __name__ == "__main__":
    main()

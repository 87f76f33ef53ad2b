"""One Whoosh process beside a 3-node Typesense cluster: requests/s and p95, the same query mix.

    python bench/cluster.py [--seconds 8] [--clients 4]

Both backends answer through the same ``Engine`` (parsing, results and snippets included, no
match cache: every search in full), in this process, from ``--clients`` threads for
``--seconds`` each. The corpus is the seed and the 20 shared bulletins, not the whole archive:
loading 362,705 paragraphs into a 3-node cluster on this shared 2-core machine did not fit in
the time this was written in. The query mix is drawn as a stranger would: strings cut at random places from
random paragraphs, pairs of them, a third as quoted phrases, and a few OR / title: / filtered
queries; no query repeats. Also prints the memory one paragraph document costs a node
(``/metrics.json``: active bytes after the sync minus before, over the documents) and what the
whole archive would need at that rate.
"""

from __future__ import annotations

import argparse
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

from searchsvc import bulletin  # noqa: E402
from searchsvc.analysis import normalize, unit_runs  # noqa: E402
from searchsvc.config import BackendConfig  # noqa: E402
from searchsvc.index import sync  # noqa: E402
from searchsvc.records import SearchRequest  # noqa: E402
from searchsvc.search import Engine  # noqa: E402
from searchsvc.typesense import index as ts_index  # noqa: E402
from searchsvc.typesense.client import Cluster  # noqa: E402
from searchsvc.typesense.config import TypesenseConfig  # noqa: E402
from tests.conftest import SEED, SHARED_BULLETINS  # noqa: E402
from tests.typesense_cluster import LocalCluster  # noqa: E402

ARCHIVE_PARAGRAPHS = 362_705
ARCHIVE_CHARS = 35.5e6


def query_mix(corpus: Path, n: int, seed: int = 15) -> list[SearchRequest]:
    rng = random.Random(seed)
    paragraphs = [
        p.text for path in sorted(corpus.iterdir()) for a in bulletin.read(path, corpus).articles
        for p in a.paragraphs
    ]  # fmt: skip

    def cut() -> str:
        while True:
            runs = [r for r in unit_runs(normalize(rng.choice(paragraphs))) if len(r) >= 2]
            if runs:
                run = rng.choice(runs)
                size = rng.randint(2, min(5, len(run)))
                start = rng.randrange(len(run) - size + 1)
                return "".join(u for u, _s, _e in run[start : start + size])

    seen, out = set(), []
    while len(out) < n:
        kind = len(out) % 10
        if kind < 4:
            q = cut()
        elif kind < 6:
            q = f"{cut()} {cut()}"
        elif kind < 8:
            q = f'"{cut()}"'
        elif kind == 8:
            q = f"{cut()} OR {cut()}"
        else:
            q = f"title:{cut()[:2]}"
        if q not in seen:
            seen.add(q)
            sort = "-date" if len(out) % 7 == 3 else "relevance"
            out.append(SearchRequest(q=q, sort=sort))
    return out


def run(engine: Engine, mix: list[SearchRequest], seconds: float, clients: int) -> dict:
    times: list[float] = []
    failed = [0]
    lock = threading.Lock()
    stop = time.monotonic() + seconds
    cursor = [0]

    def client() -> None:
        while time.monotonic() < stop:
            with lock:
                req = mix[cursor[0] % len(mix)]
                cursor[0] += 1
            started = time.perf_counter()
            try:
                engine.search(req)
            except Exception:  # noqa: BLE001 — counted, not raised: a bench row, not a test
                failed[0] += 1
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
        "failed": failed[0],
        "rps": len(times) / wall,
        "p50": statistics.median(times) if times else 0,
        "p95": times[int(0.95 * (len(times) - 1))] if times else 0,
        "distinct": min(cursor[0], len(mix)),
    }


def active_bytes(url: str, key: str) -> int:
    req = urllib.request.Request(f"{url}/metrics.json", headers={"X-TYPESENSE-API-KEY": key})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return int(float(json.load(resp)["typesense_memory_active_bytes"]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=8.0)
    ap.add_argument("--clients", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        work = Path(tmp)
        corpus = work / "corpus"
        corpus.mkdir()
        for page in [SEED, *sorted(SHARED_BULLETINS.glob("*.md"))]:
            shutil.copy(page, corpus / page.name)
        sync(corpus, work / "index")
        mix = query_mix(corpus, 2000)
        with LocalCluster(work / "ts") as local:
            before = [active_bytes(u, local.api_key) for u in local.config.nodes]
            cluster = Cluster(local.config)
            report = ts_index.sync(cluster, corpus, alias="bench")
            local.wait_synced("bench")
            time.sleep(1)  # the allocator's counters are sampled, not exact at each write
            after = [active_bytes(u, local.api_key) for u in local.config.nodes]
            per_doc = statistics.median(a - b for a, b in zip(after, before, strict=True))
            per_doc /= report.paragraphs
            chars = sum(len(p.read_text(errors="replace")) for p in corpus.iterdir())
            ts = TypesenseConfig(local.config.nodes, local.api_key, "bench")
            engines = {
                "whoosh (1 process)": Engine(work / "index", cache=False, backend=BackendConfig()),
                "typesense (3 nodes)": Engine(
                    work / "index", cache=False, backend=BackendConfig("typesense", ts)
                ),
            }
            print(f"corpus: {report.articles} articles, {report.paragraphs} paragraphs, "
                  f"{chars / 1e6:.2f} M chars; {args.clients} clients, {args.seconds:g} s each")  # fmt: skip
            print(f"{'backend':22} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'failed':>6}")
            for name, engine in engines.items():
                run(engine, mix[:50], 2, args.clients)  # warm: jieba, catalogue, connections
                r = run(engine, mix[50:], args.seconds, args.clients)
                print(f"{name:22} {r['rps']:7.1f} {r['p50']:8.1f} {r['p95']:8.1f} "
                      f"{r['failed']:6d}")  # fmt: skip
            archive = per_doc * ARCHIVE_PARAGRAPHS
            print(f"memory per paragraph document on a node: {per_doc / 1024:.1f} KiB "
                  f"(median over nodes; {per_doc * report.paragraphs / 2**20:.0f} MiB for "
                  f"{report.paragraphs}); whole archive ({ARCHIVE_PARAGRAPHS:,} paragraphs, "
                  f"{ARCHIVE_CHARS / 1e6:.1f} M chars) ≈ {archive / 2**30:.2f} GiB per node")  # fmt: skip


if __name__ == "__main__":
    main()

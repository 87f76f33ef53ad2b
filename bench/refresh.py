"""How the server notices a new index generation: check on every request, or open fresh searchers.

    python bench/refresh.py [--requests N]

Indexes the 20 shared pages plus the seed, then times, in the same run:
- a request's freshness check alone (``index.live_dir`` + ``Searcher.up_to_date``), which is what
  ``Engine`` does per request;
- opening a new searcher per request (the other way to be always fresh);
- a whole search (``劳模``) through ``Engine`` for scale;
- how long after a commit the next request sees the new generation.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from searchsvc import index
from searchsvc.search import Engine, SearchRequest

ROOT = Path(__file__).resolve().parents[1]
BULLETINS = ROOT.parent / "shared" / "corpus" / "bulletins"
SEED = ROOT / "corpus" / "000_73d2eb0e74c950a6.txt"


def per_call_us(fn, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n * 1e6


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="searchsvc-refresh-"))
    try:
        corpus, home = work / "corpus", work / "index"
        corpus.mkdir()
        pages = sorted(BULLETINS.glob("*.md"))
        for page in pages[:-1]:
            shutil.copy(page, corpus)
        shutil.copy(SEED, corpus)
        index.sync(corpus, home)
        ix = index.open_index(home)
        searcher = ix.searcher()

        def check() -> None:
            index.live_dir(home)
            searcher.up_to_date()

        def reopen() -> None:
            ix.searcher().close()

        engine = Engine(home, cache=False)
        engine.search(SearchRequest(q="劳模"))
        check_us = per_call_us(check, args.requests)
        reopen_us = per_call_us(reopen, args.requests // 10)
        search_us = [
            per_call_us(lambda: engine.search(SearchRequest(q="劳模")), 1) for _ in range(200)
        ]
        print(f"index: {index.stats(ix)}")
        print(f"  freshness check per request (live_dir + up_to_date): {check_us:8.1f} µs")
        print(f"  new searcher per request:                             {reopen_us:8.1f} µs")
        print(f"  whole search '劳模' through Engine, p50:               "
              f"{statistics.median(search_us):8.1f} µs")  # fmt: skip
        print(f"  reopen / check: {reopen_us / check_us:.1f}x")

        before = engine.health().files
        shutil.copy(pages[-1], corpus)
        index.sync(corpus, home)
        started = time.perf_counter()
        seen = engine.health().files
        print(f"  the first request after a commit sees it: {before} → {seen} files, that request "
              f"took {(time.perf_counter() - started) * 1000:.1f} ms (refresh included)")  # fmt: skip
        searcher.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

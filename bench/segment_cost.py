"""What a query pays per segment, at the archive's size: the same kind of queries before and after
live pages added one sync (one segment) each, then after the merge pass.

    SEARCHSVC_VOCAB=... python bench/segment_cost.py --index INDEX --corpus CORPUS [--pages 30]

Works on a copy of ``INDEX`` (files hard-linked; nothing is written in place) and of ``CORPUS``.
In process, cache off. Queries never repeat: each round draws its own strings of 2–6 characters
cut at random from random paragraphs of the archive (a third of them two strings at once).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from index_archive import copy_index, pct  # noqa: E402

from searchsvc import index, merging  # noqa: E402
from searchsvc.records import SearchRequest  # noqa: E402
from searchsvc.search import Engine  # noqa: E402


def cut_queries(paragraphs: list[str], n: int, rng: random.Random, seen: set[str]) -> list[str]:
    out: list[str] = []
    while len(out) < n:
        parts = []
        for _ in range(2 if rng.random() < 1 / 3 else 1):
            text = rng.choice(paragraphs)
            size = rng.randrange(2, 7)
            if len(text) <= size:
                break
            start = rng.randrange(len(text) - size)
            parts.append(text[start : start + size].strip())
        q = " ".join(p for p in parts if p)
        if q and q not in seen and not any(c in q for c in "\"'()-+:*|"):
            seen.add(q)
            out.append(q)
    return out


def measure(engine: Engine, queries: list[str]) -> tuple[float, float, float]:
    engine.search(SearchRequest(q="中国"))  # the generation's snapshot, built once
    times = []
    for q in queries:
        t = time.perf_counter()
        with contextlib.suppress(Exception):  # a 503 past the budget: its time counts too
            engine.search(SearchRequest(q=q))
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000, pct(times, 0.95) * 1000, statistics.mean(times) * 1000


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    vocab = Path(os.environ["SEARCHSVC_VOCAB"]) if os.environ.get("SEARCHSVC_VOCAB") else None
    work = Path(tempfile.mkdtemp(prefix="searchsvc-segcost-"))
    rng = random.Random(20261130)
    try:
        corpus, home = work / "corpus", work / "index"
        shutil.copytree(args.corpus, corpus)
        copy_index(args.index, home)
        pages = sorted(corpus.rglob("*.md"), key=lambda p: (p.stat().st_size, p.name))
        middle = len(pages) // 2
        sample = rng.sample(pages, 300)
        paragraphs = [
            line for p in sample for line in p.read_text("utf-8").splitlines() if len(line) > 20
        ]
        seen: set[str] = set()
        engine = Engine(home, vocab_dir=vocab, cache=False)
        segs = lambda: len(index.open_index(home)._segments())  # noqa: E731
        rows = [(segs(), *measure(engine, cut_queries(paragraphs, args.queries, rng, seen)))]
        (corpus / "added").mkdir()
        for i in range(args.pages):
            rel = f"added/p{i:03d}.md"
            shutil.copy(pages[middle + i], corpus / rel)
            index.sync(corpus, home, vocab_dir=vocab, only=[rel])
        rows.append((segs(), *measure(engine, cut_queries(paragraphs, args.queries, rng, seen))))
        started = time.perf_counter()
        merged = merging.merge_pass(home)
        took = time.perf_counter() - started
        rows.append((segs(), *measure(engine, cut_queries(paragraphs, args.queries, rng, seen))))
        print(f"nproc {os.cpu_count()}; {args.queries} queries a row, never repeated; cache off")
        print(f"{'':34}{'segments':>9}{'p50 ms':>9}{'p95 ms':>9}{'mean ms':>9}")
        labels = ["the archive as built", f"+{args.pages} pages, a segment each",
                  f"after the merge pass ({merged} merges, {took:.0f} s)"]  # fmt: skip
        for label, (n, p50, p95, mean) in zip(labels, rows, strict=True):
            print(f"{label:34}{n:9d}{p50:9.1f}{p95:9.1f}{mean:9.1f}")
        extra = rows[1][0] - rows[0][0]
        print(f"per extra segment: {(rows[1][3] - rows[0][3]) / max(extra, 1):.2f} ms a query "
              f"(mean); load average {os.getloadavg()[0]:.1f}")  # fmt: skip
        engine.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

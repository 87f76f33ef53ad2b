"""Index and query times on a slice of the shared archive, against a stock baseline in the same run.

The baseline is what a team would write first: one Whoosh document per paragraph with the body
analysed by jieba's stock ``ChineseAnalyzer`` and stored. Ours adds the word positions, the
unit-bigram recall field, title and bylines, and the manifest documents.

    python bench/slice.py [--pages N] [--archive PATH] [--queries N]

Prints paragraphs/s for both, the cost ratio, and p50/p95 query latency (article-grouped search
through ``Engine`` vs. a plain Whoosh search on the baseline). Facets: the baseline carries the
same facet values as KEYWORD fields on every paragraph and counts them with Whoosh's
``groupedby`` (paragraph counts, the obvious first version); ours counts articles from the
catalog. Both are timed on the same queries, with and without a facet filter.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tarfile
import tempfile
import time
from pathlib import Path

from jieba.analyse import ChineseAnalyzer
from whoosh import index as whoosh_index
from whoosh import sorting
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.qparser import QueryParser

from searchsvc import bulletin, facets
from searchsvc.catalog import FACETS
from searchsvc.index import stats, sync
from searchsvc.search import Engine, SearchRequest

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "corpus" / "news-archive.tar.gz"
QUERIES = ["劳模工匠", "北京市总工会", "志愿服务", "培训班", "习近平", "疫情防控", "马克思主义",
           '"全国劳动模范"', "职工 读书", "工会 -北京"]  # fmt: skip


def unpack(archive: Path, dest: Path, pages: int, seed: int) -> int:
    """Copy ``pages`` pages (a fixed random sample) of the archive into ``dest``."""
    with tarfile.open(archive) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        chosen = random.Random(seed).sample(members, min(pages, len(members)))
        for m in chosen:
            data = tar.extractfile(m).read()
            target = dest / Path(m.name).relative_to("archive")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    return len(chosen)


def baseline_index(corpus: Path, index_dir: Path) -> tuple[float, int]:
    started = time.perf_counter()
    index_dir.mkdir()
    facet_fields = {spec.field: KEYWORD(commas=True) for spec in FACETS}
    ix = whoosh_index.create_in(
        str(index_dir),
        Schema(
            pid=ID(stored=True, unique=True),
            text=TEXT(analyzer=ChineseAnalyzer(), stored=True),
            **facet_fields,
        ),
    )
    vocab = facets.Vocabulary.load()
    writer = ix.writer()
    n = 0
    for path in sorted(corpus.rglob("*.md")):
        for article in bulletin.read(path, corpus).articles:
            found = facets.extract(article, vocab)
            values = {f: ",".join(getattr(found, f) or (facets.UNKNOWN,)) for f in facet_fields}
            for para in article.paragraphs:
                writer.add_document(pid=f"{article.id}#{para.n}", text=para.text, **values)
                n += 1
    writer.commit()
    return time.perf_counter() - started, n


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def facet_timings(engine: Engine, base_searcher, parser, rounds: int) -> None:
    """Facet counts: Whoosh ``groupedby`` on paragraphs (baseline) vs. our article counts."""
    facet_map = {spec.field: sorting.FieldFacet(spec.field, allow_overlap=True) for spec in FACETS}
    types = next(f for f in engine.facets() if f.name == "type").values
    top_type = next(v.value for v in types if v.value != facets.UNKNOWN)
    base_ms, ours_ms, filtered_ms = [], [], []
    for _ in range(rounds):
        for q in QUERIES:
            t = time.perf_counter()
            hits = base_searcher.search(parser.parse(q), limit=10, groupedby=facet_map)
            {name: hits.groups(name) for name in facet_map}
            base_ms.append((time.perf_counter() - t) * 1000)
            ours_ms.append(engine.search(SearchRequest(q=q)).took_ms)
            filtered_ms.append(engine.search(SearchRequest(q=q, type=(top_type,))).took_ms)
    print(f"facets (3 facets counted, same {len(QUERIES)} queries x {rounds}):")
    print(f"  baseline groupedby, top-10 paragraphs  p50 {statistics.median(base_ms):7.1f} ms  "
          f"p95 {pct(base_ms, 0.95):7.1f} ms")  # fmt: skip
    print(f"  searchsvc search with article facets   p50 {statistics.median(ours_ms):7.1f} ms  "
          f"p95 {pct(ours_ms, 0.95):7.1f} ms")  # fmt: skip
    print(f"  searchsvc filtered type={top_type:6}     p50 {statistics.median(filtered_ms):7.1f} ms  "
          f"p95 {pct(filtered_ms, 0.95):7.1f} ms")  # fmt: skip
    print(f"  p95 ratio ours / baseline: {pct(ours_ms, 0.95) / pct(base_ms, 0.95):.2f}x")


def browsing_timings(home: Path) -> None:
    """What staff do after a search: page forward and tick a facet value. Without the match
    cache each of those searches again; with it they reuse the query's grouped matches."""
    rows = {"no cache": Engine(home, cache=False), "match cache": Engine(home)}
    print("browsing one query (search, page 2, page 3, tick the top district, tick the top type):")
    for name, engine in rows.items():
        first, after = [], []
        for q in QUERIES:
            t = time.perf_counter()
            resp = engine.search(SearchRequest(q=q))
            first.append((time.perf_counter() - t) * 1000)
            top = {f.name: f.values[0].value for f in resp.facets if f.values}
            if len(top) < len(resp.facets):
                continue  # nothing found: nothing to click
            district, kind = top["district"], top["type"]
            for ask in (
                SearchRequest(q=q, page=2),
                SearchRequest(q=q, page=3),
                SearchRequest(q=q, district=(district,)),
                SearchRequest(q=q, district=(district,), type=(kind,)),
            ):
                t = time.perf_counter()
                engine.search(ask)
                after.append((time.perf_counter() - t) * 1000)
        print(f"  {name:12} first search p50 {statistics.median(first):7.1f} ms; the clicks after "
              f"it p50 {statistics.median(after):7.1f} ms  p95 {pct(after, 0.95):7.1f} ms")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--archive", type=Path, default=ARCHIVE)
    ap.add_argument("--rounds", type=int, default=5, help="times each query is run")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="searchsvc-bench-"))
    try:
        corpus = work / "corpus"
        corpus.mkdir()
        pages = unpack(args.archive, corpus, args.pages, seed=20261124)

        base_s, base_paras = baseline_index(corpus, work / "baseline")
        report = sync(corpus, work / "ours")
        ours_s = report.seconds
        counts = stats(whoosh_index.open_dir(str(work / "ours")))
        print(
            f"slice: {pages} pages, {counts['articles']} articles, {counts['paragraphs']} paragraphs"
        )
        print(f"{'':28}{'seconds':>9}{'para/s':>9}{'MB':>8}")
        print(f"{'baseline (ChineseAnalyzer)':28}{base_s:9.1f}{base_paras / base_s:9.0f}"
              f"{dir_mb(work / 'baseline'):8.1f}")  # fmt: skip
        print(f"{'searchsvc sync':28}{ours_s:9.1f}{report.paragraphs / ours_s:9.0f}"
              f"{dir_mb(work / 'ours'):8.1f}")  # fmt: skip
        print(f"indexing cost ratio (ours / baseline): {ours_s / base_s:.2f}x")

        again = sync(corpus, work / "ours")
        print(f"second sync, nothing changed: {again.seconds:.2f} s, wrote: {again.wrote}")

        engine = Engine(work / "ours", cache=False)  # every search in full
        base_ix = whoosh_index.open_dir(str(work / "baseline"))
        parser = QueryParser("text", base_ix.schema)
        ours_ms: list[float] = []
        base_ms: list[float] = []
        with base_ix.searcher() as base_searcher:
            for _ in range(args.rounds):
                for q in QUERIES:
                    t = time.perf_counter()
                    engine.search(SearchRequest(q=q))
                    ours_ms.append((time.perf_counter() - t) * 1000)
                    t = time.perf_counter()
                    hits = base_searcher.search(parser.parse(q), limit=10)
                    [h["text"] for h in hits]
                    base_ms.append((time.perf_counter() - t) * 1000)
        print(f"queries: {len(QUERIES)} x {args.rounds} rounds")
        print(f"  baseline top-10 paragraphs   p50 {statistics.median(base_ms):7.1f} ms  "
              f"p95 {pct(base_ms, 0.95):7.1f} ms")  # fmt: skip
        print(f"  searchsvc articles+snippets  p50 {statistics.median(ours_ms):7.1f} ms  "
              f"p95 {pct(ours_ms, 0.95):7.1f} ms")  # fmt: skip
        print(
            f"  latency ratio p50: {statistics.median(ours_ms) / statistics.median(base_ms):.1f}x"
        )
        for q in QUERIES:
            resp = engine.search(SearchRequest(q=q))
            print(f"  {q:12} {resp.total:6} articles  {resp.took_ms:8.1f} ms")
        with base_ix.searcher() as base_searcher:
            facet_timings(engine, base_searcher, parser, args.rounds)
        browsing_timings(work / "ours")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The array path against Whoosh's own collector: same paragraphs, same BM25F scores.

``postings`` reads the whoosh3 codec's blocks directly; these tests pin that (and
whoosh-reloaded 2.7.5) down: a codec change fails here, not silently in the ranking. Whoosh's
collector needs every field in Whoosh's files, so it is asked on an index of the same pages built
that way (``both_engine``); the index as built (``flatpostings.ONLY_FIELDS`` in the flat files
alone) must then answer every query with the same paragraphs and scores.
"""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import query as wq

from searchsvc import flatpostings, ranking
from searchsvc.matching import Deadline, Matcher
from searchsvc.postings import FieldLengths, UnitPostings
from searchsvc.query import needs_check, parse, to_whoosh
from searchsvc.search import Engine, SearchRequest

QUERIES = [
    "工会",
    "北京",
    "劳模工匠",
    "安保措施",
    "安保 措施",
    '"北京市总工会"',
    "工会 -北京",
    "宣讲 OR 培训",
    "的",
    "疫情防控",
    "title:工会",
    "中国 发展",
    "大家要清醒",  # jieba: 大家 要 清醒 — a single character ANDed with candidates
    "发展同各国的关",
    "工会 的 北京",
    '"的发展。中"',  # a phrase ending in a unit of its own
]


@pytest.fixture(scope="module")
def both_engine(tmp_path_factory, mixed_dirs) -> Engine:
    """The mixed index's pages indexed the same way, but with every field in Whoosh's files
    too (as before the flat files held them alone)."""
    from .server import indexed_corpus

    corpus = mixed_dirs[0]
    base = tmp_path_factory.mktemp("both")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(flatpostings, "ONLY_FIELDS", ())
        _, index = indexed_corpus(base, sorted(corpus.iterdir()))
    engine = Engine(index)
    backend = engine.backend
    flats = flatpostings.Opened(backend.ix.storage.folder)
    for sub, _ in backend.searcher().reader().leaf_readers():
        assert not flats.get(sub).only  # built in this process, with the patch
    return engine


def _matcher(engine, flat: bool) -> Matcher:
    backend = engine.backend
    searcher = backend.searcher()
    flats = flatpostings.Opened(backend.ix.storage.folder) if flat else None
    return Matcher(searcher, backend.snapshot(searcher), FieldLengths(), Deadline(60), flats=flats)


@pytest.mark.parametrize("q", QUERIES)
def test_gram_in_the_flat_files_alone_answers_the_same(mixed_engine, both_engine, q):
    """The index as built (title, names, gram, unit in the flat files alone, idf counted there)
    gives every paragraph the score the index with them in Whoosh's files too gives it."""
    tree = parse(q)
    docs, scores = _matcher(mixed_engine, True).hits(tree)
    want_docs, want_scores = _matcher(both_engine, True).hits(tree)
    assert docs.tolist() == want_docs.tolist()
    assert scores.tolist() == pytest.approx(want_scores.tolist(), rel=1e-12)
    assert [r.id for r in mixed_engine.search(SearchRequest(q=q, per_page=50)).results] == [
        r.id for r in both_engine.search(SearchRequest(q=q, per_page=50)).results
    ]


def _stock(searcher, tree) -> dict[int, float]:
    q = wq.And([to_whoosh(tree), wq.Term("kind", "para")])
    results = searcher.search(q, limit=None)
    return {hit.docnum: hit.score for hit in results}


@pytest.mark.parametrize("flat", [False, True], ids=["codec", "flat"])
@pytest.mark.parametrize("q", QUERIES)
def test_hits_and_scores_are_whooshs(both_engine, q, flat):
    """Read from Whoosh's blocks or from the segments' flat postings files, the same hits and
    scores as Whoosh's collector."""
    backend = both_engine.backend
    searcher = backend.searcher()
    snap = backend.snapshot(searcher)
    tree = parse(q)
    flats = flatpostings.Opened(backend.ix.storage.folder) if flat else None
    matcher = Matcher(searcher, snap, FieldLengths(), Deadline(60), flats=flats)
    if flat:  # every segment of the bulk-built index has its file
        assert all(seg.flat is not None for seg, _ in matcher.segments)
    docs, scores = matcher.hits(tree)
    stock = _stock(searcher, tree)
    if needs_check(tree):
        # Whoosh answers candidates; the core confirms them on the text (fewer, never more).
        assert set(docs.tolist()) <= set(stock)
        return
    assert sorted(docs.tolist()) == sorted(stock)
    mine = dict(zip(docs.tolist(), scores.tolist(), strict=True))
    for docnum, score in stock.items():
        assert mine[docnum] == pytest.approx(score, rel=1e-9), (q, docnum)


def test_top_k_is_the_head_of_the_full_order():
    rng = np.random.default_rng(7)
    for n, k in [(50, 10), (5000, 10), (5000, 200), (20000, 30)]:
        primary = rng.integers(0, 3, n) * 1000
        score = rng.integers(0, 20, n).astype(float)  # many ties at the cut
        when = rng.permutation(n)
        full = np.lexsort((when, score, primary))[::-1]
        assert ranking._top(primary, score, when, k).tolist() == full[:k].tolist()


@pytest.mark.parametrize("q", ["工作", "工会", "北京", "疫情", "宣讲 培训"])
@pytest.mark.parametrize("sort", ["relevance", "-date"])
def test_pages_equal_the_order_of_everything(mixed_engine, q, sort):
    """Only the requested page is sorted (and reranked); the pages are the full order's."""
    whole = mixed_engine.search(SearchRequest(q=q, sort=sort, per_page=100))
    ids = [r.id for r in whole.results]
    for page in (1, 2, 3):
        got = mixed_engine.search(SearchRequest(q=q, sort=sort, page=page, per_page=7))
        assert [r.id for r in got.results] == ids[(page - 1) * 7 : page * 7]
        assert got.total == whole.total


def test_relevance_order_is_the_reference_order(mixed_engine):
    """The array ranking equals ``ranking.order`` over dict groups (scoring everything)."""
    backend = mixed_engine.backend
    searcher = backend.searcher()
    snap = backend.snapshot(searcher)
    for q in ["工会", "北京", "发展", "疫情", "工会 北京"]:
        tree = parse(q)
        flats = flatpostings.Opened(backend.ix.storage.folder)
        groups = Matcher(searcher, snap, FieldLengths(), Deadline(60), flats=flats).groups(tree)
        ref = {
            snap.ids[a]: ranking.Group(float(groups.best[i]), groups.hits(i))
            for i, a in enumerate(groups.arts)
        }
        order, _ = ranking.order(ref, snap.catalog, "relevance", tree, searcher)
        got = mixed_engine.search(SearchRequest(q=q, per_page=100))
        assert [r.id for r in got.results] == order[:100], q


def _unit_index(path, batches):
    """An index with the ``unit`` field beside the bigrams, one segment per batch of
    ``(gram text, unit text or None)``."""
    from whoosh import index as whoosh_index
    from whoosh.fields import KEYWORD, TEXT, Schema

    from searchsvc.analysis import gram_analyzer

    ix = whoosh_index.create_in(
        path, Schema(gram=TEXT(analyzer=gram_analyzer(), phrase=True), unit=KEYWORD())
    )
    for batch in batches:
        w = ix.writer()
        for gram, unit in batch:
            w.add_document(gram=gram, **({"unit": unit} if unit else {}))
        w.commit(merge=False)
    return ix


def test_a_single_unit_is_one_posting_list_when_the_segment_has_the_unit_field(tmp_path):
    # The unit field deliberately lacks 工 on the third paragraph: it proves which field is read.
    ix = _unit_index(tmp_path, [[("工会活动", "工 会 活 动"), ("会议", "会 议"), ("工人", "人")]])
    with ix.searcher() as s:
        units = UnitPostings()
        (reader, _), *_ = s.reader().leaf_readers()
        assert units.has_field(reader)
        assert units.get(reader, "工", lambda n: None).tolist() == [0]
        assert units.get(reader, "会", lambda n: None).tolist() == [0, 1]


def test_a_segment_written_before_the_unit_field_falls_back_to_the_bigrams(tmp_path):
    old = [("工会活动", None), ("会议", None), ("工人", None)]
    ix = _unit_index(tmp_path, [old, [("工程", "工 程")]])
    with ix.searcher() as s:
        units = UnitPostings(max_bytes=2)  # too small to keep anything: every call reads
        (before, _), (after, _) = s.reader().leaf_readers()
        assert not units.has_field(before) and units.has_field(after)
        work = []
        assert units.get(before, "工", work.append).tolist() == [0, 2]  # 工会…, 工人
        assert units.get(before, "动", work.append).tolist() == [0]  # a run's end: "动$"
        assert units.get(after, "工", work.append).tolist() == [0]
        assert work and not units._memo


def test_the_fallback_is_kept_per_segment_within_its_bound(tmp_path):
    ix = _unit_index(tmp_path, [[("工会活动", None), ("会议", None)]])
    with ix.searcher() as s:
        units = UnitPostings()
        (reader, _), *_ = s.reader().leaf_readers()
        first = units.get(reader, "会", lambda n: None)
        assert units.get(reader, "会", lambda n: 1 / 0) is first  # no reading the second time
        assert units._bytes == first.nbytes


@pytest.mark.parametrize(
    "q", ["大家要清醒", "发展同各国的关", "工会 的 北京", '"的发展。中"', "职工 a", "2025 年"]
)
def test_a_single_unit_among_few_candidates_is_found_in_their_text(mixed_engine, monkeypatch, q):
    """Looking a character up in the candidates' text gives what its postings give."""
    from searchsvc import matching

    backend = mixed_engine.backend
    searcher = backend.searcher()
    snap = backend.snapshot(searcher)

    def hits(read: int):
        monkeypatch.setattr(matching, "CANDIDATES_READ", read)
        monkeypatch.setattr(matching, "CANDIDATES_READ_NO_UNIT", read)
        flats = flatpostings.Opened(backend.ix.storage.folder)
        return Matcher(searcher, snap, FieldLengths(), Deadline(60), flats=flats).hits(parse(q))

    (docs, scores), (read_docs, read_scores) = hits(0), hits(10**6)
    assert read_docs.tolist() == docs.tolist()
    assert read_scores == pytest.approx(scores, rel=1e-12)


def test_a_character_is_found_in_text_printed_with_a_form_nfkc_folds_into_it():
    from searchsvc.matching import _holds

    assert _holds("〸年前", "十", exact=False)  # a Hangzhou numeral, NFKC 十
    assert _holds("豈", "豈", exact=False) and _holds("\uf900", "豈", exact=False)
    assert not _holds("工会活动", "中", exact=False)
    assert _holds("ＰＭ 2.5", "pm", exact=True) and not _holds("pmx", "pm", exact=True)
    assert _holds("\U0002f800 字", "丽", exact=False)  # an astral compatibility ideograph

"""Both backends, the same corpus, the same requests: the same articles and counts.

The seed and the 20 shared bulletins are indexed into Whoosh (``mixed_dirs``) and synced into a
real 3-node Typesense cluster (``ts_indexed``); one ``Engine`` over each answers the same
``SearchRequest``s through the same core (parsing, results, snippets). Compared: totals, article
ids (as sets under relevance, whose order differs — Typesense ranks by its text match, Whoosh by
BM25F with a proximity rerank; in order under the date sorts), facet counts, histogram,
``relaxed``, matched-paragraph counts. Then the article page and the facet listing.
"""

from __future__ import annotations

import pytest

from searchsvc.config import BackendConfig
from searchsvc.records import SearchRequest
from searchsvc.search import Engine
from searchsvc.typesense.config import TypesenseConfig
from tests.test_typesense_index import sampled_literals

pytest_plugins = ("tests.typesense_cluster",)

pytestmark = pytest.mark.typesense

ALL = 100  # MAX_PER_PAGE; the corpus has 206 articles: a query's results fit in 3 pages

QUERIES = [
    "工会",
    "劳模 工匠",
    '"北京市总工会"',
    "职工 -培训",
    "宣讲 OR 志愿服务",
    "title:工会",
    "记者:任洁",
    "任洁",
    "(劳模 OR 工匠) 北京",
    '"工会，"',  # a phrase across punctuation: confirmed on the text
    "北京市总工会哪年举办了宣讲活动？",  # relaxed to most words
    "总工会劳模",
    "zzzqqq 工会",  # nothing: a suggestion
]


@pytest.fixture(scope="module")
def engines(ts_indexed, mixed_dirs) -> tuple[Engine, Engine]:
    ts = TypesenseConfig(ts_indexed.local.config.nodes, ts_indexed.local.api_key, "archive")
    whoosh = Engine(mixed_dirs[1], backend=BackendConfig())
    typesense = Engine(mixed_dirs[1], backend=BackendConfig("typesense", ts))
    return whoosh, typesense


def everything(engine: Engine, **ask):
    """Every result of a request (all its pages) and the first page's response."""
    first = engine.search(SearchRequest(per_page=ALL, **ask))
    results = list(first.results)
    page = 2
    while len(results) < first.total:
        results += engine.search(SearchRequest(per_page=ALL, page=page, **ask)).results
        page += 1
    return first, results


def facet_counts(resp) -> dict:
    return {f.name: {v.value: v.count for v in f.values} for f in resp.facets}


def assert_same(engines, ordered: bool = False, **ask) -> list[str]:
    whoosh, typesense = (everything(e, **ask) for e in engines)
    (w, w_results), (t, t_results) = whoosh, typesense
    label = repr(ask)
    assert t.total == w.total, label
    w_ids, t_ids = [r.id for r in w_results], [r.id for r in t_results]
    if ordered:
        assert t_ids == w_ids, label
    else:
        assert set(t_ids) == set(w_ids), label
    assert t.relaxed == w.relaxed, label
    assert facet_counts(t) == facet_counts(w), label
    assert [(b.period, b.count) for b in t.histogram] == [(b.period, b.count) for b in w.histogram]
    assert t.query == w.query and t.within == w.within, label
    matched = {r.id: r.matched_paragraphs for r in w_results}
    assert {r.id: r.matched_paragraphs for r in t_results} == matched, label
    return w_ids


def test_queries_find_the_same_articles_and_counts(engines):
    for q in QUERIES:
        assert_same(engines, q=q)


def test_zero_results_suggest_the_same_part(engines):
    whoosh, typesense = (e.search(SearchRequest(q="zzzqqq 工会")) for e in engines)
    assert whoosh.total == typesense.total == 0
    assert typesense.suggestion == whoosh.suggestion == "工会"


def test_sampled_literals_find_the_same_articles(ts_indexed, engines):
    for literal in sampled_literals(ts_indexed, 30, seed=1515):
        assert_same(engines, q=literal)
        assert_same(engines, q=f'"{literal}"')


def test_filters_facets_and_dates(engines):
    whoosh = engines[0].search(SearchRequest(q="工会", per_page=1))
    top = {f.name: [v.value for v in f.values[:2]] for f in whoosh.facets}
    selections = [
        {"district": tuple(top["district"])},
        {"type": (top["type"][0],), "organizer": (top["organizer"][0],)},
        {"district": (top["district"][0],), "type": tuple(top["type"])},
    ]
    for selection in selections:
        assert_same(engines, q="工会", **selection)
        assert_same(engines, q="宣讲 OR 志愿服务", **selection)
    assert_same(engines, q="工会", date_from="2016", date_to="2016-02")
    assert_same(engines, q="title:工会", date_from="2016-01-15")


def test_date_sorts_give_the_same_order_page_by_page(engines):
    for sort in ("-date", "date"):
        for q in ("工会", "劳模 OR 工匠", ""):
            assert_same(engines, ordered=True, q=q, sort=sort)
        ids = [
            r.id
            for p in (1, 2, 3)
            for r in engines[1]
            .search(SearchRequest(q="工会", sort=sort, page=p, per_page=7))
            .results
        ]
        whole = engines[0].search(SearchRequest(q="工会", sort=sort, per_page=21)).results
        assert ids == [r.id for r in whole]


def test_relevance_pages_put_together_are_the_whole_list(engines):
    whole = engines[1].search(SearchRequest(q="工会", per_page=30)).results
    pages = [
        r.id
        for p in (1, 2, 3)
        for r in engines[1].search(SearchRequest(q="工会", page=p, per_page=10)).results
    ]
    assert pages == [r.id for r in whole]


def test_within_narrows_the_same_way(engines):
    assert_same(engines, q="工匠", within=("工会",))
    assert_same(engines, q="", within=("劳模",))
    assert_same(engines, q="北京", within=("工会", "职工"), sort="-date", ordered=True)


def test_article_page_and_facet_listing_are_the_same(engines, ts_indexed):
    whoosh, typesense = engines
    aid = next(iter(ts_indexed.articles))
    w, t = whoosh.article(aid, q="工会"), typesense.article(aid, q="工会")
    assert t.record.summary() == w.record.summary()
    assert t.paragraphs == w.paragraphs
    assert (t.prev, t.next) == (w.prev, w.next)
    assert [(f.name, [(v.value, v.count) for v in f.values]) for f in typesense.facets()] == [
        (f.name, [(v.value, v.count) for v in f.values]) for f in whoosh.facets()
    ]
    assert typesense.health().articles == whoosh.health().articles

"""二次检索: ``within=`` narrows a search to the articles an earlier query found."""

import pytest

from searchsvc.query import QueryError
from searchsvc.records import MAX_WITHIN
from searchsvc.search import SearchRequest

from .test_search import all_articles, literal_articles


def ids(engine, **kw):
    resp = engine.search(SearchRequest(per_page=100, **kw))
    assert resp.total <= 100
    return {r.id for r in resp.results}, resp


def test_within_is_the_intersection_of_article_sets(mixed_dirs, mixed_engine):
    articles = all_articles(mixed_dirs[0])
    inside, resp = ids(mixed_engine, q="工匠", within=("工会",))
    expected = literal_articles(articles, "工匠") & literal_articles(articles, "工会")
    assert inside == expected and resp.total == len(expected) >= 2
    assert resp.within == ["工会"] and resp.query == "工匠"
    # One query with both words wants them in one paragraph; within= wants them in one article.
    assert ids(mixed_engine, q="工匠 工会")[0] <= inside


def test_within_chains_and_highlights_every_level(mixed_dirs, mixed_engine):
    articles = all_articles(mixed_dirs[0])
    inside, resp = ids(mixed_engine, q="宣讲", within=("工会", "工匠"))
    expected = (
        literal_articles(articles, "宣讲")
        & literal_articles(articles, "工会")
        & literal_articles(articles, "工匠")
    )
    assert inside == expected and expected
    assert resp.within == ["工会", "工匠"]
    assert all("<mark>" in str(r.snippet) for r in resp.results)


def test_within_with_an_empty_query_browses_the_earlier_results(mixed_dirs, mixed_engine):
    inside, resp = ids(mixed_engine, q="", within=("志愿服务",))
    assert inside == literal_articles(all_articles(mixed_dirs[0]), "志愿服务")
    assert resp.total == len(inside) > 0


def test_within_keeps_filters_and_counts_consistent(mixed_engine):
    resp = mixed_engine.search(SearchRequest(q="工匠", within=("工会",)))
    for facet in resp.facets:
        for value in facet.values:
            narrowed = mixed_engine.search(
                SearchRequest(q="工匠", within=("工会",), **{facet.name: (value.value,)})
            )
            assert narrowed.total == value.count


def test_within_that_excludes_everything(mixed_engine):
    resp = mixed_engine.search(SearchRequest(q="劳模", within=("火星基地",)))
    assert resp.total == 0 and resp.results == [] and resp.histogram == []


def test_within_is_validated_like_a_query(mixed_engine):
    with pytest.raises(QueryError) as err:
        mixed_engine.search(SearchRequest(q="劳模", within=('"工会',)))
    assert err.value.code
    with pytest.raises(QueryError) as err:
        mixed_engine.search(SearchRequest(q="工匠", within=("工会",) * (MAX_WITHIN + 1)))
    assert err.value.code == "too_many_within"

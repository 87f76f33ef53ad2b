"""Faceted search: filters, article-level counts, browsing — on a real index of real pages."""

import random
import re

import pytest

from searchsvc import bulletin
from searchsvc.catalog import FACETS
from searchsvc.facets import UNKNOWN
from searchsvc.query import QueryError
from searchsvc.search import SearchRequest

SEED_IDS = [f"000_73d2eb0e74c950a6-{n}" for n in range(1, 7)]


def all_results(engine, **kwargs):
    """Every result of a request, all pages."""
    out, page = [], 1
    while True:
        resp = engine.search(SearchRequest(per_page=100, page=page, **kwargs))
        out.extend(resp.results)
        if page >= resp.pages:
            return resp, out
        page += 1


def values_of(result, spec):
    return getattr(result, spec.field) or [UNKNOWN]


def facet(resp, name):
    return next(f for f in resp.facets if f.name == name)


def test_seed_articles_are_found_by_organizer_and_district(engine):
    by_org = engine.search(SearchRequest(organizer=("恒丰银行北京分行工会",)))
    assert [r.id for r in by_org.results] == [SEED_IDS[2]]
    by_district = engine.search(SearchRequest(district=("昌平区",), sort="date"))
    # 昌平区总工会 by name. Article 2 happened at 北汽福田, but the text never says in which
    # district it stands: FACETS-GUIDE.md gives no district from where an institution sits.
    assert [r.id for r in by_district.results] == [SEED_IDS[4]]
    assert by_district.results[0].organizer == ["昌平区总工会"]
    by_type = engine.search(SearchRequest(type=("志愿服务",)))
    assert [r.id for r in by_type.results] == [SEED_IDS[5]]


def test_or_within_a_facet_and_across_facets(engine):
    either = engine.search(SearchRequest(district=("昌平区", "朝阳区"), per_page=100))
    assert sorted(r.id for r in either.results) == [SEED_IDS[4], SEED_IDS[5]]
    both = engine.search(SearchRequest(district=("昌平区", "朝阳区"), type=("培训",)))
    assert [r.id for r in both.results] == [SEED_IDS[4]]


def test_unknown_is_a_selectable_value(engine):
    resp = engine.search(SearchRequest(district=(UNKNOWN,), per_page=100))
    assert resp.total >= 1
    assert all(r.district == [] for r in resp.results)
    assert SEED_IDS[2] in {r.id for r in resp.results}  # 恒丰银行北京分行: no district given


def test_counts_count_articles_not_paragraphs(engine):
    # 工会 occurs in many paragraphs of each seed article; every article counts once.
    resp = engine.search(SearchRequest(q="工会", per_page=100))
    for spec in FACETS:
        listed = {v.value: v.count for v in facet(resp, spec.name).values}
        expected = {}
        for r in resp.results:
            for v in values_of(r, spec):
                expected[v] = expected.get(v, 0) + 1
        assert listed == expected


def test_selected_value_stays_listed_at_zero(engine):
    resp = engine.search(SearchRequest(q="读书", district=("昌平区",)))
    assert resp.total == 0
    listed = {v.value: v for v in facet(resp, "district").values}
    assert listed["昌平区"].selected and listed["昌平区"].count == 0


def test_selection_in_one_facet_leaves_its_own_counts_open(engine):
    # Multi-select: ticking 昌平区 must not hide 朝阳区 from the district list …
    resp = engine.search(SearchRequest(district=("昌平区",)))
    district = {v.value: v for v in facet(resp, "district").values}
    assert district["昌平区"].selected and not district["朝阳区"].selected
    assert district["朝阳区"].count == 1
    # … while the other facets count only what is shown.
    types = {v.value: v.count for v in facet(resp, "type").values}
    assert types == {"培训": 1}


def test_empty_query_with_filters_browses_newest_first(mixed_engine):
    resp, results = all_results(mixed_engine, district=(UNKNOWN,))
    assert resp.total == len(results) > 100
    dates = [r.date or "" for r in results]
    assert dates == sorted(dates, reverse=True)
    assert all(r.district == [] for r in results)


def test_date_range(mixed_engine):
    resp, results = all_results(mixed_engine, date_from="2020-04", date_to="2020-04-02")
    assert results and all("2020-04-01" <= r.date <= "2020-04-02" for r in results)
    year, _ = all_results(mixed_engine, date_from="2016", date_to="2016")
    assert year.total > 0 and all(r.date.startswith("2016") for r in year.results)
    # An undated article (the seed) is outside every date range.
    assert SEED_IDS[0] not in {r.id for r in all_results(mixed_engine, date_to="2030")[1]}


@pytest.mark.parametrize(
    "kwargs, code",
    [
        ({"date_from": "2025-13-01"}, "bad_from"),
        ({"date_to": "2025-02-30"}, "bad_to"),
        ({"date_from": "20250101"}, "bad_from"),
        ({"date_from": "2021", "date_to": "2020-12"}, "bad_date_range"),
        ({"organizer": ("没有这个单位",)}, "unknown_facet_value"),
        ({"type": ("培训", "不存在的类型")}, "unknown_facet_value"),
        ({"district": tuple(f"区{i}" for i in range(30))}, "too_many_values"),
    ],
)
def test_bad_filters_are_query_errors(engine, kwargs, code):
    with pytest.raises(QueryError) as err:
        engine.search(SearchRequest(**kwargs))
    assert err.value.code == code and " / " in err.value.message


def test_api_facets_lists_every_value_with_its_count(mixed_engine, mixed_dirs):
    corpus = mixed_dirs[0]
    articles = [a for p in sorted(corpus.iterdir()) for a in bulletin.read(p, corpus).articles]
    lists = {f.name: {v.value: v.count for v in f.values} for f in mixed_engine.facets()}
    assert set(lists) == {"organizer", "district", "type"}
    for name in lists:
        assert sum(lists[name].values()) >= len(articles)  # multi-valued: at least one each
    browse = mixed_engine.search(SearchRequest(per_page=1))
    for f in browse.facets:  # the search listing is the top of the full listing
        for v in f.values:
            assert lists[f.name][v.value] == v.count


def query_sample(corpus, n, seed=7):
    """Real query strings: words and names cut from the pages, plus the empty query."""
    rng = random.Random(seed)
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(corpus.iterdir()))
    runs = re.findall(r"[\u4e00-\u9fff]{2,}", text)
    queries = [""]
    while len(queries) < n:
        run = rng.choice(runs)
        size = rng.choice((2, 2, 3, 4))
        if len(run) >= size:
            start = rng.randrange(len(run) - size + 1)
            queries.append(run[start : start + size])
    return queries


def test_every_count_equals_the_total_of_selecting_it(mixed_engine, mixed_dirs):
    """The property staff rely on: click a value with count N, get N articles."""
    checked = 0
    for q in query_sample(mixed_dirs[0], 40):
        resp, results = all_results(mixed_engine, q=q)
        for spec in FACETS:
            listed = facet(resp, spec.name).values
            # agrees with the grouped result list …
            expected = {}
            for r in results:
                for v in values_of(r, spec):
                    expected[v] = expected.get(v, 0) + 1
            top = sorted(expected.items(), key=lambda kv: (-kv[1], kv[0]))[: len(listed)]
            assert [(v.value, v.count) for v in listed] == top, (q, spec.name)
            # … and with the total of the filtered query.
            for v in listed:
                filtered = mixed_engine.search(
                    SearchRequest(q=q, per_page=1, **{spec.name: (v.value,)})
                )
                assert filtered.total == v.count, (q, spec.name, v.value)
                checked += 1
    assert checked > 300


def test_counts_with_another_facet_selected(mixed_engine):
    base = mixed_engine.search(SearchRequest(district=(UNKNOWN,)))
    for v in facet(base, "type").values[:5]:
        both = mixed_engine.search(SearchRequest(district=(UNKNOWN,), type=(v.value,)))
        assert both.total == v.count

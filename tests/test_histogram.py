"""Hits over time: the histogram of a result list, on made-up dates and on real search results."""

from collections import Counter

from searchsvc.histogram import MAX_MONTHS, histogram
from searchsvc.records import Bar
from searchsvc.search import SearchRequest


def test_short_spans_are_counted_per_month_with_gaps_kept():
    dates = ["2024-11-30", "2025-01-02", "2025-01-31", None, "2024-11-01"]
    assert histogram(dates) == [Bar("2024-11", 2), Bar("2024-12", 0), Bar("2025-01", 2)]


def test_long_spans_are_counted_per_year():
    dates = ["2016-03-01", "2020-07-01", "2020-08-01"]
    assert histogram(dates) == [
        Bar("2016", 1),
        Bar("2017", 0),
        Bar("2018", 0),
        Bar("2019", 0),
        Bar("2020", 2),
    ]
    # Exactly MAX_MONTHS months is still per month; one more is per year.
    assert len(histogram(["2020-01-01", "2022-12-01"])) == MAX_MONTHS
    assert [b.period for b in histogram(["2020-01-01", "2023-01-01"])] == [
        "2020",
        "2021",
        "2022",
        "2023",
    ]


def test_no_dates_no_bars():
    assert histogram([]) == [] and histogram([None, None]) == []


def test_histogram_counts_the_whole_result_list_not_the_page(mixed_engine):
    resp = mixed_engine.search(SearchRequest(q="习近平", per_page=5))
    every = mixed_engine.search(SearchRequest(q="习近平"), limit=1000)
    assert resp.total > 5 and len(every.results) == resp.total
    by_year = Counter(r.date[:4] for r in every.results if r.date)
    assert {b.period: b.count for b in resp.histogram if b.count} == dict(by_year)
    assert sum(b.count for b in resp.histogram) == sum(by_year.values())


def test_a_bar_is_the_total_of_narrowing_to_its_period(mixed_engine):
    resp = mixed_engine.search(SearchRequest(q="工会"))
    bars = [b for b in resp.histogram if b.count]
    assert len(bars) >= 2
    for bar in bars:
        narrowed = mixed_engine.search(
            SearchRequest(q="工会", date_from=bar.period, date_to=bar.period)
        )
        assert narrowed.total == bar.count
        assert [b.period for b in narrowed.histogram if b.count] != []


def test_months_counted_on_arrays_are_the_histogram_of_the_dates():
    """``histogram_months`` (the search core's, from ``YYYYMM`` numbers) gives the bars
    ``histogram`` gives from the dates — over a few months and over decades."""
    import random

    import numpy as np

    from searchsvc.histogram import histogram_months

    rng = random.Random(12)
    for first, years in [(2024, 1), (2019, 3), (1990, 35)]:
        for n in (1, 7, 500):
            dates = [
                f"{rng.randrange(first, first + years)}-{rng.randint(1, 12):02d}-01"
                for _ in range(n)
            ]
            months = np.array([int(d[:4]) * 100 + int(d[5:7]) for d in dates])
            assert histogram_months(months) == histogram(dates)
    assert histogram_months(np.zeros(0, dtype=np.int64)) == []

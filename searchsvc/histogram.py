"""Hits over time: article counts of a result list per year, or per month when it spans little.

Periods without articles between the first and the last are kept at 0, so the bars of a chart
stand at even steps; undated articles are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from searchsvc.records import Bar

MAX_MONTHS = 36  # a result list spanning more months than this is counted per year


def histogram(dates: Iterable[str | None]) -> list[Bar]:
    return _bars(Counter(d[:7] for d in dates if d and len(d) >= 7))


def _bars(months: Counter) -> list[Bar]:
    if not months:
        return []
    first, last = min(months), max(months)
    if _month_number(last) - _month_number(first) + 1 > MAX_MONTHS:
        years = Counter()
        for month, count in months.items():
            years[month[:4]] += count
        return [Bar(str(y), years[str(y)]) for y in range(int(first[:4]), int(last[:4]) + 1)]
    return [
        Bar(period, months[period])
        for period in (_period(n) for n in range(_month_number(first), _month_number(last) + 1))
    ]


def _month_number(period: str) -> int:
    return int(period[:4]) * 12 + int(period[5:7]) - 1


def _period(number: int) -> str:
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def histogram_months(months) -> list[Bar]:
    """``histogram`` from month numbers (``YYYYMM`` integers, one per dated article)."""
    import numpy as np

    months = np.asarray(months, dtype=np.int64)
    if not len(months):
        return []
    # Counted by month number with ``bincount`` (a sort of 70,000 dates cost milliseconds),
    # and turned into Python ints before formatting (numpy scalars cost a microsecond each).
    numbers = months // 100 * 12 + months % 100 - 1
    first = int(numbers.min())
    counts = np.bincount(numbers - first)
    held = np.flatnonzero(counts)
    return _bars(
        Counter(
            {
                _period(first + n): c
                for n, c in zip(held.tolist(), counts[held].tolist(), strict=True)
            }
        )
    )

"""The search core's records: what a search asks (``SearchRequest``, validated) and what it
answers (``SearchResponse`` of ``Result``s, ``ArticleView``). Both faces render these."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field

from markupsafe import Markup

from searchsvc.article import ArticleRecord, ArticleSummary
from searchsvc.catalog import FACETS, FacetList
from searchsvc.query import QueryError

MAX_PER_PAGE = 100
MAX_FILTER_VALUES = 20  # per facet in one request
MAX_WITHIN = 5  # earlier queries one search can be narrowed by (二次检索)
SORTS = ("relevance", "-date", "date")
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class SearchRequest:
    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    organizer: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    date_from: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    date_to: str = ""
    within: tuple[str, ...] = ()  # earlier queries: only articles matching each of them too

    def selected(self, facet: str) -> tuple[str, ...]:
        return getattr(self, facet)

    @property
    def filtered(self) -> bool:
        return bool(self.date_from or self.date_to) or any(self.selected(f.name) for f in FACETS)

    def validate(self) -> None:
        if len(self.within) > MAX_WITHIN:
            raise QueryError(
                "too_many_within",
                f"在结果中检索最多 {MAX_WITHIN} 层，请合并检索词 / at most {MAX_WITHIN} "
                "within= queries: combine the words into one query",
            )
        for spec in FACETS:
            if len(self.selected(spec.name)) > MAX_FILTER_VALUES:
                raise QueryError(
                    "too_many_values",
                    f"{spec.label}最多选 {MAX_FILTER_VALUES} 个值 / at most "
                    f"{MAX_FILTER_VALUES} values of {spec.name}",
                )
        for name, value in (("from", self.date_from), ("to", self.date_to)):
            if value and not valid_date(value):
                raise QueryError(
                    f"bad_{name}",
                    f"{name} 须为有效日期 YYYY、YYYY-MM 或 YYYY-MM-DD，收到 {value[:20]!r} / "
                    f"{name} must be a real date as YYYY, YYYY-MM or YYYY-MM-DD",
                )
        if self.date_from and self.date_to and self.date_from > self.date_to[: len(self.date_from)]:
            raise QueryError("bad_date_range", "from 晚于 to，请对调 / from is after to: swap them")
        if self.page < 1:
            raise QueryError("bad_page", "page 须为 ≥ 1 的整数 / page must be a whole number ≥ 1")
        if not 1 <= self.per_page <= MAX_PER_PAGE:
            raise QueryError(
                "bad_per_page",
                f"per_page 须在 1 到 {MAX_PER_PAGE} 之间 / per_page must be 1 to {MAX_PER_PAGE}",
            )
        if self.sort not in SORTS:
            raise QueryError(
                "bad_sort",
                f"sort 只能是 {' / '.join(SORTS)} / sort must be one of {', '.join(SORTS)}",
            )

    def in_dates(self, date: str | None) -> bool:
        """Whether an article of ``date`` lies in the range (undated ones never do)."""
        if not (self.date_from or self.date_to):
            return True
        if date is None:
            return False
        if self.date_from and date < self.date_from:
            return False
        return not (self.date_to and date[: len(self.date_to)] > self.date_to)


def valid_date(text: str) -> bool:
    m = DATE_RE.match(text)
    if not m:
        return False
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


@dataclass(frozen=True, eq=False)
class Result(ArticleSummary):
    """One article of a result list: its summary, how it matched, and the snippet."""

    matched_paragraphs: int
    snippet: Markup
    url: str
    score: float


@dataclass
class Bar:
    """Articles of the result list in one period (``YYYY`` or ``YYYY-MM``) of the histogram."""

    period: str
    count: int


@dataclass
class SearchResponse:
    query: str
    total: int
    page: int
    per_page: int
    took_ms: float
    results: list[Result] = field(default_factory=list)
    relaxed: bool = False
    facets: list[FacetList] = field(default_factory=list)
    histogram: list[Bar] = field(default_factory=list)
    suggestion: str | None = None
    within: list[str] = field(default_factory=list)  # the earlier queries, normalised

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))

    def to_dict(self) -> dict:
        data = asdict(self)
        for result in data["results"]:
            result["snippet"] = str(result["snippet"])
            result.pop("score")
        return data


@dataclass
class Neighbour:
    """An article next to another on the same bulletin page."""

    id: str
    title: str


@dataclass
class ArticleView:
    record: ArticleRecord
    paragraphs: list[Markup]
    query: str
    prev: Neighbour | None = None
    next: Neighbour | None = None


class ArticleNotFound(LookupError):
    pass

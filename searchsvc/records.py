"""The search core's records: what a search asks (``SearchRequest``, validated) and what it
answers (``SearchResponse`` of ``Result``s, ``ArticleView``). Both faces render these."""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import Field, dataclass, field, fields, is_dataclass, replace
from typing import Protocol
from urllib.parse import urlencode

from markupsafe import Markup

from searchsvc.article import ArticleRecord, ArticleSummary
from searchsvc.catalog import FACETS, FacetList
from searchsvc.errors import ArticleNotFound, QueryError  # noqa: F401 — re-exported

MAX_PER_PAGE = 100
MAX_FILTER_VALUES = 20  # per facet in one request
MAX_WITHIN = 5  # earlier queries one search can be narrowed by (二次检索)
MAX_URL_PARAM_CHARS = 2000  # any one parameter value
SORTS = {"relevance": "按相关度", "-date": "最新在前", "date": "最早在前"}  # value → UI label
DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class Args(Protocol):
    """A query string as a multidict (Werkzeug's ``MultiDict``; the CLI builds one too)."""

    def getlist(self, key: str) -> list[str]: ...


INTERNAL = {"internal": True}  # field metadata: kept in the core, never shown by a face


def _param(name: str) -> dict:
    """Field metadata: the parameter's name in URLs and on the command line."""
    return {"param": name}


@dataclass(frozen=True)
class SearchRequest:
    """What a search asks. The one list of search parameters: URLs, the CLI's options, hidden
    form fields and the API description are all derived from these fields."""

    q: str = ""
    page: int = 1
    per_page: int = 10
    sort: str = "relevance"
    organizer: tuple[str, ...] = ()
    district: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    # YYYY, YYYY-MM or YYYY-MM-DD, inclusive
    date_from: str = field(default="", metadata=_param("from"))
    date_to: str = field(default="", metadata=_param("to"))
    within: tuple[str, ...] = ()  # earlier queries: only articles matching each of them too

    @classmethod
    def from_args(cls, args: Args) -> SearchRequest:
        """The request a query string asks for, checked: every limit and error code is here."""
        values: dict[str, object] = {}
        for f in fields(cls):
            name = param_name(f)
            raw = args.getlist(name)
            if any(len(v) > MAX_URL_PARAM_CHARS for v in raw):
                raise too_long(name)
            if repeatable(f):
                values[f.name] = tuple(dict.fromkeys(v.strip() for v in raw if v.strip()))
            elif not raw or raw[0] == "":
                continue
            elif f.type == "int":
                values[f.name] = _whole_number(name, raw[0])
            else:
                values[f.name] = raw[0] if f.name == "q" else raw[0].strip() or f.default
        req = cls(**values)
        req.validate()
        return req

    def to_args(self, **changes) -> list[tuple[str, str]]:
        """This request as query-string pairs (defaults left out), with some fields replaced.

        The one place a search becomes a URL: any change other than paging goes back to page 1.
        """
        if "page" not in changes:
            changes["page"] = 1
        req = replace(self, **changes)
        pairs = []
        for f in fields(req):
            value = getattr(req, f.name)
            if value == f.default:
                continue
            for v in value if isinstance(value, tuple) else (value,):
                pairs.append((param_name(f), str(v)))
        return pairs

    def url(self, path: str = "/", extra: tuple[tuple[str, str], ...] = (), **changes) -> str:
        return f"{path}?{urlencode([*self.to_args(**changes), *extra])}"

    def hidden(self, *omit: str) -> list[tuple[str, str]]:
        """The pairs a form carries as hidden inputs: this request but the ``omit`` fields."""
        defaults = {f.name: f.default for f in fields(self)}
        return self.to_args(**{name: defaults[name] for name in omit})

    def toggled(self, facet: str, value: str) -> str:
        """The URL that selects ``value`` of ``facet``, or unselects it when it is selected."""
        return self.toggles(facet, [value])[0]

    def toggles(self, facet: str, values: list[str]) -> list[str]:
        """``toggled`` for many values of one facet: the rest of the query string is encoded
        once (a response lists up to 90 values; one ``url()`` each cost ~14 ms a request)."""
        order = [param_name(f) for f in fields(self)]
        place = order.index(facet)
        pairs = self.to_args(**{facet: ()})
        before = urlencode([(k, v) for k, v in pairs if order.index(k) < place])
        after = urlencode([(k, v) for k, v in pairs if order.index(k) > place])
        current = self.selected(facet)
        urls = []
        for value in values:
            chosen = [v for v in current if v != value] if value in current else [*current, value]
            middle = urlencode([(facet, v) for v in chosen])
            urls.append("/?" + "&".join(part for part in (before, middle, after) if part))
        return urls

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


def article_url(aid: str, q: str = "") -> str:
    """An article's page (its words marked when ``q`` is given): the one place it is built."""
    return f"/articles/{aid}" + (f"?{urlencode({'q': q})}" if q else "")


def with_toggles(lists: list[FacetList], req: SearchRequest) -> list[FacetList]:
    """Give every listed facet value the URL that toggles it in ``req`` (the one place)."""
    for facet in lists:
        urls = req.toggles(facet.name, [v.value for v in facet.values])
        for v, url in zip(facet.values, urls, strict=True):
            v.url = url
    return lists


_PLAIN = (str, int, float, bool, type(None))
_SHOWN: dict[type, tuple[str, ...]] = {}  # a record class → the names of its public fields


def public(record) -> dict:
    """A record as the JSON faces show it: plain data, fields marked ``INTERNAL`` left out."""
    kind = type(record)
    if kind in _PLAIN:
        return record
    if kind is list:
        return [public(item) for item in record]
    if isinstance(record, Markup):
        return str(record)
    if not is_dataclass(record):
        return record
    names = _SHOWN.get(kind)
    if names is None:
        names = _SHOWN[kind] = tuple(
            f.name for f in fields(record) if not f.metadata.get("internal")
        )
    return {name: public(getattr(record, name)) for name in names}


def repeatable(f: Field) -> bool:
    """A search parameter that may be given several times (``organizer=A&organizer=B``)."""
    return f.type == "tuple[str, ...]"  # annotations are strings here (postponed evaluation)


def param_name(f: Field) -> str:
    return f.metadata.get("param", f.name)


def too_long(name: str) -> QueryError:
    return QueryError(
        "param_too_long",
        f"参数 {name} 过长（最多 {MAX_URL_PARAM_CHARS} 个字符），请缩短 / parameter {name} is too "
        f"long: shorten it to at most {MAX_URL_PARAM_CHARS} characters",
    )


def _whole_number(name: str, raw: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise QueryError(
            f"bad_{name}", f"{name} 须为整数，收到 {raw[:20]!r} / {name} must be a whole number"
        ) from None


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
    snippet: str  # escaped HTML with <mark> around hits (a markupsafe.Markup)
    url: str
    score: float = field(metadata=INTERNAL)  # the rank's score; not part of the API


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
        return public(self)


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

    def to_dict(self) -> dict:
        """``GET /api/articles/<id>``: the record, the query, every paragraph, the neighbours."""
        return {
            **public(self.record),
            "query": self.query,
            "paragraphs": public(self.paragraphs),
            "neighbours": {"prev": public(self.prev), "next": public(self.next)},
        }

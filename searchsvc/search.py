"""The search core: ``SearchRequest`` → ``SearchResponse``. Knows nothing of Flask.

Whoosh finds and scores *paragraphs*; this module groups them into *articles* (best paragraph as
the snippet, how many paragraphs matched), sorts and pages them. The article records come from
a ``Catalog`` read once per index generation, so a new commit is picked up by the next request
while the one in flight finishes on the searcher it started with.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from markupsafe import Markup
from whoosh import collectors
from whoosh import query as wq

from searchsvc import index as index_mod
from searchsvc.analysis import normalize, words
from searchsvc.catalog import FACET_FIELDS, FACETS, Catalog, FacetList, count_facets, listed
from searchsvc.highlight import mark
from searchsvc.query import (
    Node,
    QueryError,
    describe,
    literals,
    matches,
    needs_check,
    parse,
    to_whoosh,
)

MAX_PER_PAGE = 100
MAX_FILTER_VALUES = 20  # per facet in one request
SNIPPET_CHARS = 160
TIME_BUDGET_SECONDS = 5.0  # per query; past it the answer is a 503 that says how to narrow down
SORTS = ("relevance", "-date", "date")
ARTICLE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")
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

    def selected(self, facet: str) -> tuple[str, ...]:
        return getattr(self, facet)

    @property
    def filtered(self) -> bool:
        return bool(self.date_from or self.date_to) or any(self.selected(f.name) for f in FACETS)

    def validate(self) -> None:
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


@dataclass
class Result:
    id: str
    title: str
    date: str | None
    reporters: list[str]
    correspondents: list[str]
    photographers: list[str]
    source: str
    organizer: list[str]
    host: list[str]
    co_organizer: list[str]
    district: list[str]
    event_type: list[str]
    matched_paragraphs: int
    snippet: Markup
    url: str
    score: float


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
    histogram: list[dict] = field(default_factory=list)
    suggestion: str | None = None

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
class ArticleView:
    meta: dict
    paragraphs: list[Markup]
    query: str


class ArticleNotFound(LookupError):
    pass


# --------------------------------------------------------------------------- engine


class Engine:
    """Search over one index home. Thread-safe: each thread keeps its own Whoosh searcher.

    Every request checks, cheaply, whether a sync committed a new generation (the searcher is
    refreshed) or a full rebuild swapped in a new index folder (the index is reopened); the
    request already running finishes on the searcher it started with.
    """

    def __init__(self, index_dir: Path, time_budget: float = TIME_BUDGET_SECONDS):
        self.index_dir = Path(index_dir)
        self.time_budget = time_budget
        self._live = index_mod.live_dir(self.index_dir)
        self.ix = index_mod.open_index(self.index_dir)
        self._opened = 0  # bumped whenever the index is reopened; threads then drop searchers
        self._open_lock = threading.Lock()
        self._local = threading.local()
        self._catalog: Catalog | None = None
        self._catalog_lock = threading.Lock()
        words("预热")  # load jieba's model now, not during the first user's query

    # -- plumbing

    def _searcher(self):
        live = index_mod.live_dir(self.index_dir)
        if live != self._live:
            with self._open_lock:
                if live != self._live:
                    self.ix = index_mod.open_index(self.index_dir)
                    self._live = live
                    self._opened += 1
        s = getattr(self._local, "searcher", None)
        if s is None or getattr(self._local, "opened", None) != self._opened:
            s = self.ix.searcher()
            self._local.opened = self._opened
        elif not s.up_to_date():
            if s.doc_count_all():
                s = s.refresh()  # reuses the readers of segments that did not change
            else:  # Whoosh cannot refresh from an empty reader (it has no segments to reuse)
                s.close()
                s = self.ix.searcher()
        self._local.searcher = s
        return s

    def _catalog_for(self, searcher) -> Catalog:
        key = (self._opened, searcher.reader().generation())
        with self._catalog_lock:
            if self._catalog is None or self._catalog.key != key:
                self._catalog = Catalog.load(searcher, key)
            return self._catalog

    def close(self) -> None:
        s = getattr(self._local, "searcher", None)
        if s is not None:
            s.close()
            self._local.searcher = None

    # -- searching

    def search(self, req: SearchRequest) -> SearchResponse:
        started = time.perf_counter()
        req.validate()
        tree = parse(req.q)
        searcher = self._searcher()
        catalog = self._catalog_for(searcher)
        selection = {spec.name: req.selected(spec.name) for spec in FACETS}
        catalog.check_selection(selection)
        if tree is None:
            groups: dict[str, _Group] = {aid: _Group(0.0) for aid in catalog.newest_first}
        else:
            groups = self._groups(searcher, tree, catalog, started + self.time_budget)
        in_range = (aid for aid in groups if req.in_dates(catalog.articles[aid]["date"]))
        kept, facet_lists = count_facets(in_range, catalog.articles, selection)
        order = self._order({aid: groups[aid] for aid in kept}, catalog, req.sort)
        page = order[(req.page - 1) * req.per_page : req.page * req.per_page]
        needles = [lit.text for lit in literals(tree)]
        results = [
            self._result(searcher, catalog.articles[aid], groups[aid], needles) for aid in page
        ]
        return SearchResponse(
            query=describe(tree),
            total=len(order),
            page=req.page,
            per_page=req.per_page,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            results=results,
            facets=facet_lists,
        )

    def _groups(self, searcher, tree: Node, catalog: Catalog, deadline: float) -> dict[str, _Group]:
        """Paragraph hits of the tree, grouped by article id."""
        if not catalog.articles:
            return {}  # also: an index with no segment yet has no ``aid`` column to read
        q = wq.And([to_whoosh(tree), wq.Term("kind", "para")])
        # The query itself goes in, not a ``filter=``: wrapping collectors is where Whoosh loses
        # filters, and this way there is nothing to lose.
        collector = _DeadlineCollector(searcher.collector(limit=None), deadline, self.time_budget)
        searcher.search_with_collector(q, collector)
        hits = collector.results()
        aids = searcher.reader().column_reader("aid")
        check = needs_check(tree)
        groups: dict[str, _Group] = {}
        article_fields: dict[str, dict[str, str]] = {}  # normalised title/names, once per article
        for i, (docnum, score) in enumerate(hits.items()):
            if i % 256 == 255:
                _check_deadline(deadline, self.time_budget)
            aid = aids[docnum]
            meta = catalog.articles.get(aid)
            if meta is None:
                continue
            if check:
                if aid not in article_fields:
                    article_fields[aid] = _article_fields(meta)
                fields = {**article_fields[aid],
                          "text": normalize(searcher.stored_fields(docnum)["text"])}  # fmt: skip
                if not matches(tree, fields):
                    continue
            group = groups.get(aid)
            if group is None:
                groups[aid] = group = _Group(score)
            group.best = max(group.best, score)
            group.hits.append((score, docnum))
        return groups

    @staticmethod
    def _order(groups: dict[str, _Group], catalog: Catalog, sort: str) -> list[str]:
        aids = list(groups)  # every group is an article of this catalog (see _groups)
        if sort == "relevance":
            # Best paragraph first; more matching paragraphs break near-ties, then newer first.
            return sorted(
                aids,
                key=lambda a: (groups[a].rank(), catalog.articles[a]["date"] or "", a),
                reverse=True,
            )
        newest = sort == "-date"
        return sorted(aids, key=lambda a: (catalog.articles[a]["date"] or "", a), reverse=newest)

    def _result(self, searcher, meta: dict, group: _Group, needles: list[str]) -> Result:
        snippet_text, matched, best_score = "", 0, -1.0
        for score, docnum in group.hits:
            text = searcher.stored_fields(docnum)["text"]
            norm = normalize(text)
            if any(n in norm for n in needles):
                matched += 1
                if score > best_score:
                    best_score, snippet_text = score, text
        if best_score < 0:
            snippet_text = self._paragraph_text(searcher, meta["id"], 1) or meta["title"]
        return Result(
            id=meta["id"],
            title=meta["title"],
            date=meta["date"],
            reporters=meta["reporters"],
            correspondents=meta["correspondents"],
            photographers=meta["photographers"],
            source=meta["source"],
            **{key: list(meta.get(key) or ()) for key in FACET_FIELDS},
            matched_paragraphs=matched,
            snippet=mark(snippet_text, needles, window=SNIPPET_CHARS),
            url=f"/articles/{meta['id']}",
            score=round(group.rank(), 4),
        )

    @staticmethod
    def _paragraph_text(searcher, aid: str, n: int) -> str | None:
        docnum = searcher.document_number(pid=f"{aid}#{n}")
        return None if docnum is None else searcher.stored_fields(docnum)["text"]

    # -- articles and health

    def article(self, aid: str, q: str = "") -> ArticleView:
        if not ARTICLE_ID_RE.match(aid):
            raise ArticleNotFound(aid)
        searcher = self._searcher()
        meta = self._catalog_for(searcher).articles.get(aid)
        if meta is None:
            raise ArticleNotFound(aid)
        tree = parse(q) if q else None
        needles = [lit.text for lit in literals(tree)]
        docs = sorted(searcher.documents(aid=aid, kind="para"), key=lambda d: d["n"])
        return ArticleView(meta, [mark(d["text"], needles) for d in docs], describe(tree))

    def facets(self) -> list[FacetList]:
        """Every facet value in the index with its article count."""
        catalog = self._catalog_for(self._searcher())
        return [
            FacetList(spec.name, spec.label, listed(catalog.values[spec.name], set(), None))
            for spec in FACETS
        ]

    def health(self) -> dict:
        searcher = self._searcher()
        live = index_mod.live_dir(self.index_dir)
        return {
            "status": "ok",
            "generation": searcher.reader().generation(),
            **index_mod.counts(searcher),
            "index_bytes": sum(f.stat().st_size for f in live.glob("*") if f.is_file()),
            "last_sync": _mtime_iso(live),
            "rejected": index_mod.read_rejected(self.index_dir),
        }


class SearchTimeout(Exception):
    """A query ran past its time budget (the web face answers 503)."""


def _check_deadline(deadline: float, budget: float) -> None:
    if time.perf_counter() > deadline:
        raise SearchTimeout(
            f"检索超时（超过 {budget:g} 秒），请加词、加引号或筛选缩小范围 / the query took longer "
            f"than {budget:g} s: add words, quote a phrase or filter to narrow it down"
        )


class _DeadlineCollector(collectors.WrappingCollector):
    """Stops collecting when the request's budget is spent.

    Whoosh's ``TimeLimitCollector`` starts a timer thread per search and wants SIGALRM, which
    only the main thread may use; waitress answers in worker threads. Checking the clock every
    few hundred hits costs nothing.
    """

    def __init__(self, child, deadline: float, budget: float):
        super().__init__(child)
        self.deadline, self.budget = deadline, budget

    def collect_matches(self):
        for i, sub_docnum in enumerate(self.child.matches()):
            if i % 256 == 255:
                _check_deadline(self.deadline, self.budget)
            self.child.collect(sub_docnum)


@dataclass
class _Group:
    best: float
    hits: list[tuple[float, int]] = field(default_factory=list)

    def rank(self) -> float:
        return self.best + 0.1 * math.log1p(max(0, len(self.hits) - 1))


def _article_fields(meta: dict) -> dict[str, str]:
    """The normalised article-level texts a query is checked against."""
    names = meta["reporters"] + meta["correspondents"] + meta["photographers"]
    return {"title": normalize(meta["title"]), "names": normalize(" ".join(names))}


def _mtime_iso(index_dir: Path) -> str | None:
    tocs = sorted(Path(index_dir).glob("_MAIN_*.toc"), key=lambda p: p.stat().st_mtime)
    if not tocs:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(tocs[-1].stat().st_mtime))

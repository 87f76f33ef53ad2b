"""The search core: ``SearchRequest`` → ``SearchResponse``. Knows nothing of Flask.

Whoosh finds and scores *paragraphs*; this module groups them into *articles* (best paragraph as
the snippet, how many paragraphs matched), sorts and pages them. The article records come from
a ``Catalog`` read once per index generation, so a new commit is picked up by the next request
while the one in flight finishes on the searcher it started with.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from whoosh import collectors
from whoosh import query as wq

from searchsvc import index as index_mod
from searchsvc import ranking, relax
from searchsvc.analysis import normalize, words
from searchsvc.article import ArticleRecord
from searchsvc.cache import LRUCache
from searchsvc.catalog import FACETS, Catalog, FacetList, count_facets, listed
from searchsvc.errors import SearchTimeout
from searchsvc.highlight import mark
from searchsvc.histogram import histogram
from searchsvc.lexicon import LexiconCache
from searchsvc.query import (
    Node,
    describe,
    literals,
    matches,
    needs_check,
    parse,
    to_whoosh,
)
from searchsvc.ranking import Group
from searchsvc.records import (  # noqa: F401 — the core's records, re-exported for callers
    MAX_PER_PAGE,
    SORTS,
    ArticleNotFound,
    ArticleView,
    Neighbour,
    Result,
    SearchRequest,
    SearchResponse,
    article_url,
    with_toggles,
)

SNIPPET_CHARS = 160
TIME_BUDGET_SECONDS = 5.0  # per query; past it the answer is a 503 that says how to narrow down
ARTICLE_ID_RE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


# --------------------------------------------------------------------------- engine


class Engine:
    """Search over one index home. Thread-safe: each thread keeps its own Whoosh searcher.

    Every request checks, cheaply, whether a sync committed a new generation (the searcher is
    refreshed) or a full rebuild swapped in a new index folder (the index is reopened); the
    request already running finishes on the searcher it started with.
    """

    def __init__(
        self,
        index_dir: Path,
        time_budget: float = TIME_BUDGET_SECONDS,
        vocab_dir: Path | None = None,
        cache: bool = True,
    ):
        """``cache=False``: every search runs in full (benchmarks measure that cost)."""
        self.index_dir = Path(index_dir)
        self.time_budget = time_budget
        self._lexicon = LexiconCache(vocab_dir)
        self._live = index_mod.live_dir(self.index_dir)
        self.ix = index_mod.open_index(self.index_dir)
        self._opened = 0  # bumped whenever the index is reopened; threads then drop searchers
        self._open_lock = threading.Lock()
        self._local = threading.local()
        self._catalog: Catalog | None = None
        self._catalog_lock = threading.Lock()
        self._cache: LRUCache[_Matches] = LRUCache() if cache else LRUCache(max_entries=0)
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

    def search(self, req: SearchRequest, limit: int | None = None) -> SearchResponse:
        """One page of ``req``'s results; with ``limit``, the first ``limit`` articles (export)."""
        started = time.perf_counter()
        req.validate()
        lexicon = self._lexicon.get()
        tree = parse(req.q, lexicon.synonyms)
        earlier = [t for t in (parse(text, lexicon.synonyms) for text in req.within) if t]
        searcher = self._searcher()
        catalog = self._catalog_for(searcher)
        selection = {spec.name: req.selected(spec.name) for spec in FACETS}
        catalog.check_selection(selection)
        deadline = started + self.time_budget
        found = self._matches(tree, earlier, searcher, catalog, lexicon.stopwords, deadline)
        groups = found.groups
        in_range = (aid for aid in groups if req.in_dates(catalog.articles[aid].date))
        kept, facet_lists = count_facets(in_range, catalog.articles, selection)
        with_toggles(facet_lists, req)
        ranked_by = tree if tree is not None else next(iter(earlier), None)  # whose groups
        order, scores = ranking.order(
            {aid: groups[aid] for aid in kept}, catalog, req.sort, ranked_by, searcher
        )
        if limit is None:
            page = order[(req.page - 1) * req.per_page : req.page * req.per_page]
        else:
            page = order[:limit]
        needles = list(dict.fromkeys(lit.text for t in (tree, *earlier) for lit in literals(t)))
        results = [
            self._result(searcher, catalog.articles[aid], groups[aid], scores[aid], needles)
            for aid in page
        ]
        return SearchResponse(
            query=describe(tree),
            total=len(order),
            page=req.page,
            per_page=req.per_page,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            results=results,
            relaxed=found.relaxed,
            facets=facet_lists,
            histogram=histogram(catalog.articles[aid].date for aid in order),
            suggestion=found.suggestion,
            within=[describe(t) for t in earlier],
        )

    def _matches(
        self,
        tree: Node | None,
        earlier: list[Node],
        searcher,
        catalog: Catalog,
        stopwords: frozenset[str],
        deadline: float,
    ) -> _Matches:
        """The articles the query (inside the ``earlier`` ones) matches, grouped; cached."""
        key = (catalog.key, tree, tuple(earlier), stopwords)
        found = self._cache.get(key)
        if found is not None:
            return found

        def find(t: Node) -> dict[str, Group]:
            return self._groups(searcher, t, catalog, deadline)

        is_relaxed, hint = False, None
        if tree is None:
            groups: dict[str, Group] = {aid: Group(0.0) for aid in catalog.newest_first}
        else:
            groups, is_relaxed = self._matching(tree, find, searcher, catalog, stopwords)
            if not groups:
                hint = relax.suggestion(tree, find, functools.partial(_correct, searcher))
        for i, t in enumerate(earlier):
            # 二次检索: what the earlier query found (relaxed the same way it was then).
            inside, _ = self._matching(t, find, searcher, catalog, stopwords)
            if tree is None and i == 0:
                groups = {aid: inside[aid] for aid in groups if aid in inside}  # its ranking
            else:
                groups = {aid: g for aid, g in groups.items() if aid in inside}
        found = _Matches(groups, is_relaxed, hint)
        self._cache.put(key, found, weight=len(groups) + sum(len(g.hits) for g in groups.values()))
        return found

    def _matching(
        self, tree: Node, find, searcher, catalog: Catalog, stopwords: frozenset[str]
    ) -> tuple[dict[str, Group], bool]:
        """The articles matching ``tree``, and whether the query had to be relaxed for them."""
        groups = find(tree)
        # Too little with every word: most words will do (decided before any filter).
        if len(groups) < relax.RELAX_BELOW:
            texts = functools.partial(self._texts, searcher, catalog)
            wider = relax.relaxed(tree, stopwords, find, texts)
            if wider is not None and len(wider) > len(groups):
                return wider, True
        return groups, False

    def _groups(self, searcher, tree: Node, catalog: Catalog, deadline: float) -> dict[str, Group]:
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
        groups: dict[str, Group] = {}
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
                groups[aid] = group = Group(score)
            group.best = max(group.best, score)
            group.hits.append((score, docnum))
        return groups

    @staticmethod
    def _texts(searcher, catalog: Catalog, aid: str, group: Group) -> Iterable[dict[str, str]]:
        """The normalised title, names and hit paragraphs of an article (for a relaxed query)."""
        article = _article_fields(catalog.articles[aid])
        for _, docnum in group.hits:
            yield {**article, "text": normalize(searcher.stored_fields(docnum)["text"])}

    def _result(
        self, searcher, meta: ArticleRecord, group: Group, score: float, needles: list[str]
    ) -> Result:
        snippet_text, matched, best_score = "", 0, -1.0
        for score, docnum in group.hits:
            text = searcher.stored_fields(docnum)["text"]
            norm = normalize(text)
            if any(n in norm for n in needles):
                matched += 1
                if score > best_score:
                    best_score, snippet_text = score, text
        if best_score < 0:
            snippet_text = self._paragraph_text(searcher, meta.id, 1) or meta.title
        return Result(
            **meta.summary(),
            matched_paragraphs=matched,
            snippet=mark(snippet_text, needles, window=SNIPPET_CHARS),
            url=article_url(meta.id),
            score=round(score, 4),
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
        catalog = self._catalog_for(searcher)
        meta = catalog.articles.get(aid)
        if meta is None:
            raise ArticleNotFound(aid)
        tree = parse(q, self._lexicon.get().synonyms) if q else None
        needles = [lit.text for lit in literals(tree)]
        docs = sorted(searcher.documents(aid=aid, kind="para"), key=lambda d: d["n"])
        before, after = catalog.neighbours(aid)
        return ArticleView(
            meta,
            [mark(d["text"], needles) for d in docs],
            describe(tree),
            prev=_neighbour(catalog, before),
            next=_neighbour(catalog, after),
        )

    def facets(self) -> list[FacetList]:
        """Every facet value in the index with its article count."""
        catalog = self._catalog_for(self._searcher())
        lists = [
            FacetList(spec.name, spec.label, listed(catalog.values[spec.name], set(), None))
            for spec in FACETS
        ]
        return with_toggles(lists, SearchRequest())

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


@dataclass(frozen=True)
class _Matches:
    """What a query matched, before filters: shared by the requests that page or filter it."""

    groups: dict[str, Group]  # read-only once made
    relaxed: bool
    suggestion: str | None


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


def _correct(searcher, word: str) -> str | None:
    """The closest word in the index to a (Latin) word, for "did you mean"."""
    found = searcher.corrector("text").suggest(word, limit=1, maxdist=2)
    return found[0] if found else None


def _neighbour(catalog: Catalog, aid: str | None) -> Neighbour | None:
    return None if aid is None else Neighbour(aid, catalog.articles[aid].title)


def _article_fields(record: ArticleRecord) -> dict[str, str]:
    """The normalised article-level texts a query is checked against."""
    return {"title": normalize(record.title), "names": normalize(" ".join(record.names))}


def _mtime_iso(index_dir: Path) -> str | None:
    tocs = sorted(Path(index_dir).glob("_MAIN_*.toc"), key=lambda p: p.stat().st_mtime)
    if not tocs:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(tocs[-1].stat().st_mtime))

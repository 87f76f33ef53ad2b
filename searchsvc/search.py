"""The search core: ``SearchRequest`` → ``SearchResponse``. Knows nothing of Flask.

``Engine.search`` is a short orchestration of the parts:

1. parse the query (``query``, with the vocabularies of ``lexicon``);
2. ask the backend (``backend.Backend``; in service ``WhooshBackend``, over a per-generation
   ``snapshot`` and the posting arrays of ``matching``) for the matched articles of the page,
   the exact total, the facet counts and the histogram;
3. build the page's results and snippets (``results``).

All of it within one ``deadline.Deadline``: past the budget, a ``SearchTimeout`` (a 503).
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path

from searchsvc import bulletin
from searchsvc import deadline as deadlines
from searchsvc.analysis import words
from searchsvc.backend import Ask, WhooshBackend
from searchsvc.cache import LRUCache
from searchsvc.catalog import FACETS, Catalog, FacetList, listed
from searchsvc.config import BackendConfig
from searchsvc.deadline import Deadline
from searchsvc.errors import SearchTimeout
from searchsvc.health import Health
from searchsvc.highlight import mark
from searchsvc.holds import folds
from searchsvc.lexicon import LexiconCache
from searchsvc.query import describe, literals, parse, typed_strings
from searchsvc.records import (  # noqa: F401 — the core's records, re-exported for callers
    MAX_PER_PAGE,
    SORTS,
    ArticleNotFound,
    ArticleView,
    Neighbour,
    Result,
    SearchRequest,
    SearchResponse,
    with_toggles,
)
from searchsvc.results import SNIPPET_CHARS, build

__all__ = ["Engine", "SearchTimeout", "SNIPPET_CHARS"]

TIME_BUDGET_SECONDS = 5.0  # per query; past it the answer is a 503 that says how to narrow down


class Engine:
    """Search over one index home. Thread-safe (see ``WhooshBackend``).

    Every request checks, cheaply, whether a sync committed a new generation or a full rebuild
    swapped in a new index folder; the request already running finishes on what it started with.
    """

    def __init__(
        self,
        index_dir: Path,
        time_budget: float = TIME_BUDGET_SECONDS,
        vocab_dir: Path | None = None,
        cache: bool = True,
        backend: BackendConfig | None = None,
    ):
        """``cache=False``: every search runs in full (benchmarks measure that cost).
        ``backend``: which engine answers (default: ``SEARCHSVC_BACKEND`` and its settings)."""
        self.index_dir = Path(index_dir)
        self.time_budget = time_budget
        self._lexicon = LexiconCache(vocab_dir)
        self._cache = LRUCache() if cache else LRUCache(max_entries=0)
        backend = backend or BackendConfig.from_env()
        if backend.name == "typesense":
            from searchsvc.typesense.backend import TypesenseBackend

            self.backend = TypesenseBackend(backend.typesense, self._cache)
        else:
            self.backend = WhooshBackend(self.index_dir, self._cache)
        words("预热")  # load jieba's model now, not during the first user's query
        folds()  # and the character folds literal strings are confirmed with

    def close(self) -> None:
        self.backend.close()

    def refresh(self) -> None:
        """A sync of this process wrote: the next request reads what it wrote."""
        self.backend.refresh()

    def search(self, req: SearchRequest, limit: int | None = None) -> SearchResponse:
        """One page of ``req``'s results; with ``limit``, the first ``limit`` articles (export)."""
        started = time.perf_counter()
        deadline = Deadline(self.time_budget, started)
        with deadlines.running(deadline):  # the Typesense backend's HTTP timeouts read it
            return self._search(req, limit, started, deadline)

    def _search(
        self, req: SearchRequest, limit: int | None, started: float, deadline: Deadline
    ) -> SearchResponse:
        req.validate()
        lexicon = self._lexicon.get()
        tree = parse(req.q, lexicon.synonyms)
        earlier = tuple(t for t in (parse(text, lexicon.synonyms) for text in req.within) if t)
        self._catalog().check_selection({spec.name: req.selected(spec.name) for spec in FACETS})
        ask = Ask(tree, earlier, typed_strings(req.q), lexicon.stopwords)
        paged = req if limit is None else _first(req, limit)
        found = self.backend.find(paged, ask, deadline)
        needles = list(dict.fromkeys(lit.text for t in (tree, *earlier) for lit in literals(t)))
        results = [build(self.backend, hit, needles, deadline) for hit in found.page]
        return SearchResponse(
            query=describe(tree),
            total=found.total,
            page=req.page,
            per_page=req.per_page,
            took_ms=round((time.perf_counter() - started) * 1000, 2),
            results=results,
            relaxed=found.relaxed,
            facets=with_toggles(found.facets, req),
            histogram=found.histogram,
            suggestion=found.suggestion,
            within=[describe(t) for t in earlier],
        )

    # -- articles and health

    def article(self, aid: str, q: str = "") -> ArticleView:
        if not bulletin.ARTICLE_ID_RE.match(aid):
            raise ArticleNotFound(aid)
        catalog = self._catalog()
        meta = catalog.articles.get(aid)
        if meta is None:
            raise ArticleNotFound(aid)
        tree = parse(q, self._lexicon.get().synonyms) if q else None
        needles = [lit.text for lit in literals(tree)]
        before, after = catalog.neighbours(aid)
        return ArticleView(
            meta,
            [mark(text, needles) for text in self._paragraphs(aid)],
            describe(tree),
            prev=_neighbour(catalog, before),
            next=_neighbour(catalog, after),
        )

    def facets(self) -> list[FacetList]:
        """Every facet value in the index with its article count."""
        catalog = self._catalog()
        lists = [
            FacetList(spec.name, spec.label, listed(catalog.values[spec.name], set(), None))
            for spec in FACETS
        ]
        return with_toggles(lists, SearchRequest())

    def health(self) -> Health:
        return self.backend.health()

    def _catalog(self) -> Catalog:
        return self.backend.catalog()

    def _paragraphs(self, aid: str) -> list[str]:
        return self.backend.article_paragraphs(aid)


def _first(req: SearchRequest, limit: int) -> SearchRequest:
    """The request for the first ``limit`` articles, in ``req``'s order and filters (export)."""
    return replace(req, page=1, per_page=limit)


def _neighbour(catalog, aid: str | None) -> Neighbour | None:
    return None if aid is None else Neighbour(aid, catalog.articles[aid].title)

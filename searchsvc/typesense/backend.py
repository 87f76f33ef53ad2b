"""``TypesenseBackend``: the search core's seam (``backend.Backend``) over a Typesense cluster.

Same request in, same ``Found`` out as ``WhooshBackend``; the search core does the parsing, the
budget, results and snippets either way. Two paths:

* **One search** (most queries: words and phrases ANDed, ``-word``; no ``within``): the cluster
  answers the page of article groups (``group_by=aid``), the exact total, the facet counts of
  articles (one search per selected facet, leaving its own filter out) and the months of the
  histogram (a facet), in one ``multi_search`` (``typesense.query.search``). Ranking is Typesense's:
  text match, then date.
* **Evaluated here** (OR, ``title:``/``记者:``, literals across punctuation, ``within``, and any
  query that finds fewer than ``relax.RELAX_BELOW`` articles with every word and so is relaxed):
  ``typesense.match`` asks the cluster for each literal's paragraphs and evaluates the tree as the
  Whoosh backend does; filters, facet counts, histogram, sort and paging are then counted over
  the catalogue's records with the Whoosh backend's own rules (``catalog.count_facets``).

A paragraph ref (what ``paragraph`` takes) is the article's number in the catalogue times
``REF_STRIDE`` plus the paragraph number; texts come from ``typesense.catalog.Texts``, fetched a page at
a time. ``catalog``, ``article_paragraphs`` and ``health`` serve ``Engine.article``, ``facets``
and ``health``.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from searchsvc import relax
from searchsvc.backend import ArticleHit, Ask, Found
from searchsvc.cache import LRUCache
from searchsvc.catalog import FACET_LIMIT, FACETS, Catalog, FacetList, count_facets, listed
from searchsvc.health import Health
from searchsvc.histogram import histogram, histogram_months
from searchsvc.matching import Deadline
from searchsvc.query import And, Lit, Not
from searchsvc.records import SearchRequest
from searchsvc.typesense.catalog import Loaded, Texts, TsCatalog
from searchsvc.typesense.client import Cluster, TypesenseUnavailable
from searchsvc.typesense.config import TypesenseConfig
from searchsvc.typesense.documents import quoted
from searchsvc.typesense.match import Matched, TreeMatcher, is_simple, match
from searchsvc.typesense.query import EXACT, MAX_GROUP_HITS, TsQuery, date_bounds, q_string, search

REF_STRIDE = 1 << 16  # paragraphs an article may have
MAX_PAGE = 250  # Typesense's largest page of groups; longer pages take the evaluated path


class TypesenseBackend:
    """Thread-safe: the client is, and the caches are."""

    def __init__(self, config: TypesenseConfig, cache: LRUCache, cluster: Cluster | None = None):
        self.cluster = cluster or Cluster(config)
        self.alias = config.collection
        self.cache = cache
        self._catalog = TsCatalog(self.cluster, self.alias)
        self.texts = Texts(self.cluster, self.alias)

    # -- the seam

    def find(self, req: SearchRequest, ask: Ask, deadline: Deadline) -> Found:
        loaded = self._catalog.get()
        if not ask.earlier and is_simple(ask.tree) and req.per_page <= MAX_PAGE:
            found = self._one_search(req, ask, loaded, deadline)
            if found is not None:
                return found
        return self._evaluated(req, ask, loaded, deadline)

    def paragraph(self, ref: int) -> str:
        aid = self._catalog.get().ids[ref // REF_STRIDE]
        return self.texts.of(aid).get(ref % REF_STRIDE, "")

    def head_paragraph(self, aid: str) -> str | None:
        return self.texts.of(aid).get(1)

    # -- what the article page, the facet listing and health read

    def catalog(self) -> Catalog:
        return self._catalog.get().catalog

    def article_paragraphs(self, aid: str) -> list[str]:
        texts = self.texts.of(aid)
        return [texts[n] for n in sorted(texts)]

    def health(self) -> Health:
        loaded = self._catalog.get()
        up = [self.cluster.node_status(url) for url in self.cluster.config.nodes]
        healthy = sum(s.healthy for s in up)
        if not healthy:
            raise TypesenseUnavailable("Typesense 集群无节点应答 / no node of the cluster answers")
        target = str(loaded.catalog.key[0])
        generation = target.rsplit("_", 1)[-1]
        return Health(
            status="ok" if healthy == len(up) else "degraded",
            generation=int(generation) if generation.isdigit() else 0,
            files=len(loaded.catalog.pages),
            articles=len(loaded.catalog.articles),
            paragraphs=loaded.paragraphs,
            index_bytes=0,  # held in the nodes' memory; see /stats.json on each node
            last_sync=None,
        )

    def refresh(self) -> None:
        """A sync of this process wrote: read the catalogue again now, in the writer's thread
        (not in the next search, whose budget it would spend)."""
        self._catalog.expire()
        self._catalog.get()

    def close(self) -> None:
        pass

    # -- one search

    def _one_search(
        self, req: SearchRequest, ask: Ask, loaded: Loaded, deadline: Deadline
    ) -> Found | None:
        """The page from one multi_search; None when the query must be relaxed."""
        items = ask.tree.items if isinstance(ask.tree, And) else (ask.tree,)
        query = TsQuery(
            words=tuple(i.text for i in items if isinstance(i, Lit)),
            exclude=tuple(i.item.text for i in items if isinstance(i, Not)),
            selection={spec.name: req.selected(spec.name) for spec in FACETS},
            date_from=req.date_from,
            date_to=req.date_to,
            sort=req.sort,
            page=req.page,
            per_page=req.per_page,
        )
        deadline.check()
        answer = search(self.cluster, self.alias, query, counted=True)
        if answer.unfiltered < relax.RELAX_BELOW:  # decided on the query, before any filter
            return None
        self.texts.fetch([a.aid for a in answer.articles])
        page = []
        for hit in answer.articles:
            record = loaded.catalog.articles.get(hit.aid)
            if record is None:  # synced after the catalogue was read: shown next time
                continue
            base = loaded.index[hit.aid] * REF_STRIDE
            score = float(hit.score)
            paragraphs = hit.paragraphs
            if len(paragraphs) >= MAX_GROUP_HITS:  # a group holds at most 99: ask for the rest
                paragraphs = self._all_paragraphs(query, hit.aid, deadline)
            page.append(ArticleHit(record, score, [(score, base + n) for n in paragraphs]))
        months = np.repeat(list(answer.months), list(answer.months.values()))
        return Found(
            total=answer.total,
            page=page,
            facets=_lists(answer.facets, query.selection),
            histogram=histogram_months(months),
        )

    def _all_paragraphs(self, query: TsQuery, aid: str, deadline: Deadline) -> list[int]:
        """Every matching paragraph of one article, best first (up to what results count)."""
        q, _ = q_string(query.words, query.exclude)
        params = {
            **EXACT,
            "q": q,
            "query_by": "gram",
            "filter_by": f"aid:={quoted(aid)}",
            "include_fields": "n",
            "highlight_fields": "none",
            "per_page": MAX_PAGE,
        }
        deadline.check()
        answer = self.cluster.search(self.alias, params)
        return [hit["document"]["n"] for hit in answer["hits"]]

    # -- evaluated here

    def _evaluated(self, req: SearchRequest, ask: Ask, loaded: Loaded, deadline) -> Found:
        catalog = loaded.catalog
        key = ("ts", catalog.key, ask.tree, ask.earlier, ask.exact, ask.stopwords)
        matched: Matched | None = self.cache.get(key)
        if matched is None:
            matcher = TreeMatcher(self.cluster, self.alias, catalog, deadline)
            matched = match(matcher, ask.tree, ask.earlier, ask.exact, ask.stopwords)
            self.cache.put(key, matched, weight=matched.nbytes)
        groups = matched.groups
        bounds = date_bounds(req.date_from, req.date_to)
        aids = [a for a in groups if a in catalog.articles and _in(catalog, a, bounds)]
        selection = {spec.name: req.selected(spec.name) for spec in FACETS}
        kept, lists = count_facets(aids, catalog.articles, selection)
        ordered = _order(kept, matched, catalog, req.sort)
        window = ordered[(req.page - 1) * req.per_page : req.page * req.per_page]
        matcher = TreeMatcher(self.cluster, self.alias, catalog, deadline)
        matcher.fill([groups[a] for a in window], window)  # relaxed by counts: their hits now
        self.texts.fetch(window)
        page = [
            ArticleHit(
                catalog.articles[a],
                groups[a].best,
                [(s, loaded.index[a] * REF_STRIDE + n) for s, n in groups[a].hits],
            )
            for a in window
        ]
        return Found(
            total=len(kept),
            page=page,
            facets=lists,
            histogram=histogram(catalog.articles[a].date for a in kept),
            relaxed=matched.relaxed,
            suggestion=matched.suggestion,
        )


def _in(catalog: Catalog, aid: str, bounds: tuple[int, int] | None) -> bool:
    if bounds is None:
        return True
    date = catalog.articles[aid].date
    return bool(date) and bounds[0] <= int(date.replace("-", "")[:8].ljust(8, "0")) <= bounds[1]


def _order(aids: list[str], matched: Matched, catalog: Catalog, sort: str) -> list[str]:
    """The Whoosh backend's order without its proximity rerank: (coverage, typed strings held,
    score, date, id) for relevance; (date, id) for the date sorts."""
    if sort != "relevance":
        by_date = sorted(aids, key=lambda a: (catalog.articles[a].date or "", a))
        return by_date[::-1] if sort == "-date" else by_date
    groups, exact = matched.groups, matched.exact

    def key(a: str):
        date = catalog.articles[a].date or ""
        return (groups[a].coverage, exact.get(a, 0), groups[a].best, date, a)

    return sorted(aids, key=key, reverse=True)


def _lists(counts: dict[str, Counter], selection: dict[str, tuple[str, ...]]) -> list[FacetList]:
    return [
        FacetList(
            spec.name,
            spec.label,
            listed(counts[spec.name], set(selection.get(spec.name, ())), FACET_LIMIT),
        )
        for spec in FACETS
    ]

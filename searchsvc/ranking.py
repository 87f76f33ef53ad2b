"""Ranking articles: paragraph hits grouped into an article (``Group``) and the article order.

Whoosh scores paragraphs (BM25F); an article's rank is built here from its paragraph hits, so
that how an article is ranked lives in one place, apart from how it is found.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from searchsvc.catalog import Catalog


@dataclass
class Group:
    """One article's paragraph hits for a query."""

    best: float
    hits: list[tuple[float, int]] = field(default_factory=list)  # (score, docnum)
    coverage: int = 0  # how many of a relaxed query's words the article matches

    def rank(self) -> float:
        return self.best + 0.1 * math.log1p(max(0, len(self.hits) - 1))


def order(groups: dict[str, Group], catalog: Catalog, sort: str) -> list[str]:
    """Article ids in the order of ``sort`` (``relevance``, ``-date`` or ``date``)."""
    aids = list(groups)  # every group is an article of this catalog (see search._groups)
    if sort == "relevance":
        # Best paragraph first; more matching paragraphs break near-ties, then newer first.
        return sorted(
            aids,
            key=lambda a: (
                groups[a].coverage,  # a relaxed query: more of its words first
                groups[a].rank(),
                catalog.articles[a]["date"] or "",
                a,
            ),
            reverse=True,
        )
    newest = sort == "-date"
    return sorted(aids, key=lambda a: (catalog.articles[a]["date"] or "", a), reverse=newest)

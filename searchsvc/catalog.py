"""The article records of one index generation, and counting their facet values.

Facets count *articles*: every paragraph hit is grouped by its article id before anything is
counted, and an article's facet values live in its record (stored once, on its head paragraph),
so counting and filtering work on the same records the result list is made of.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from searchsvc.article import ArticleRecord
from searchsvc.facets import FIELDS, UNKNOWN
from searchsvc.query import QueryError

FACET_LIMIT = 30  # values listed per facet in a search response (selected ones always are)
FACET_FIELDS = FIELDS  # the article record's facet keys


@dataclass(frozen=True)
class FacetSpec:
    name: str  # request parameter and API name
    field: str  # key in the article record
    label: str  # what the UI calls it


FACETS = (
    FacetSpec("organizer", "organizer", "主办单位"),
    FacetSpec("district", "district", "区域"),
    FacetSpec("type", "event_type", "活动类型"),
)


@dataclass
class FacetValue:
    value: str
    count: int  # articles, not paragraphs
    selected: bool = False
    url: str = ""  # the search page with this value toggled (Datasette's toggle_url)


@dataclass
class FacetList:
    name: str
    label: str
    values: list[FacetValue]


@dataclass
class Catalog:
    """Every article's record in one index generation, newest first (see ``snapshot``)."""

    key: tuple  # what it was read from
    articles: dict[str, ArticleRecord]
    newest_first: list[str]
    values: dict[str, Counter]  # facet name -> article count of every value in the index

    @cached_property
    def pages(self) -> dict[str, list[str]]:
        """Bulletin file -> its article ids in page order."""
        pages: dict[str, list[str]] = {}
        for aid in sorted(self.articles, key=lambda a: self.articles[a].ordinal):
            pages.setdefault(self.articles[aid].source, []).append(aid)
        return pages

    def neighbours(self, aid: str) -> tuple[str | None, str | None]:
        """The articles before and after ``aid`` on its bulletin page (None at either end)."""
        page = self.pages[self.articles[aid].source]
        i = page.index(aid)
        return (page[i - 1] if i > 0 else None, page[i + 1] if i + 1 < len(page) else None)

    def check_selection(self, selection: dict[str, tuple[str, ...]]) -> None:
        """A filter value the index has never seen is a typo, not an empty result: say so."""
        for spec in FACETS:
            for value in selection.get(spec.name, ()):
                if value not in self.values[spec.name]:
                    raise QueryError(
                        "unknown_facet_value",
                        f"{spec.label}没有“{value[:40]}”这个值，可选值见 /api/facets / "
                        f"{spec.name} has no value {value[:40]!r}; GET /api/facets lists them",
                    )


def facet_values(record: ArticleRecord, spec: FacetSpec) -> list[str]:
    """An article's values of one facet; an unknown facet is the value 未注明."""
    return list(dict.fromkeys(getattr(record, spec.field))) or [UNKNOWN]


def count_facets(
    aids: Iterable[str], articles: dict[str, ArticleRecord], selection: dict[str, tuple[str, ...]]
) -> tuple[list[str], list[FacetList]]:
    """Filter ``aids`` by the request's facet selection and count every facet's values.

    OR within a facet, AND across facets. A facet's counts are taken with the *other* facets'
    filters applied but not its own, so that each count is exactly the total you get by
    selecting that value (alone) in that facet — the usual multi-select facet.
    """
    chosen = [set(selection.get(spec.name, ())) for spec in FACETS]
    counters = [Counter() for _ in FACETS]
    kept = []
    for aid in aids:
        meta = articles[aid]
        vals = [facet_values(meta, spec) for spec in FACETS]
        ok = [not want or not want.isdisjoint(v) for want, v in zip(chosen, vals, strict=True)]
        misses = ok.count(False)
        if misses == 0:
            kept.append(aid)
        for i, counter in enumerate(counters):
            if misses == 0 or (misses == 1 and not ok[i]):
                counter.update(vals[i])
    lists = [
        FacetList(spec.name, spec.label, listed(counter, want, FACET_LIMIT))
        for spec, counter, want in zip(FACETS, counters, chosen, strict=True)
    ]
    return kept, lists


def listed(counter: Counter, selected: set[str], limit: int | None) -> list[FacetValue]:
    """Most frequent first; a selected value stays listed even when its count is 0."""
    ranked = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    top = ranked if limit is None else ranked[:limit]
    shown = {value for value, _ in top}
    top += [(v, counter.get(v, 0)) for v in sorted(selected) if v not in shown]
    return [FacetValue(value, count, value in selected) for value, count in top]

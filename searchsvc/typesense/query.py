"""Asking the cluster: literals, filters and a sort in; matched articles and facet counts out.

The raw materials a search core needs from a backend: the articles that match (in order, with
the paragraphs that matched), how many there are, and every facet value's article count. The
query is already parsed (``query.parse``); its literals arrive here as strings. Typesense does
no analysis of its own: each literal becomes ``gram`` tokens (``typesense.documents.literal_tokens``),
every query option that would bend recall (typos, prefixes, dropped or split tokens) is off.

Facet counts follow ``catalog.count_facets``: OR within a facet, AND across facets, and each
facet counted with the *other* facets' filters only, so that a value's count is the total you
get by selecting it. That is one search plus one per facet with a selection, sent together as
one ``multi_search``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from searchsvc.catalog import FACETS
from searchsvc.typesense.client import Cluster
from searchsvc.typesense.documents import FACET_FIELD, literal_tokens, quoted

MAX_GROUP_HITS = 99  # Typesense's cap on group_limit: matched paragraphs counted up to this
MAX_FACET_VALUES = 10_000  # every value: the caller trims the list (catalog.FACET_LIMIT)
# Date sorts break ties by article id, as the Whoosh backend's (date, id) order does, so that
# both backends list a date-sorted result in the same order.
SORT_BY = {
    "relevance": "_text_match:desc,date_num:desc,aid:desc",
    "-date": "date_num:desc,aid:desc",
    "date": "date_num:asc,aid:asc",
}
MONTH = "month"  # the histogram's facet (YYYYMM; 0 undated)
# Nothing that would make Typesense find what the text does not literally hold.
EXACT = {
    "num_typos": 0,
    "typo_tokens_threshold": 0,
    "drop_tokens_threshold": 0,
    "prefix": False,
    "split_join_tokens": "off",
}


@dataclass(frozen=True)
class TsQuery:
    """A parsed query as the cluster is asked it."""

    words: tuple[str, ...] = ()  # literals a paragraph (with title and names) must contain
    exclude: tuple[str, ...] = ()  # literals it must not contain (one unit run each)
    selection: dict[str, tuple[str, ...]] = field(default_factory=dict)  # facet name → values
    date_from: str = ""  # YYYY, YYYY-MM or YYYY-MM-DD, inclusive (records.SearchRequest's)
    date_to: str = ""
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10  # articles; Typesense pages groups, at most 250 a page


@dataclass
class ArticleHit:
    aid: str
    paragraphs: list[int]  # numbers of the matching paragraphs, best first (≤ MAX_GROUP_HITS)
    score: int  # Typesense's text match of the best paragraph


@dataclass
class TsAnswer:
    articles: list[ArticleHit]  # this page, in order
    total: int  # matching articles, after filters
    facets: dict[str, Counter]  # facet name → value → article count
    unconfirmed: bool  # a literal spans punctuation: the hits are candidates to confirm
    months: Counter = field(default_factory=Counter)  # YYYYMM → article count (dated ones)
    unfiltered: int | None = None  # matching articles before filters (asked with ``counted``)


def q_string(words: tuple[str, ...], exclude: tuple[str, ...] = ()) -> tuple[str, bool]:
    """The ``q`` of some literals, and whether a literal needed more than one unit run."""
    parts: list[str] = []
    several = False
    for literal in words:
        runs = literal_tokens(literal)
        several |= len(runs) > 1
        parts.extend(phrase_term(tokens) for tokens in runs)
    for literal in exclude:
        runs = literal_tokens(literal)
        if len(runs) != 1:
            raise ValueError(f"{literal!r}: an excluded literal must be one run of text")
        parts.append("-" + phrase_term(runs[0]))
    return (" ".join(parts) if parts else "*"), several


def phrase_term(tokens: list[str]) -> str:
    return tokens[0] if len(tokens) == 1 else '"' + " ".join(tokens) + '"'


def date_bounds(date_from: str, date_to: str) -> tuple[int, int] | None:
    """``date_num`` bounds of a range (undated articles, 0, are outside every range)."""
    if not (date_from or date_to):
        return None
    low = int((date_from.replace("-", "") + "0101")[:8]) if date_from else 1
    high = int((date_to.replace("-", "") + "9999")[:8]) if date_to else 99_999_999
    return max(low, 1), high


def filter_by(query: TsQuery, leave_out: str | None = None) -> str:
    """The filter of the query's selection and dates, without facet ``leave_out``'s values."""
    clauses = []
    for spec in FACETS:
        values = query.selection.get(spec.name, ())
        if values and spec.name != leave_out:
            listed = ",".join(quoted(v) for v in values)
            clauses.append(f"{FACET_FIELD[spec.name]}:=[{listed}]")
    bounds = date_bounds(query.date_from, query.date_to)
    if bounds:
        clauses.append(f"date_num:>={bounds[0]} && date_num:<={bounds[1]}")
    return " && ".join(clauses)


def _params(query: TsQuery, q: str, filters: str, facet_fields: list[str], main: bool) -> dict:
    params = {
        **EXACT,
        "q": q,
        "query_by": "gram",
        "group_by": "aid",
        "group_limit": MAX_GROUP_HITS if main else 1,
        "include_fields": "aid,n",
        "highlight_fields": "none",
        "sort_by": SORT_BY[query.sort],
        "page": query.page if main else 1,
        "per_page": query.per_page if main else 1,
    }
    if facet_fields:
        params.update(facet_by=",".join(facet_fields), max_facet_values=MAX_FACET_VALUES)
    if filters:
        params["filter_by"] = filters
    return params


def search(cluster: Cluster, collection: str, query: TsQuery, counted: bool = False) -> TsAnswer:
    """One page of articles, the total, the facet counts and the months, in one multi_search.

    ``counted``: also how many articles match before any filter (relaxation is decided on that
    number, see ``relax``), when there are filters; without them it is the total.
    """
    q, several = q_string(query.words, query.exclude)
    selected = [spec.name for spec in FACETS if query.selection.get(spec.name)]
    plain = [FACET_FIELD[spec.name] for spec in FACETS if spec.name not in selected]
    filters = filter_by(query)
    searches = [_params(query, q, filters, [*plain, MONTH], main=True)]
    searches += [
        _params(query, q, filter_by(query, leave_out=name), [FACET_FIELD[name]], main=False)
        for name in selected
    ]
    if counted and filters:
        searches.append(_params(query, q, "", [], main=False))
    results = cluster.multi_search(collection, searches)
    by_field = {}
    for result in results:
        for facet in result.get("facet_counts", ()):
            by_field[facet["field_name"]] = Counter(
                {c["value"]: c["count"] for c in facet["counts"]}
            )
    main = results[0]
    articles = [
        ArticleHit(
            aid=group["group_key"][0],
            paragraphs=[hit["document"]["n"] for hit in group["hits"]],
            score=max(int(hit.get("text_match", 0)) for hit in group["hits"]),
        )
        for group in main.get("grouped_hits", ())
    ]
    months = by_field.get(MONTH, Counter())
    return TsAnswer(
        articles=articles,
        total=main["found"],
        facets={spec.name: by_field.get(spec.field, Counter()) for spec in FACETS},
        unconfirmed=several,
        months=Counter({int(m): c for m, c in months.items() if int(m) > 0}),
        unfiltered=(results[-1]["found"] if filters else main["found"]) if counted else None,
    )

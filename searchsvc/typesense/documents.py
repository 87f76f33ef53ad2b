"""What one Typesense document is: the collection schema and the article → documents mapping.

**One document per paragraph, grouped by article at query time** (``group_by=aid``), like the
Whoosh index: a query's words must meet in one paragraph (with its article's title and byline
names), so an article-sized document would match words that stand paragraphs apart. Every
paragraph carries its article's facet values; Typesense 0.24 counts a facet value once per
*group* when ``group_by`` is set, so facet counts are article counts
(``tests/test_typesense_index.py`` checks this against the parsed articles).

**Segmentation stays ours.** Typesense gets pre-tokenised, space-joined text and no locale, so
it splits on spaces only and does no Chinese segmentation of its own:

* ``gram`` — the recall field. Per unit run (see ``analysis``) of the title, the paragraph and
  the byline names: the unit bigrams, then ``<last unit>$``; after all runs, the paragraph's
  distinct units. A literal string is then a quoted phrase of its bigrams (adjacent tokens;
  the ``$`` tokens keep phrases from spanning punctuation or the seams between title, text and
  names), or, for one unit, that unit as a token. ``$`` is declared in ``symbols_to_index``,
  or Typesense would strip it.

Nothing else is indexed that no query reads: a node holds every indexed field in memory, with
every token's positions, on every node (``bench/cluster.py`` measures it). An earlier schema also
indexed jieba's words of the same texts, which no query asked: ~9% of a node's memory per
paragraph and ~30% of the import time (jieba's), on a 300-page sample. ``n`` is only ever read
back, so it is stored, not indexed. What is left is ``gram`` (~165 distinct tokens a paragraph,
~70 of them single units, ~20 the title's bigrams, which every paragraph of the article repeats
so that a query's words may meet across title and paragraph as in the Whoosh index) and the
facet fields.

The article's record is stored once, as JSON on its head paragraph (``n == 1``), as the Whoosh
index stores it; ``record_fields`` is the one place that maps a record to Typesense fields.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from searchsvc import bulletin, facets
from searchsvc.analysis import gram_terms, normalize, unit_runs
from searchsvc.article import ArticleRecord
from searchsvc.catalog import FACETS
from searchsvc.documents import byline_names
from searchsvc.facets import UNKNOWN

RUN_END = "$"
UNDATED = 0  # date_num of an undated article: never inside a date range

# Typesense field name of each facet (the request's facet name → the record key it is read from).
FACET_FIELD = {spec.name: spec.field for spec in FACETS}


def schema(name: str) -> dict:
    """The one place the collection schema is built."""
    facet_fields = [
        {"name": field, "type": "string[]", "facet": True} for field in FACET_FIELD.values()
    ]
    return {
        "name": name,
        "fields": [
            # group_by needs a facet field; sortable: the tiebreak of a date sort, as Whoosh's
            {"name": "aid", "type": "string", "facet": True, "sort": True},
            {"name": "src", "type": "string", "facet": True},  # a bulletin's docs, for deletion
            {"name": "n", "type": "int32", "index": False, "optional": True},
            {"name": "head", "type": "bool"},
            {"name": "date_num", "type": "int32"},  # YYYYMMDD; UNDATED for none
            {"name": "month", "type": "int32", "facet": True},  # YYYYMM: the histogram's facet
            # When the bulletin was (re)indexed: a replaced bulletin's leftovers are older.
            {"name": "stamp", "type": "int64", "optional": True},
            {"name": "gram", "type": "string"},
            *facet_fields,
            # Stored, not indexed: snippets and highlights are made by us, from the text.
            {"name": "text", "type": "string", "index": False, "optional": True},
            {"name": "record", "type": "string", "index": False, "optional": True},
        ],
        "symbols_to_index": [RUN_END],
        "default_sorting_field": "date_num",
    }


def date_num(date: str | None) -> int:
    """``2025-04-18`` → 20250418; undated → ``UNDATED``."""
    return int(date.replace("-", "")) if date else UNDATED


def record_fields(record: dict) -> dict:
    """The article-level fields every paragraph of the article carries, from its record.

    Retarget here when the record becomes a dataclass: nothing else reads the record's keys.
    """
    return {
        "aid": record["id"],
        "src": record["source"],
        "date_num": date_num(record["date"]),
        "month": date_num(record["date"]) // 100,
        # An unknown facet is the value 未注明, so that it is counted and can be selected.
        **{
            field: list(dict.fromkeys(record.get(field) or ())) or [UNKNOWN]
            for field in FACET_FIELD.values()
        },
    }


def _grams(text: str) -> tuple[list[str], dict[str, None]]:
    """The bigram-and-``$`` tokens of one text, and its distinct units (in order)."""
    tokens: list[str] = []
    units: dict[str, None] = {}
    for run in unit_runs(normalize(text)):
        tokens.extend(gram_terms(run))
        units.update((unit, None) for unit, _s, _e in run)
    return tokens, units


def gram_tokens(*texts: str) -> list[str]:
    """The ``gram`` field's tokens of some texts: each text's runs, then all distinct units."""
    parts = [_grams(text) for text in texts]
    units: dict[str, None] = {}
    for _tokens, seen in parts:
        units.update(seen)
    return [t for tokens, _seen in parts for t in tokens] + list(units)


def paragraph_documents(article: bulletin.Article, found: facets.Facets) -> Iterator[dict]:
    """The Typesense documents of one article: one per paragraph, ids ``<article id>#<n>``."""
    record = ArticleRecord.of(article, found).stored()
    shared = record_fields(record)
    names = byline_names(article)
    # Title and names are the same for every paragraph: cut them once per article.
    (title_grams, title_units), (name_grams, name_units) = _grams(article.title), _grams(names)
    for para in article.paragraphs:
        text_grams, text_units = _grams(para.text)
        units = {**title_units, **text_units, **name_units}
        doc = {
            "id": f"{article.id}#{para.n}",
            **shared,
            "n": para.n,
            "head": para.n == 1,
            "gram": " ".join([*title_grams, *text_grams, *name_grams, *units]),
            "text": para.text,
        }
        if para.n == 1:
            doc["record"] = json.dumps(record, ensure_ascii=False)
        yield doc


# --------------------------------------------------------------------------- query side


def quoted(value: str) -> str:
    """A string value inside ``filter_by``: backticks keep commas, spaces and ``&&`` literal."""
    if "`" in value:
        raise ValueError(f"{value!r}: a backtick cannot be quoted in a Typesense filter")
    return f"`{value}`"


def literal_tokens(literal: str) -> list[list[str]]:
    """The ``gram`` tokens that find ``literal``: one token list per unit run of it.

    A run of one unit is that unit; a longer run is its bigrams, to be asked as a phrase. A
    literal spanning punctuation gives several runs, each of which must occur (a candidate
    that the caller confirms on the text, as the Whoosh backend does).
    """
    out: list[list[str]] = []
    for run in unit_runs(normalize(literal)):
        if len(run) == 1:
            out.append([run[0][0]])
        else:
            out.append(gram_terms(run)[:-1])  # the bigrams; the $ token only ends runs
    return out

"""What a bulletin becomes in the index: the schema, and the Whoosh documents of one file.

One Whoosh document per paragraph (``kind=para``), carrying its article's id, title and bylines
so that every paragraph hit can be filtered and grouped on its own. The article's record
(``ArticleRecord``) is stored once, on its first paragraph (``head``). One more document per
bulletin file (``kind=file``) records the file's content hash — the manifest. Both writers (the
one-document path in ``index`` and the bulk segment builder in ``bulk``) write exactly these.

The searchable fields of a paragraph:

* ``text`` — the body as jieba words, with positions (phrases of words); stored.
* ``title``, ``names`` — the article's title (boosted) and bylines as jieba words, frequencies only.
* ``gram`` — the recall device: title, body and bylines as unit bigrams with positions. A literal
  string is a phrase of its bigrams.
* ``unit`` — the same text as one term per unit (a Han character, or a run of Latin letters and
  digits), Existence format: no positions, no frequencies, no lengths — the cheapest list there
  is. A query part of one unit (``坚`` from a string cut at a random place) is one posting list
  here instead of every ``gram`` bigram that starts with it; phrases stay on ``gram``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from whoosh.fields import ID, NUMERIC, STORED, TEXT, FieldType, Schema
from whoosh.formats import Existence

from searchsvc import bulletin, facets
from searchsvc.analysis import gram_analyzer, unit_analyzer, word_analyzer
from searchsvc.article import ArticleRecord

TITLE_BOOST = 2.0


def schema() -> Schema:
    """The one place the schema is built."""
    return Schema(
        pid=ID(stored=True, unique=True),
        aid=ID(stored=True, sortable=True),
        kind=ID(),
        src=ID(stored=True),
        n=NUMERIC(stored=True),
        head=ID(),
        text=TEXT(analyzer=word_analyzer(), stored=True, phrase=True),
        title=TEXT(analyzer=word_analyzer(), phrase=False, field_boost=TITLE_BOOST),
        names=TEXT(analyzer=word_analyzer(), phrase=False),
        gram=TEXT(analyzer=gram_analyzer(), phrase=True),
        unit=FieldType(Existence(), unit_analyzer(), scorable=False),
        meta=STORED(),
        filehash=STORED(),
    )


def byline_names(article: bulletin.Article) -> str:
    return " ".join([*article.reporters, *article.correspondents, *article.photographers])


def paragraph_docs(article: bulletin.Article, found: facets.Facets) -> Iterator[dict]:
    names = byline_names(article)
    for para in article.paragraphs:
        doc = {
            "pid": f"{article.id}#{para.n}",
            "aid": article.id,
            "kind": "para",
            "src": article.source,
            "n": para.n,
            "text": para.text,
            "title": article.title,
            "names": names,
            # title, body and names in one recall field; the newlines end unit runs, so no
            # phrase can match across the seams.
            "gram": "\n".join((article.title, para.text, names)),
        }
        doc["unit"] = doc["gram"]  # the same text, one term per unit
        if para.n == 1:
            doc["head"] = "1"
            doc["meta"] = ArticleRecord.of(article, found).stored()
        yield doc


def file_docs(
    rel: str, digest: str, doc: bulletin.Bulletin, vocab: facets.Vocabulary
) -> Iterator[dict]:
    """The Whoosh documents of one bulletin file, in index order: its manifest entry, then every
    paragraph of every article. The one-document path and the bulk writer both write these."""
    yield {"kind": "file", "src": rel, "filehash": digest}
    for article in doc.articles:
        yield from paragraph_docs(article, facets.extract(article, vocab))


@dataclass
class Rejected:
    file: str
    reason: str


class Item(NamedTuple):
    rel: str
    data: bytes | None
    digest: str | None
    error: str | None  # why the file could not even be read (too large, unreadable)


def read_item(rel: str, path: Path, vocab_fingerprint: str) -> Item:
    try:
        data = bulletin.load(path, rel)
    except bulletin.BulletinError as err:
        return Item(rel, None, None, err.reason)
    return Item(rel, data, file_digest(data, vocab_fingerprint), None)


def file_digest(data: bytes, vocab_fingerprint: str) -> str:
    """What the manifest records for a file: its content hash and the vocabularies it was read
    with (facets depend on both)."""
    return f"{hashlib.sha256(data).hexdigest()}:{vocab_fingerprint[:16]}"

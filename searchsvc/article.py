"""The article record: the one list of an article's fields, from the index to every face.

``ArticleSummary`` is what a result row shows (the JSON result, the export columns, the API
schema); ``ArticleRecord`` adds what only the index and the article page need. The writer stores
``ArticleRecord.stored()`` once per article (on its head paragraph); the reader loads it back
with ``ArticleRecord.from_stored``. Every other list of article fields is derived from these two
classes, never written out again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from searchsvc.bulletin import Article
from searchsvc.facets import Facets


@dataclass(frozen=True, eq=False)
class ArticleSummary:
    id: str
    title: str
    date: str | None  # YYYY-MM-DD, or None when the page gives none (never invented)
    reporters: list[str]
    correspondents: list[str]
    photographers: list[str]
    source: str  # the bulletin's path in the corpus
    # Facet values, empty when unknown (listed as 未注明 by the search core).
    organizer: list[str]
    host: list[str]
    co_organizer: list[str]
    district: list[str]
    event_type: list[str]

    @property
    def names(self) -> list[str]:
        """Everyone in the byline (searchable, never part of the body text)."""
        return [*self.reporters, *self.correspondents, *self.photographers]

    def summary(self) -> dict:
        """The summary fields of this record (of a subclass too), in declaration order."""
        return {f.name: getattr(self, f.name) for f in fields(ArticleSummary)}


@dataclass(frozen=True, eq=False)
class ArticleRecord(ArticleSummary):
    ordinal: int  # position of its headline on the bulletin page
    dateline: str  # 本报讯, 新华社北京3月30日电 … ("" if none)
    paragraphs: int
    paper: str
    page: str

    @classmethod
    def of(cls, article: Article, found: Facets) -> ArticleRecord:
        return cls(
            id=article.id,
            title=article.title,
            date=article.date,
            reporters=list(article.reporters),
            correspondents=list(article.correspondents),
            photographers=list(article.photographers),
            source=article.source,
            **found.as_lists(),
            ordinal=article.ordinal,
            dateline=article.dateline,
            paragraphs=len(article.paragraphs),
            paper=article.paper,
            page=article.page,
        )

    def stored(self) -> dict:
        """What the index keeps (plain data: Whoosh pickles it)."""
        return asdict(self)

    @classmethod
    def from_stored(cls, data: dict) -> ArticleRecord:
        return cls(**{f.name: data[f.name] for f in fields(cls)})


SUMMARY_FIELDS = tuple(f.name for f in fields(ArticleSummary))

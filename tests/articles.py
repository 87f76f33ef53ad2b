"""Articles made from real sentences, for the facet tests: a title and paragraphs, as
``bulletin.read`` would give them."""

from __future__ import annotations

from searchsvc import bulletin, facets


def article(title: str, *paras: str, date: str | None = None) -> bulletin.Article:
    ps = [bulletin.Paragraph(i + 1, t) for i, t in enumerate(paras)]
    return bulletin.Article("x-1", 1, title, date, "x.md", ps)


def extract(vocab, title: str, *paras: str, date: str | None = None) -> facets.Facets:
    """The facets ``vocab`` gives the made-up article of ``title`` and ``paras``."""
    return facets.extract(article(title, *paras, date=date), vocab)

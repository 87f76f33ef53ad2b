"""Result building: an ``ArticleHit`` of the requested page → a ``Result`` with its snippet.

Only the page's articles are read here: their paragraph hits' stored texts, for how many of them
mention the query and which one (the best scored that does) becomes the snippet.
"""

from __future__ import annotations

from searchsvc.analysis import normalize
from searchsvc.backend import ArticleHit, Backend
from searchsvc.highlight import mark
from searchsvc.holds import holds_string
from searchsvc.matching import Deadline
from searchsvc.records import Result, article_url

SNIPPET_CHARS = 160
PARAGRAPHS_COUNTED = 200  # hits of one article read for its count (a long article has more)


def build(backend: Backend, hit: ArticleHit, needles: list[str], deadline: Deadline) -> Result:
    meta = hit.record
    heads = normalize(meta.title + "\n" + " ".join(meta.names))
    if hit.paragraphs and needles and not any(n in heads for n in needles):
        # Every paragraph hit holds a query word literally (title, body or bylines); with
        # none in the title or bylines, each holds one in its body: they all count, and the
        # best scored is the snippet — one paragraph read, not all of them.
        score, ref = hit.paragraphs[0]
        return _result(hit, backend.paragraph(ref), len(hit.paragraphs), needles)
    snippet_text, matched, best_score = "", 0, -1.0
    for score, ref in hit.paragraphs[:PARAGRAPHS_COUNTED]:
        deadline.spend(50)
        text = backend.paragraph(ref)
        if any(holds_string(text, n) for n in needles):
            matched += 1
            if score > best_score:
                best_score, snippet_text = score, text
    if best_score < 0:
        snippet_text = backend.head_paragraph(meta.id) or meta.title
    return _result(hit, snippet_text, matched, needles)


def _result(hit: ArticleHit, snippet_text: str, matched: int, needles: list[str]) -> Result:
    meta = hit.record
    return Result(
        **meta.summary(),
        matched_paragraphs=matched,
        snippet=mark(snippet_text, needles, window=SNIPPET_CHARS),
        url=article_url(meta.id),
        score=round(hit.score, 4),
    )

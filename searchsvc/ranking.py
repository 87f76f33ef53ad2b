"""Ranking articles: paragraph hits grouped into an article (``Group``) and the article order.

Whoosh scores paragraphs (BM25F over the jieba words of body, title and byline names; see
``query.to_whoosh``). An article's rank is built here from its paragraph hits, so that how an
article is ranked lives in one place, apart from how it is found:

* **proximity** — a paragraph in which the query's words stand close together (a phrase, or
  one clause) is about what the query says; one that mentions them sentences apart is not. Its
  score is raised by up to ``PROXIMITY``.
* **matched paragraphs** — an article whose body answers in several paragraphs is more about
  the subject than one that mentions it in passing (``PARAGRAPHS`` per doubling).
* **date** — only a tiebreak between equal scores, newer first.

Both bonuses are factors, so they mean the same whatever the scale of the BM25 scores (which
grows with the number of query words). They need the stored text, so they are computed for
the first ``RERANK`` articles only: reranking a prefix with factors ≥ 1 keeps it above the
rest, and the order never depends on the page asked for.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from searchsvc.analysis import normalize
from searchsvc.catalog import Catalog
from searchsvc.query import And, Lit, Node, Not, Or, literals

PROXIMITY = 0.5  # the most a paragraph gains for having every query word together
NEAR_CHARS = 8  # gap (characters between the words) at which half the proximity bonus is left
PARAGRAPHS = 0.05  # gained per doubling of the paragraphs that mention the query in their body
RERANK = 30  # articles whose paragraphs are read for proximity and paragraph counts
PARAGRAPHS_READ = 4  # per article: its best-scored paragraph hits
OCCURRENCES = 32  # per word and paragraph, for the proximity window

_NOT_HAN = re.compile(r"[^\u3400-\u4dbf\u4e00-\u9fff]")  # what NFKC may fold

Slots = list[tuple[str, ...]]  # per required query word, the strings that satisfy it
Text = Callable[[int], str]  # docnum → the paragraph's stored text


@dataclass
class Group:
    """One article's paragraph hits for a query."""

    best: float
    hits: list[tuple[float, int]] = field(default_factory=list)  # (score, docnum)
    coverage: int = 0  # how many of a relaxed query's words the article matches


def slots(tree: Node | None) -> Slots:
    """The query's required words as proximity sees them: one slot per ANDed item, holding its
    literal alternatives (synonyms). Field-restricted words (``title:``, ``记者:``) are not in
    the body, so they take no part; a query that is not an AND of words has no slots."""
    if tree is None or isinstance(tree, Not):
        return []
    items = tree.items if isinstance(tree, And) else (tree,)
    out: Slots = []
    for item in items:
        if isinstance(item, Not):
            continue
        if not isinstance(item, Lit | Or):
            return []
        texts = tuple(dict.fromkeys(lit.text for lit in literals(item) if lit.field is None))
        if texts:
            out.append(texts)
    return out


def proximity(slots: Slots, text: str) -> float:
    """How close together the query's words stand in ``text`` (normalised): 1.0 when they are
    adjacent (a phrase), half that at ``NEAR_CHARS`` characters between them, 0 when fewer
    than two of them occur. A word missing from the text lowers it by its share."""
    spans: list[tuple[int, int, int]] = []  # (start, end, slot)
    need = 0
    present = 0
    for i, alternatives in enumerate(slots):
        found = False
        for lit in alternatives:
            start = text.find(lit)
            n = 0
            while start >= 0 and n < OCCURRENCES:
                spans.append((start, start + len(lit), i))
                start = text.find(lit, start + 1)
                n += 1
                found = True
        if found:
            present += 1
            need += min(len(lit) for lit in alternatives if lit in text)
    if present < 2:
        return 0.0
    gap = max(0, _shortest_window(spans, present) - need)
    return present / len(slots) * NEAR_CHARS / (NEAR_CHARS + gap)


def _shortest_window(spans: list[tuple[int, int, int]], kinds: int) -> int:
    """Length of the shortest stretch of text holding a span of each of ``kinds`` slots."""
    spans.sort()
    best = math.inf
    count: dict[int, int] = {}
    lo = 0
    for hi, (_start, _end, slot) in enumerate(spans):
        count[slot] = count.get(slot, 0) + 1
        while len(count) == kinds:
            end = max(e for _s, e, _k in spans[lo : hi + 1])
            best = min(best, end - spans[lo][0])
            first = spans[lo][2]
            count[first] -= 1
            if not count[first]:
                del count[first]
            lo += 1
    return int(best)


def rerank(group: Group, slots: Slots, text: Text) -> float:
    """The article's score from its best paragraphs: each paragraph's BM25F raised by the
    proximity of the query's words in it, the best of them raised by how many mention one."""
    best, mentioning = group.best, 0
    for score, docnum in sorted(group.hits, reverse=True)[:PARAGRAPHS_READ]:
        body = _body(text(docnum), slots)
        if any(lit in body for alternatives in slots for lit in alternatives):
            mentioning += 1
        if len(slots) > 1:
            best = max(best, score * (1 + PROXIMITY * proximity(slots, body)))
    return best * (1 + PARAGRAPHS * math.log2(max(1, mentioning)))


def _body(stored: str, slots: Slots) -> str:
    """The paragraph as the query's (normalised) words are looked for in it.

    NFKC costs more than reading the paragraph, and changes nothing for Han words: lower case
    alone finds them the same. It is only paid when a word with other characters (ＰＥＵ,
    ２０２５ printed full-width) is not found without it.
    """
    lowered = stored.lower()
    for alternatives in slots:
        if not any(lit in lowered for lit in alternatives) and any(
            _NOT_HAN.search(lit) for lit in alternatives
        ):
            return normalize(stored)
    return lowered


def order(
    groups: dict[str, Group],
    catalog: Catalog,
    sort: str,
    tree: Node | None = None,
    searcher=None,
) -> tuple[list[str], dict[str, float]]:
    """Article ids in the order of ``sort`` (``relevance``, ``-date`` or ``date``), and each
    article's score.

    For relevance, the first ``RERANK`` articles by BM25F are reranked with the query ``tree``
    on the paragraph texts ``searcher`` stores (without them, BM25F alone decides). The groups
    are only read: the search core may share them between requests.
    """
    aids = list(groups)  # every group is an article of this catalog (see search._groups)
    scores = {a: groups[a].best for a in aids}
    if sort != "relevance":
        newest = sort == "-date"
        by_date = sorted(aids, key=lambda a: (catalog.articles[a].date or "", a), reverse=newest)
        return by_date, scores

    def key(a: str):
        # A relaxed query: more of its words first; newer first on equal scores.
        return (groups[a].coverage, scores[a], catalog.articles[a].date or "", a)

    ranked = sorted(aids, key=key, reverse=True)
    found = slots(tree)
    if searcher is None or not found:
        return ranked, scores
    head, text = ranked[:RERANK], _texts(searcher)
    for a in head:
        scores[a] = rerank(groups[a], found, text)
    return sorted(head, key=key, reverse=True) + ranked[RERANK:], scores


def _texts(searcher) -> Text:
    def text(docnum: int) -> str:
        return searcher.stored_fields(docnum).get("text", "")

    return text


def rank(snap, groups, kept, exact, sort: str, ask, text: Text, end: int):
    """The order of the kept groups (indices into ``groups``) up to ``end``, and the scores of
    the reranked ones — on arrays, without reading a paragraph outside the reranked head.

    The same order as ``order`` over every group: (coverage, exact strings held, BM25F score,
    date, id) descending, the first ``RERANK`` reranked by proximity and paragraph counts. Only
    the top ``max(end, RERANK)`` are sorted (an exact selection: ties at the cut are all taken).
    """
    arts = groups.arts[kept]
    if sort != "relevance":
        by = snap.rank[arts]
        by = -by if sort == "-date" else by
        if len(by) > 4 * end:  # ranks are distinct: the first ``end`` without sorting the rest
            top = np.argpartition(by, end - 1)[:end]
            order = top[np.argsort(by[top])]
        else:
            order = np.argsort(by, kind="stable")
        return [int(kept[i]) for i in order[:end]], {}
    primary = groups.coverage[kept].astype(np.int64) * 1000 + exact[kept]
    score, when = groups.best[kept], snap.rank[arts]
    top = _top(primary, score, when, max(end, RERANK))
    positions = [int(kept[i]) for i in top]
    found = slots(ask.tree if ask.tree is not None else next(iter(ask.earlier), None))
    if not found:
        return positions, {}
    head, scores = positions[:RERANK], {}
    for i in head:
        best = float(groups.best[i])
        record = snap.articles[groups.arts[i]]
        if len(found) == 1 and not _in_heads(found[0], record):
            # One word, in neither the title nor the bylines: every hit mentions it in its
            # body, and there is no proximity to measure — nothing to read.
            mentioning = min(groups.count(i), PARAGRAPHS_READ)
            scores[i] = best * (1 + PARAGRAPHS * math.log2(max(1, mentioning)))
        else:  # only the hits the rerank reads
            scores[i] = rerank(Group(best, groups.top(i, PARAGRAPHS_READ)), found, text)
    tier = {i: int(groups.coverage[i]) * 1000 + int(exact[i]) for i in head}
    head.sort(key=lambda i: (tier[i], scores[i], int(snap.rank[groups.arts[i]])), reverse=True)
    return head + positions[RERANK:], scores


def _in_heads(alternatives: tuple[str, ...], record) -> bool:
    heads = normalize(record.title + "\n" + " ".join(record.names))
    return any(lit in heads for lit in alternatives)


def _top(primary: np.ndarray, score: np.ndarray, when: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` greatest ``(primary, score, when)``, greatest first."""
    n = len(score)
    if n > 4 * k:
        kth = np.partition(primary, n - k)[n - k]
        above = np.flatnonzero(primary > kth)
        tier = np.flatnonzero(primary == kth)
        need = k - len(above)
        tier_scores = score[tier]
        cut = np.partition(tier_scores, len(tier) - need)[len(tier) - need]
        chosen = np.concatenate([above, tier[tier_scores >= cut]])
    else:
        chosen = np.arange(n)
    order = np.lexsort((when[chosen], score[chosen], primary[chosen]))[::-1]
    return chosen[order][:k]

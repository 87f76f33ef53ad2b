"""An AND of query items evaluated narrowest first, in one segment.

The item that matches the fewest paragraphs (estimated from its bigrams' document frequencies
in the segment's flat file) is read in full; every other item is then read only within the
paragraphs the items before it left (``within``): its terms' postings looked up at those
paragraphs, BM25 computed for them alone, its phrase positions read for them alone — a common
word's 70,000 postings are no longer scored to be intersected with a rare word's 500.

The scores are those of evaluating every item in full and intersecting them in the tree's
order (single units last, as ``matching`` orders them): an item's score on a paragraph does
not depend on which other paragraphs were read, and the items' scores are added up in that
order here (a test compares both, bit for bit).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from searchsvc.analysis import gram_terms, unit_runs
from searchsvc.hitsets import NO_HITS, union
from searchsvc.postings import Hits
from searchsvc.query import Lit, Node, Or

NARROW = 8  # an item is read within what is left when it may match this many times more
UNKNOWN = 1 << 40  # an estimate for what the flat file cannot tell: read last, as before


def conjunction(seg, positives: list[Node]) -> Hits:
    """The paragraphs matching every item of ``positives`` (in the order their scores are
    added), on the segment evaluator ``seg`` (``matching.SegmentEval``)."""
    costs = [estimate(seg, n) for n in positives]
    order = sorted(range(len(positives)), key=lambda i: costs[i])
    parts: dict[int, Hits] = {order[0]: seg.node(positives[order[0]])}
    docs = parts[order[0]][0]
    for i in order[1:]:
        if not len(docs):
            return NO_HITS
        if len(docs) * NARROW < costs[i]:
            parts[i] = within(seg, positives[i], docs)
        else:  # about as many: reading the item in full and intersecting costs less
            parts[i] = restrict(seg.node(positives[i]), docs)
        docs = parts[i][0]
    if not len(docs):
        return NO_HITS
    scores = None
    for i in range(len(positives)):
        part = restrict(parts[i], docs)[1]
        scores = part if scores is None else scores + part
    return docs, scores


def within(seg, node: Node, docs: np.ndarray) -> Hits:
    """``node``'s hits among ``docs`` (sorted), with the scores full evaluation gives them."""
    if isinstance(node, Or):
        return union([within(seg, n, docs) for n in node.items], seg.size)
    if not isinstance(node, Lit) or node in seg.lits_read:
        return restrict(seg.node(node), docs)
    if node.phrase or node.field is not None:
        return seg.literal(node, docs)
    return seg.word(node, docs)


def restrict(found: Hits, docs: np.ndarray) -> Hits:
    """The hits of ``found`` among ``docs`` (both sorted, distinct)."""
    if len(found[0]) == len(docs) and np.array_equal(found[0], docs):
        return found
    keep = member(found[0], docs)
    return found[0][keep], found[1][keep]


def member(values: np.ndarray, sorted_set: np.ndarray) -> np.ndarray:
    """A mask over ``values`` (sorted, distinct): those in ``sorted_set`` (sorted, distinct) —
    the fewer looked up in the more by bisection, or ``np.isin`` for two of a size."""
    mask = np.zeros(len(values), dtype=bool)
    if not len(sorted_set) or not len(values):
        return mask
    if len(values) * 8 < len(sorted_set):
        at = np.searchsorted(sorted_set, values)
        at[at == len(sorted_set)] = 0
        return sorted_set[at] == values
    if len(sorted_set) * 8 < len(values):
        at = np.searchsorted(values, sorted_set)
        inside = at < len(values)
        at = at[inside]
        mask[at[values[at] == sorted_set[inside]]] = True
        return mask
    return np.isin(values, sorted_set, assume_unique=True)


def estimate(seg, node: Node) -> int:
    """At most how many paragraphs ``node`` matches in the segment (its rarest run's
    document frequency); single units after everything else, as ``matching`` orders them."""
    flat = seg.flat
    if isinstance(node, Or):
        return sum(estimate(seg, n) for n in node.items)
    if not isinstance(node, Lit) or flat is None or not flat.has("gram"):
        return UNKNOWN + single_unit(node)
    if single_unit(node):
        return UNKNOWN + 1
    best = UNKNOWN
    for run in runs(node.text):
        if len(run) == 1:
            if flat.has("unit"):
                best = min(best, flat.doc_frequency("unit", run[0][0]))
            continue
        best = min(best, *(flat.doc_frequency("gram", g) for g in gram_terms(run)[:-1]))
    return best


def single_unit(node: Node) -> int:
    """1 for a literal of one unit (a character: thousands of bigrams or postings), else 0."""
    if not isinstance(node, Lit):
        return 0
    found = runs(node.text)
    return int(len(found) == 1 and len(found[0]) == 1)


@lru_cache(maxsize=8192)
def runs(text: str) -> tuple[tuple[tuple[str, int, int], ...], ...]:
    """``analysis.unit_runs``, kept: a query's words are asked for per segment and per use."""
    return tuple(tuple(run) for run in unit_runs(text))

"""Sets of paragraph hits: ``(docnums, scores)`` arrays (docnums sorted and distinct) united,
intersected and subtracted with numpy — the set algebra a query tree is evaluated with."""

from __future__ import annotations

import numpy as np

from searchsvc import postings
from searchsvc.postings import Hits

DENSE_RATIO = 16  # a union of more than 1/16 of a segment's documents is added up densely
NO_HITS: Hits = (postings.EMPTY_DOCS, postings.EMPTY_SCORES)


def union(parts: list[Hits], size: int = 0) -> Hits:
    """The documents of any part, scores added. ``size``: the segment's document count — many
    hits are added up in an array of that size rather than sorted."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return NO_HITS
    if len(parts) == 1:
        return parts[0]
    total = sum(len(p[0]) for p in parts)
    found = _within_widest(parts, total)
    if found is not None:
        return found
    if size and total * DENSE_RATIO >= size:
        acc = np.zeros(size)
        held = np.zeros(size, dtype=bool)
        for docs, scores in parts:  # a part's documents are distinct: += is exact
            acc[docs] += scores
            held[docs] = True
        uniq = np.flatnonzero(held)
        return uniq.astype(np.int32), acc[uniq]
    docs = np.concatenate([p[0] for p in parts])
    uniq, inverse = np.unique(docs, return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]))
    return uniq.astype(np.int32), scores


def united_docs(parts: list[Hits], size: int) -> np.ndarray:
    """The documents of any part (sorted, distinct), without their scores: marked in an array
    of the segment's ``size`` (a word's body, title and byline terms: adding up scores that are
    thrown away cost ten times more)."""
    parts = [p for p in parts if len(p[0])]
    if len(parts) <= 1:
        return parts[0][0] if parts else postings.EMPTY_DOCS
    held = np.zeros(size, dtype=bool)
    for docs, _ in parts:
        held[docs] = True
    return np.flatnonzero(held).astype(np.int32)


def _within_widest(parts: list[Hits], total: int) -> Hits | None:
    """The union when every part's documents are among the widest part's (a word's body,
    title and byline terms within its bigram recall): scores added in the widest part's
    places, in the parts' order (the same sums as adding them up densely); None otherwise."""
    w = max(range(len(parts)), key=lambda i: len(parts[i][0]))
    widest = parts[w][0]
    if total > 2 * len(widest):
        return None
    places = []
    for i, (docs, _) in enumerate(parts):
        if i == w:
            places.append(slice(None))
            continue
        at = np.searchsorted(widest, docs)
        if at[-1] >= len(widest) or not np.array_equal(widest[at], docs):
            return None
        places.append(at)
    acc = np.zeros(len(widest))
    for at, (_, scores) in zip(places, parts, strict=True):
        acc[at] += scores  # a part's documents are distinct: += is exact
    return widest.astype(np.int32, copy=False), acc


def intersect(a: Hits, b: Hits) -> Hits:
    """The documents of both (sorted, distinct), scores added: the shorter list looked up in
    the longer one."""
    small, large = (a, b) if len(a[0]) <= len(b[0]) else (b, a)
    if not len(small[0]) or not len(large[0]):
        return NO_HITS
    at = np.searchsorted(large[0], small[0])
    at[at == len(large[0])] = 0
    found = large[0][at] == small[0]
    at = at[found]
    return small[0][found].astype(np.int32), small[1][found] + large[1][at]


def minus(a: Hits, b: Hits) -> Hits:
    keep = np.isin(a[0], b[0], assume_unique=True, invert=True)
    return a[0][keep], a[1][keep]

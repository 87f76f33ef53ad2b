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

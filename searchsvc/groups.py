"""Article groups: a query's paragraph hits grouped by the article they belong to, as arrays.

``Groups.of`` turns ``(docnums, scores)`` into the matching articles (snapshot indices,
ascending), each with its paragraph hits best first — every matching article counted, none of
its stored fields read. The groups are read-only once made: the match cache shares them
between requests that page or filter the same query.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from searchsvc import postings
from searchsvc.postings import Hits


@dataclass
class Groups:
    """Articles (snapshot indices, ascending) with their paragraph hits (``hits(i)``: best
    first)."""

    arts: np.ndarray
    best: np.ndarray
    starts: np.ndarray  # where each article's hits begin in ``docs``/``scores``
    docs: np.ndarray
    scores: np.ndarray
    coverage: np.ndarray = field(default=None)  # a relaxed query's words held, weighed by idf

    def __post_init__(self):
        if self.coverage is None:
            self.coverage = np.zeros(len(self.arts), dtype=np.int16)

    def __len__(self) -> int:
        return len(self.arts)

    @property
    def nbytes(self) -> int:
        arrays = (self.arts, self.best, self.starts, self.docs, self.scores, self.coverage)
        return sum(a.nbytes for a in arrays) + 200

    def hits(self, i: int) -> list[tuple[float, int]]:
        """``(score, docnum)`` of the ``i``-th article's paragraph hits, best first (equal
        scores in document order). Sorted here, for the few articles a page shows."""
        lo, end = self._span(i)
        scores, docs = self.scores[lo:end], self.docs[lo:end]
        order = np.argsort(-scores, kind="stable")
        return [(float(s), int(d)) for s, d in zip(scores[order], docs[order], strict=True)]

    def count(self, i: int) -> int:
        """How many paragraph hits the ``i``-th article has."""
        lo, end = self._span(i)
        return int(end - lo)

    def top(self, i: int, k: int) -> list[tuple[float, int]]:
        """``sorted(self.hits(i), reverse=True)[:k]``: the ``k`` greatest ``(score, docnum)``
        of the ``i``-th article, sorted on arrays (a long article's hundred hits made tuples
        and sorted for the four the rerank reads)."""
        lo, end = self._span(i)
        scores, docs = self.scores[lo:end], self.docs[lo:end]
        order = np.lexsort((docs, scores))[::-1][:k]
        return list(zip(scores[order].tolist(), docs[order].tolist(), strict=True))

    def _span(self, i: int) -> tuple[int, int]:
        """Where the ``i``-th article's hits begin and end in ``docs``/``scores``."""
        end = self.starts[i + 1] if i + 1 < len(self.starts) else len(self.docs)
        return int(self.starts[i]), int(end)

    def take(self, keep: np.ndarray) -> Groups:
        """The groups of the articles where the mask ``keep`` is true."""
        counts = np.diff(np.append(self.starts, len(self.docs)))
        per_hit = np.repeat(keep, counts)
        kept_counts = counts[keep]
        starts = np.concatenate(([0], np.cumsum(kept_counts)[:-1])).astype(np.int64)
        return Groups(
            self.arts[keep],
            self.best[keep],
            starts[: len(kept_counts)],
            self.docs[per_hit],
            self.scores[per_hit],
            self.coverage[keep],
        )

    @classmethod
    def of(cls, hits: Hits, doc_article: np.ndarray) -> Groups:
        docs, scores = hits
        art = doc_article[docs] if len(docs) else postings.EMPTY_DOCS
        live = art >= 0
        docs, scores, art = docs[live], scores[live], art[live]
        if len(art) > 1 and (art[1:] < art[:-1]).any():
            # Hits in document order are in article order already (an article's paragraphs
            # follow its head; segments and their articles are numbered in order).
            order = np.argsort(art, kind="stable")
            docs, scores, art = docs[order], scores[order], art[order]
        if not len(art):
            return cls(postings.EMPTY_DOCS, postings.EMPTY_SCORES, np.zeros(0, np.int64),
                       docs, scores)  # fmt: skip
        starts = np.flatnonzero(np.concatenate(([True], art[1:] != art[:-1])))
        best = np.maximum.reduceat(scores, starts)
        return cls(art[starts].astype(np.int32), best, starts, docs, scores)

    @classmethod
    def everything(cls, size: int) -> Groups:
        arts = np.arange(size, dtype=np.int32)
        empty = np.zeros(size, dtype=np.int64)
        return cls(arts, np.zeros(size), empty, postings.EMPTY_DOCS, postings.EMPTY_SCORES)


def distinct(arts: np.ndarray) -> np.ndarray:
    """The distinct articles of hits (``doc_article`` of their docnums): in document order
    they are in article order already, so no sort unless they are not."""
    if len(arts) > 1 and (arts[1:] < arts[:-1]).any():
        return np.unique(arts)
    return arts[np.concatenate(([True], arts[1:] != arts[:-1]))] if len(arts) else arts

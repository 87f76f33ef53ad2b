"""The set algebra of paragraph hits: a union is every part's documents once, scores added in
the parts' order, whichever way it is computed (sorted, dense, or within its widest part)."""

import numpy as np
import pytest

from searchsvc.hitsets import union


def _reference(parts):
    docs = np.concatenate([p[0] for p in parts])
    uniq = np.unique(docs)
    acc = np.zeros(len(uniq))
    for d, s in parts:
        acc[np.searchsorted(uniq, d)] += s
    return uniq, acc


@pytest.mark.parametrize("subset", [True, False])
@pytest.mark.parametrize("size", [0, 50, 100_000])
def test_a_union_is_every_document_once_with_its_scores_added(subset, size):
    rng = np.random.default_rng(size + subset)
    for _ in range(50):
        limit = 50 if size == 50 else 5000  # documents of a segment of ``size``
        wide = np.unique(rng.integers(0, limit, rng.integers(1, 400)))
        parts = [(wide.astype(np.int32), rng.random(len(wide)))]
        for _ in range(rng.integers(1, 4)):
            pool = wide if subset else np.arange(limit)
            docs = np.unique(rng.choice(pool, rng.integers(1, len(wide) + 1)))
            parts.append((docs.astype(np.int32), rng.random(len(docs))))
        rng.shuffle(parts)
        docs, scores = union(parts, size)
        want_docs, want_scores = _reference(parts)
        assert docs.tolist() == want_docs.tolist()
        assert scores.tolist() == want_scores.tolist()  # the same sums, bit for bit

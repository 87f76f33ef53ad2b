"""An AND read narrowest first (``narrowing``): the same paragraphs and the same scores, bit for
bit, as reading every item in full and intersecting them in the tree's order — on queries drawn
from the shared pages' words (pairs, strings, questions, with single characters and phrases)."""

import random

import numpy as np

from searchsvc.analysis import words
from searchsvc.deadline import Deadline
from searchsvc.hitsets import NO_HITS, intersect
from searchsvc.matching import Matcher
from searchsvc.narrowing import estimate, member, single_unit
from searchsvc.query import And, Not, QueryError, parse

from .test_search import all_articles


def _in_full(seg, node):
    """The AND as it was read before narrowing: every item in full, intersected in order."""
    if not isinstance(node, And):
        return seg.node(node)
    positives = sorted((n for n in node.items if not isinstance(n, Not)), key=single_unit)
    found = _in_full(seg, positives[0])
    for n in positives[1:]:
        if not len(found[0]):
            return NO_HITS
        found = intersect(found, _in_full(seg, n))
    return found


def _queries(corpus, n=80):
    rng = random.Random(20261130)
    texts = [p.text for a in all_articles(corpus) for p in a.paragraphs if len(p.text) > 20]
    out = []
    while len(out) < n:
        text = rng.choice(texts)
        ws = [w for w in words(text) if w.strip()]
        kind = rng.randrange(4)
        if kind == 0:  # a string cut at random
            start = rng.randrange(len(text) - 10)
            q = text[start : start + rng.randint(3, 10)]
        elif kind == 1:  # two words, one perhaps a character
            q = " ".join(rng.sample(ws, 2))
        elif kind == 2:  # a question around three words
            q = "{}和{}的{}是什么？".format(*rng.sample(ws, 3))
        else:  # a word and a phrase
            start = rng.randrange(len(text) - 8)
            q = f'{rng.choice(ws)} "{text[start : start + 4]}"'
        try:
            tree = parse(q.replace("-", ""))
        except QueryError:
            continue
        if isinstance(tree, And):
            out.append(tree)
    return out


def test_a_narrowed_and_scores_every_paragraph_as_reading_everything(mixed_dirs, mixed_engine):
    backend = mixed_engine.backend
    searcher = backend.searcher()
    snap = backend.snapshot(searcher)
    narrowed = 0
    for tree in _queries(mixed_dirs[0]):
        fresh = [
            Matcher(
                searcher,
                snap,
                backend._lengths,
                Deadline(30.0),
                backend.reading,
                backend._units,
                backend._flats,
            )  # fmt: skip
            for _ in range(2)
        ]
        for (seg, _), (ref, _) in zip(fresh[0].segments, fresh[1].segments, strict=True):
            got, want = seg.node(tree), _in_full(ref, tree)
            assert np.array_equal(got[0], want[0]), tree
            assert np.array_equal(got[1], want[1]), tree  # bit for bit, not approximately
            costs = [estimate(seg, n) for n in tree.items if not isinstance(n, Not)]
            narrowed += len(got[0]) > 0 and costs != sorted(costs)
    assert narrowed >= 5  # the rarest item was not always first: the order was changed


def test_member_is_isin_whichever_side_is_longer():
    rng = np.random.default_rng(12)
    for m, n in [(2000, 10), (10, 2000), (500, 600), (0, 5), (5, 0)]:
        for _ in range(30):
            a = np.unique(rng.integers(0, 5000, m)).astype(np.int32)
            b = np.unique(rng.integers(0, 5000, n)).astype(np.int32)
            assert np.array_equal(member(a, b), np.isin(a, b))

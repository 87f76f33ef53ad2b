"""When a query finds too little: relax it to "most words", or suggest what would find something.

Staff paste questions ("北京市总工会哪年举办了宣讲活动？") and long phrases; requiring every word
then finds nothing. The engine first asks for all words; when that finds fewer than a handful of
articles, it asks again for most of them, leaving out question words (vocab/stopwords.txt), and
ranks articles that match more of the words first. This is decided on the query alone, before
any filter, so that facet counts still equal what selecting a value returns.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from itertools import combinations

import numpy as np

from searchsvc.groups import Groups, distinct
from searchsvc.hitsets import minus, union
from searchsvc.query import And, Lit, Node, Not, Or, describe, matches

RELAX_BELOW = 3  # articles: fewer than this with all words, and the query is relaxed
MOST = 0.6  # share of the (non-question) words a relaxed match needs
MAX_TRIES = 16  # sub-queries tried when looking for the largest part that finds something
COVERAGE_STEPS = 4  # a relaxed article's rank: its words' idf summed, in quarters
_LATIN = re.compile(r"^[a-z][a-z0-9]{2,}$")

Find = Callable[[Node], dict]  # tree → {article id: group}
Texts = Callable[[str, object], Iterable[dict[str, str]]]  # (aid, group) → normalised fields


def words_of(tree: Node) -> tuple[list[Node], list[Node]] | None:
    """The positive items and the exclusions of a query of plain words (None: not one)."""
    items = list(tree.items) if isinstance(tree, And) else [tree]
    positive = [n for n in items if not isinstance(n, Not)]
    if not all(isinstance(n, Lit | Or) for n in positive):
        return None
    return positive, [n for n in items if isinstance(n, Not)]


def informative(tree: Node, stopwords: frozenset[str]) -> tuple[list, list, int] | None:
    """``(words kept, exclusions, words an article needs)`` of a relaxed query; None if the
    query cannot be relaxed (not plain words, or nothing would be left out)."""
    parts = words_of(tree)
    if parts is None:
        return None
    positive, exclusions = parts
    # Question words go, and so do single characters: alone they match nearly every paragraph
    # (者, 人), and an OR over them costs seconds while adding nothing to the ranking.
    kept = [
        n
        for n in positive
        if not (isinstance(n, Lit) and (n.text in stopwords or len(n.text) == 1))
    ]
    if not kept or (len(kept) < 2 and len(kept) == len(positive)):
        return None
    need = max(1, math.ceil(len(kept) * MOST)) if len(kept) > 2 else len(kept)
    return kept, exclusions, need


def relaxed(tree: Node, stopwords: frozenset[str], find: Find, texts: Texts) -> dict | None:
    """Articles matching most of the words, each group given ``coverage``; None if not a case.

    (The dict-of-groups form; the search core counts coverage on hit arrays, see ``matching``.)
    """
    plan = informative(tree, stopwords)
    if plan is None:
        return None
    kept, exclusions, need = plan
    wide = Or(tuple(kept))
    groups = find(And((wide, *exclusions)) if exclusions else wide)
    out = {}
    for aid, group in groups.items():
        covered = set()
        for fields in texts(aid, group):
            covered.update(i for i, n in enumerate(kept) if i not in covered and matches(n, fields))
        if len(covered) >= need:
            group.coverage = len(covered)
            out[aid] = group
    return out


def suggestion(tree: Node, find: Find, correct: Callable[[str], str | None]) -> str | None:
    """For a query that found nothing: a spelling fix for its Latin words, else its largest part
    that does find something."""
    parts = words_of(tree)
    if parts is None:
        return None
    positive, exclusions = parts
    fixed, changed = [], False
    for n in positive:
        if isinstance(n, Lit) and _LATIN.match(n.text):
            better = correct(n.text)
            if better and better != n.text:
                n, changed = Lit(better, n.field, n.phrase), True
        fixed.append(n)
    if changed and find(_and(fixed, exclusions)):
        return describe(_and(fixed, exclusions))
    tries = 0
    for size in range(len(positive) - 1, 0, -1):
        for subset in combinations(positive, size):
            tries += 1
            if tries > MAX_TRIES:
                return None
            if find(_and(list(subset), exclusions)):
                return describe(_and(list(subset), exclusions))
    return None


def _and(items: list[Node], exclusions: list[Node]) -> Node:
    everything = [*items, *exclusions]
    return everything[0] if len(everything) == 1 else And(tuple(everything))


def matching(matcher, tree: Node, stopwords: frozenset[str]):
    """The articles matching ``tree`` and whether the query had to be relaxed for them: too
    little with every word, most words will do (decided before any filter). ``matcher`` is a
    backend's: ``groups(tree)`` and ``relaxed(tree, stopwords)``, each a sized collection."""
    groups = matcher.groups(tree)
    if len(groups) < RELAX_BELOW:
        wider = matcher.relaxed(tree, stopwords)
        if wider is not None and len(wider) > len(groups):
            return wider, True
    return groups, False


def relaxed_groups(matcher, tree: Node, stopwords: frozenset[str]) -> Groups | None:
    """Articles holding most of the informative words, each with ``coverage``, on the hit
    arrays of a ``matching.Matcher`` (None if the query cannot be relaxed)."""
    plan = informative(tree, stopwords)
    if plan is None:
        return None
    kept, exclusions, need = plan
    snapshot = matcher.snapshot
    per_word = [matcher.hits(n) for n in kept]
    found = union(per_word, len(snapshot.doc_article))
    for n in exclusions:
        found = minus(found, matcher.hits(n.item))
    groups = Groups.of(found, snapshot.doc_article)
    # Words held by the article (the threshold), and the words one of its paragraphs holds
    # together weighed by rarity (the ranking): an article answering in one paragraph
    # with the question's two rare words above one with a rare and a common one, or with
    # them sentences apart.
    held = np.zeros(snapshot.size, dtype=np.int16)
    together = np.zeros(len(snapshot.doc_article), dtype=np.float64)
    for docs, _ in per_word:
        arts = distinct(snapshot.doc_article[docs])
        held[arts] += 1
        together[docs] += np.log(1 + snapshot.size / (1 + len(arts)))
    if len(groups):  # each article's best paragraph
        best = np.maximum.reduceat(together[groups.docs], groups.starts)
        groups.coverage = np.round(best * COVERAGE_STEPS).astype(np.int32)
    return groups.take(held[groups.arts] >= need)

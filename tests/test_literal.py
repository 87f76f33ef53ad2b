"""Literal strings with punctuation: the candidates narrowed by the ``gram`` field's run ends
and gaps (``query.gram_chain``), and confirmed on the stored text without normalising it
(``holds.holds_string``) — both exactly what normalising and looking gives."""

import random

import pytest

from searchsvc.analysis import UnitBigramTokenizer, has_han, normalize
from searchsvc.holds import holds_string
from searchsvc.query import Lit, gram_chain, needs_check
from searchsvc.search import SearchRequest

from .test_search import all_articles, literal_articles


def _texts(corpus) -> list[str]:
    return [p.text for a in all_articles(corpus) for p in a.paragraphs] + [
        a.title for a in all_articles(corpus)
    ]


def test_holds_string_is_normalising_then_looking(mixed_dirs):
    texts = _texts(mixed_dirs[0])
    rng = random.Random(20261130)
    checked = held = 0
    for _ in range(3000):
        text = rng.choice(texts)
        other = normalize(rng.choice(texts))
        for source in (normalize(text), other):
            if len(source) < 4:
                continue
            start = rng.randrange(len(source) - 2)
            needle = source[start : start + rng.randint(1, 8)].strip()
            if needle:
                expected = needle in normalize(text)
                assert holds_string(text, needle) == expected, (text, needle)
                checked, held = checked + 1, held + expected
    assert checked > 4000 and held > checked // 3


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("ＰＥＵ和，", "peu和,"),  # full-width letters and comma fold
        ("⼀月", "一月"),  # a Kangxi radical folds to Han
        ("㋀份", "1月份"),  # one character folds into several
        ("…好", "...好"),
        ("e\u0301x", "ex"),  # a combining mark composes with its neighbour
        ("e\u0301x", "éx"),
        ("ΑΣ", "ας"),  # a final sigma lowers in context
        ("ﬁne", "fine"),
        ("𝐀1", "a1"),  # an astral letter
        ("１２３，", "123,"),
        ("1２3", "123"),
    ],
)
def test_holds_string_on_characters_that_fold(text, needle):
    assert holds_string(text, needle) == (needle in normalize(text))
    assert holds_string(text + "，" + text, needle) == (needle in normalize(text + "，" + text))


def _cut_run(needle: str) -> bool:
    """A Latin or digit run at either end may be cut from a longer one (``b,`` from ``ab,``):
    the index's unit is then another (recall of such strings is a known gap, not the chain's)."""
    return any(c.isalnum() and not has_han(c) for c in (needle[0], needle[-1]))


def test_the_chain_is_where_the_tokenizer_puts_the_terms(mixed_dirs):
    """In a text holding a string, every term of the string's chain stands at the first one's
    position plus its offset."""
    texts = [normalize(t) for t in _texts(mixed_dirs[0])]
    rng = random.Random(7)
    tried = 0
    while tried < 300:
        text = rng.choice(texts)
        if len(text) < 12:
            continue
        start = rng.randrange(len(text) - 10)
        needle = text[start : start + rng.randint(3, 10)].strip()
        if not needle or not needs_check(Lit(needle, phrase=True)) or _cut_run(needle):
            continue
        links = gram_chain(needle)
        if not links:
            continue
        tried += 1
        at: dict[str, set[int]] = {}
        for term, pos, _s, _e in UnitBigramTokenizer().terms(text, "index"):
            at.setdefault(term, set()).add(pos)
        first = links[0]
        assert any(
            all(p + off - first[0] in at.get(term, ()) for off, term in links) for p in at[first[1]]
        ), needle


def test_a_phrase_across_punctuation_finds_exactly_its_holders(mixed_dirs, mixed_engine):
    articles = all_articles(mixed_dirs[0])
    rng = random.Random(20261130)
    samples = set()
    while len(samples) < 40:
        text = rng.choice(rng.choice(articles).paragraphs).text
        if len(text) < 12:
            continue
        start = rng.randrange(len(text) - 10)
        needle = text[start : start + rng.randint(3, 8)].strip()
        if any(q in needle for q in '"“”＂'):
            continue  # quotes are the query's syntax
        if needle and needs_check(Lit(normalize(needle), phrase=True)) and not _cut_run(needle):
            samples.add(needle)
    for needle in sorted(samples):
        expected = literal_articles(articles, needle)
        found = mixed_engine.search(SearchRequest(q=f'"{needle}"', per_page=100))
        assert {r.id for r in found.results} == expected, needle

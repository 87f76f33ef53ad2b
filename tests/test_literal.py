"""Literal strings with punctuation: the candidates narrowed by the ``gram`` field's run ends
and gaps (``query.gram_chain``), and confirmed on the stored text without normalising it
(``holds.holds_string``) — both exactly what normalising and looking gives."""

import random

import numpy as np
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


def test_typed_strings_looked_for_among_the_matched_paragraphs_find_the_same(
    mixed_dirs, mixed_engine
):
    """The exact-first tier looks for a typed string only among the paragraphs its query
    matched (``backend._holders_matched``): for strings cut at random, with and without
    punctuation, the same articles as looking through every paragraph."""
    from searchsvc.deadline import Deadline
    from searchsvc.matching import Matcher
    from searchsvc.query import QueryError, holders_matched, parse, typed_strings
    from searchsvc.relax import matching

    backend = mixed_engine.backend
    searcher = backend.searcher()
    snap = backend.snapshot(searcher)
    rng = random.Random(1130)
    texts = [p.text for a in all_articles(mixed_dirs[0]) for p in a.paragraphs if len(p.text) > 12]
    tried = narrowed = 0
    while tried < 60:
        text = rng.choice(texts)
        start = rng.randrange(len(text) - 10)
        typed = text[start : start + rng.randint(3, 9)].replace('"', "").strip()
        try:
            tree = parse(typed)
        except QueryError:
            continue  # a cut that ends in the query's syntax (a lone ``-``, ``OR``)
        strings = typed_strings(typed)
        if tree is None or not strings:
            continue
        tried += 1
        matcher = Matcher(searcher, snap, backend._lengths, Deadline(30.0), backend.reading,
                          backend._units, backend._flats)  # fmt: skip
        groups, relaxed = matching(matcher, tree, frozenset())
        if relaxed or not holders_matched(tree):
            continue
        within = np.sort(groups.docs)
        for s in strings:
            everywhere = matcher.articles_with(s)
            among = matcher.articles_with(s, within)
            assert set(among.tolist()) == set(everywhere.tolist()) & set(groups.arts.tolist()), s
            narrowed += len(everywhere) > 0
    assert narrowed >= 20  # most strings are held by an article: the comparison says something


def test_a_query_leaving_words_out_looks_for_its_strings_everywhere():
    from searchsvc.query import holders_matched, parse

    assert holders_matched(parse("坚持和发展 OR 中国"))
    assert not holders_matched(parse("坚持和发展 -中国"))
    assert not holders_matched(parse("title:坚持和发展"))
    assert not holders_matched(None)


def test_a_candidate_reads_its_title_and_bylines_only_when_its_body_does_not_hold_it():
    from searchsvc.holds import StoredFields
    from searchsvc.query import matches, parse

    asked = []

    def heads():
        asked.append(1)
        return "国家主席，会见", "张三"

    tree = parse('"，是我们"')
    assert matches(tree, StoredFields(lambda: "这，是我们的", heads), holds_string)
    assert not asked  # the body settled it
    assert not matches(tree, StoredFields(lambda: "这。是我们的", heads), holds_string)
    assert asked == [1]  # read once for both fields
    assert matches(parse('"主席，会见"'), StoredFields(lambda: "无关", heads), holds_string)
    assert matches(parse("记者:张三"), StoredFields(lambda: "无关", heads), holds_string)
    fields = StoredFields(lambda: "正文", heads)
    assert dict(fields) == {"text": "正文", "title": "国家主席，会见", "names": "张三"}

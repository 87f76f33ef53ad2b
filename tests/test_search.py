import random
import re

import pytest

from searchsvc import bulletin
from searchsvc.analysis import normalize
from searchsvc.query import QueryError
from searchsvc.search import ArticleNotFound, SearchRequest

from .conftest import SEED


def seed_articles():
    return bulletin.read(SEED, SEED.parent).articles


def literal_articles(articles, needle):
    """Article ids whose title, body or byline names contain ``needle`` (normalised)."""
    needle = normalize(needle)
    found = set()
    for a in articles:
        names = " ".join(a.reporters + a.correspondents + a.photographers)
        texts = [a.title, names, *(p.text for p in a.paragraphs)]
        if any(needle in normalize(t) for t in texts):
            found.add(a.id)
    return found


def all_articles(corpus):
    out = []
    for path in sorted(corpus.iterdir()):
        out.extend(bulletin.read(path, corpus).articles)
    return out


def test_seed_query_finds_exactly_the_articles_that_contain_it(engine):
    resp = engine.search(SearchRequest(q="劳模工匠"))
    expected = literal_articles(seed_articles(), "劳模工匠")
    assert {r.id for r in resp.results} == expected and resp.total == len(expected) == 2
    for r in resp.results:
        assert "<mark>劳模工匠</mark>" in str(r.snippet)
        assert r.matched_paragraphs >= 1
        assert r.url == f"/articles/{r.id}"


def test_results_are_articles_with_counted_paragraphs(engine):
    resp = engine.search(SearchRequest(q="工会", per_page=100))
    ids = [r.id for r in resp.results]
    assert len(ids) == len(set(ids)) == resp.total
    by_id = {a.id: a for a in seed_articles()}
    for r in resp.results:
        body_hits = sum("工会" in p.text for p in by_id[r.id].paragraphs)
        assert r.matched_paragraphs == body_hits


def test_words_are_anded(engine):
    both = engine.search(SearchRequest(q="劳模工匠 北汽福田"))
    assert [r.id for r in both.results] == ["000_73d2eb0e74c950a6-2"]


def test_exclusion_and_or(engine):
    assert engine.search(SearchRequest(q="劳模工匠 -北汽福田")).total == 1
    either = engine.search(SearchRequest(q="压花 OR 义诊"))
    assert {r.title for r in either.results} == {"巧手生花", "恒兴肿瘤医院工会志愿服务送进社区"}


def test_quoted_phrase_is_literal(engine):
    resp = engine.search(SearchRequest(q='"北京市教育工会、劳动午报社"'))
    assert [r.id for r in resp.results] == ["000_73d2eb0e74c950a6-1"]
    assert "<mark>北京市教育工会、劳动午报社</mark>" in str(resp.results[0].snippet)
    assert engine.search(SearchRequest(q='"劳动午报社、北京市教育工会"')).total == 0


def test_reporter_names_are_searchable_but_not_body_text(engine):
    resp = engine.search(SearchRequest(q="任洁"))
    assert [r.id for r in resp.results] == ["000_73d2eb0e74c950a6-1"]
    assert resp.results[0].reporters == ["任洁"]
    assert "任洁" not in str(resp.results[0].snippet)
    assert engine.search(SearchRequest(q="记者:周琼")).results[0].correspondents == ["周琼"]
    assert engine.search(SearchRequest(q="记者:劳模工匠")).total == 0


def test_title_field(engine):
    resp = engine.search(SearchRequest(q="标题:巧手"))
    assert [r.title for r in resp.results] == ["巧手生花"]


def test_full_width_and_case_fold(engine):
    lower = engine.search(SearchRequest(q="peu"))
    full = engine.search(SearchRequest(q="ＰＥＵ"))
    assert (
        [r.id for r in lower.results] == [r.id for r in full.results] == ["000_73d2eb0e74c950a6-2"]
    )
    assert "<mark>PEU</mark>" in str(lower.results[0].snippet)


def test_pagination(engine):
    everything = engine.search(SearchRequest(q="工会", per_page=100))
    ids = [r.id for r in everything.results]
    paged = [engine.search(SearchRequest(q="工会", page=n, per_page=2)) for n in (1, 2, 3, 4)]
    assert [r.id for p in paged for r in p.results] == ids
    assert paged[0].pages == (len(ids) + 1) // 2
    assert paged[-1].results == [] or len(ids) > 6


def test_empty_query_browses_newest_first(mixed_engine):
    resp = mixed_engine.search(SearchRequest(q="", per_page=100, sort="-date"))
    dates = [r.date for r in resp.results if r.date]
    assert dates == sorted(dates, reverse=True) and resp.total > 100


@pytest.mark.parametrize(
    "field, value", [("page", 0), ("per_page", 0), ("per_page", 101), ("sort", "size")]
)
def test_bad_request_values(engine, field, value):
    with pytest.raises(QueryError):
        engine.search(SearchRequest(**{"q": "工会", field: value}))


def test_highlight_covers_whole_query_term(mixed_engine):
    resp = mixed_engine.search(SearchRequest(q="马克思", per_page=100))
    assert resp.total >= 3
    for r in resp.results:
        snippet = str(r.snippet)
        assert "<mark>马克思</mark>" in snippet
        assert "<mark>马克</mark>" not in snippet


def test_recall_of_literal_strings_on_real_pages(mixed_dirs, mixed_engine):
    """Any string that occurs literally is found, whatever jieba made of it."""
    articles = all_articles(mixed_dirs[0])
    rng = random.Random(20261124)
    samples = set()
    while len(samples) < 60:
        para = rng.choice(rng.choice(articles).paragraphs).text
        runs = [m.group() for m in re.finditer(r"[\u4e00-\u9fff]{2,}", para)]
        if runs:
            run = rng.choice(runs)
            size = rng.randint(2, min(5, len(run)))
            start = rng.randint(0, len(run) - size)
            samples.add(run[start : start + size])
    for needle in sorted(samples):
        expected = literal_articles(articles, needle)
        plain = mixed_engine.search(SearchRequest(q=needle, per_page=100))
        phrase = mixed_engine.search(SearchRequest(q=f'"{needle}"', per_page=100))
        assert {r.id for r in phrase.results} == expected, needle
        assert expected <= {r.id for r in plain.results} or plain.total > 100, needle


def test_article_view_has_every_paragraph_highlighted(engine):
    view = engine.article("000_73d2eb0e74c950a6-1", "劳模工匠")
    article = seed_articles()[0]
    assert len(view.paragraphs) == len(article.paragraphs)
    assert view.record.title == article.title
    assert sum("<mark>劳模工匠</mark>" in str(p) for p in view.paragraphs) >= 3


@pytest.mark.parametrize("aid", ["nope-1", "../../etc/passwd", "a b", ""])
def test_unknown_or_malformed_article_ids(engine, aid):
    with pytest.raises(ArticleNotFound):
        engine.article(aid)


def test_health_counts(engine):
    health = engine.health()
    assert health.articles == 6 and health.files == 1
    assert health.paragraphs == sum(len(a.paragraphs) for a in seed_articles())
    assert health.last_sync


def test_a_query_past_its_time_budget_is_stopped(mixed_dirs):
    from searchsvc.search import Engine, SearchTimeout

    impatient = Engine(mixed_dirs[1], time_budget=0.0)
    with pytest.raises(SearchTimeout, match="narrow it down"):
        impatient.search(SearchRequest(q="的"))
    # A query that finds little finishes before the first clock check.
    assert impatient.search(SearchRequest(q="压花")).total == 1


@pytest.mark.parametrize("q", ["工会", "北京 劳模", "职工 OR 劳模", "安保措施", "的"])
def test_matched_paragraphs_and_snippets_read_only_what_they_must(mixed_engine, q):
    """Counted without reading (no query word in the title or bylines) or by reading every
    hit, an article's matched paragraphs and snippet are the same."""
    from searchsvc import results
    from searchsvc.analysis import normalize
    from searchsvc.backend import Ask
    from searchsvc.matching import Deadline
    from searchsvc.query import literals, parse

    backend = mixed_engine.backend
    tree = parse(q)
    found = backend.find(SearchRequest(q=q, per_page=50), Ask(tree), Deadline(60))
    needles = list(dict.fromkeys(lit.text for lit in literals(tree)))
    for hit in found.page:
        fast = results.build(backend, hit, needles, Deadline(60))
        texts = [normalize(backend.paragraph(ref)) for _, ref in hit.paragraphs]
        assert fast.matched_paragraphs == sum(any(n in t for n in needles) for t in texts)
        best = next(
            ref
            for _, ref in hit.paragraphs
            if any(n in normalize(backend.paragraph(ref)) for n in needles)
        )
        assert fast.snippet == results.mark(
            backend.paragraph(best), needles, window=results.SNIPPET_CHARS
        )


def test_a_string_typed_with_punctuation_ranks_its_holders_first(mixed_engine):
    """A string cut from an article with its punctuation (and a lone quote) — the articles
    holding it as typed come before those that hold only its word."""
    from collections import Counter

    from searchsvc.analysis import normalize
    from searchsvc.query import typed_strings

    backend = mixed_engine.backend
    snap = backend.snapshot()
    texts = {a.id: normalize("\n".join(backend.article_paragraphs(a.id))) for a in snap.articles}
    # A word printed after "，" in a few articles and in many more without it.
    after = Counter(
        t[i + 1 : i + 3] for t in texts.values() for i in range(len(t) - 3) if t[i] == ","
    )
    word = next(
        w
        for w, _ in after.most_common()
        if w.isalpha()
        and 2
        <= sum(f",{w}" in t for t in texts.values())
        < sum(w in t for t in texts.values()) // 2
    )
    typed = f"，{word}“" if any(f",{word}“" in t for t in texts.values()) else f"，{word}"
    assert typed_strings(typed) == (normalize(typed).strip(),)
    holders = {a for a, t in texts.items() if normalize(typed) in t}
    got = [r.id for r in mixed_engine.search(SearchRequest(q=typed, per_page=100)).results]
    assert holders and set(got[: len(holders)]) == holders

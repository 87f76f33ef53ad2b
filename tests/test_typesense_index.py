"""Indexing into and asking a real 3-node Typesense cluster, checked against the parsed articles.

The seed and the 20 shared bulletins are synced once per session (``ts_indexed``); what the
cluster answers is compared with what the bulletins say, computed here directly from the parsed
``Article``s and their records (``catalog.count_facets`` is the Whoosh backend's own counting).
"""

from __future__ import annotations

import functools
import random
import shutil
import threading
import time
import traceback
from collections import Counter
from dataclasses import replace

import pytest

from searchsvc.analysis import normalize, unit_runs
from searchsvc.catalog import FACETS, count_facets, facet_values
from searchsvc.documents import byline_names
from searchsvc.typesense import index as ts_index
from searchsvc.typesense.client import Cluster
from searchsvc.typesense.query import EXACT, MAX_GROUP_HITS, TsQuery, search
from tests.conftest import SEED, shared_bulletins
from tests.typesense_cluster import Indexed

pytest_plugins = ("tests.typesense_cluster",)  # its fixtures: ts_cluster, ts_indexed

pytestmark = pytest.mark.typesense

ALL = 250  # one page holds every article of this corpus (206)


@functools.cache
def _texts(ix: Indexed) -> list[tuple[str, int, tuple[str, str, str]]]:
    """(article id, paragraph number, its normalised title, names and text), once."""
    out = []
    for aid, article in ix.articles.items():
        head = (normalize(article.title), normalize(byline_names(article)))
        out += [(aid, p.n, (*head, normalize(p.text))) for p in article.paragraphs]
    return out


def truth(ix: Indexed, words: tuple[str, ...]) -> dict[str, set[int]]:
    """Article id → numbers of its paragraphs whose title, text or names hold every word."""
    found: dict[str, set[int]] = {}
    needles = [normalize(w) for w in words]
    for aid, n, texts in _texts(ix):
        if all(any(w in t for t in texts) for w in needles):
            found.setdefault(aid, set()).add(n)
    return found


def sampled_literals(ix: Indexed, n: int, seed: int) -> list[str]:
    """Strings cut at random places from random paragraphs (one run of Han text each)."""
    rng = random.Random(seed)
    paragraphs = [p.text for a in ix.articles.values() for p in a.paragraphs]
    out: list[str] = []
    while len(out) < n:
        runs = [r for r in unit_runs(normalize(rng.choice(paragraphs))) if len(r) >= 2]
        if not runs:
            continue
        run = rng.choice(runs)
        size = rng.randint(1, min(6, len(run)))
        start = rng.randrange(len(run) - size + 1)
        literal = "".join(u for u, _s, _e in run[start : start + size])
        if all(len(u) == 1 for u, _s, _e in run[start : start + size]):  # Han: exact units
            out.append(literal)
    return out


def test_every_paragraph_is_indexed(ts_indexed):
    assert ts_indexed.documents == sum(len(a.paragraphs) for a in ts_indexed.articles.values())


def test_facet_counts_are_article_counts(ts_indexed):
    answer = search(ts_indexed.cluster, ts_indexed.alias, TsQuery(per_page=ALL))
    assert answer.total == len(ts_indexed.articles)
    assert {a.aid for a in answer.articles} == set(ts_indexed.articles)
    for spec in FACETS:
        expected = Counter()
        for record in ts_indexed.records.values():
            expected.update(facet_values(record, spec))
        assert answer.facets[spec.name] == expected, spec.name


def test_group_by_makes_typesense_count_groups(ts_indexed):
    """What Typesense 0.24 itself does: the same facet counted per paragraph without
    ``group_by`` and per article with it."""
    params = {**EXACT, "q": "*", "query_by": "gram", "facet_by": "district", "per_page": 1}
    cluster, alias = ts_indexed.cluster, ts_indexed.alias
    plain = cluster.search(alias, params)
    grouped = cluster.search(alias, {**params, "group_by": "aid", "group_limit": 1})

    def counts(answer):
        return {c["value"]: c["count"] for c in answer["facet_counts"][0]["counts"]}

    by_article = Counter(v for r in ts_indexed.records.values() for v in r.district or ["未注明"])
    by_paragraph = Counter()
    for aid, article in ts_indexed.articles.items():
        for value in ts_indexed.records[aid].district or ["未注明"]:
            by_paragraph[value] += len(article.paragraphs)
    assert counts(grouped) == by_article
    assert counts(plain) == by_paragraph
    assert plain["found"] == ts_indexed.documents and grouped["found"] == len(ts_indexed.articles)


def test_sampled_literals_find_exactly_the_paragraphs_that_hold_them(ts_indexed):
    literals = sampled_literals(ts_indexed, 40, seed=15)
    queries = [(lit,) for lit in literals] + list(zip(literals[::2], literals[1::2], strict=True))
    queries += [("北京市总工会",), ("劳模", "工匠"), ("任洁",), ("京北",), ("总工会劳模",)]
    for words in queries:
        answer = search(ts_indexed.cluster, ts_indexed.alias, TsQuery(words=words, per_page=ALL))
        expected = truth(ts_indexed, words)
        got = {a.aid: set(a.paragraphs) for a in answer.articles}
        assert answer.total == len(expected), words
        assert set(got) == set(expected), words
        for aid, paragraphs in expected.items():
            if len(paragraphs) <= MAX_GROUP_HITS:
                assert got[aid] == paragraphs, (words, aid)
            else:  # Typesense returns at most 99 hits of a group: the seam asks for the rest
                assert len(got[aid]) == MAX_GROUP_HITS and got[aid] < paragraphs, (words, aid)
        assert not answer.unconfirmed


def test_an_excluded_word_drops_the_paragraphs_that_hold_it(ts_indexed):
    for words, exclude in [(("工会",), ("职工",)), (("北京",), ("北京市",)), (("会",), ("会议",))]:
        query = TsQuery(words=words, exclude=exclude, per_page=ALL)
        answer = search(ts_indexed.cluster, ts_indexed.alias, query)
        keep = truth(ts_indexed, words)
        drop = truth(ts_indexed, exclude)
        expected = {a: ns - drop.get(a, set()) for a, ns in keep.items()}
        expected = {a: ns for a, ns in expected.items() if ns}
        assert {a.aid: set(a.paragraphs) for a in answer.articles} == expected, (words, exclude)


def test_filters_and_facets_agree_with_the_whoosh_counting(ts_indexed):
    words = ("工会",)
    matched = truth(ts_indexed, words)
    records = ts_indexed.records
    top = {
        spec.name: [
            v
            for v, _ in Counter(
                x for a in matched for x in facet_values(records[a], spec)
            ).most_common(2)
        ]
        for spec in FACETS
    }
    selections = [
        {"district": tuple(top["district"])},
        {"type": (top["type"][0],), "organizer": (top["organizer"][0],)},
        {"district": (top["district"][0],), "type": tuple(top["type"])},
    ]
    for selection in selections:
        answer = search(
            ts_indexed.cluster,
            ts_indexed.alias,
            TsQuery(words=words, selection=selection, per_page=ALL),
        )
        kept, lists = count_facets(matched, records, selection)
        assert answer.total == len(kept), selection
        assert {a.aid for a in answer.articles} == set(kept)
        for facet in lists:
            expected = {v.value: v.count for v in facet.values if v.count}
            got = dict(answer.facets[facet.name])
            assert {k: got.get(k) for k in expected} == expected, (selection, facet.name)


def test_dates_and_sorting(ts_indexed):
    words = ("工会",)
    matched = truth(ts_indexed, words)
    records = ts_indexed.records
    query = TsQuery(words=words, date_from="2016", date_to="2016-02", sort="date", per_page=ALL)
    answer = search(ts_indexed.cluster, ts_indexed.alias, query)
    expected = [
        a for a in matched if records[a].date and "2016-01" <= records[a].date[:7] <= "2016-02"
    ]
    assert sorted(a.aid for a in answer.articles) == sorted(expected)
    dates = [records[a.aid].date for a in answer.articles]
    assert dates == sorted(dates)
    newest = search(
        ts_indexed.cluster, ts_indexed.alias, TsQuery(words=words, sort="-date", per_page=ALL)
    )
    dates = [records[a.aid].date or "" for a in newest.articles]
    assert dates == sorted(dates, reverse=True)
    # Pages of 7 put together are the whole list, in the same order.
    pages = [
        search(
            ts_indexed.cluster,
            ts_indexed.alias,
            TsQuery(words=words, sort="-date", page=p, per_page=7),
        )
        for p in range(1, 5)
    ]
    assert [a.aid for page in pages for a in page.articles] == [a.aid for a in newest.articles]


def on_every_node(ix: Indexed, check, timeout: float = 15.0) -> None:
    """``check(cluster)`` comes true on each node asked alone, within ``timeout`` seconds.

    Reads from followers are eventually consistent: a write the leader acknowledged reaches a
    follower's index a moment later (an upsert over the same ids does not even change its
    document count meanwhile), so an assertion after a write is polled, node by node.
    """
    for url in ix.cluster.config.nodes:
        alone = Cluster(replace(ix.cluster.config, nodes=(url,)))
        deadline = time.monotonic() + timeout
        while not check(alone):
            assert time.monotonic() < deadline, f"{url}: not within {timeout:g} s"
            time.sleep(0.05)


def test_resync_writes_nothing_and_a_changed_bulletin_is_replaced(ts_indexed, tmp_path):
    cluster = ts_indexed.cluster
    again = ts_index.sync(cluster, ts_indexed.corpus, alias=ts_indexed.alias)
    assert (again.added, again.changed, again.removed) == ([], [], [])
    # A bulletin of its own, under its own alias: change it, then remove it.
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    page = corpus / SEED.name
    shutil.copy(SEED, page)
    first = ts_index.sync(cluster, corpus, alias="edits")
    ts_indexed.local.wait_synced("edits")
    before = search(cluster, "edits", TsQuery(per_page=ALL))
    text = page.read_text(encoding="utf-8")
    cut = text.index("\n## ", text.index("\n## ") + 1)  # drop the first article
    page.write_text(text[:cut].split("\n## ")[0] + text[cut:], encoding="utf-8")
    second = ts_index.sync(cluster, corpus, alias="edits")
    assert second.changed == [SEED.name] and second.collection == first.collection
    assert second.paragraphs < first.paragraphs

    def holds(n_articles: int, n_paragraphs: int):
        def check(alone: Cluster) -> bool:
            answer = search(alone, "edits", TsQuery(per_page=ALL))
            paragraphs = sum(len(a.paragraphs) for a in answer.articles)
            return answer.total == n_articles and paragraphs == n_paragraphs

        return check

    on_every_node(ts_indexed, holds(before.total - 1, second.paragraphs))
    page.unlink()
    third = ts_index.sync(cluster, corpus, alias="edits")
    assert third.removed == [SEED.name]
    on_every_node(ts_indexed, holds(0, 0))
    # Its manifest entry went with it.
    on_every_node(ts_indexed, lambda alone: ts_index.read_manifest(alone, first.collection) == {})


def test_full_rebuild_swaps_the_alias_atomically_for_readers(ts_indexed, tmp_path):
    cluster = ts_indexed.cluster
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    old = ts_index.sync(cluster, corpus, alias="swap")
    ts_indexed.local.wait_synced("swap")
    old_total = search(cluster, "swap", TsQuery()).total
    for page in shared_bulletins()[:2]:
        shutil.copy(page, corpus / page.name)

    seen: Counter = Counter()
    errors: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        own = Cluster(cluster.config)  # its own client: round-robin over every node
        while not stop.is_set():
            try:
                seen[search(own, "swap", TsQuery()).total] += 1
            except Exception:  # noqa: BLE001 — every failure is a finding here
                errors.append(traceback.format_exc()[-1500:])

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        new = ts_index.sync(cluster, corpus, alias="swap", full=True)
        ts_indexed.local.wait_synced("swap")
        new_total = search(cluster, "swap", TsQuery()).total
        while seen[new_total] < 20 and not errors:  # readers on every node see the new one
            threading.Event().wait(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert new.rebuilt and new.collection != old.collection
    assert new_total > old_total
    assert not errors
    assert set(seen) <= {old_total, new_total}, seen  # never a half-built collection
    assert seen[old_total] and seen[new_total]
    on_every_node(ts_indexed, lambda alone: old.collection not in alone.collection_names())


def test_reads_are_spread_over_every_node(ts_indexed):
    hits: Counter = Counter()
    hooks = {"request": [lambda r: hits.update([r.url.port])]}
    cluster = Cluster(ts_indexed.cluster.config, event_hooks=hooks)
    for words in [("工会",), ("职工",), ("会",)] * 10:
        search(cluster, ts_indexed.alias, TsQuery(words=words))
    assert set(hits) == {n.api_port for n in ts_indexed.local.nodes}
    assert min(hits.values()) >= 30 // len(hits) - 1  # round-robin: about a third each


@pytest.mark.parametrize("paged_pages", [0, 1, 100])
def test_every_paragraph_of_a_broad_literal_comes_back(ts_indexed, monkeypatch, paged_pages):
    """``TreeMatcher._fetch`` pages a small result and splits a large one by month (``0``: even
    a two-page result is split): either way exactly the paragraphs that hold the literal, each
    once — for a common character, a common word and everything."""
    from searchsvc.matching import Deadline
    from searchsvc.typesense import match as ts_match
    from searchsvc.typesense.documents import literal_tokens
    from searchsvc.typesense.query import phrase_term

    monkeypatch.setattr(ts_match, "PAGED_PAGES", paged_pages)
    matcher = ts_match.TreeMatcher(ts_indexed.cluster, ts_indexed.alias, None, Deadline(60))
    for word in ("的", "工会", "*"):
        q = word if word == "*" else " ".join(phrase_term(t) for t in literal_tokens(word))
        rows = matcher._fetch(q, with_text=False)
        got = Counter((aid, n) for aid, n, _score, _text in rows)
        assert set(got.values()) == {1}, word  # none twice
        if word == "*":
            assert len(got) == ts_indexed.documents
        else:
            want = {(aid, n) for aid, ns in truth(ts_indexed, (word,)).items() for n in ns}
            assert set(got) == want, word
    assert len(got) > ts_match.PAGE  # "*" took more than one page: the split was exercised

"""The cache of grouped matches: paging and facet clicks reuse a query's matches, and nothing
stale is ever served after a sync."""

import shutil

from searchsvc import bulletin
from searchsvc.cache import LRUCache
from searchsvc.config import Config
from searchsvc.index import sync
from searchsvc.search import Engine, SearchRequest
from searchsvc.web import create_app

from .conftest import SEED, indexed_corpus, shared_bulletins


def test_lru_evicts_the_least_recent_by_count_and_by_weight():
    cache = LRUCache(max_entries=2, max_weight=100)
    cache.put("a", 1, 4)
    cache.put("b", 2, 4)
    assert cache.get("a") == 1  # now b is the least recent
    cache.put("c", 3, 1)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3

    cache = LRUCache(max_entries=10, max_weight=10)
    for key, weight in (("x", 4), ("y", 4), ("z", 5)):
        cache.put(key, key, weight)
    assert cache.get("x") is None and cache.get("y") == "y" and cache.get("z") == "z"
    cache.put("huge", "h", 11)  # heavier than the whole cache: not kept, nothing evicted
    assert cache.get("huge") is None and len(cache) == 2


def test_paging_and_filtering_reuse_the_matches_with_the_same_answers(mixed_dirs):
    warm, cold = Engine(mixed_dirs[1]), Engine(mixed_dirs[1])
    asks = [
        SearchRequest(q="工会"),
        SearchRequest(q="工会", page=2),
        SearchRequest(q="工会", district=("昌平区",)),
        SearchRequest(q="工会", sort="-date", type=("培训",)),
        SearchRequest(q="工会", date_from="2016", date_to="2016-02"),
    ]
    for ask in asks:
        got = warm.search(ask)
        fresh = Engine(mixed_dirs[1]).search(ask)
        assert [r.id for r in got.results] == [r.id for r in fresh.results]
        assert got.total == fresh.total and got.facets == fresh.facets
        assert [r.score for r in got.results] == [r.score for r in fresh.results]
    assert (warm._cache.misses, warm._cache.hits) == (1, len(asks) - 1)
    # The key is the parsed query: synonyms that expand alike share an entry, others don't.
    cold.search(SearchRequest(q="劳模"))
    cold.search(SearchRequest(q="劳动模范"))
    cold.search(SearchRequest(q="劳模 工会"))
    assert (cold._cache.misses, cold._cache.hits) == (2, 1)


def test_a_sync_is_seen_at_once(tmp_path):
    pages = shared_bulletins()
    corpus, index = indexed_corpus(tmp_path, [SEED, pages[0]])
    engine = Engine(index)
    new = pages[1]
    title = next(a.title for a in bulletin.read(new, new.parent).articles)
    ask = SearchRequest(q=f'title:"{title}"')
    assert engine.search(ask).total == 0
    assert engine.search(ask).total == 0 and engine._cache.hits == 1  # served from the cache
    shutil.copy(new, corpus / new.name)
    sync(corpus, index)
    assert engine.search(ask).total >= 1


def test_the_cache_can_be_turned_off(seed_dirs):
    assert Config.from_env({}).match_cache is True
    config = Config.from_env({"SEARCHSVC_MATCH_CACHE": "0"}, index=seed_dirs[1])
    assert config.match_cache is False
    engine = create_app(config).extensions["searchsvc"]
    for _ in range(2):
        engine.search(SearchRequest(q="工会"))
    assert (engine._cache.hits, len(engine._cache)) == (0, 0)

"""A small LRU cache of what a query matched, so paging and facet clicks don't search again.

A search finds and groups paragraph hits (the expensive part: thousands of hits for a common
word), then filters, counts, orders and pages them (cheap). Staff page through results and tick
facet values on one query, so the grouped matches are kept, keyed by everything they depend on:
the index generation, the parsed query (synonyms expanded) and the vocabularies.

Entries are weighed in bytes (the arrays of their groups, see ``backend.Matches.nbytes``), so
the cache holds at most ``MAX_WEIGHT`` bytes however broad the queries, and a few very broad
ones can't hold memory that many ordinary ones would use better.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

V = TypeVar("V")

MAX_ENTRIES = 256
MAX_WEIGHT = 48 * 1024 * 1024  # bytes over all entries


class LRUCache(Generic[V]):
    """Thread-safe; the values are shared between threads and must be treated as read-only."""

    def __init__(self, max_entries: int = MAX_ENTRIES, max_weight: int = MAX_WEIGHT):
        self.max_entries, self.max_weight = max_entries, max_weight
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._weight = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return item[0]

    def put(self, key: Hashable, value: V, weight: int) -> None:
        if weight > self.max_weight:
            return  # bigger than the whole cache: keeping it would only evict everything else
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._weight -= old[1]
            self._items[key] = (value, weight)
            self._weight += weight
            while len(self._items) > self.max_entries or self._weight > self.max_weight:
                _, (_, dropped) = self._items.popitem(last=False)
                self._weight -= dropped

    def __len__(self) -> int:
        return len(self._items)

"""What the live collection holds, as the search core reads it: the article records and the
paragraph texts.

* ``TsCatalog`` — every article's record (stored once, as JSON, on its head paragraph) read into
  a ``catalog.Catalog``, the same object the Whoosh snapshot gives the article page,
  ``/api/facets`` and the filter check. It is read again when the collection changed: what the
  alias names, how many documents it holds and the newest ``stamp`` (a replaced bulletin keeps
  its count but gets a new stamp), looked at no more than once every ``REFRESH_SECONDS``, and
  at once after ``expire`` (the server's own reindexer wrote: an upload is searchable when it
  answers). Reading it is the one cluster call not bound by a request's budget (what every
  request shares must not be cut short by one); while one request reads it, the others go on
  with the catalogue they had (7.2 s for the whole archive's 70,965 records).
* ``Texts`` — paragraph texts by article, fetched a page of articles at a time (snippets need
  the texts of the page's matching paragraphs; Typesense stores them, unindexed) and kept in a
  bounded LRU.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass

from searchsvc.article import ArticleRecord
from searchsvc.cache import LRUCache
from searchsvc.catalog import FACETS, Catalog, facet_values
from searchsvc.typesense.client import Cluster, unbounded
from searchsvc.typesense.documents import quoted

REFRESH_SECONDS = 1.0  # a sync shows in the catalogue at most this much later
PAGE = 250  # Typesense's largest page
TEXT_ARTICLES = 2048  # articles whose paragraph texts are kept


@dataclass(frozen=True)
class Loaded:
    """One reading of the catalogue, with a dense number per article (paragraph refs use it)."""

    catalog: Catalog
    ids: list[str]
    index: dict[str, int]
    paragraphs: int  # documents in the collection


class TsCatalog:
    def __init__(self, cluster: Cluster, alias: str):
        self.cluster, self.alias = cluster, alias
        self._lock = threading.Lock()
        self._loaded: Loaded | None = None
        self._checked = 0.0

    def get(self) -> Loaded:
        loaded = self._loaded
        if loaded is not None and time.monotonic() - self._checked < REFRESH_SECONDS:
            return loaded
        # While one request reads a new catalogue, the others go on with the one they had.
        if not self._lock.acquire(blocking=loaded is None):
            return loaded
        try:
            if self._loaded is None or time.monotonic() - self._checked >= REFRESH_SECONDS:
                key, paragraphs = self._key()
                if self._loaded is None or self._loaded.catalog.key != key:
                    # Shared by every request: no one request's budget cuts it short.
                    with unbounded():
                        self._loaded = _load(self.cluster, self.alias, key, paragraphs)
                self._checked = time.monotonic()
            return self._loaded
        finally:
            self._lock.release()

    def expire(self) -> None:
        """Look at the collection again on the next ``get`` (a sync of this process wrote)."""
        with self._lock:
            self._checked = float("-inf")

    def _key(self) -> tuple[tuple, int]:
        answer = self.cluster.search(
            self.alias,
            {"q": "*", "sort_by": "stamp:desc", "per_page": 1, "include_fields": "stamp"},
        )
        hits = answer.get("hits") or [{}]
        stamp = hits[0].get("document", {}).get("stamp", 0)
        target = self.cluster.alias_target(self.alias) or self.alias
        return (target, answer["found"], stamp), answer["found"]


def _load(cluster: Cluster, alias: str, key: tuple, paragraphs: int) -> Loaded:
    documents = cluster.client.collections[alias].documents
    text = cluster.read(
        lambda: documents.export({"filter_by": "head:=true", "include_fields": "record"})
    )
    records = [
        ArticleRecord.from_stored(json.loads(json.loads(line)["record"]))
        for line in text.splitlines()
        if line.strip()
    ]
    articles = {r.id: r for r in records}
    ids = sorted(articles, key=lambda a: (articles[a].date or "", a))
    values = {
        spec.name: Counter(v for r in records for v in facet_values(r, spec)) for spec in FACETS
    }
    catalog = Catalog(key, articles, ids[::-1], values)
    return Loaded(catalog, ids, {a: i for i, a in enumerate(ids)}, paragraphs)


class Texts:
    """Paragraph texts (``n`` → text) of articles, by article id."""

    def __init__(self, cluster: Cluster, alias: str):
        self.cluster, self.alias = cluster, alias
        self._cache: LRUCache[dict[int, str]] = LRUCache(TEXT_ARTICLES, 256 * 2**20)

    def of(self, aid: str) -> dict[int, str]:
        found = self._cache.get(aid)
        if found is None:
            self.fetch([aid])
            found = self._cache.get(aid) or {}
        return found

    def fetch(self, aids: list[str]) -> None:
        """Read the texts of the articles not cached yet, in as few requests as it takes."""
        todo = [a for a in dict.fromkeys(aids) if self._cache.get(a) is None]
        if not todo:
            return
        got: dict[str, dict[int, str]] = {a: {} for a in todo}
        params = {
            "q": "*",
            "filter_by": "aid:=[" + ",".join(quoted(a) for a in todo) + "]",
            "include_fields": "aid,n,text",
            "per_page": PAGE,
        }
        page = 1
        while True:
            answer = self.cluster.search(self.alias, {**params, "page": page})
            for hit in answer["hits"]:
                doc = hit["document"]
                got[doc["aid"]][doc["n"]] = doc.get("text", "")
            if page * PAGE >= answer["found"]:
                break
            page += 1
        for aid, texts in got.items():
            self._cache.put(aid, texts, weight=sum(3 * len(t) for t in texts.values()) + 100)

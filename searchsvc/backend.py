"""The seam between the search core and what finds things: a ``Backend``.

A backend takes a request (validated, its query parsed) and answers with the matched article
groups of the requested page, the exact total, every facet's counts and the histogram —
``Found``. It also hands out the paragraph texts the result builder makes snippets from. The
search core (``search.Engine``) does the rest: parsing, the budget, results and snippets.

``WhooshBackend`` is the one in service: posting arrays and per-segment catalogues over the local
Whoosh index (``matching``, ``snapshot``). A second backend (a Typesense cluster) implements the
same three methods; nothing above this seam changes with it.

    class Backend(Protocol):
        def find(self, req, ask: Ask, deadline: Deadline) -> Found: ...
        def paragraph(self, ref: int) -> str: ...         # a hit's stored text
        def head_paragraph(self, aid: str) -> str | None: ...
"""

from __future__ import annotations

import os
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np

from searchsvc import flatpostings, ranking, relax, storage
from searchsvc import index as index_mod
from searchsvc.article import ArticleRecord
from searchsvc.cache import LRUCache
from searchsvc.catalog import FACET_LIMIT, FACETS, Catalog, FacetList
from searchsvc.groups import Groups
from searchsvc.health import Health
from searchsvc.histogram import histogram_months
from searchsvc.matching import Deadline, Matcher
from searchsvc.postings import FieldLengths, UnitPostings
from searchsvc.query import Node, holders_matched
from searchsvc.records import Bar, SearchRequest
from searchsvc.snapshot import Snapshot, SnapshotCache


@dataclass(frozen=True)
class Ask:
    """A request's query, parsed once by the core."""

    tree: Node | None
    earlier: tuple[Node, ...] = ()
    exact: tuple[str, ...] = ()  # strings as typed: articles holding them rank first
    stopwords: frozenset[str] = frozenset()


@dataclass
class ArticleHit:
    record: ArticleRecord
    score: float
    paragraphs: list[tuple[float, int]]  # (score, paragraph ref), best first


@dataclass
class Found:
    total: int
    page: list[ArticleHit]
    facets: list[FacetList]
    histogram: list[Bar]
    relaxed: bool = False
    suggestion: str | None = None


class Backend(Protocol):
    def find(self, req: SearchRequest, ask: Ask, deadline: Deadline) -> Found: ...

    def paragraph(self, ref: int) -> str: ...

    def head_paragraph(self, aid: str) -> str | None: ...

    # The article page, the facet listing and /api/health:
    def catalog(self) -> Catalog: ...

    def article_paragraphs(self, aid: str) -> list[str]: ...

    def health(self) -> Health: ...

    # A sync in this process just wrote: the next request must see it.
    def refresh(self) -> None: ...

    def close(self) -> None: ...


@dataclass
class Matches:
    """What a query matched, before filters: shared by the requests that page or filter it."""

    groups: Groups  # read-only once made
    relaxed: bool
    suggestion: str | None
    # Per group: typed strings its article holds. Only a relevance order reads it, so it is
    # found when one first asks (a date order never reads the strings' candidates).
    exact: np.ndarray | None = field(default=None)

    @property
    def nbytes(self) -> int:
        return self.groups.nbytes + (0 if self.exact is None else self.exact.nbytes)


class WhooshBackend:
    """The local Whoosh index. Thread-safe: one searcher per generation, shared by every
    thread, and so are the snapshot arrays, field lengths and unit postings derived from it.

    A searcher per thread cost a copy of the segment's files per thread (Whoosh reads a
    compound file's parts through ``BytesIO``, which copies them): 2.4 GB with 8 threads on
    500 pages. Whoosh reads its files with ``seek`` then ``read``, so the shared searcher is
    read under one lock (``reading``), taken around each read, not around a request.
    """

    def __init__(self, home: Path, cache: LRUCache):
        self.home = Path(home)
        self.cache = cache
        self._live = index_mod.live_dir(self.home)
        self.ix = _open(self.home)
        self._opened = 0  # bumped whenever the index is reopened (a full rebuild swapped in)
        self._open_lock = threading.Lock()
        self.reading = threading.RLock()
        self._searcher = None
        self._request = threading.local()  # the searcher of the thread's current request
        self._stamp: tuple | None = None  # the folders' change times the searcher was checked at
        self._snapshots = SnapshotCache(self.ix.storage.folder)
        self._lengths = FieldLengths()
        self._units = UnitPostings()
        self._flats = flatpostings.Opened(self.ix.storage.folder)

    # -- plumbing

    def searcher(self):
        """The searcher of the newest generation. A request keeps the one it started with; an
        older one is never closed under it (its files close when the last request drops it)."""
        stamp = _stamp(self.home, self._live)
        s = self._searcher
        if s is not None and stamp is not None and stamp == self._stamp:
            return s  # neither the pointer nor the live folder changed: no file read
        live = index_mod.live_dir(self.home)
        with self._open_lock:
            self._stamp = stamp
            if live != self._live:
                self.ix = _open(self.home)
                self._flats = flatpostings.Opened(self.ix.storage.folder)
                self._snapshots.folder = self.ix.storage.folder
                self._live = live
                self._opened += 1
                self._searcher = None
            s = self._searcher
            if s is None or not s.up_to_date():
                # Not ``refresh()``: it closes the readers it does not reuse, under the
                # requests still reading them. Opening a generation costs no catalogue (kept
                # per segment id).
                with self.reading:
                    s = self._searcher = self.ix.searcher()
                # What is kept per segment is dropped with the segment (a merge, a rebuild).
                ids = {flatpostings.segment_id(sub.reader()) for sub, _ in _leaves(s)}
                self._flats.keep_only(ids)
                self._lengths.keep_only(ids)
            return s

    def snapshot(self, searcher=None) -> Snapshot:
        searcher = searcher or self.searcher()
        key = (self._opened, searcher.reader().generation())
        return self._snapshots.get(searcher, key, self.reading)

    def refresh(self) -> None:
        """Nothing to do: every request looks for the newest generation (``searcher``)."""

    def close(self) -> None:
        with self._open_lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None

    # -- the seam

    def find(self, req: SearchRequest, ask: Ask, deadline: Deadline) -> Found:
        searcher = self.searcher()
        self._request.searcher = searcher  # the paragraphs of its hits are read from this one
        snap = self.snapshot(searcher)
        found = self._matches(ask, searcher, snap, deadline)
        groups = found.groups
        keep = snap.in_dates(groups.arts, req.date_from, req.date_to)
        selection = {spec.name: req.selected(spec.name) for spec in FACETS}
        keep, facet_lists = _count_facets(snap, groups.arts, keep, selection)
        exact = np.zeros(len(groups), np.int16)
        if req.sort == "relevance" and ask.exact:
            exact = self._exact(found, ask, searcher, snap, deadline)
        end = req.page * req.per_page
        positions, scores = ranking.rank(
            snap, groups, np.flatnonzero(keep), exact, req.sort, ask, self.paragraph, end
        )
        window = positions[(req.page - 1) * req.per_page : end]
        page = [
            ArticleHit(
                snap.articles[groups.arts[i]], scores.get(i, float(groups.best[i])), groups.hits(i)
            )  # fmt: skip
            for i in window
        ]
        months = snap.date_num[groups.arts[keep]] // 100
        return Found(
            total=int(keep.sum()),
            page=page,
            facets=facet_lists,
            histogram=histogram_months(months[months >= 0]),
            relaxed=found.relaxed,
            suggestion=found.suggestion,
        )

    def _searcher_of_request(self):
        """The searcher the thread's last ``find`` used: its docnums are this generation's."""
        return getattr(self._request, "searcher", None) or self.searcher()

    def paragraph(self, ref: int) -> str:
        searcher = self._searcher_of_request()
        leaves = _leaves(searcher)
        i = bisect_right([base for _, base in leaves], ref) - 1
        flat = self._flats.get(leaves[i][0].reader())
        if flat is not None and flat.has_texts:
            return flat.text(ref - leaves[i][1])
        with self.reading:
            return searcher.stored_fields(ref).get("text", "")

    def head_paragraph(self, aid: str) -> str | None:
        searcher = self._searcher_of_request()
        with self.reading:
            docnum = searcher.document_number(pid=f"{aid}#1")
        return None if docnum is None else self.paragraph(docnum)

    def catalog(self) -> Catalog:
        return self.snapshot().catalog

    def article_paragraphs(self, aid: str) -> list[str]:
        searcher = self.searcher()
        with self.reading:
            docs = sorted(searcher.documents(aid=aid, kind="para"), key=lambda d: d["n"])
        return [d["text"] for d in docs]

    def health(self) -> Health:
        searcher = self.searcher()
        size = self.snapshot(searcher).size
        with self.reading:
            return Health.read(self.home, searcher, size)

    # -- matching, cached

    def _matches(self, ask: Ask, searcher, snap: Snapshot, deadline: Deadline) -> Matches:
        key = (snap.key, ask.tree, ask.earlier, ask.exact, ask.stopwords)
        found = self.cache.get(key)
        if found is not None:
            return found
        matcher = self._matcher(searcher, snap, deadline)
        relaxed, hint = False, None
        if ask.tree is None:
            groups = Groups.everything(snap.size)
        else:
            groups, relaxed = relax.matching(matcher, ask.tree, ask.stopwords)
            if not len(groups):
                hint = relax.suggestion(
                    ask.tree,
                    lambda t: len(matcher.groups(t)) > 0,
                    _corrector(searcher, self.reading),
                )
        for i, t in enumerate(ask.earlier):
            # 二次检索: what the earlier query found (relaxed the same way it was then).
            inside, _ = relax.matching(matcher, t, ask.stopwords)
            if ask.tree is None and i == 0:
                groups = inside  # its ranking
            else:
                groups = groups.take(np.isin(groups.arts, inside.arts))
        found = Matches(groups, relaxed, hint)
        self.cache.put(key, found, weight=found.nbytes)
        return found

    def _matcher(self, searcher, snap: Snapshot, deadline: Deadline) -> Matcher:
        """The request's matcher: what it read once (terms, literals) it does not read again."""
        matcher = getattr(self._request, "matcher", None)
        if matcher is None or matcher.deadline is not deadline or matcher.snapshot is not snap:
            matcher = self._request.matcher = Matcher(
                searcher, snap, self._lengths, deadline, self.reading, self._units, self._flats
            )
        return matcher

    def _exact(self, found: Matches, ask: Ask, searcher, snap: Snapshot, deadline) -> np.ndarray:
        """Per group of ``found``: how many of the typed strings its article holds (kept with
        the matches; two requests that race compute the same array)."""
        if found.exact is None:
            matcher = self._matcher(searcher, snap, deadline)
            exact = np.zeros(len(found.groups), dtype=np.int16)
            among = not found.relaxed and holders_matched(ask.tree)
            within = np.sort(found.groups.docs) if among else None
            for text in ask.exact:
                exact += np.isin(found.groups.arts, matcher.articles_with(text, within))
            found.exact = exact
        return found.exact


STAMP_SETTLED = 0.05  # a folder changed more recently than this may change again unseen


def _stamp(home: Path, live: Path) -> tuple | None:
    """When the home (its ``CURRENT`` pointer) and the live folder (its TOC) last changed; None
    while either changed too recently to trust (two changes may share one timestamp)."""
    try:
        a, b = os.stat(home).st_mtime_ns, os.stat(live).st_mtime_ns
    except OSError:
        return None
    if time.time_ns() - max(a, b) < STAMP_SETTLED * 1e9:
        return None
    return a, b


def _leaves(searcher) -> list:
    """``(sub-searcher, docnum base)`` per segment."""
    return searcher.subsearchers or [(searcher, 0)]


def _open(home: Path):
    """The index, its segment files read with ``pread`` rather than mapped
    (``storage.ReadStorage``).

    Mapped, Whoosh wraps each part of a compound file in a ``BytesIO``, which copies it: the
    searcher of a 139 MB slice held 250 MB, the whole archive's would hold its 1.7 GB. Read
    through the file, a searcher holds only what it caches; the OS's page cache (not counted in
    the server's memory) keeps the hot blocks.
    """
    return storage.pread_storage(index_mod.open_index(home), readonly=True)


def _corrector(searcher, reading):
    def correct(word: str) -> str | None:
        """The closest word in the index to a (Latin) word, for "did you mean", among the words
        sharing its first letter: with ``prefix=0`` Whoosh's automaton walks every word of the
        field, Han included (5 s on the whole archive, under the lock every other request of
        the process waits on; 1–5 ms with ``prefix=1``)."""
        with reading:
            found = searcher.corrector("text").suggest(word, limit=1, maxdist=2, prefix=1)
        return found[0] if found else None

    return correct


def _count_facets(
    snap: Snapshot, arts: np.ndarray, in_range: np.ndarray, selection: dict[str, tuple[str, ...]]
) -> tuple[np.ndarray, list[FacetList]]:
    """Filter by the facet selection and count every facet's values, on arrays.

    OR within a facet, AND across facets. A facet's counts are taken with the *other* facets'
    filters applied but not its own, so that each count is exactly the total you get by
    selecting that value (alone) in that facet — the usual multi-select facet.
    """
    matched = np.zeros(snap.size, dtype=bool)
    matched[arts[in_range]] = True
    oks = []
    for spec in FACETS:
        col, want = snap.facets[spec.name], selection.get(spec.name, ())
        if not want:
            oks.append(None)
            continue
        ids = [col.index[v] for v in want if v in col.index]
        ok = np.zeros(snap.size, dtype=bool)
        ok[col.pair_article[np.isin(col.pair_value, ids)]] = True
        oks.append(ok)
    lists = []
    for i, spec in enumerate(FACETS):
        mask = matched.copy()
        for j, ok in enumerate(oks):
            if ok is not None and j != i:
                mask &= ok
        col = snap.facets[spec.name]
        counts = np.bincount(col.pair_value[mask[col.pair_article]], minlength=len(col.values))
        want = set(selection.get(spec.name, ()))
        lists.append(FacetList(spec.name, spec.label, col.listed(counts, want, FACET_LIMIT)))
    for ok in oks:
        if ok is not None:
            matched &= ok
    return matched[arts], lists

"""One index generation as the search core reads it: a searcher and the arrays derived from it.

Whoosh segments never change once written (only their deletions grow), so what is derived from a
segment is derived once and kept with the segment's id (``SegmentCatalog``): the article records
stored on its head paragraphs, and which article each of its documents belongs to. A commit then
costs the new segment, not the archive. What is read from a segment is also written beside it
(``<segment id>.cat``, removed by Whoosh with the segment), so a new process opens the whole
archive without reading one stored record per article. A ``Snapshot`` joins the segments of one generation into
global numpy arrays, so that counting, filtering, the histogram and date order over every matching
article never read a stored field:

* ``doc_article[docnum]`` — the article (global index) a paragraph belongs to; -1 for documents
  that are not live paragraphs (file records, deleted documents);
* ``date_num[article]`` — the date as ``YYYYMMDD`` (-1: undated); ``rank[article]`` — the
  article's position in ascending ``(date or "", id)`` order (date sort and tiebreak);
* per facet, ``(pair_article, pair_value)`` — one pair per article and value (未注明 when none).
"""

from __future__ import annotations

import contextlib
import os
import pickle
import threading
from bisect import bisect_right
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from functools import cached_property
from itertools import accumulate

import numpy as np

from searchsvc.article import ArticleRecord
from searchsvc.catalog import FACETS, Catalog, FacetValue, facet_values

EMPTY_INT = np.zeros(0, dtype=np.int32)


@dataclass(frozen=True)
class Heads:
    """Every article head of one segment (live or not), in columns: what a new process reads
    from the kept catalogue. A record itself stays pickled until something asks for it (a
    page's results): 71k records made at once took seconds."""

    docnums: np.ndarray  # int32: each head's docnum
    ids: list[str]
    dates: list[str | None]
    date_num: np.ndarray  # int32: each head's date as YYYYMMDD, -1 undated
    blobs: list[bytes]  # each record's field values, pickled
    facets: dict[str, FacetPairs]  # per facet: (head, value) pairs

    @classmethod
    def of(cls, found: list[tuple[int, ArticleRecord]]) -> Heads:
        records = [r for _, r in found]
        return cls(
            np.array([d for d, _ in found], dtype=np.int32),
            [r.id for r in records],
            [r.date for r in records],
            np.array([_date_num(r.date) for r in records], dtype=np.int32),
            [pickle.dumps(astuple_shallow(r), protocol=5) for r in records],
            {spec.name: FacetPairs.of(records, spec) for spec in FACETS},
        )

    def record(self, i: int) -> ArticleRecord:
        return ArticleRecord(*pickle.loads(self.blobs[i]))


class Records(Sequence):
    """The live records of a segment (``heads`` at ``live``), made when asked for; the last
    few thousand asked are kept."""

    KEPT = 4096

    def __init__(self, heads: Heads, live: np.ndarray):
        self.heads, self.live = heads, live.tolist()
        self._made: dict[int, ArticleRecord] = {}

    def __len__(self) -> int:
        return len(self.live)

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        found = self._made.get(i)
        if found is None:
            if len(self._made) >= self.KEPT:
                self._made.clear()
            found = self._made[i] = self.heads.record(self.live[i])
        return found


@dataclass(frozen=True)
class SegmentCatalog:
    """What one segment holds, derived once: its articles and each document's article."""

    segment_id: str
    deleted: int  # deletions it was derived with
    records: Records  # live articles whose head paragraph is in this segment
    ids: list[str]  # their ids
    dates: list[str | None]  # and dates
    doc_article: np.ndarray  # int32 per document: index into ``records``; -1 when none
    heads: Heads  # every head (live or not)
    doc_head: np.ndarray  # int32 per document: index into ``heads``; -1 when none
    date_num: np.ndarray  # int32 per record: its date as YYYYMMDD, -1 undated
    facets: dict[str, FacetPairs]  # per facet: (record, value) pairs of this segment

    @classmethod
    def load(
        cls, reader, previous: SegmentCatalog | None = None, folder: str | None = None
    ) -> SegmentCatalog:
        """Read the segment; with ``previous`` (the same segment, fewer deletions), only the
        deletions are applied again, no stored field is read. ``folder``: the index folder,
        where what is read from a segment is kept beside it (``<segment id>.cat``) for the next
        process to open."""
        seg = reader.segment()
        count = reader.doc_count_all()
        deleted = (
            reader.deleted_docs_set if reader.has_deletions() else frozenset()
        )  # a cached property
        if previous is not None:
            heads, doc_head = previous.heads, previous.doc_head
        else:
            kept = _read_kept(folder, seg.segment_id(), count) if folder else None
            heads, doc_head = kept if kept is not None else _read_heads(reader, count)
            if kept is None and folder:
                _keep(folder, seg.segment_id(), count, heads, doc_head)
        if deleted:
            gone = np.fromiter(deleted, np.int64, len(deleted))
            live = np.flatnonzero(np.isin(heads.docnums, gone, invert=True))
        else:
            live = np.arange(len(heads.ids))
        remap = np.full(len(heads.ids) + 1, -1, dtype=np.int32)  # the last: "no head"
        remap[live] = np.arange(len(live), dtype=np.int32)
        doc_article = remap[doc_head]
        if deleted:
            doc_article[gone] = -1
        return cls(
            seg.segment_id(),
            len(deleted),
            Records(heads, live),
            [heads.ids[i] for i in live.tolist()],
            [heads.dates[i] for i in live.tolist()],
            doc_article,
            heads,
            doc_head,
            heads.date_num[live],
            {name: pairs.restricted(remap[:-1]) for name, pairs in heads.facets.items()},
        )


@dataclass(frozen=True)
class FacetPairs:
    """One facet over a segment's records: ``(record, value)`` pairs, values local."""

    values: list[str]
    record: np.ndarray
    value: np.ndarray

    @classmethod
    def of(cls, records: list[ArticleRecord], spec) -> FacetPairs:
        index: dict[str, int] = {}
        arts, vals = [], []
        for i, record in enumerate(records):
            for value in facet_values(record, spec):
                arts.append(i)
                vals.append(index.setdefault(value, len(index)))
        return cls(list(index), np.asarray(arts, np.int32), np.asarray(vals, np.int32))

    def restricted(self, to: np.ndarray) -> FacetPairs:
        """The pairs of the records ``to`` keeps (``to[old]``: the new number, -1 gone)."""
        new = to[self.record] if len(self.record) else self.record
        keep = new >= 0
        return FacetPairs(self.values, new[keep].astype(np.int32), self.value[keep])


def _read_heads(reader, count: int) -> tuple[Heads, np.ndarray]:
    """The segment's heads (every head, live or not) from their stored records, and per
    document the index of its article's head (-1: none)."""
    found = []
    if count and ("head", "1") in reader:
        for docnum in reader.postings("head", "1").all_ids():  # deleted ones too
            meta = reader.stored_fields(docnum)["meta"]
            found.append((docnum, ArticleRecord.from_stored(meta)))
    index = {r.id: i for i, (_, r) in enumerate(found)}
    doc_head = np.full(count, -1, dtype=np.int32)
    if count and reader.has_column("aid"):
        for docnum, aid in enumerate(reader.column_reader("aid")):
            if aid:
                doc_head[docnum] = index.get(aid, -1)
    return Heads.of(found), doc_head


CATALOG_EXT = ".cat"
# What a kept catalogue was written with: the record's fields (a changed record reads again).
_CATALOG_VERSION = ("catalog-3", *(f.name for f in fields(ArticleRecord)))
_RECORD_FIELDS = tuple(f.name for f in fields(ArticleRecord))


def astuple_shallow(record: ArticleRecord) -> tuple:
    """The record's field values in field order (``dataclasses.astuple`` copies deeply)."""
    return tuple(getattr(record, name) for name in _RECORD_FIELDS)


def _read_kept(folder: str, segment_id: str, count: int) -> tuple[Heads, np.ndarray] | None:
    try:
        with open(os.path.join(folder, segment_id + CATALOG_EXT), "rb") as f:
            version, n, columns, facets, doc_head = pickle.load(f)
        if version != _CATALOG_VERSION or n != count or len(doc_head) != count:
            return None
        pairs = {name: FacetPairs(*parts) for name, parts in facets.items()}
        return Heads(*columns, pairs), doc_head
    except (OSError, pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError):
        return None


def _keep(folder: str, segment_id: str, count: int, heads: Heads, doc_head: np.ndarray) -> None:
    """Written under a name Whoosh's cleanup skips, then renamed to one it removes with the
    segment. A folder the server may not write to is fine: the next process reads again."""
    final = os.path.join(folder, segment_id + CATALOG_EXT)
    tmp = os.path.join(folder, f".{segment_id}{CATALOG_EXT}.{os.getpid()}.{threading.get_ident()}")
    try:
        with open(tmp, "wb") as f:
            columns = (heads.docnums, heads.ids, heads.dates, heads.date_num, heads.blobs)
            facets = {n: (p.values, p.record, p.value) for n, p in heads.facets.items()}
            pickle.dump((_CATALOG_VERSION, count, columns, facets, doc_head), f, protocol=5)
        os.replace(tmp, final)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


@dataclass
class FacetColumn:
    """One facet over every article of a snapshot, as (article, value) pairs."""

    values: list[str]
    pair_article: np.ndarray
    pair_value: np.ndarray
    totals: np.ndarray  # articles per value over the whole snapshot

    @cached_property
    def index(self) -> dict[str, int]:
        return {v: i for i, v in enumerate(self.values)}

    def counter(self, counts: np.ndarray) -> Counter:
        return Counter({self.values[i]: int(counts[i]) for i in np.flatnonzero(counts)})

    @cached_property
    def name_rank(self) -> np.ndarray:
        """Each value's place in the values sorted by name (the tiebreak of equal counts)."""
        rank = np.empty(len(self.values), dtype=np.int64)
        rank[sorted(range(len(self.values)), key=self.values.__getitem__)] = np.arange(
            len(self.values)
        )
        return rank

    def listed(self, counts: np.ndarray, selected: set[str], limit: int) -> list[FacetValue]:
        """``catalog.listed`` of ``counter(counts)`` — the most frequent first, a selected value
        always — with only the first ``limit`` values made into Python objects."""
        nz = np.flatnonzero(counts)
        top = nz[np.lexsort((self.name_rank[nz], -counts[nz]))][:limit]
        pairs = [(self.values[i], int(counts[i])) for i in top.tolist()]
        shown = {value for value, _ in pairs}
        for value in sorted(selected):
            if value not in shown:
                i = self.index.get(value)
                pairs.append((value, 0 if i is None else int(counts[i])))
        return [FacetValue(value, count, value in selected) for value, count in pairs]


class Articles(Sequence):
    """Every live record of a snapshot, by index, across its segments (made when asked for)."""

    def __init__(self, segments: list[SegmentCatalog]):
        self._parts = [seg.records for seg in segments]
        self._starts = list(accumulate(len(p) for p in self._parts))

    def __len__(self) -> int:
        return self._starts[-1] if self._starts else 0

    def __getitem__(self, i):
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        i = int(i)
        if i < 0:
            i += len(self)
        part = bisect_right(self._starts, i)
        return self._parts[part][i - (self._starts[part - 1] if part else 0)]


class ArticleMap(Mapping):
    """Records by id (the catalogue's ``articles``), made when asked for."""

    def __init__(self, ids: list[str], index: dict[str, int], articles: Articles):
        self._ids, self._index, self._articles = ids, index, articles

    def __getitem__(self, aid: str) -> ArticleRecord:
        return self._articles[self._index[aid]]

    def __iter__(self):
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)


class Snapshot:
    """The arrays of one generation (see the module docstring); read-only once made."""

    def __init__(self, key: tuple, segments: list[tuple[SegmentCatalog, int]]):
        self.key = key
        self.segments = segments  # (catalog, docbase), in docnum order
        self.articles = Articles([seg for seg, _ in segments])
        self.ids = [aid for seg, _ in segments for aid in seg.ids]
        dates = [date for seg, _ in segments for date in seg.dates]
        self.index = {aid: i for i, aid in enumerate(self.ids)}
        parts, offset = [], 0
        for seg, _base in segments:
            local = seg.doc_article
            parts.append(np.where(local >= 0, local + offset, -1).astype(np.int32))
            offset += len(seg.records)
        self.doc_article = np.concatenate(parts) if parts else EMPTY_INT
        nums = [seg.date_num for seg, _ in segments]
        self.date_num = np.concatenate(nums) if nums else EMPTY_INT
        # By (date, id), as numpy sorts strings (code point order, as Python's): a generation's
        # first request pays this for the whole archive, 4× faster than sorted() with a key.
        order = np.lexsort(
            (np.array(self.ids, dtype=str), np.array([d or "" for d in dates], dtype=str))
        )
        self.rank = np.empty(len(order), dtype=np.int32)
        self.rank[order] = np.arange(len(order), dtype=np.int32)
        self.facets = {spec.name: self._facet(spec.name) for spec in FACETS}

    def _facet(self, name: str) -> FacetColumn:
        """The segments' pairs joined: records numbered across segments, values renumbered
        into one list (a commit pays for its own segment's records, not the archive's)."""
        index: dict[str, int] = {}
        arts, vals, offset = [], [], 0
        for seg, _ in self.segments:
            pairs = seg.facets[name]
            to_global = np.array(
                [index.setdefault(v, len(index)) for v in pairs.values], dtype=np.int32
            )
            arts.append(pairs.record + offset)
            vals.append(to_global[pairs.value] if len(pairs.value) else EMPTY_INT)
            offset += len(seg.records)
        pair_value = np.concatenate(vals) if vals else EMPTY_INT
        return FacetColumn(
            list(index),
            np.concatenate(arts) if arts else EMPTY_INT,
            pair_value,
            np.bincount(pair_value, minlength=len(index)),
        )

    @property
    def size(self) -> int:
        return len(self.ids)

    @cached_property
    def catalog(self) -> Catalog:
        """The records by id, as the article page and ``facets()`` read them."""
        values = {name: col.counter(col.totals) for name, col in self.facets.items()}
        newest = [self.ids[i] for i in np.argsort(-self.rank, kind="stable")]
        return Catalog(self.key, ArticleMap(self.ids, self.index, self.articles), newest, values)

    def in_dates(self, arts: np.ndarray, date_from: str, date_to: str) -> np.ndarray:
        """A mask over ``arts``: inside the request's date range (undated ones never are)."""
        if not (date_from or date_to):
            return np.ones(len(arts), dtype=bool)
        dates = self.date_num[arts]
        ok = dates >= 0
        if date_from:
            ok &= dates >= _bound(date_from, low=True)
        if date_to:
            ok &= dates <= _bound(date_to, low=False)
        return ok


def _date_num(date: str | None) -> int:
    if not date or len(date) < 4 or not date[:4].isdigit():
        return -1
    digits = date.replace("-", "")[:8]
    return int(digits.ljust(8, "0")) if digits.isdigit() else -1


def _bound(text: str, low: bool) -> int:
    """``YYYY[-MM[-DD]]`` as the lowest (or highest) ``YYYYMMDD`` it stands for."""
    digits = text.replace("-", "")
    return int(digits.ljust(8, "0" if low else "9"))


class SnapshotCache:
    """The snapshot of the newest generation; segment catalogues are kept by segment id."""

    def __init__(self, folder: str | None = None):
        self.folder = folder  # where catalogues are kept beside their segments (None: not kept)
        self._lock = threading.Lock()
        self._current: Snapshot | None = None
        self._segments: dict[str, SegmentCatalog] = {}

    def get(self, searcher, key: tuple, reading=None) -> Snapshot:
        """``reading``: the lock the searcher's files are read under (see ``backend``)."""
        current = self._current
        if current is not None and current.key == key:
            return current
        with self._lock, reading or threading.RLock():
            if self._current is None or self._current.key != key:
                self._current = Snapshot(key, self._load(searcher))
            return self._current

    def _load(self, searcher) -> list[tuple[SegmentCatalog, int]]:
        out, seen = [], {}
        for reader, base in searcher.reader().leaf_readers():
            seg = reader.segment()
            if seg is None:  # an empty index: no segment yet
                continue
            sid = seg.segment_id()
            known = self._segments.get(sid)
            deleted = seg.deleted_count() if seg.has_deletions() else 0
            if known is None or known.deleted != deleted:
                known = SegmentCatalog.load(reader, known, self.folder)
            seen[sid] = known
            out.append((known, base))
        self._segments = seen  # segments merged away are dropped with their arrays
        return out

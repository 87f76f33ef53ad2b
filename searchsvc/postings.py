"""A term's postings as numpy arrays, read block by block, and BM25F over them with numpy.

Whoosh's collector walks postings one by one in Python (a matcher tree, ``skip_to``, a scorer
call and a field-length lookup per posting): 300 ms for a scored top 10 of a word in 70k
paragraphs. Here a term's posting list is read a block at a time from the whoosh3 codec (each
block a pickled ``(ids, weights, values)`` tuple), its document numbers and weights become
arrays, and the BM25F score of every posting is one vectorised expression over the field's
length bytes — the same formula, statistics and byte-encoded lengths as
``whoosh.scoring.BM25F``, so the scores are Whoosh's (``tests/test_postings.py`` compares them).

This leans on whoosh-reloaded 2.7.5's codec internals (``W3LeafMatcher._data``/``_ids``,
``_next_block``, the ``_<field>_len`` length columns); the version is pinned in
``pyproject.toml`` and the tests fail loudly if it changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np
from whoosh.codec import whoosh3
from whoosh.scoring import BM25F
from whoosh.util.numeric import byte_to_length

EMPTY_DOCS = np.zeros(0, dtype=np.int32)
EMPTY_SCORES = np.zeros(0, dtype=np.float64)
Hits = tuple[np.ndarray, np.ndarray]  # (docnums sorted and unique, scores)
K1, B = BM25F().K1, BM25F().B
_LENGTH_OF_BYTE = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)


def raw_matcher(reader, field: str, text: str):
    """The codec's own matcher of a term in one segment, deleted documents included (None if
    the segment does not hold the term)."""
    btext = reader._text_to_bytes(field, text)
    if (field, btext) not in reader:
        return None
    return reader._terms.matcher(field, btext, reader.schema[field].format)


def term_postings(reader, field: str, text: str) -> tuple[np.ndarray, np.ndarray]:
    """``(docnums, weights)`` of a term in one segment, in docnum order."""
    m = raw_matcher(reader, field, text)
    parts = list(posting_blocks(m)) if m is not None else []
    if not parts:
        return EMPTY_DOCS, EMPTY_SCORES
    return (
        np.concatenate([p[0] for p in parts]).astype(np.int32),
        np.concatenate([p[1] for p in parts]),
    )


def posting_blocks(m):
    """A term matcher's postings a block at a time, as the whoosh3 codec stores them:
    ``(docnums, weights, values)`` — docnums as int64, weights as float64, values as each
    posting's bytes. An inlined posting list (``ListMatcher``) is one block, read slowly."""
    if not isinstance(m, whoosh3.W3LeafMatcher):
        ids, weights, values = [], [], []
        while m.is_active():
            ids.append(m.id())
            weights.append(m.weight())
            values.append(m.value())
            m.next()
        yield np.asarray(ids, np.int64), np.asarray(weights, np.float64), values
        return
    while not m._atend:
        if m._data is None:
            m._read_data()
        ids, weights, values = m._data
        n = m._blocklength
        ids = np.asarray(ids, dtype=np.int64)
        if weights is None:
            weights = np.ones(n)
        elif isinstance(weights, float):
            weights = np.full(n, weights)
        else:
            weights = np.asarray(weights, dtype=np.float32).astype(np.float64)
        yield ids if m._byteids else np.cumsum(ids), weights, values or [b""] * n
        m._next_block()


class FieldLengths:
    """Per segment and field: every document's field length, as BM25F reads it (decoded from
    the one-byte lengths Whoosh stores)."""

    def __init__(self):
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def get(self, reader, field: str) -> np.ndarray:
        key = (reader.segment().segment_id(), field)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = _lengths(reader, field)
        return found

    def keep_only(self, segment_ids: set[str]) -> None:
        self._cache = {k: v for k, v in self._cache.items() if k[0] in segment_ids}


UNIT_FIELD = "unit"  # one term per unit (Han character, Latin/digit run), no positions
UNIT_MEMO_BYTES = 32 * 1024 * 1024


class UnitPostings:
    """Per segment: the paragraphs holding one unit (a Han character or a Latin/digit run).

    A segment with the ``unit`` field answers with one posting list. A segment written before
    it has only the unit bigrams, so the unit is every bigram it begins (Whoosh's ``Prefix``):
    thousands of terms for a common character, seconds on the whole archive. That answer is
    derived data of a segment that never changes, so it is kept (by segment id and unit, at
    most ``UNIT_MEMO_BYTES``, least recently used out) — the stand-in for the field until the
    index is rebuilt with it.
    """

    def __init__(self, max_bytes: int = UNIT_MEMO_BYTES):
        self.max_bytes = max_bytes
        self._memo: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._bytes = 0
        self._has_field: dict[str, bool] = {}
        self._lock = threading.Lock()

    def has_field(self, reader) -> bool:
        """Whether this segment was written with the ``unit`` field (the schema alone does not
        say: segments written before the field was added hold none of its terms)."""
        sid = reader.segment().segment_id()
        found = self._has_field.get(sid)
        if found is None:
            found = UNIT_FIELD in reader.schema and any(True for _ in reader.lexicon(UNIT_FIELD))
            self._has_field[sid] = found
        return found

    def known(self, reader, unit: str) -> bool:
        """Whether ``unit``'s expansion in this segment is kept (cheap to ask again)."""
        return (reader.segment().segment_id(), unit) in self._memo

    def get(self, reader, unit: str, spend) -> np.ndarray:
        """Sorted docnums (deleted ones included) of the paragraphs holding ``unit``; ``spend``
        is the deadline's, called with the work done. The caller holds the reading lock."""
        if self.has_field(reader):
            docs, _ = term_postings(reader, UNIT_FIELD, unit)
            spend(len(docs))
            return docs
        key = (reader.segment().segment_id(), unit)
        with self._lock:
            found = self._memo.get(key)
            if found is not None:
                self._memo.move_to_end(key)
                return found
        parts = []
        for term in reader.expand_prefix("gram", unit):
            docs, _ = term_postings(reader, "gram", term.decode("utf-8"))
            spend(len(docs) + 200)
            parts.append(docs)
        found = np.unique(np.concatenate(parts)).astype(np.int32) if parts else EMPTY_DOCS
        self._keep(key, found)
        return found

    def _keep(self, key: tuple[str, str], docs: np.ndarray) -> None:
        if docs.nbytes > self.max_bytes:
            return
        with self._lock:
            if key in self._memo:
                return
            self._memo[key] = docs
            self._bytes += docs.nbytes
            while self._bytes > self.max_bytes:
                _, dropped = self._memo.popitem(last=False)
                self._bytes -= dropped.nbytes


def _lengths(reader, field: str) -> np.ndarray:
    count = reader.doc_count_all()
    perdoc = reader._perdoc
    col = perdoc._cached_reader(whoosh3._lenfield(field), whoosh3.LENGTHS_COLUMN)
    raw = np.zeros(count, dtype=np.uint8)
    if col is not None and col._count:
        data = col._dbfile.get(col._basepos, min(col._count, count))
        raw[: len(data)] = np.frombuffer(bytes(data), dtype=np.uint8)
    return _LENGTH_OF_BYTE[raw]


def bm25(
    weights: np.ndarray, lengths: np.ndarray, idf: float, avgfl: float, b: float = B
) -> np.ndarray:
    """``whoosh.scoring.bm25`` over arrays, in the same order of operations."""
    return idf * ((weights * (K1 + 1)) / (weights + K1 * ((1 - b) + b * lengths / avgfl)))

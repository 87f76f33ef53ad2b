"""A segment's postings as flat arrays, in a file beside the segment: ``<segment id>.flat``.

Whoosh's whoosh3 codec keeps a term's postings in pickled blocks of 128; reading the 70k
paragraphs of a common word means unpickling ~550 of them (~80 µs each), and a phrase's positions
are one pickled list per posting. A Whoosh segment never changes once written, so what is read
from it can be kept beside it in the form numpy reads for free: per field, the terms' 64-bit keys
(sorted), and for each term its documents (``uint16`` in a segment of at most 65,536 documents,
else ``int32``; read as ``int32``), weights (``float32``, Whoosh's: frequency
times the field boost) and, in a positional field, each posting's positions (a count per posting
and the positions one after another). A term's postings are one ``pread``; a phrase of bigrams is
an intersection of ``document × position`` keys.

The file is named like a segment file, so Whoosh's own cleanup removes it with its segment; it is
written under a temporary name and renamed, so a reader sees a whole file or none. A segment
without one (written by Whoosh's writer, or before this file existed) is read the old way
(``postings``). ``derive`` builds the arrays from a Whoosh segment; ``segments.SegmentBuilder``
writes them from the postings it holds.

Layout: ``MAGIC``, a little-endian ``uint32`` header length, a JSON header (document count and,
per field, where each array starts, its dtype and length), then the arrays, 8-byte aligned.

Version 2 (``SSFLAT02``): ``only`` names the fields this file alone holds (``ONLY_FIELDS``: Whoosh
keeps their lengths, not their terms — half the index, read for nothing but their document
frequency, ``doc_frequency``); offsets and counts take the smallest type that fits. A version 1
file (every field in Whoosh too) is read as before, ``only`` empty.
"""

from __future__ import annotations

import json
import os
import struct
import threading
from dataclasses import dataclass
from functools import lru_cache
from hashlib import blake2b
from itertools import accumulate, chain
from math import log
from pathlib import Path
from pickle import loads

import numpy as np

from searchsvc.postings import posting_blocks

MAGIC = b"SSFLAT02"
MAGICS = (b"SSFLAT01", MAGIC)  # version 1: no field is in this file alone
EXT = ".flat"
FIELDS = ("text", "title", "names", "gram", "unit")
ONLY_FIELDS = ("title", "names", "gram", "unit")  # here alone (Whoosh keeps ``text``, the ids)
_HEAD = struct.Struct("<I")
EMPTY_DOCS = np.zeros(0, dtype=np.int32)


@lru_cache(maxsize=65536)  # a request looks a term up in every segment
def term_key(term: str) -> int:
    """A term's 64-bit key: the first 8 bytes of its UTF-8 BLAKE2b digest."""
    return int.from_bytes(blake2b(term.encode("utf-8"), digest_size=8).digest(), "little")


def term_keys(terms: list[str]) -> np.ndarray:
    """``term_key`` of each of ``terms``, as a ``uint64`` array."""
    digests = b"".join([blake2b(t.encode("utf-8"), digest_size=8).digest() for t in terms])
    return np.frombuffer(digests, "<u8").astype(np.uint64)


@dataclass
class FieldArrays:
    """One field's postings, grouped by term (terms in any order): the postings of ``terms[i]``
    are ``[starts[i], starts[i+1])`` of ``docs``/``weights`` (docs ascending); in a positional
    field ``counts[p]`` positions of posting ``p`` follow those of the postings before it."""

    terms: list[str] | None  # None: only their ``keys`` are known (read back from a file)
    starts: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    counts: np.ndarray | None = None
    positions: np.ndarray | None = None
    keys: np.ndarray | None = None  # the terms' keys (``term_key``), when known

    def term_keys(self) -> np.ndarray:
        return self.keys if self.keys is not None else term_keys(self.terms)

    def sorted_by_key(self) -> tuple[np.ndarray, FieldArrays]:
        """The terms' keys ascending, and these arrays in that order."""
        keys = self.term_keys()
        order = np.argsort(keys, kind="stable")
        if len(keys) > 1 and (np.diff(keys[order]) == 0).any():
            raise ValueError("two terms share a key")
        if (order[1:] > order[:-1]).all():  # already in key order: nothing to move
            docs = np.asarray(self.docs, np.int32)
            weights = np.asarray(self.weights, np.float32)
            same = FieldArrays(self.terms, np.asarray(self.starts, np.int64), docs, weights,
                               self.counts, self.positions, keys)  # fmt: skip
            return keys, same
        starts = np.asarray(self.starts, np.int64)
        lengths = np.diff(starts)[order]
        new_starts = np.concatenate(([0], np.cumsum(lengths)))
        take = _ranges(starts[:-1][order], lengths, int(new_starts[-1]))
        counts = positions = None
        if self.counts is not None:
            counts = np.asarray(self.counts)
            pstarts = np.concatenate(([0], np.cumsum(counts, dtype=np.int64)))
            positions = np.asarray(self.positions)[_ranges(pstarts[:-1][take], counts[take])]
            counts = counts[take]
        arrays = FieldArrays(
            None if self.terms is None else [self.terms[i] for i in order.tolist()],
            new_starts,
            np.asarray(self.docs, np.int32)[take],
            np.asarray(self.weights, np.float32)[take],
            counts,
            positions,
            keys[order],
        )
        return keys[order], arrays


def _ranges(begins: np.ndarray, lengths: np.ndarray, total: int | None = None) -> np.ndarray:
    """The indices ``begins[i] + 0 .. lengths[i]-1`` for every ``i``, one after another."""
    lengths = np.asarray(lengths, np.int64)
    total = int(lengths.sum()) if total is None else total
    if total == 0:
        return np.zeros(0, np.int64)
    ends = np.cumsum(lengths)
    shift = np.repeat(np.asarray(begins, np.int64) - (ends - lengths), lengths)
    return np.arange(total, dtype=np.int64) + shift


def path_of(folder: str | Path, segment_id: str) -> Path:
    return Path(folder) / f"{segment_id}{EXT}"


def write(
    folder: str | Path,
    segment_id: str,
    doc_count: int,
    fields: dict[str, FieldArrays],
    texts: list[str] | None = None,
    only: tuple[str, ...] = (),
):
    """Write the file of segment ``segment_id`` in ``folder`` (atomically: a temporary name
    Whoosh's cleanup ignores, then a rename). ``texts``: each document's paragraph text (what
    Whoosh stores as ``text``), kept too as UTF-8 — read without unpickling or the lock.
    ``only``: the fields of ``fields`` that the segment's Whoosh files do not hold.
    Returns its path."""
    header: dict = {"doc_count": int(doc_count), "fields": {}, "only": sorted(only)}
    chunks: list[np.ndarray] = []
    offset = 0

    def put(name: str, array: np.ndarray) -> dict:
        nonlocal offset
        array = np.ascontiguousarray(array)
        chunks.append(array)
        entry = {"offset": offset, "dtype": array.dtype.str, "length": len(array)}
        offset += array.nbytes + (-array.nbytes) % 8
        return entry

    docs_type = np.uint16 if doc_count <= 1 << 16 else np.int32  # read back as int32
    for name, arrays in fields.items():
        keys, arrays = arrays.sorted_by_key()
        entry = {
            "keys": put("keys", keys),
            "starts": put("starts", _narrow(arrays.starts)),
            "docs": put("docs", arrays.docs.astype(docs_type)),
        }
        entry["weights"] = _weights_entry(arrays, put)
        if arrays.counts is not None:
            counts = arrays.counts.astype(_smallest(arrays.counts))
            pstarts = np.concatenate(([0], np.cumsum(arrays.counts, dtype=np.int64)))
            entry["counts"] = put("counts", counts)
            # Where each term's positions begin (its postings' positions are one run).
            entry["tpos"] = put("tpos", _narrow(pstarts[arrays.starts.astype(np.int64)]))
            small = _fits(arrays.positions, 65535)
            entry["positions"] = put(
                "positions", arrays.positions.astype(np.uint16 if small else np.uint32)
            )
        header["fields"][name] = entry
    if texts is not None:
        encoded = [t.encode("utf-8") for t in texts]
        ends = np.cumsum([len(e) for e in encoded], dtype=np.int64)
        header["texts"] = {
            "ends": put("ends", _narrow(ends)),
            "bytes": put("bytes", np.frombuffer(b"".join(encoded), np.uint8)),
        }
    head = json.dumps(header).encode()
    start = len(MAGIC) + _HEAD.size + len(head)
    start += (-start) % 8
    final = path_of(folder, segment_id)
    tmp = final.with_name(f".{final.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as out:
        out.write(MAGIC + _HEAD.pack(len(head)) + head)
        out.write(b"\0" * (start - out.tell()))
        for array in chunks:
            out.write(array.tobytes())
            out.write(b"\0" * ((-array.nbytes) % 8))
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, final)
    return final


def _weights_entry(arrays: FieldArrays, put) -> dict:
    """Weights are stored only when they say more than the positions' counts (a positional
    field without a boost) or a single value (Existence)."""
    w = arrays.weights
    if arrays.counts is not None and np.array_equal(w, arrays.counts.astype(np.float32)):
        return {"from_counts": True}
    if len(w) and (w == w[0]).all():
        return {"const": float(w[0])}
    return put("weights", w)


def _narrow(offsets: np.ndarray) -> np.ndarray:
    """Offsets (ascending, from 0) as ``uint32`` when they fit, else ``int64``."""
    offsets = np.asarray(offsets, np.int64)
    return offsets.astype(np.uint32) if _fits(offsets[-1:], 0xFFFFFFFF) else offsets


def _smallest(counts: np.ndarray) -> type:
    for dtype in (np.uint8, np.uint16):
        if _fits(counts, np.iinfo(dtype).max):
            return dtype
    return np.uint32


def _fits(values: np.ndarray | None, limit: int) -> bool:
    return values is None or not len(values) or int(np.max(values)) <= limit


class _Field:
    __slots__ = ("keys", "starts", "tpos", "entry", "positional")

    def __init__(self, mapped: np.memmap, base: int, entry: dict):
        def view(name: str) -> np.ndarray:
            e = entry[name]
            dtype = np.dtype(e["dtype"])
            return np.frombuffer(mapped, dtype, e["length"], base + e["offset"])

        self.entry = entry
        self.keys = view("keys")
        self.starts = view("starts")
        self.positional = "counts" in entry
        self.tpos = view("tpos") if self.positional else None

    def find(self, key: int) -> int:
        i = int(np.searchsorted(self.keys, np.uint64(key)))
        return i if i < len(self.keys) and int(self.keys[i]) == key else -1


class FlatSegment:
    """The flat postings of one segment, opened once and shared by every thread: term tables
    mapped (only the pages a lookup touches are read), postings read with ``pread`` (no shared
    file position, no lock, and not counted in the process's resident memory)."""

    def __init__(self, path: Path):
        self.path = path
        self._fd = -1
        self._fd = os.open(path, os.O_RDONLY)
        try:
            mapped = np.memmap(path, dtype=np.uint8, mode="r")
            if bytes(mapped[: len(MAGIC)]) not in MAGICS:
                raise ValueError(f"{path.name}: not a flat postings file")
            (size,) = _HEAD.unpack_from(mapped, len(MAGIC))
            begin = len(MAGIC) + _HEAD.size
            header = json.loads(bytes(mapped[begin : begin + size]))
            base = begin + size + (-(begin + size)) % 8
            self.doc_count = header["doc_count"]
            self.only = frozenset(header.get("only", ()))
            self._base = base
            self._fields = {n: _Field(mapped, base, e) for n, e in header["fields"].items()}
            self._texts = header.get("texts")
            if self._texts is not None:
                e = self._texts["ends"]
                ends = np.frombuffer(mapped, np.dtype(e["dtype"]), e["length"], base + e["offset"])
                self._text_ends = ends
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, folder: str | Path, segment_id: str, doc_count: int) -> FlatSegment | None:
        """The segment's file, or None if it has none (or one for another document count)."""
        path = path_of(folder, segment_id)
        try:
            flat = cls(path)
        except (OSError, ValueError, KeyError, struct.error):
            return None
        if flat.doc_count != doc_count:
            flat.close()
            return None
        return flat

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __del__(self):
        self.close()

    def has(self, field: str) -> bool:
        return field in self._fields

    def only_here(self, field: str) -> bool:
        """Whether ``field``'s postings are in this file alone (Whoosh's files hold none)."""
        return field in self.only

    def doc_frequency(self, field: str, term: str) -> int:
        """How many documents of this segment hold ``term`` (deleted ones included, as
        Whoosh's term info counts them)."""
        f = self._fields.get(field)
        i = f.find(term_key(term)) if f is not None else -1
        return int(f.starts[i + 1]) - int(f.starts[i]) if i >= 0 else 0

    def _read(self, entry: dict, begin: int, end: int) -> np.ndarray:
        dtype = np.dtype(entry["dtype"])
        n = end - begin
        if n <= 0:
            return np.zeros(0, dtype)
        data = os.pread(
            self._fd, n * dtype.itemsize, self._base + entry["offset"] + begin * dtype.itemsize
        )
        return np.frombuffer(data, dtype, n)

    @property
    def has_texts(self) -> bool:
        return self._texts is not None

    def text(self, docnum: int) -> str:
        """The paragraph text of document ``docnum`` ("" for one without)."""
        begin = int(self._text_ends[docnum - 1]) if docnum else 0
        end = int(self._text_ends[docnum])
        where = self._base + self._texts["bytes"]["offset"] + begin
        return os.pread(self._fd, end - begin, where).decode("utf-8") if end > begin else ""

    def postings(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray]:
        """``(docnums int32, weights float64)`` of ``term`` in ``field``, docnums ascending
        (deleted documents included, as Whoosh's raw matcher gives them)."""
        f = self._fields[field]
        i = f.find(term_key(term))
        if i < 0:
            return EMPTY_DOCS, np.zeros(0)
        lo, hi = int(f.starts[i]), int(f.starts[i + 1])
        docs = self._read(f.entry["docs"], lo, hi).astype(np.int32, copy=False)
        how = f.entry["weights"]
        if "const" in how:
            weights = np.full(len(docs), how["const"])
        elif "from_counts" in how:
            weights = self._read(f.entry["counts"], lo, hi).astype(np.float64)
        else:
            weights = self._read(how, lo, hi).astype(np.float64)
        return docs, weights

    def positions(self, field: str, term: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(docnums, counts, positions)`` of ``term`` in a positional field: posting ``p``
        holds ``counts[p]`` positions, one after another in ``positions``."""
        f = self._fields[field]
        i = f.find(term_key(term))
        if i < 0:
            return EMPTY_DOCS, np.zeros(0, np.int64), np.zeros(0, np.int64)
        lo, hi = int(f.starts[i]), int(f.starts[i + 1])
        docs = self._read(f.entry["docs"], lo, hi).astype(np.int32, copy=False)
        counts = self._read(f.entry["counts"], lo, hi).astype(np.int64)
        plo = int(f.tpos[i])
        where = self._read(f.entry["positions"], plo, plo + int(counts.sum()))
        return docs, counts, where.astype(np.int64)

    def doc_positions(self, field: str, term: str, within: np.ndarray | None = None) -> np.ndarray:
        """Every occurrence of ``term`` as one ``int64`` key: ``docnum << 32 | position``,
        ascending — a phrase is the keys of its first term that, shifted by ``j``, are keys
        of its ``j``-th. ``within``: only in these documents (sorted); only the span of
        positions their postings hold is read."""
        f = self._fields[field]
        i = f.find(term_key(term))
        if i < 0:
            return np.zeros(0, np.int64)
        lo, hi = int(f.starts[i]), int(f.starts[i + 1])
        docs = self._read(f.entry["docs"], lo, hi)
        every = within is None
        kept = np.arange(len(docs)) if every else np.flatnonzero(np.isin(docs, within))
        if not len(kept):
            return np.zeros(0, np.int64)
        counts = self._read(f.entry["counts"], lo, hi).astype(np.int64)
        ends = np.cumsum(counts)
        begin, plo = int(ends[kept[0]] - counts[kept[0]]), int(f.tpos[i])
        where = self._read(f.entry["positions"], plo + begin, plo + int(ends[kept[-1]]))
        if not every:
            counts = counts[kept]
            where = where[_ranges(ends[kept] - counts - begin, counts)]
        keys = np.repeat(docs[kept].astype(np.int64), counts) << 32
        return keys | where.astype(np.int64)

    def chained(
        self, field: str, links: list[tuple[int, str]], docs: np.ndarray, spend=None
    ) -> np.ndarray:
        """The documents among ``docs`` (sorted) where every ``(offset, term)`` of ``links``
        stands at the first one's position plus its offset (a phrase: offsets 0, 1, 2…).
        ``spend(units)``: told the work once the first term's occurrences are read."""
        keys = None
        first = links[0][0]
        for offset, term in links:
            found = self.doc_positions(field, term, docs)
            if keys is None:
                keys = found
                if spend is not None:
                    spend(len(keys) * len(links))
            else:  # occurrence keys are distinct, and so are they shifted
                keys = keys[np.isin(keys + (offset - first), found, assume_unique=True)]
            if not len(keys):
                break
        return np.unique(keys >> 32).astype(np.int32)


def idf(searcher, files: list[FlatSegment | None], field: str, text: str) -> float:
    """``searcher.idf(field, text)`` (Whoosh's BM25F idf), each segment's document frequency
    from its flat file (``files``, one per subsearcher) when that holds ``field``, else Whoosh's."""
    subs = searcher.subsearchers or [(searcher, 0)]
    df = 0
    for (sub, _), flat in zip(subs, files, strict=True):
        has = flat is not None and flat.has(field)
        df += flat.doc_frequency(field, text) if has else sub.doc_frequency(field, text)
    return log(searcher.doc_count_all() / (df + 1)) + 1


def segment_id(reader) -> str | None:
    """The id of a segment reader's segment; None for an empty index (no segment yet)."""
    segment = reader.segment() if hasattr(reader, "segment") else None
    return segment.segment_id() if segment is not None else None


class Opened:
    """The flat postings files of one index folder, each opened once (by segment id) and shared
    by every thread; one dropped from here closes when the last request using it lets go."""

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._open: dict[tuple[str, int], FlatSegment | None] = {}
        self._lock = threading.Lock()

    def get(self, reader) -> FlatSegment | None:
        """The flat postings of a Whoosh segment reader, None if it has none."""
        sid = segment_id(reader)
        if sid is None:
            return None
        key = (sid, reader.doc_count_all())
        found = self._open.get(key, False)
        if found is False:
            with self._lock:
                found = self._open.get(key, False)
                if found is False:
                    found = self._open[key] = FlatSegment.open(self.folder, *key)
        return found

    def keep_only(self, segment_ids: set[str]) -> None:
        with self._lock:
            self._open = {k: v for k, v in self._open.items() if k[0] in segment_ids}


def derive(reader, fields=FIELDS) -> dict[str, FieldArrays]:
    """The flat postings of a Whoosh segment, read through its codec a block at a time (every
    term of every field; for tests, and segments written before this file existed)."""
    out = {}
    for name in fields:
        if name not in reader.schema or not reader.schema[name].indexed:
            continue
        fmt = reader.schema[name].format
        positional = fmt.supports("positions")
        terms, lengths, docs, weights, values = [], [], [], [], []
        table = reader._terms
        for (field, btext), info in table.items_from(name, b""):
            if field != name:
                break
            terms.append(btext.decode("utf-8"))
            before = len(docs)
            matcher = table._codec.postings_reader(table._postfile, info, fmt)
            for ids, ws, vs in posting_blocks(matcher):
                docs.extend(ids.tolist())
                weights.extend(ws.tolist())
                values.extend(vs)
            lengths.append(len(docs) - before)
        counts = where = None
        if positional:
            decoded = [_positions(v) for v in values]
            counts = np.fromiter(map(len, decoded), np.int64, len(decoded))
            where = np.fromiter(chain.from_iterable(decoded), np.int64, int(counts.sum()))
        out[name] = FieldArrays(
            terms,
            np.concatenate(([0], np.cumsum(lengths, dtype=np.int64))),
            np.asarray(docs, np.int32),
            np.asarray(weights, np.float32),
            counts,
            where,
        )
    return out


def _positions(value: bytes) -> list[int]:
    """``formats.Positions.decode_positions``: a count, then the pickled deltas."""
    return list(accumulate(loads(value[4:]))) if value else []

"""A segment's term index (``.trm``) and postings (``.pst``), written a field at a time in the
whoosh3 codec's on-disk format.

Whoosh's ``W3FieldWriter`` / ``W3PostingsWriter`` do, per term, a dozen method calls, a file
``tell`` per table row, and per block a pickle, a zlib stream and a term-info update; with a few
hundred thousand terms per segment that was half the indexing time. Here one function encodes a
term's blocks into bytes in memory (offsets by arithmetic, no ``tell``), a field's postings go to
the file in one write, and the term table's rows are added to Whoosh's own ``OrderedHashWriter``
in bulk (its buckets and key index filled directly), which still writes the hash tables and the
field map at ``close``.

The bytes are the ones ``W3PostingsWriter`` writes — block header, ``(count, last id, max
weight, compression, min length byte, max length byte)`` info pickle, ``(delta ids, weights,
values)`` data pickle, the same minified weights and values, ``W3TermInfo.to_bytes`` rows —
with one choice Whoosh's writer makes badly: its ``_write_block`` means to skip compressing tiny
blocks and does not (the level is recorded per block, and the reader decompresses a block only
when it says so). ``compress_min`` is the smallest pickled block that is compressed. A block's
data tuple is pickled with ``protocol`` (``PROTOCOL``, 4): Whoosh's 2 pickles every value (a
``bytes`` object) through ``_codecs.encode`` of a latin-1 string — encoding a segment's ``text``
postings took twice the time and 1.9× the bytes (600 pages: 5.5 s and 36 MB against 2.6 s and
19 MB) — and its reader unpickles any protocol (``pickle.loads``). With
``compress_min=0, protocol=2`` what is written is what Whoosh writes, byte for byte;
``tests/test_segments.py`` compares that with a stock segment, and the default's postings with a
stock segment's, term for term.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from hashlib import md5
from itertools import accumulate, islice, pairwise, repeat
from pickle import dumps

import numpy as np
from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo

# Blocks whose pickled data is smaller than this are stored uncompressed: zlib's per-call setup
# costs more than it saves on a few postings (most terms have one or two).
COMPRESS_MIN = 256
PROTOCOL = 4  # a block's data pickle (Whoosh writes 2; see the module docstring)
FLUSH_TERMS = 20_000  # terms encoded between two writes (a field's bytes are not all held)

_BLOCK_LEN = struct.Struct("!i")
_TERM_KEY = struct.Struct("!H")
_TERMINFO = W3TermInfo._struct
_EXTENT = struct.Struct("!qi")  # pack_long(offset) + pack_int(length)
_ROW_LENGTHS = struct.Struct("!ii")  # filetables._lengths: key and value lengths of a row
_NO_ID = 0xFFFFFFFF


def _hash(key: bytes) -> int:
    """``filetables.md5_hash``: the low 32 bits of the key's MD5, as an integer."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")


@dataclass
class TermArrays:
    """One field's postings for a segment, sorted: ``terms`` in byte order; term k's postings
    are rows ``starts[k]:starts[k + 1]`` of ``docs`` (int32, ascending within a term) and
    ``weights`` (float32). For a positional field, posting i's positions, in order, are
    ``positions[pos_starts[i]:pos_starts[i + 1]]`` (uint32); otherwise both are None and
    ``values`` / ``value_ends`` hold each posting's Whoosh value bytes (or are None: the
    format keeps none)."""

    terms: list[bytes]
    starts: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32, one per posting
    weights: np.ndarray  # float32
    positions: np.ndarray | None = None  # uint32
    pos_starts: np.ndarray | None = None  # int64, postings + 1
    values: bytes | None = None
    value_ends: np.ndarray | None = None  # int64, postings + 1 (value i: ends[i]:ends[i + 1])
    keys: np.ndarray | None = None  # by_key: the terms' keys, ascending (terms in that order)

    def __len__(self) -> int:
        return len(self.docs)


class _TermIds(dict):
    """Term → term number, numbered in order of first sight (``ids[term]`` adds a new one)."""

    def __missing__(self, term) -> int:
        self[term] = got = len(self)
        return got


class FieldPostings:
    """One field's postings for a segment, gathered in memory as flat arrays.

    A positional field (``positional=True``: Whoosh's ``Positions`` format) keeps one row per
    token — term number, document, position (12 bytes) — in the order the document's tokens
    came; its postings (a term's positions in a document) are made at the end with numpy
    (``arrays``). Any other field keeps one row per posting: term number, document, weight and
    the end of its value in one byte buffer. ``arrays()`` gives either as ``TermArrays``;
    ``by_term`` is what the term files are written from.
    """

    __slots__ = ("terms", "positional", "boost", "tids", "docs", "weights", "ends", "values",
                 "pos", "decode", "_arrays", "by_key")  # fmt: skip

    def __init__(self, positional: bool = False, boost: float = 1.0, decode=None):
        self.terms = _TermIds()  # term (str or bytes) → term number
        self.positional, self.boost = positional, boost
        self.decode = decode  # value bytes → positions (``Positions.decode_positions``)
        self.tids = array("I")
        self.docs = array("I")
        self.weights = array("f")  # the block buffer keeps weights as float32 anyway
        self.ends = array("I")
        self.values = bytearray()
        self.pos = array("I")  # positional: one row per token
        self._arrays: TermArrays | None = None
        # A function of the terms (str, in order of their numbers) giving each a uint64 key:
        # terms are then sorted by key, not bytes (a field of the flat file alone).
        self.by_key = None

    def __len__(self) -> int:
        return len(self.docs)

    @classmethod
    def sorted(cls, arrays: TermArrays) -> FieldPostings:
        """Postings sorted already (``unitcodes``): ``arrays()`` gives ``arrays``."""
        out = cls(arrays.positions is not None)
        out._arrays = arrays
        return out

    def add(self, btext, docnum: int, weight: float, vbytes: bytes) -> None:
        """One posting; ``btext`` as bytes or str (encoded once per term when written)."""
        if self.positional:
            poses = self.decode(vbytes)
            self.add_tokens(docnum, [btext] * len(poses), poses)
        else:
            self.add_doc(docnum, [btext], [weight], [vbytes or b""])  # add_reader passes None

    def add_doc(self, docnum: int, terms: list, weights: list, values: list) -> None:
        """One document's postings in this field (not positional): a distinct term each."""
        self.tids.extend(map(self.terms.__getitem__, terms))
        self.docs.extend(repeat(docnum, len(terms)))
        self.weights.extend(weights)
        self.ends.extend(islice(accumulate(map(len, values), initial=len(self.values)), 1, None))
        self.values += b"".join(values)

    def add_one(self, docnum: int, term, weight: float, value: bytes) -> None:
        """``add_doc`` of a document with one term in this field."""
        self.tids.append(self.terms[term])
        self.docs.append(docnum)
        self.weights.append(weight)
        self.values += value
        self.ends.append(len(self.values))

    def add_tokens(self, docnum: int, terms: list, positions: list) -> None:
        """One document's tokens in a positional field: term and position of each, in order."""
        self.tids.extend(map(self.terms.__getitem__, terms))
        self.docs.extend(repeat(docnum, len(terms)))
        self.pos.extend(positions)

    def arrays(self) -> TermArrays:
        """The postings sorted by term (then document), as ``TermArrays``; made once, after
        which the rows gathered are dropped (nothing can be added any more)."""
        if self._arrays is None:
            self._arrays = self._sort()
            self.tids = self.docs = self.weights = self.ends = self.pos = None
            self.values = None
        return self._arrays

    def _ranks(self) -> tuple[list, np.ndarray, np.ndarray | None]:
        """The distinct terms in order, each term number's rank among them, and their keys
        (``by_key``) or None (byte order). A term given as str and as bytes is one term."""
        if self.by_key is not None:
            texts = [t.decode() if isinstance(t, bytes) else t for t in self.terms]
            keys, first, rank = np.unique(self.by_key(texts), True, True)
            if len(keys) != len(set(texts)):
                raise ValueError("two terms share a key")
            return [texts[i] for i in first.tolist()], rank.astype(np.uint64), keys
        encoded = [t if isinstance(t, bytes) else t.encode() for t in self.terms]
        names = sorted(set(encoded))
        position = {t: i for i, t in enumerate(names)}
        return names, np.array([position[t] for t in encoded], np.uint64), None

    def _sort(self) -> TermArrays:
        names, rank, term_keys = self._ranks()
        # one key per row, term rank then document: sorted (stably: a document's tokens keep
        # their order), it gives both; one array of 8 bytes a row is all the sort holds
        key = rank[np.frombuffer(self.tids, np.uint32)] if len(self.tids) else rank[:0]
        key <<= np.uint64(32)
        key |= np.frombuffer(self.docs, np.uint32)
        order = np.argsort(key, kind="stable")
        key = key[order]
        if self.positional:
            positions = np.frombuffer(self.pos, np.uint32)[order]
            del order
            # a posting is a run of tokens with the same term and document
            new = np.ones(len(key), bool)
            np.not_equal(key[1:], key[:-1], out=new[1:])
            first = np.flatnonzero(new)
            pos_starts = np.append(first, len(key)).astype(np.int64)
            key = key[first]
            keys, docs = (key >> np.uint64(32)).astype(np.int64), key & np.uint64(0xFFFFFFFF)
            weights = (np.diff(pos_starts) * self.boost).astype(np.float32)
            starts = np.searchsorted(keys, np.arange(len(names) + 1)).astype(np.int64)
            return TermArrays(names, starts, docs.astype(np.int32), weights,
                              positions=positions, pos_starts=pos_starts, keys=term_keys)  # fmt: skip
        keys, docs = (key >> np.uint64(32)).astype(np.int64), key & np.uint64(0xFFFFFFFF)
        starts = np.searchsorted(keys, np.arange(len(names) + 1)).astype(np.int64)
        weights = np.frombuffer(self.weights, np.float32)[order]
        ends = np.frombuffer(self.ends, np.uint32).astype(np.int64)
        begins = np.concatenate(([0], ends[:-1]))
        lengths = (ends - begins)[order]
        if not lengths.any():  # a format without values (Existence)
            return TermArrays(names, starts, docs.astype(np.int32), weights, keys=term_keys)
        buf = bytes(self.values)
        if np.array_equal(order, np.arange(len(order))):
            values = buf
        else:
            values = b"".join([buf[a:b] for a, b in zip(begins[order].tolist(),
                                                        ends[order].tolist(), strict=True)])  # fmt: skip
        value_ends = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        return TermArrays(names, starts, docs.astype(np.int32), weights,
                          values=values, value_ends=value_ends)  # fmt: skip

    def by_term(self, chunk: int = 1 << 17):
        """``(btext, docnums, weights, values)`` per term in byte order (lists, each in
        document order; ``values`` are new bytes objects: Whoosh's value encoding)."""
        arr = self.arrays()
        names, starts = arr.terms, arr.starts.tolist()
        i, lo = 0, 0
        while i < len(names):
            # Convert the sorted postings to lists a chunk of whole terms at a time.
            j = max(i + 1, bisect_right(starts, lo + chunk, i) - 1)
            hi = starts[j]
            d, w = arr.docs[lo:hi].tolist(), arr.weights[lo:hi].tolist()
            v = _values(arr, lo, hi)
            for k in range(i, j):
                a, b = starts[k] - lo, starts[k + 1] - lo
                yield names[k], d[a:b], w[a:b], v[a:b]
            i, lo = j, hi


_ONE_MAX = 4096
_POS_HEAD = b"\x00\x00\x00\x01\x80\x02]q\x00"  # pack_uint(1) + pickle protocol 2, a list
# The rest of ``Positions.encode([p])`` for a single position p: the pickled int and APPEND.
_ONE_POS = [b"K" + bytes((p,)) + b"a." for p in range(256)] + [
    b"M" + p.to_bytes(2, "little") + b"a." for p in range(256, _ONE_MAX)
]


def encode_positions(poses: list[int]) -> bytes:
    """``formats.Positions.encode``: ``pack_uint(len) + pickle(deltas, 2)`` — built by hand for
    the common single position (a new bytes object each time, as Whoosh makes them: the block
    pickle must not find the same object twice)."""
    if len(poses) == 1 and poses[0] < _ONE_MAX:
        return _POS_HEAD + _ONE_POS[poses[0]]
    deltas = [poses[0]]
    deltas += [b - a for a, b in pairwise(poses)]
    return struct.pack("!I", len(poses)) + dumps(deltas, 2)


def _values(arr: TermArrays, lo: int, hi: int) -> list:
    """Postings ``lo:hi``'s value bytes, as Whoosh's format encodes them."""
    if arr.positions is not None:
        ps = arr.pos_starts[lo : hi + 1].tolist()
        flat = arr.positions[ps[0] : ps[-1]].tolist()
        base, head, one, top = ps[0], _POS_HEAD, _ONE_POS, _ONE_MAX
        return [
            head + one[p]
            if b - a == 1 and (p := flat[a - base]) < top
            else encode_positions(flat[a - base : b - base])
            for a, b in pairwise(ps)
        ]
    if arr.values is None:
        return [b""] * (hi - lo)
    ends, buf = arr.value_ends[lo : hi + 1].tolist(), arr.values
    return [buf[a:b] for a, b in pairwise(ends)]


def encode_term(ids: list, ws: list, vals: list, lbytes, fixedsize, level, limit, compress_min,
                protocol: int = PROTOCOL):  # fmt: skip
    """One term's postings (document numbers, weights, values, in document order) as the bytes
    of its blocks, and its ``W3TermInfo`` fields ``(weight, df, min length byte, max length
    byte, max weight, min id, max id)``. ``lbytes[docnum]`` is the document's length byte in
    this field (None: the field is not scorable); lengths and their bytes order alike, so the
    minimum and maximum are taken on bytes."""
    n = len(ids)
    if n == 1:  # half the terms of a segment: _block's work for one posting, inline
        i, w, v = ids[0], ws[0], vals[0]
        weight = maxw = 1.0 if w == 1.0 else w
        if lbytes is None or not (b := lbytes[i]):
            minb, maxb = None, 0
        else:
            minb = maxb = b
        mv = (v,) if v else ()
        if fixedsize is not None:
            mv = None if fixedsize == 0 else v
        data = dumps(((i,), None if w == 1.0 else w, mv), protocol)
        comp = level if len(data) >= compress_min else 0
        if comp:
            data = zlib.compress(data, comp)
        info = dumps((1, i, max(0, maxw), comp, minb or 0, maxb), 2)
        blob = _BLOCK_LEN.pack(-(len(info) + len(data))) + info + data
        return WHOOSH3_HEADER_MAGIC + blob, (weight, 1, minb, maxb, max(0, maxw), i, i)
    if n <= limit:  # most terms: one block
        blob, weight, minb, maxb, maxw = _block(
            ids, ws, vals, lbytes, fixedsize, level, compress_min, True, protocol
        )
        return WHOOSH3_HEADER_MAGIC + blob, (weight, n, minb, maxb, maxw, ids[0], ids[-1])
    out = [WHOOSH3_HEADER_MAGIC]
    total_w = 0.0
    minlen, maxlen, maxw = None, 0, 0
    for start in range(0, n, limit):
        end = start + limit
        blob, weight, bmin, bmax, bmaxw = _block(
            ids[start:end], ws[start:end], vals[start:end], lbytes, fixedsize, level,
            compress_min, end >= n, protocol,
        )  # fmt: skip
        out.append(blob)
        # W3TermInfo.add_block, block by block
        total_w += weight
        if minlen is None:
            minlen = bmin
        elif bmin is not None:
            minlen = min(minlen, bmin)
        maxlen = max(maxlen, bmax)
        maxw = max(maxw, bmaxw)
    return b"".join(out), (total_w, n, minlen, maxlen, maxw, ids[0], ids[-1])


def _block(ids, ws, vals, lbytes, fixedsize, level: int, compress_min: int, last: bool,
           protocol: int = PROTOCOL):  # fmt: skip
    """``W3PostingsWriter._write_block`` of these postings: its bytes, and the block's weight
    sum, min and max length bytes and max weight (what ``W3TermInfo.add_block`` adds up)."""
    n = len(ids)
    if n == 1:
        deltas = (ids[0],)
    else:
        deltas = [ids[0]]  # delta_encode starts from 0 in every block
        deltas += [b - a for a, b in pairwise(ids)]
        deltas = tuple(deltas)
    if ws.count(1.0) == n:
        mw, weight, maxw = None, float(n), 1.0
    else:
        weight = sum(ws)
        maxw = max(0, max(ws))
        mw = ws[0] if ws.count(ws[0]) == n else tuple(ws)
    if lbytes is None:
        minb, maxb = None, 0
    else:
        bs = [b for b in map(lbytes.__getitem__, ids) if b]
        minb, maxb = (min(bs), max(bs)) if bs else (None, 0)
    if fixedsize is None:
        mv = tuple([v for v in vals if v])
    elif fixedsize == 0:
        mv = None
    else:
        mv = b"".join(vals)
    data = dumps((deltas, mw, mv), protocol)
    comp = level if len(data) >= compress_min else 0
    if comp:
        data = zlib.compress(data, comp)
    info = dumps((n, ids[-1], maxw, comp, minb or 0, maxb), 2)
    size = len(info) + len(data)
    return _BLOCK_LEN.pack(-size if last else size) + info + data, weight, minb, maxb, maxw


def terminfo_bytes(stats, offset: int, length: int) -> bytes:
    """``W3TermInfo.to_bytes`` of a term written at ``offset`` (not inlined)."""
    weight, df, minb, maxb, maxw, minid, maxid = stats
    return _TERMINFO.pack(
        False,
        weight,
        df,
        minb or 0,
        maxb,
        maxw,
        _NO_ID if minid is None else minid,
        _NO_ID if maxid is None else maxid,
    ) + _EXTENT.pack(offset, length)


def write_field(
    fieldwriter,
    fieldname: str,
    fieldobj,
    postings: FieldPostings,
    lbytes,
    compress_min: int = COMPRESS_MIN,
    protocol: int = PROTOCOL,
) -> None:
    """All of one field's postings (``lbytes`` as for ``encode_term``) through an open ``W3FieldWriter``: its
    postings file and term table, as ``start_field``/``start_term``/``add``/``finish_term``
    would leave them."""
    fieldwriter.start_field(fieldname, fieldobj)
    pw = fieldwriter._postwriter
    if pw._inlinelimit > 1:  # the inline path (broken in 2.7.5 anyway) is not written here
        raise NotImplementedError("inlinelimit > 1")
    fieldid = fieldwriter._fieldmap[fieldname]
    fixedsize = fieldobj.format.fixed_value_size()
    level, limit = pw._compression, pw._blocklimit
    postfile = fieldwriter._postfile
    tindex = fieldwriter._tindex
    tfile = tindex.dbfile
    offset = postfile.tell()
    row_pos = tfile.tell()
    if tindex.lastkey and _TERM_KEY.pack(fieldid) <= tindex.lastkey[:2]:
        raise ValueError(f"field {fieldname!r} written out of order")
    prefix = _TERM_KEY.pack(fieldid)
    buckets, index = tindex.buckets, tindex.index
    key = b""
    terms = postings.by_term()
    while chunk := list(islice(terms, FLUSH_TERMS)):
        # a chunk of terms at a time, each step a list comprehension over the chunk
        encoded = [encode_term(i, w, v, lbytes, fixedsize, level, limit, compress_min, protocol)
                   for _t, i, w, v in chunk]  # fmt: skip
        keys = [prefix + c[0] for c in chunk]
        blobs = [e[0] for e in encoded]
        offsets = list(accumulate(map(len, blobs), initial=offset))
        offset = offsets.pop()
        values = [terminfo_bytes(e[1], o, len(b))
                  for e, o, b in zip(encoded, offsets, blobs, strict=True)]  # fmt: skip
        # OrderedHashWriter.add: each row's position in the key index and its hash bucket
        places = list(accumulate([8 + len(k) + len(v) for k, v in zip(keys, values, strict=True)],
                                 initial=row_pos))  # fmt: skip
        row_pos = places.pop()
        _extend_index(index, places)
        for h, place in zip(map(_hash, keys), places, strict=True):
            buckets[h & 255].append((h, place))
        postfile.write(b"".join(blobs))
        tfile.write(b"".join([part for k, v in zip(keys, values, strict=True)
                              for part in (_ROW_LENGTHS.pack(len(k), len(v)), k, v)]))  # fmt: skip
        key = keys[-1]
    if key:
        tindex.lastkey = key
    fieldwriter.finish_field()


_TYPE_MAX = {"H": 1 << 16, "i": 1 << 31, "I": 1 << 32, "q": 1 << 63}


def _extend_index(index, places: list[int]) -> None:
    """``index.append`` of each of ``places`` (increasing), Whoosh's ``GrowableArray``: one
    ``extend`` when its array type holds them all, else one by one (it widens the type)."""
    arr = index.array
    if places and isinstance(arr, array) and places[-1] < _TYPE_MAX.get(arr.typecode, 0):
        arr.extend(places)
    else:
        for place in places:
            index.append(place)


_SLOT = np.dtype([("hash", ">u4"), ("position", ">i8")])  # filetables._pointer, "!Iq"


def write_hashes(tindex) -> None:
    """``HashWriter._write_hashes`` of a term table (``OrderedHashWriter``): the same 256 hash
    tables — slot ``(hash >> 8) % slots``, linear probing in the order the keys were added —
    each written with one write instead of one per slot."""
    dbfile = tindex.dbfile
    for entries in tindex.buckets:
        numslots = 2 * len(entries)
        tindex.directory.append((dbfile.tell(), numslots))
        hashes, positions = [0] * numslots, [0] * numslots
        for h, pos in entries:
            slot = (h >> 8) % numslots
            while hashes[slot] or positions[slot]:  # (0, 0) is the empty slot
                slot = (slot + 1) % numslots
            hashes[slot], positions[slot] = h, pos
        table = np.empty(numslots, _SLOT)
        table["hash"], table["position"] = hashes, positions
        dbfile.write(table.tobytes())

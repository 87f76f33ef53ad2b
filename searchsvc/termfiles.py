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
when it says so). ``compress_min`` is the smallest pickled block that is compressed; 0 writes
what Whoosh writes, byte for byte. ``tests/test_segments.py`` compares both ways with a stock
segment.
"""

from __future__ import annotations

import struct
import zlib
from array import array
from hashlib import md5
from itertools import pairwise
from pickle import dumps

from whoosh.codec.whoosh3 import WHOOSH3_HEADER_MAGIC, W3TermInfo
from whoosh.util.numeric import length_to_byte

# Blocks whose pickled data is smaller than this are stored uncompressed: zlib's per-call setup
# costs more than it saves on a few postings (most terms have one or two).
COMPRESS_MIN = 256

_BLOCK_LEN = struct.Struct("!i")
_TERM_KEY = struct.Struct("!H")
_TERMINFO = W3TermInfo._struct
_EXTENT = struct.Struct("!qi")  # pack_long(offset) + pack_int(length)
_ROW_LENGTHS = struct.Struct("!ii")  # filetables._lengths: key and value lengths of a row
_NO_ID = 0xFFFFFFFF


def _hash(key: bytes) -> int:
    """``filetables.md5_hash``: the low 32 bits of the key's MD5, as an integer."""
    return int.from_bytes(md5(key, usedforsecurity=False).digest()[-4:], "big")


def encode_term(postings: list, lengths, fixedsize, level: int, limit: int, compress_min: int):
    """One term's postings (``(docnum, weight, vbytes)`` in document order) as the bytes of its
    blocks, and its ``W3TermInfo`` fields ``(weight, df, minlength, maxlength, maxweight, minid,
    maxid)``. ``lengths[docnum]`` is the document's stored field length (None: not scorable)."""
    out = [WHOOSH3_HEADER_MAGIC]
    total_w = 0.0
    minlen, maxlen, maxw = None, 0, 0
    n = len(postings)
    last_id = 0
    for start in range(0, n, limit):
        block = postings[start : start + limit]
        ids = [p[0] for p in block]
        weights = array("f", [p[1] for p in block])
        deltas = [ids[0]]  # delta_encode starts from 0 in every block
        deltas += [b - a for a, b in pairwise(ids)]
        last_id = ids[-1]
        bmaxw = max(0, max(p[1] for p in block))
        if lengths is None:
            bmin, bmax = None, 0
        else:
            ls = [x for x in map(lengths.__getitem__, ids) if x]
            bmin, bmax = (min(ls), max(ls)) if ls else (None, 0)
        w0 = weights[0]
        if w0 == 1.0 and weights.count(1.0) == len(weights):
            mw = None
        elif weights.count(w0) == len(weights):
            mw = w0
        else:
            mw = tuple(weights)
        if fixedsize is None:
            mv = tuple(v for _d, _w, v in block if v)
        elif fixedsize == 0:
            mv = None
        else:
            mv = b"".join([p[2] for p in block])
        data = dumps((tuple(deltas), mw, mv), 2)
        comp = level if len(data) >= compress_min else 0
        if comp:
            data = zlib.compress(data, comp)
        info = dumps(
            (len(ids), ids[-1], bmaxw, comp, length_to_byte(bmin), length_to_byte(bmax)), 2
        )
        size = len(info) + len(data)
        out.append(_BLOCK_LEN.pack(-size if start + limit >= n else size))
        out.append(info)
        out.append(data)
        # W3TermInfo.add_block, block by block
        total_w += sum(weights)
        if minlen is None:
            minlen = bmin
        elif bmin is not None:
            minlen = min(minlen, bmin)
        maxlen = max(maxlen, bmax)
        maxw = max(maxw, bmaxw)
    stats = (total_w, n, minlen, maxlen, maxw, postings[0][0], last_id)
    return b"".join(out), stats


def terminfo_bytes(stats, offset: int, length: int) -> bytes:
    """``W3TermInfo.to_bytes`` of a term written at ``offset`` (not inlined)."""
    weight, df, minlen, maxlen, maxw, minid, maxid = stats
    return _TERMINFO.pack(
        False,
        weight,
        df,
        0 if minlen is None else length_to_byte(minlen),
        length_to_byte(maxlen),
        maxw,
        _NO_ID if minid is None else minid,
        _NO_ID if maxid is None else maxid,
    ) + _EXTENT.pack(offset, length)


def write_field(
    fieldwriter,
    fieldname: str,
    fieldobj,
    terms: dict,
    lengths,
    compress_min: int = COMPRESS_MIN,
) -> None:
    """All of one field's terms (``btext → postings``) through an open ``W3FieldWriter``: its
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
    posts, rows = [], []
    buckets, index = tindex.buckets, tindex.index
    key = b""
    for btext in sorted(terms):
        blob, stats = encode_term(terms[btext], lengths, fixedsize, level, limit, compress_min)
        posts.append(blob)
        key = prefix + btext
        value = terminfo_bytes(stats, offset, len(blob))
        offset += len(blob)
        # OrderedHashWriter.add: the row's position in the key index and its hash bucket
        index.append(row_pos)
        h = _hash(key)
        buckets[h & 255].append((h, row_pos))
        rows.append(_ROW_LENGTHS.pack(len(key), len(value)))
        rows.append(key)
        rows.append(value)
        row_pos += 8 + len(key) + len(value)
    postfile.write(b"".join(posts))
    tfile.write(b"".join(rows))
    if key:
        tindex.lastkey = key
    fieldwriter.finish_field()

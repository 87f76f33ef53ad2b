"""Whole Whoosh segments written at once, and the merge policy that keeps their number bounded.

Whoosh's ``SegmentWriter`` sends every posting through a posting pool (an external sort that
pickles runs to disk) and, at commit, looks up the document's field length once per posting; its
``add_document`` makes each field's postings through Token objects and ``Format.word_values``.
For a batch of thousands of paragraphs that is most of the indexing time. ``SegmentBuilder`` is
a ``SegmentWriter`` whose pool is a plain dict in memory — field → term → postings, already in
document order. Its ``add_document`` makes our analyzers' postings straight from the tokenizer's
``(term, position, start, end)`` (``field_items``; the values are ``Positions``/``Frequency``
encodings built as Whoosh builds them) and hands stored fields, field lengths and columns to
Whoosh's own per-document writer unchanged. At ``finish`` each field's terms are written at once
in the whoosh3 format by ``termfiles``. The result is a standard Whoosh segment: the caller puts
it in a TOC and commits the normal way (TOC write + rename).

It leans on writer internals of whoosh-reloaded 2.7.5 (pinned in pyproject.toml): the attribute
names ``SegmentWriter.add_document`` uses, the field writer's files and term table
(``_postfile``, ``_tindex``, ``_fieldmap``, ``_postwriter``) and the codec's block format.
``tests/test_segments.py`` checks each of them, that a built segment equals, term for term, the
one ``add_document`` + ``commit`` writes, and that with every block compressed its files are
Whoosh's bytes exactly.
"""

from __future__ import annotations

import math
from collections import defaultdict
from itertools import pairwise
from pickle import dumps

import numpy as np
from whoosh.codec import default_codec
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence, Frequency, Positions
from whoosh.reading import SegmentReader
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from searchsvc import flatpostings, termfiles
from searchsvc.analysis import NormalizedTokenizer, normalize

BLOCK_LIMIT_DEFAULT = 128
# A segment holding at least this many documents was written by a bulk run; the merge policy
# leaves it alone (merging it would rewrite a large part of the archive on a live commit).
BIG_SEGMENT_DOCS = 20_000
SEGMENTS_PER_TIER = 6  # small segments of one size tier merged once there are this many


class _PrivateTempStorage(FileStorage):
    """The index folder, but with a temp folder of the segment's own: several builders (worker
    processes) write into one folder at once, and Whoosh's fixed ``MAIN.tmp`` would be shared
    (and destroyed by whichever finished first). Named like a segment file, ``MAIN_<id>.tmp``,
    so a killed build's leftovers are cleaned like any orphan segment file."""

    def __init__(self, folder: str, tempname: str):
        super().__init__(folder)
        self._tempname = tempname

    def temp_storage(self, name=None):
        return super().temp_storage(self._tempname)


class _MemoryPool:
    """Stands in for Whoosh's ``PostingPool``: ``add`` gets the same tuples and keeps them by
    field (``termfiles.FieldPostings``). Documents are added in order, so each term's postings
    are in document order."""

    def __init__(self):
        self.fields: defaultdict[str, termfiles.FieldPostings] = defaultdict(
            termfiles.FieldPostings
        )

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        self.fields[fieldname].add(tbytes, docnum, weight, vbytes)

    def cleanup(self) -> None:
        self.fields.clear()


class SegmentBuilder(SegmentWriter):
    """Build one new segment in ``folder``: ``add_document`` (and ``add_reader``) like a
    ``SegmentWriter``, then ``finish()`` returns the segment for the caller's TOC.

    No lock is taken and no TOC is read or written: the caller holds the index's write lock
    and commits. ``cancel()`` removes what was written.
    """

    def __init__(
        self,
        folder,
        schema,
        indexname: str,
        codec=None,
        compound: bool = True,
        compress_min: int = termfiles.COMPRESS_MIN,
    ):
        # Not SegmentWriter.__init__: that locks the index, reads its TOC and opens a pool on
        # disk. These are the attributes its other methods use.
        self.writelock = None
        self.codec = codec or default_codec()
        self.indexname = indexname
        self.newsegment = self.codec.new_segment(None, indexname)
        self.storage = _PrivateTempStorage(str(folder), f"{indexname}_{self.newsegment.segid}.tmp")
        self.schema = schema
        self.generation = None
        self.segments = []
        self.docnum = self.docbase = 0
        self._setup_doc_offsets()
        self._tempstorage = self.storage.temp_storage()
        self.compound = compound and self.newsegment.should_assemble()
        self.is_closed = False
        self._added = False
        self.pool = _MemoryPool()
        self.compress_min = compress_min
        self._last_items: dict[str, tuple] = {}
        self._texts: list[str] = []  # each document's ``text``, for the flat postings file
        self.perdocwriter = self.codec.per_document_writer(self.storage, self.newsegment)
        self.fieldwriter = self.codec.field_writer(self.storage, self.newsegment)
        self.merge, self.optimize, self.mergetype = True, False, None
        self._searcher = None
        for name, field in schema.items():
            if field.vector or field.separate_spelling():
                # Vectors and spelling words go through paths this builder does not write.
                raise NotImplementedError(f"field {name!r}: term vectors / spelling not supported")

    def finish(self):
        """Write the postings, close the segment's files; the segment, or None if empty."""
        self._check_state()
        self.perdocwriter.close()
        if not self._added:
            self.cancel()
            return None
        lengths = self.per_document_reader()
        try:
            flat = self._write_postings(lengths)
            texts = self._texts
            if len(texts) != self.docnum:  # documents came from ``add_reader`` (a merge)
                texts = [lengths.stored_fields(d).get("text", "") for d in range(self.docnum)]
        finally:
            lengths.close()
        self.fieldwriter.close()
        self.pool.cleanup()
        self._tempstorage.destroy()  # before assembling: its folder shares the segment's prefix
        self._assemble_segment()
        segment = self.get_segment()
        # After assembling: the compound file takes every file of the segment's name.
        flatpostings.write(self.storage.folder, segment.segment_id(), self.docnum, flat, texts)
        self.is_closed = True
        return segment

    def cancel(self) -> None:
        if not self.perdocwriter.is_closed:
            self.perdocwriter.close()
        if not self.fieldwriter.is_closed:
            self.fieldwriter.close()
        self.pool.cleanup()
        self._tempstorage.destroy()
        for name in self.newsegment.list_files(self.storage):
            self.storage.delete_file(name)
        self.is_closed = True

    def add_document(self, **fields) -> None:
        """``SegmentWriter.add_document``, with our analyzers' postings made by ``field_items``
        (no Token objects, no per-posting ``word_values``) and put straight into the pool."""
        if len(self._texts) == self.docnum:
            self._texts.append(fields.get("text") or "")
        if any(name.startswith("_") for name in fields):  # boosts, custom stored values
            return super().add_document(**fields)
        self._check_state()
        schema, docnum, perdoc = self.schema, self.docnum, self.perdocwriter
        names = sorted(fields)
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = self._index(name, field, value, docnum) if field.indexed else 0
                perdoc.add_field(name, field, value if field.stored else None, length)
                column = field.column_type
                if column:
                    perdoc.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _index(self, name: str, field, value, docnum: int) -> int:
        """Add one field's postings to the pool; its length (0 if not scorable)."""
        last = self._last_items.get(name)
        if last is not None and last[0] == value:
            items = last[1]  # an article's title and bylines, once per paragraph
        else:
            items = field_items(field, value)
            if field.format.fixed_value_size() is not None:  # values never pickled one by one
                self._last_items[name] = (value, items)
        terms, freqs, weights, values = items
        self.pool.fields[name].add_doc(docnum, terms, weights, values)
        return sum(freqs) if field.scorable else 0

    def _write_postings(self, pdr) -> dict[str, flatpostings.FieldArrays]:
        """Write each field's term files; the fields' flat postings (``flatpostings``)."""
        flat = {}
        fw = self.fieldwriter
        doccount = self.docnum
        for fieldname in sorted(self.pool.fields):
            fieldobj = self.schema[fieldname]
            if fieldobj.scorable:
                # What FieldWriter.add_postings looks up once per posting: the stored (byte-
                # quantised) field length, here once per document, as its byte.
                dfl = pdr.doc_field_length
                lbytes = [length_to_byte(dfl(d, fieldname)) for d in range(doccount)]
            else:
                lbytes = None
            postings = self.pool.fields.pop(fieldname)
            if fieldname in flatpostings.FIELDS:
                flat[fieldname] = flat_arrays(postings, fieldobj.format.supports("positions"))
            termfiles.write_field(fw, fieldname, fieldobj, postings, lbytes, self.compress_min)
            del postings
        return flat


def flat_arrays(postings: termfiles.FieldPostings, positional: bool) -> flatpostings.FieldArrays:
    """A field's pooled postings as ``flatpostings.FieldArrays``: grouped by term, each term's
    postings in document order; in a positional field, the positions decoded from the values
    (the common single position read off the bytes with numpy, the rest unpickled)."""
    names: dict[str, int] = {}
    tid_term = np.array(
        [
            names.setdefault(t.decode("utf-8") if isinstance(t, bytes) else t, len(names))
            for t in postings.terms
        ],
        np.int64,
    )
    keys = tid_term[np.frombuffer(postings.tids, np.uint32)]
    order = np.argsort(keys, kind="stable")  # a term's postings stay in document order
    starts = np.searchsorted(keys[order], np.arange(len(names) + 1))
    docs = np.frombuffer(postings.docs, np.uint32)[order].astype(np.int32)
    weights = np.frombuffer(postings.weights, np.float32)[order]
    counts = where = None
    if positional:
        ends = np.frombuffer(postings.ends, np.uint32).astype(np.int64)
        begins = np.concatenate(([0], ends[:-1]))
        counts, where = _decode_positions(bytes(postings.values), begins[order], ends[order])
    return flatpostings.FieldArrays(list(names), starts, docs, weights, counts, where)


def _decode_positions(buf: bytes, begins: np.ndarray, ends: np.ndarray):
    """Per value ``buf[begins[i]:ends[i]]`` (``Positions.encode``): its count and positions."""
    raw = np.frombuffer(buf, np.uint8)
    size = ends - begins
    head = len(_POS_HEAD)
    safe = np.minimum(begins + head, max(len(raw) - 3, 0))
    tag = raw[safe] if len(raw) else np.zeros(0, np.uint8)
    # One position: a count of 1 (``pack_uint``) and a pickled one-item list (``_ONE_POS``).
    one = (raw[safe - head + 3] == 1) & (raw[safe - head + 4] == 0x80) if len(raw) else tag
    one_byte = one & (size == head + 4) & (tag == ord("K"))
    two_byte = one & (size == head + 5) & (tag == ord("M"))
    single = np.zeros(len(size), np.int64)
    single[one_byte] = raw[safe[one_byte] + 1]
    lo, hi = raw[safe[two_byte] + 1].astype(np.int64), raw[safe[two_byte] + 2].astype(np.int64)
    single[two_byte] = lo | (hi << 8)
    simple = one_byte | two_byte
    counts = np.ones(len(size), np.int64)
    rest = np.flatnonzero(~simple)
    decoded = {}
    for i in rest.tolist():
        poses = Positions().decode_positions(buf[begins[i] : ends[i]])
        decoded[i] = poses
        counts[i] = len(poses)
    if not decoded:
        return counts, single
    where = np.empty(int(counts.sum()), np.int64)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    where[starts[simple]] = single[simple]
    for i, poses in decoded.items():
        where[starts[i] : starts[i] + counts[i]] = poses
    return counts, where


_POS_HEAD = b"\x00\x00\x00\x01\x80\x02]q\x00"  # pack_uint(1) + pickle protocol 2, a list
# The rest of ``Positions.encode([p])`` for a single position p: the pickled int and APPEND.
_ONE_POS = [b"K" + bytes((p,)) + b"a." for p in range(256)] + [
    b"M" + p.to_bytes(2, "little") + b"a." for p in range(256, 4096)
]


def encode_positions(poses: list[int]) -> bytes:
    """``formats.Positions.encode``: ``pack_uint(len) + pickle(deltas, 2)`` — built by hand for
    the common single position (a new bytes object each time, as Whoosh makes them: the block
    pickle must not find the same object twice)."""
    if len(poses) == 1 and poses[0] < 4096:
        return _POS_HEAD + _ONE_POS[poses[0]]
    deltas = [poses[0]]
    deltas += [b - a for a, b in pairwise(poses)]
    return pack_uint(len(poses)) + dumps(deltas, 2)


def field_items(field, value) -> tuple[list, list, list, list]:
    """``field.index(value)`` as four lists — terms, frequencies, weights, values, one entry per
    distinct term — computed straight from our tokenizers' ``(term, position)`` for the formats
    we use (terms as str); anything else goes through Whoosh (terms as bytes)."""
    fmt, ana = field.format, field.analyzer
    kind = type(fmt)
    if not (isinstance(ana, NormalizedTokenizer) and isinstance(value, str)) or kind not in (
        Positions,
        Frequency,
        Existence,
    ):
        rows = list(field.index(value))
        return tuple(map(list, zip(*rows, strict=True))) if rows else ([], [], [], [])
    fb = fmt.field_boost
    toks = ana.index_terms(normalize(value))
    if kind is Existence:
        terms = list({tok[0] for tok in toks})
        n = len(terms)
        return terms, [1] * n, [fb] * n, [b""] * n
    if kind is Frequency:
        counts: dict[str, int] = {}
        for tok in toks:
            counts[tok[0]] = counts.get(tok[0], 0) + 1
        freqs = list(counts.values())
        return list(counts), freqs, [f * fb for f in freqs], [pack_uint(f) for f in freqs]
    poses: dict[str, list[int]] = {}
    for term, pos in toks:
        got = poses.get(term)
        if got is None:
            poses[term] = [pos]
        else:
            got.append(pos)
    plists = list(poses.values())
    freqs = [len(p) for p in plists]
    values = [
        _POS_HEAD + _ONE_POS[p[0]] if len(p) == 1 and p[0] < 4096 else encode_positions(p)
        for p in plists
    ]
    return list(poses), freqs, [f * fb for f in freqs], values


# --------------------------------------------------------------------------- merge policy


def _tier(doc_count: int) -> int:
    return int(math.log(max(doc_count, 1), SEGMENTS_PER_TIER))


def tiered_merge(writer, segments):
    """A Whoosh merge policy (``writer.commit(mergetype=tiered_merge)``).

    Small segments — what live commits of a page or two leave — are grouped by size tier
    (powers of ``SEGMENTS_PER_TIER``); a tier holding ``SEGMENTS_PER_TIER`` of them is merged
    into one segment of the next tier, written by a ``SegmentBuilder`` (no posting pool, no
    external sort). Segments of ``BIG_SEGMENT_DOCS`` or more are never merged on a commit: the
    segment count stays bounded (a few per tier, plus the bulk segments, which a ``--full``
    compacts) and no commit rewrites the archive.
    """
    tiers: dict[int, list] = defaultdict(list)
    for seg in segments:
        if seg.doc_count() < BIG_SEGMENT_DOCS:
            tiers[_tier(seg.doc_count())].append(seg)
    merged = {id(s) for group in tiers.values() if len(group) >= SEGMENTS_PER_TIER for s in group}
    if not merged:
        return segments
    builder = SegmentBuilder(writer.storage.folder, writer.schema, writer.indexname)
    try:
        for seg in segments:
            if id(seg) in merged:
                reader = SegmentReader(writer.storage, writer.schema, seg)
                try:
                    builder.add_reader(reader)
                finally:
                    reader.close()
        new = builder.finish()
    except BaseException:
        if not builder.is_closed:
            builder.cancel()
        raise
    kept = [s for s in segments if id(s) not in merged]
    return [*kept, new] if new is not None else kept


class Staged:
    """A Whoosh writer whose new documents go to a ``SegmentBuilder`` beside it: deletions are
    the writer's, additions the builder's, and ``commit`` adds the built segment to the TOC the
    writer commits. Every segment is then one of ours, with its flat postings file."""

    def __init__(self, writer):
        self.writer = writer
        self.builder = SegmentBuilder(writer.storage.folder, writer.schema, writer.indexname)

    @property
    def is_closed(self) -> bool:
        return self.writer.is_closed

    def delete_by_term(self, fieldname: str, text: str) -> None:
        self.writer.delete_by_term(fieldname, text)

    def add_document(self, **fields) -> None:
        self.builder.add_document(**fields)

    def commit(self) -> None:
        try:
            segment = self.builder.finish()
        except BaseException:
            self.cancel()
            raise
        self.writer.commit(mergetype=with_new(segment))

    def cancel(self) -> None:
        if not self.builder.is_closed:
            self.builder.cancel()
        if not self.writer.is_closed:
            self.writer.cancel()


def with_new(segment):
    """A merge policy: ``tiered_merge``, then ``segment`` (built beside the writer) appended."""

    def policy(writer, current):
        kept = tiered_merge(writer, current)
        return [*kept, segment] if segment is not None else kept

    return policy

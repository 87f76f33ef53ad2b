"""Whole Whoosh segments written at once, and the merge policy that keeps their number bounded.

Whoosh's ``SegmentWriter`` sends every posting through a posting pool (an external sort that
pickles runs to disk) and, at commit, looks up the document's field length once per posting. For
a batch of thousands of paragraphs that is most of the indexing time. ``SegmentBuilder`` is a
``SegmentWriter`` whose pool is a plain dict in memory — field → term → postings, already in
document order — and which writes each term's postings a block at a time through Whoosh's own
field writer and postings writer (``W3FieldWriter``, ``W3PostingsWriter._write_block``). Stored
fields, field lengths and columns go through Whoosh's own ``add_document`` and per-document
writer unchanged. The result is a standard Whoosh segment: the caller puts it in a TOC and
commits the normal way (TOC write + rename).

It leans on writer internals of whoosh-reloaded 2.7.5 (pinned in pyproject.toml): the attribute
names ``SegmentWriter.add_document`` uses, the postings writer's block buffer (``_ids``,
``_weights``, ``_values``, ``_minlength``, ``_maxlength``, ``_maxweight``) and ``_write_block``.
``tests/test_segments.py`` checks each of them and that a built segment equals, term for term
and byte for byte, the one ``add_document`` + ``commit`` writes.
"""

from __future__ import annotations

import math
from array import array
from collections import defaultdict

from whoosh.codec import default_codec
from whoosh.filedb.filestore import FileStorage
from whoosh.reading import SegmentReader
from whoosh.writing import SegmentWriter

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
    """Stands in for Whoosh's ``PostingPool``: ``add`` gets the same tuples, keeps them by field
    and term. Documents are added in order, so each term's postings are in document order."""

    def __init__(self):
        self.fields: defaultdict[str, defaultdict[bytes, list]] = defaultdict(
            lambda: defaultdict(list)
        )

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        self.fields[fieldname][tbytes].append((docnum, weight, vbytes))

    def cleanup(self) -> None:
        self.fields.clear()


class SegmentBuilder(SegmentWriter):
    """Build one new segment in ``folder``: ``add_document`` (and ``add_reader``) like a
    ``SegmentWriter``, then ``finish()`` returns the segment for the caller's TOC.

    No lock is taken and no TOC is read or written: the caller holds the index's write lock
    and commits. ``cancel()`` removes what was written.
    """

    def __init__(self, folder, schema, indexname: str, codec=None, compound: bool = True):
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
            self._write_postings(lengths)
        finally:
            lengths.close()
        self.fieldwriter.close()
        self.pool.cleanup()
        self._tempstorage.destroy()  # before assembling: its folder shares the segment's prefix
        self._assemble_segment()
        self.is_closed = True
        return self.get_segment()

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

    def _write_postings(self, pdr) -> None:
        fw = self.fieldwriter
        doccount = self.docnum
        for fieldname in sorted(self.pool.fields):
            fieldobj = self.schema[fieldname]
            terms = self.pool.fields[fieldname]
            if fieldobj.scorable:
                # What FieldWriter.add_postings looks up once per posting: the stored (byte-
                # quantised) field length, here once per document.
                dfl = pdr.doc_field_length
                lengths = [dfl(d, fieldname) for d in range(doccount)]
            else:
                lengths = None
            fw.start_field(fieldname, fieldobj)
            for btext in sorted(terms):
                write_term(fw, btext, terms[btext], lengths)
            fw.finish_field()


def write_term(fieldwriter, btext: bytes, postings: list, lengths: list[int] | None) -> None:
    """One term's postings (``(docnum, weight, vbytes)`` in document order) as whole blocks:
    what ``W3PostingsWriter.add_posting`` would buffer, filled at once and written by its own
    ``_write_block``."""
    fieldwriter.start_term(btext)
    pw = fieldwriter._postwriter
    if pw._inlinelimit > 1:  # the inline path (broken in 2.7.5 anyway) is not written here
        raise NotImplementedError("inlinelimit > 1")
    limit = pw._blocklimit
    n = len(postings)
    for start in range(0, n, limit):
        block = postings[start : start + limit]
        docs, weights, values = zip(*block, strict=True)
        pw._ids = array("I", docs)
        pw._weights = array("f", weights)
        pw._values = [v for v in values if v]  # add_posting keeps only non-empty values
        if lengths is None:
            pw._minlength, pw._maxlength = None, 0
        else:
            ls = [x for x in (lengths[d] for d in docs) if x]
            pw._minlength, pw._maxlength = (min(ls), max(ls)) if ls else (None, 0)
        pw._maxweight = max(0, max(weights))
        pw._write_block(last=start + limit >= n)
    fieldwriter.finish_term()


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


def with_new(segment):
    """A merge policy: ``tiered_merge``, then ``segment`` (built beside the writer) appended."""

    def policy(writer, current):
        kept = tiered_merge(writer, current)
        return [*kept, segment] if segment is not None else kept

    return policy

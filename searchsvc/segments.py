"""Whole Whoosh segments written at once, and committed beside a Whoosh writer (``Staged``).

Whoosh's ``SegmentWriter`` sends every posting through a posting pool (an external sort that
pickles runs to disk) and, at commit, looks up the document's field length once per posting; its
``add_document`` makes each field's postings through Token objects and ``Format.word_values``.
For a batch of thousands of paragraphs that is most of the indexing time. ``SegmentBuilder`` is
a ``SegmentWriter`` whose pool is flat arrays in memory (``termfiles.FieldPostings``): a
positional field (``text``, ``gram``) keeps one row per token — term number, document, position —
straight from our analyzers' ``index_columns``; the other fields one row per posting
(``field_items``). Stored fields, field lengths and columns go through Whoosh's own
per-document writer unchanged. At ``finish`` each field's postings are sorted with numpy
(``field_arrays``: terms, docs, weights, positions as arrays — also what a sidecar of flat
postings can be written from) and written at once in the whoosh3 format by ``termfiles``, values
encoded as Whoosh's formats encode them. The result is a standard Whoosh segment: the caller puts
it in a TOC and commits the normal way (TOC write + rename). The fields of
``flatpostings.ONLY_FIELDS`` (``title``, ``names``, ``gram``, ``unit``) are written into the
segment's flat postings file alone, sorted by its term keys as they are gathered; Whoosh's files
keep their field lengths (``flat_only=()`` writes them into Whoosh's term files too, as before).

It leans on writer internals of whoosh-reloaded 2.7.5 (pinned in pyproject.toml): the attribute
names ``SegmentWriter.add_document`` uses, the field writer's files and term table
(``_postfile``, ``_tindex``, ``_fieldmap``, ``_postwriter``) and the codec's block format.
``tests/test_segments.py`` checks each of them, that a built segment equals, term for term, the
one ``add_document`` + ``commit`` writes, and that with every block compressed its files are
Whoosh's bytes exactly.
"""

from __future__ import annotations

from collections import defaultdict
from functools import partial

import numpy as np
from whoosh.analysis import IDTokenizer
from whoosh.codec import default_codec
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
from whoosh.filedb.filestore import FileStorage
from whoosh.formats import Existence, Frequency, Positions
from whoosh.system import pack_uint
from whoosh.util.numeric import length_to_byte
from whoosh.writing import SegmentWriter

from searchsvc import flatmerge, flatpostings, termfiles, unitcodes
from searchsvc.analysis import (
    NormalizedTokenizer,
    UnitBigramTokenizer,
    UnitTokenizer,
    normalize,
    normalize_lines,
)

BLOCK_LIMIT_DEFAULT = 128
SEEN_VALUES = 4096  # values of a field whose postings are remembered (see SegmentBuilder._seen)
CODED_CHUNK = 2048  # documents whose gram/unit texts are cut at once (``unitcodes``)


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
    field (``termfiles.FieldPostings``; a ``Positions`` field's as flat token rows). Documents
    are added in order, so each term's postings are in document order."""

    def __init__(self, schema):
        self.schema = schema
        self.fields: dict[str, termfiles.FieldPostings] = {}
        self.keyed: tuple[str, ...] = ()  # fields sorted by flat-file key (flat file alone)

    def field(self, name: str) -> termfiles.FieldPostings:
        got = self.fields.get(name)
        if got is None:
            fmt = self.schema[name].format
            positional = type(fmt) is Positions
            decode = fmt.decode_positions if positional else None
            got = self.fields[name] = termfiles.FieldPostings(positional, fmt.field_boost, decode)
            if name in self.keyed:
                got.by_key = flatpostings.term_keys
        return got

    def add(self, item) -> None:
        fieldname, tbytes, docnum, weight, vbytes = item
        self.field(fieldname).add(tbytes, docnum, weight, vbytes)

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
        protocol: int = termfiles.PROTOCOL,  # 2 with compress_min=0: Whoosh's bytes exactly
        flat_only: tuple[str, ...] | None = None,  # None: flatpostings.ONLY_FIELDS
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
        self.pool = _MemoryPool(schema)
        self.compress_min, self.protocol = compress_min, protocol
        # Fields written into the flat postings file alone (not into Whoosh's term files);
        # what a merge copies of them from other segments' files (``add_reader``).
        if flat_only is None:
            flat_only = flatpostings.ONLY_FIELDS
        self.flat_only = tuple(name for name in flat_only if name in schema)
        self.pool.keyed = self.flat_only
        # The flat-only fields cut by ``unitcodes`` a chunk of documents at once (gram, unit)
        self._coded = unitcodes.Coded({
            name: _positional(schema[name]) for name in self.flat_only
            if type(schema[name].analyzer) in (UnitBigramTokenizer, UnitTokenizer)
        })  # fmt: skip
        self._norms: dict[int, tuple[str, str]] = {}  # id → (value, form), this document's
        self._lines: dict[str, str | None] = {}  # line → its normal form (``normalize_lines``)
        self._flat_parts: dict[str, list[flatpostings.FieldArrays]] = defaultdict(list)
        self._texts: list[str] = []  # each document's ``text``, for the flat postings file
        # field → value → field_items(value), for the fields whose values are never pickled one
        # by one (sharing a bytes object would change the block pickle): an article's title,
        # bylines, id and source once per paragraph, the paragraph numbers, the kinds
        self._seen: dict[str, dict] = {
            name: {} for name, field in schema.items() if field.format and
            field.format.fixed_value_size() is not None and type(field.format) is not Positions
        }  # fmt: skip
        self.perdocwriter = self.codec.per_document_writer(self.storage, self.newsegment)
        self._length_columns: dict = {}  # field → the perdoc writer's column of its lengths
        # field → its length byte per document, as add_document wrote them (None: not known,
        # documents came another way — add_reader — and the lengths are read back at finish)
        self._lbytes: dict[str, bytearray] | None = {}
        self.fieldwriter = self.codec.field_writer(self.storage, self.newsegment)
        tindex = self.fieldwriter._tindex  # its hash tables written at close, in one go each
        tindex._write_hashes = partial(termfiles.write_hashes, tindex)
        self.merge, self.optimize, self.mergetype = True, False, None
        self._searcher = None
        for name, field in schema.items():
            if field.vector or field.separate_spelling():
                # Vectors and spelling words go through paths this builder does not write.
                raise NotImplementedError(f"field {name!r}: term vectors / spelling not supported")

    def add_reader(self, reader) -> None:
        """Whoosh's ``add_reader``; and the postings of the fields the segment's flat file
        alone holds, from that file (Whoosh's code copies only what Whoosh's files hold)."""
        self._settle()  # its documents' lengths are written by Whoosh's code
        base = self.docnum
        super().add_reader(reader)
        sid, count = flatpostings.segment_id(reader), reader.doc_count_all()
        # The reader's folder, not ours: a merge builds in a staging folder (``merging``).
        store = getattr(reader, "_storage", None)
        store = getattr(store, "b", store)  # a compound segment's OverlayStorage(parts, folder)
        folder = getattr(store, "folder", self.storage.folder)
        flat = flatpostings.FlatSegment.open(folder, sid, count) if sid else None
        if flat is None:
            return
        try:
            live = np.zeros(count, bool)
            live[list(reader.all_doc_ids())] = True
            for name in self.flat_only:
                if flat.only_here(name) and flat.has(name):
                    self._flat_parts[name].append(flatmerge.read_field(flat, name, live, base))
        finally:
            flat.close()

    def finish(self):
        """Write the postings, close the segment's files; the segment, or None if empty."""
        self._check_state()
        self._cut_waiting()
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
        flatpostings.write(
            self.storage.folder, segment.segment_id(), self.docnum, flat, texts, self.flat_only
        )
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
        if "\0_" in "\0" + "\0".join(fields):  # a name with "_" first: boosts, stored values
            self._settle()  # lengths written where this builder does not see them
            return super().add_document(**fields)
        self._check_state()
        if self._coded.waits() >= CODED_CHUNK:
            self._cut_waiting()
        self._norms.clear()
        schema, docnum, perdoc = self.schema, self.docnum, self.perdocwriter
        names = sorted(fields)
        self._check_fields(schema, names)
        perdoc.start_doc(docnum)
        stored, lengths = perdoc._storedfields, perdoc._fieldlengths
        try:
            for name in names:
                value = fields[name]
                if value is None:
                    continue
                field = schema[name]
                length = self._index(name, field, value, docnum) if field.indexed else 0
                # W3PerDocWriter.add_field, without its calls per field
                if field.stored:
                    stored[name] = value
                if length:
                    self._length(name, docnum, length)
                    lengths[name] += length
                column = field.column_type
                if column:
                    perdoc.add_column_value(name, column, field.to_column_value(value))
        except Exception:
            perdoc.cancel_doc()
            raise
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _length(self, name: str, docnum: int, length: int) -> None:
        """A document's length in a field: its byte into the field's length column (and
        ``_lbytes``)."""
        lb = length_to_byte(length)
        if self._lbytes is not None:
            known = self._lbytes.get(name)
            if known is None:
                known = self._lbytes[name] = bytearray()
            if len(known) < docnum:
                known.extend(bytes(docnum - len(known)))
            known.append(lb)
        column = self._length_columns.get(name)
        if column is None:
            perdoc = self.perdocwriter
            if _lenfield(name) not in perdoc._colwriters:
                perdoc._create_column(_lenfield(name), LENGTHS_COLUMN)
            column = self._length_columns[name] = perdoc._colwriters[_lenfield(name)]
        column.add(docnum, lb)

    def _cut_waiting(self) -> None:
        """Cut the waiting gram/unit texts into rows; the lengths of the scorable ones."""
        for name, docnums, counts in self._coded.cut():
            if self.schema[name].scorable:
                self.perdocwriter._fieldlengths[name] += sum(counts)
                for docnum, count in zip(docnums, counts, strict=True):
                    if count:
                        self._length(name, docnum, count)

    def _settle(self) -> None:
        """Before documents come another way (Whoosh's code writes their lengths): the waiting
        texts cut, and ``_lbytes`` no longer kept."""
        self._cut_waiting()
        self._lbytes = None

    def _gather_coded(self) -> None:
        """The gram/unit rows as the pool's ``FieldPostings`` (term numbers, strings)."""
        self._cut_waiting()
        for name in self._coded.gathered:  # fields of the flat file alone: sorted by term key
            boost = self.schema[name].format.field_boost
            got = self._coded.arrays(name, boost, flatpostings.term_keys)
            if got is not None:
                self.pool.fields[name] = termfiles.FieldPostings.sorted(got)

    def _index(self, name: str, field, value, docnum: int) -> int:
        """Add one field's postings to the pool; its length (0 if not scorable, or not known
        yet: a gram text waits to be cut with others, ``_cut_waiting``)."""
        waiting = self._coded.waiting.get(name)
        if waiting is not None and isinstance(value, str):
            waiting[0].append(docnum)
            waiting[1].append(self._normalized(value))
            return 0
        pool = self.pool.field(name)
        if pool.positional and _ours(field, value):
            terms, poss = field.analyzer.index_columns(self._normalized(value))
            pool.add_tokens(docnum, terms, poss)
            return len(terms) if field.scorable else 0
        seen = self._seen.get(name)
        items = seen.get(value) if seen is not None and value.__hash__ else None
        if items is None:
            items = field_items(field, value, self._normalized)
            if seen is not None and value.__hash__:
                if len(seen) >= SEEN_VALUES:
                    seen.clear()
                seen[value] = items
        terms, freqs, weights, values = items
        if pool.positional:  # through Whoosh's own analysis: decode what it encoded
            for term, vbytes in zip(terms, values, strict=True):
                pool.add(term, docnum, 0.0, vbytes)
        elif len(terms) == 1:
            pool.add_one(docnum, terms[0], weights[0], values[0])
        else:
            pool.add_doc(docnum, terms, weights, values)
        return sum(freqs) if field.scorable else 0

    def _normalized(self, value: str) -> str:
        """``normalize(value)``, once per document for fields given the same string (``gram``
        and ``unit`` index the same text: one form, so ``unitcodes`` cuts it once), and line
        by line (``normalize_lines``: ``gram`` joins the title, the text and the bylines,
        which other fields index too)."""
        got = self._norms.get(id(value))
        if got is not None and got[0] is value:
            return got[1]
        if len(self._lines) > SEEN_VALUES:
            self._lines.clear()
        norm = normalize_lines(value, self._lines)
        self._norms[id(value)] = (value, norm)
        return norm

    def field_arrays(self):
        """``(fieldname, termfiles.TermArrays)`` of every field this segment indexes, in name
        order: the sorted postings as numpy arrays (positions as flat uint32 arrays for the
        positional fields). Before ``finish``, which writes the term files from the same
        arrays (and drops them field by field)."""
        self._gather_coded()
        for fieldname in sorted(self.pool.fields):
            yield fieldname, self.pool.fields[fieldname].arrays()

    def _write_postings(self, pdr) -> dict[str, flatpostings.FieldArrays]:
        """Write each field's term files; the fields' flat postings (``flatpostings``)."""
        flat = {}
        fw = self.fieldwriter
        doccount = self.docnum
        self._gather_coded()
        for fieldname in self.flat_only:  # in the flat file alone
            postings = self.pool.fields.pop(fieldname, None)
            parts = self._flat_parts.pop(fieldname, [])
            if postings is not None:
                parts.insert(0, _flat(postings.arrays()))
            flat[fieldname] = flatmerge.merged(
                parts, positional=_positional(self.schema[fieldname])
            )
            del postings, parts
        for fieldname in sorted(self.pool.fields):
            fieldobj = self.schema[fieldname]
            if fieldobj.scorable and self._lbytes is not None:
                lbytes = self._lbytes.get(fieldname, bytearray())
                lbytes.extend(bytes(doccount - len(lbytes)))
            elif fieldobj.scorable:
                # What FieldWriter.add_postings looks up once per posting: the stored (byte-
                # quantised) field length, here once per document, as its byte.
                dfl = pdr.doc_field_length
                lbytes = [length_to_byte(dfl(d, fieldname)) for d in range(doccount)]
            else:
                lbytes = None
            postings = self.pool.fields.pop(fieldname)
            if fieldname in flatpostings.FIELDS:
                flat[fieldname] = _flat(postings.arrays())
            termfiles.write_field(
                fw, fieldname, fieldobj, postings, lbytes, self.compress_min, self.protocol
            )
            del postings
        return flat


def _flat(arrays: termfiles.TermArrays) -> flatpostings.FieldArrays:
    """A field's sorted postings as the flat postings file takes them."""
    counts = None if arrays.pos_starts is None else np.diff(arrays.pos_starts)
    terms = [t.decode("utf-8") if isinstance(t, bytes) else t for t in arrays.terms]
    return flatpostings.FieldArrays(
        terms, arrays.starts, arrays.docs, arrays.weights, counts, arrays.positions, arrays.keys
    )


def _positional(field) -> bool:
    return type(field.format) is Positions


def _ours(field, value) -> bool:
    return isinstance(field.analyzer, NormalizedTokenizer) and isinstance(value, str)


def field_items(field, value, normalized=normalize) -> tuple[list, list, list, list]:
    """``field.index(value)`` as four lists — terms, frequencies, weights, values, one entry per
    distinct term — computed straight from our tokenizers' terms for the non-positional formats
    we use (terms as str); anything else goes through Whoosh (terms as bytes)."""
    fmt = field.format
    kind = type(fmt)
    if type(field.analyzer) is IDTokenizer and kind is Existence and isinstance(value, str):
        return [value], [1], [fmt.field_boost], [b""]  # the whole value, one term
    if not _ours(field, value) or kind not in (Frequency, Existence):
        rows = list(field.index(value))
        return tuple(map(list, zip(*rows, strict=True))) if rows else ([], [], [], [])
    fb = fmt.field_boost
    terms = field.analyzer.index_columns(normalized(value))[0]
    if kind is Existence:
        terms = list(dict.fromkeys(terms))
        n = len(terms)
        return terms, [1] * n, [fb] * n, [b""] * n
    counts: dict[str, int] = {}
    for term in terms:
        counts[term] = counts.get(term, 0) + 1
    freqs = list(counts.values())
    return list(counts), freqs, [f * fb for f in freqs], [pack_uint(f) for f in freqs]


# --------------------------------------------------------------------------- committing


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
    """A Whoosh merge policy that merges nothing and appends ``segment`` (built beside the
    writer; None: nothing). Merging is ``merging``'s, off the commit path: a tier merge inside a
    page's commit took 171 s on the archive's big pages."""

    def policy(writer, current):
        return [*current, segment] if segment is not None else list(current)

    return policy

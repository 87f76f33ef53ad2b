"""The bulk segment builder against Whoosh's own writer, on real pages.

``SegmentBuilder`` leans on internals of whoosh-reloaded 2.7.5; these tests fail loudly when an
upgrade moves them, and check that what it writes is the index ``add_document`` + ``commit``
writes: the same terms, postings (ids, weights, positions), term statistics, field lengths,
stored fields, columns — and so the same hits with the same scores.
"""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import numpy as np
import pytest
from whoosh import index as whoosh_index
from whoosh.codec.whoosh3 import W3FieldWriter, W3PostingsWriter, W3TermInfo
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.filetables import OrderedHashWriter
from whoosh.index import TOC
from whoosh.writing import SegmentWriter

from searchsvc import (
    bulletin,
    documents,
    facets,
    flatmerge,
    flatpostings,
    merging,
    segments,
    storage,
)

from .conftest import SEED, shared_bulletins


def real_docs() -> list[dict]:
    vocab = facets.Vocabulary.load()
    docs = []
    # The seed and a third of the shared bulletins (~3,000 paragraphs): the stock writer is slow.
    for path in [SEED, *shared_bulletins()[::3]]:
        data = path.read_bytes()
        doc = bulletin.parse(bulletin.decode(data, path.name), path.name)
        docs.extend(documents.file_docs(path.name, documents.file_digest(data, "x"), doc, vocab))
    return docs


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return real_docs()


@pytest.fixture(scope="module")
def stock(docs, tmp_path_factory):
    return stock_index(tmp_path_factory.mktemp("stock"), docs)


def stock_index(folder: Path, docs: list[dict]):
    ix = storage.create_empty(folder, documents.schema())
    writer = ix.writer()
    for fields in docs:
        writer.add_document(**fields)
    writer.commit(merge=False)
    return whoosh_index.open_dir(str(folder))


def bulk_index(folder: Path, docs: list[dict], per_segment: int | None = None, flat_only=()):
    """``docs`` through SegmentBuilders (``per_segment`` documents each), one TOC. By default
    every field in Whoosh's files, as the stock writer puts them (``flat_only``: the fields
    written into the flat file alone; None: the builder's default)."""
    ix = storage.create_empty(folder, documents.schema())
    per_segment = per_segment or len(docs)
    built = []
    for start in range(0, len(docs), per_segment):
        builder = segments.SegmentBuilder(
            folder, ix.schema, storage.WHOOSH_NAME, flat_only=flat_only
        )
        for fields in docs[start : start + per_segment]:
            builder.add_document(**fields)
        built.append(builder.finish())
    TOC(ix.schema, built, 1).write(FileStorage(str(folder)), storage.WHOOSH_NAME)
    return whoosh_index.open_dir(str(folder))


def postings(reader) -> dict:
    out = {}
    for fieldname, btext in reader.all_terms():
        m = reader.postings(fieldname, btext)
        ids = []
        while m.is_active():
            ids.append((m.id(), m.weight(), m.value()))
            m.next()
        info = reader.term_info(fieldname, btext)
        stats = (info.weight(), info.doc_frequency(), info.min_length(), info.max_length(),
                 info.max_weight(), info.min_id(), info.max_id())  # fmt: skip
        out[fieldname, btext] = (ids, stats)
    return out


def test_whoosh_internals_the_builder_leans_on():
    assert importlib.metadata.version("whoosh-reloaded") == "2.7.5"
    for name in ("add_document", "add_reader", "_assemble_segment", "get_segment",
                 "per_document_reader", "_check_state", "_setup_doc_offsets"):  # fmt: skip
        assert callable(getattr(SegmentWriter, name)), name
    assert callable(W3FieldWriter.start_field) and callable(W3FieldWriter.finish_field)
    pw = W3PostingsWriter(None, blocklimit=128)
    for attr in ("_blocklimit", "_compression", "_inlinelimit"):
        assert hasattr(pw, attr), attr
    assert pw._inlinelimit == 1
    assert W3TermInfo._struct.format == "!BfIBBfII"
    from whoosh.codec import default_codec
    from whoosh.filedb.filestore import RamStorage

    codec = default_codec()
    fw = codec.field_writer(RamStorage(), codec.new_segment(None, "X"))
    assert isinstance(fw._tindex, OrderedHashWriter) and isinstance(fw._fieldmap, dict)
    for attr in ("buckets", "index", "lastkey", "dbfile", "directory", "_write_hashes"):
        assert hasattr(fw._tindex, attr), attr
    assert fw._postfile.tell() == 0
    fw.close()
    # the per-document writer's state add_document fills directly
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3PerDocWriter, _lenfield

    assert _lenfield("text") == "_text_len" and LENGTHS_COLUMN._typecode == "B"
    pdw = codec.per_document_writer(RamStorage(), codec.new_segment(None, "X"))
    assert isinstance(pdw, W3PerDocWriter)
    pdw.start_doc(0)
    for attr in ("_storedfields", "_fieldlengths", "_colwriters"):
        assert isinstance(getattr(pdw, attr), dict), attr


def test_one_bulk_segment_equals_the_stock_segment(tmp_path, docs, stock):
    bulk = bulk_index(tmp_path / "bulk", docs)
    with stock.reader() as a, bulk.reader() as b:
        assert a.doc_count_all() == b.doc_count_all() == len(docs)
        assert list(a.all_stored_fields()) == list(b.all_stored_fields())
        for name in documents.schema().scorable_names():
            assert a.field_length(name) == b.field_length(name)
            assert [a.doc_field_length(d, name) for d in range(len(docs))] == [
                b.doc_field_length(d, name) for d in range(len(docs))
            ]
        assert postings(a) == postings(b)
        assert list(a.column_reader("aid")) == list(b.column_reader("aid"))


def test_the_term_files_are_whooshs_own_bytes(tmp_path, docs):
    """With every block compressed (``compress_min=0``) and pickled as Whoosh pickles it
    (``protocol=2``) the postings and term table are the bytes Whoosh's own writer puts down; by
    default tiny blocks are uncompressed and blocks pickled with protocol 4 (the postings read
    back the same: ``test_one_bulk_segment_equals_the_stock_segment``)."""
    ix = storage.create_empty(tmp_path / "stock", documents.schema())
    writer = ix.writer(compound=False)
    for fields in docs[:600]:
        writer.add_document(**fields)
    writer.commit(merge=False)
    storage.create_empty(tmp_path / "bulk", documents.schema())
    builder = segments.SegmentBuilder(
        tmp_path / "bulk", ix.schema, storage.WHOOSH_NAME, compound=False, compress_min=0,
        protocol=2, flat_only=(),
    )  # fmt: skip
    for fields in docs[:600]:
        builder.add_document(**fields)
    builder.finish()
    for ext in (".trm", ".pst", ".col"):
        stock_files = sorted(
            p.name.split(".", 1)[1] for p in (tmp_path / "stock").glob("MAIN_*" + ext)
        )
        assert stock_files, ext
        for name in stock_files:
            (a,) = (tmp_path / "stock").glob(f"MAIN_*.{name}")
            (b,) = (tmp_path / "bulk").glob(f"MAIN_*.{name}")
            assert a.read_bytes() == b.read_bytes(), name


QUERIES = ["劳模工匠", "北京市总工会", "职工", '"劳动模范"', "疫情防控 工会", "习近平", "培训"]


def scored(ix, q: str, fields=("text", "gram")) -> dict[str, float]:
    from whoosh.qparser import MultifieldParser

    parser = MultifieldParser(list(fields), ix.schema)
    with ix.searcher() as s:
        return {hit["pid"]: round(hit.score, 9) for hit in s.search(parser.parse(q), limit=None)}


def test_many_bulk_segments_answer_like_the_stock_index(tmp_path, docs, stock):
    bulk = bulk_index(tmp_path / "bulk", docs, per_segment=500)
    assert len(bulk._segments()) > 2
    found = 0
    for q in QUERIES:
        want = scored(stock, q)
        found += bool(want)
        assert scored(bulk, q) == want, q
    assert found >= 5


def flat_fields(folder: Path, segment) -> dict[str, tuple]:
    """Every field of a segment's flat file, read back whole: keys, starts, docs, weights,
    counts, positions as lists."""
    flat = flatpostings.FlatSegment.open(folder, segment.segment_id(), segment.doc_count_all())
    assert flat is not None
    try:
        live = np.ones(flat.doc_count, bool)
        out = {}
        for name in flatpostings.FIELDS:
            a = flatmerge.read_field(flat, name, live, 0)
            out[name] = tuple(
                None if x is None else np.asarray(x).tolist()
                for x in (a.keys, a.starts, a.docs, a.weights, a.counts, a.positions)
            )
        return out
    finally:
        flat.close()


def test_the_flat_only_fields_are_in_the_flat_file_alone(tmp_path, docs):
    """By default ``title``, ``names``, ``gram`` and ``unit`` go into the flat file only —
    Whoosh's term files hold none of them, their field lengths are kept — and the flat file
    holds what it holds when Whoosh's files have them too."""
    alone = bulk_index(tmp_path / "alone", docs[:800], flat_only=None)
    both = bulk_index(tmp_path / "both", docs[:800])
    with alone.reader() as a, both.reader() as b:
        for name in flatpostings.ONLY_FIELDS:
            assert not list(a.lexicon(name)) and list(b.lexicon(name)), name
        assert list(a.lexicon("text")) == list(b.lexicon("text"))
        for name in ("title", "names", "gram"):
            assert a.field_length(name) == b.field_length(name) > 0
            assert [a.doc_field_length(d, name) for d in range(800)] == [
                b.doc_field_length(d, name) for d in range(800)
            ]
    (sa,), (sb,) = alone._segments(), both._segments()
    flat_a = flatpostings.FlatSegment.open(tmp_path / "alone", sa.segment_id(), 800)
    assert all(flat_a.only_here(name) for name in ("title", "names", "gram", "unit"))
    assert not flat_a.only_here("text")
    flat_a.close()
    assert flat_fields(tmp_path / "alone", sa) == flat_fields(tmp_path / "both", sb)


@pytest.mark.parametrize("source", ["both", "alone"])
def test_a_merge_keeps_the_flat_files_postings(tmp_path, docs, source):
    """Merged segments (``merging.merge_pass``, one document deleted first) give the flat file the
    one-go build of the surviving documents has — from Whoosh's files or from the flat files
    that alone hold ``title``/``names``/``gram``/``unit``."""
    folder = tmp_path / "ix"
    n = merging.SEGMENTS_PER_TIER * 40
    flat_only = () if source == "both" else None
    ix = bulk_index(folder, docs[:n], per_segment=40, flat_only=flat_only)
    gone = next(d for d in docs[:n] if d.get("kind") == "para" and d["n"] > 1)
    writer = ix.writer()
    writer.delete_by_term("pid", gone["pid"])
    writer.commit(mergetype=segments.with_new(None))
    assert merging.merge_pass(folder) == 1  # built in a staging folder, read from this one
    (merged,) = whoosh_index.open_dir(str(folder))._segments()
    want = bulk_index(tmp_path / "want", [d for d in docs[:n] if d is not gone], flat_only=None)
    (one,) = want._segments()
    assert merged.doc_count_all() == one.doc_count_all() == n - 1
    assert flat_fields(folder, merged) == flat_fields(tmp_path / "want", one)


def test_field_arrays_are_the_postings_the_segment_holds(tmp_path, docs):
    """``SegmentBuilder.field_arrays``: per field, sorted terms with docs, weights and (text,
    gram) positions as numpy arrays — what the written segment reads back, posting for posting."""
    folder = tmp_path / "ix"
    ix = storage.create_empty(folder, documents.schema())
    builder = segments.SegmentBuilder(folder, ix.schema, storage.WHOOSH_NAME, flat_only=())
    for fields in docs[:800]:
        builder.add_document(**fields)
    arrays = dict(builder.field_arrays())
    assert {"text", "gram", "unit", "pid"} <= set(arrays)
    assert arrays["text"].positions is not None and arrays["unit"].positions is None
    TOC(ix.schema, [builder.finish()], 1).write(FileStorage(str(folder)), storage.WHOOSH_NAME)
    checked = 0
    with whoosh_index.open_dir(str(folder)).reader() as reader:
        for name, arr in arrays.items():
            assert arr.docs.dtype == "int32" and arr.weights.dtype == "float32"
            assert arr.terms == sorted(arr.terms) == list(reader.lexicon(name))
            for k in range(0, len(arr.terms), 7):
                lo, hi = arr.starts[k], arr.starts[k + 1]
                m = reader.postings(name, arr.terms[k])
                got = []
                while m.is_active():
                    poss = m.value_as("positions") if arr.positions is not None else None
                    got.append((m.id(), m.weight(), poss))
                    m.next()
                want = [
                    (int(d), float(w), None if arr.positions is None else
                     arr.positions[arr.pos_starts[i] : arr.pos_starts[i + 1]].tolist())
                    for i, d, w in zip(range(lo, hi), arr.docs[lo:hi], arr.weights[lo:hi], strict=True)
                ]  # fmt: skip
                assert got == want, (name, arr.terms[k])
                checked += 1
    assert checked > 1000


SAME_QUERIES = [
    "工会",
    "北京 职工",
    '"北京市总工会"',
    "疫情防控",
    "培训 OR 宣讲",
    "title:工会",
    "大家要清醒",
]


def test_the_bulk_writer_and_the_one_document_path_give_the_same_answers(tmp_path, monkeypatch):
    """Real pages indexed by ``--full`` (the bulk writer, here in several segments) and by an
    incremental sync (the one-document path: one segment, ``segments.Staged``): the same
    articles answer every query, in the same order, with the same scores."""
    from searchsvc import bulk, index
    from searchsvc.search import Engine, SearchRequest

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for page in [SEED, *shared_bulletins()]:
        (corpus / page.name).write_bytes(page.read_bytes())
    one = index.sync(corpus, tmp_path / "one")
    assert not one.rebuilt
    monkeypatch.setattr(bulk, "BATCH_BYTES", 200_000)
    full = index.sync(corpus, tmp_path / "full", full=True)
    assert full.rebuilt and full.paragraphs == one.paragraphs > 1000
    a, b = Engine(tmp_path / "one"), Engine(tmp_path / "full")
    assert len(b.backend.searcher().reader().leaf_readers()) > 2
    assert len(a.backend.searcher().reader().leaf_readers()) == 1
    for q in SAME_QUERIES:
        got_a = a.search(SearchRequest(q=q, per_page=100))
        got_b = b.search(SearchRequest(q=q, per_page=100))
        assert got_a.total == got_b.total > 0, q
        assert [r.id for r in got_a.results] == [r.id for r in got_b.results], q
        assert [r.score for r in got_a.results] == pytest.approx(
            [r.score for r in got_b.results], rel=1e-9
        ), q

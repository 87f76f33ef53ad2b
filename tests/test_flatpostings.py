"""The flat postings file (``flatpostings``): what the bulk writer puts beside a segment is what
Whoosh's codec holds, term for term, and a segment without one is read the old way."""

from __future__ import annotations

import numpy as np
import pytest
from whoosh import index as whoosh_index

from searchsvc import flatpostings, postings
from searchsvc.flatpostings import FieldArrays
from searchsvc.index import live_dir


def _positions_of(reader, field, term) -> list[int]:
    m = postings.raw_matcher(reader, field, term)
    out = []
    while m is not None and m.is_active():
        out.extend(m.value_as("positions"))
        m.next()
    return out


def test_the_bulk_writers_file_holds_what_the_codec_holds(mixed_dirs):
    ix = whoosh_index.open_dir(str(live_dir(mixed_dirs[1])))
    opened = flatpostings.Opened(ix.storage.folder)
    checked = 0
    with ix.reader() as top:
        for reader, _ in top.leaf_readers():
            flat = opened.get(reader)
            assert flat is not None, reader.segment().segment_id()
            for field in flatpostings.FIELDS:
                lexicon = [t.decode() for t in reader.lexicon(field)]
                if field in flatpostings.ONLY_FIELDS:
                    # in the flat file alone (test_segments compares it with Whoosh's copy)
                    assert flat.only_here(field) and flat.has(field) and not lexicon, field
                    continue
                assert lexicon and not flat.only_here(field), field
                for term in lexicon[:: max(1, len(lexicon) // 400)]:
                    docs, weights = postings.term_postings(reader, field, term)
                    got_docs, got_weights = flat.postings(field, term)
                    assert got_docs.tolist() == docs.tolist(), (field, term)
                    assert got_weights.tolist() == weights.tolist(), (field, term)
                    if field in ("text", "gram"):
                        _, counts, where = flat.positions(field, term)
                        assert where.tolist() == _positions_of(reader, field, term)
                        assert counts.sum() == len(where)
                    checked += 1
            assert flat.postings("gram", "不在索引里的词").__len__() == 2
            assert not len(flat.postings("gram", "䶵䶵")[0])
    assert checked > 300


def test_derive_reads_a_segment_written_by_whooshs_own_writer(mixed_dirs, tmp_path):
    """A segment without a file (Whoosh's writer) can have one derived from its codec."""
    from searchsvc import documents

    ix = whoosh_index.create_in(str(tmp_path), documents.schema())
    w = ix.writer()
    for i, text in enumerate(["北京市总工会举办劳模工匠宣讲", "工会工会 北京 2025 年", "北京"]):
        w.add_document(pid=f"a#{i}", aid="a", kind="para", text=text, gram=text, unit=text)
    w.commit()
    with ix.reader() as reader:
        assert flatpostings.Opened(tmp_path).get(reader) is None  # the old way, then
        arrays = flatpostings.derive(reader)
        flatpostings.write(tmp_path, reader.segment().segment_id(), reader.doc_count_all(), arrays)
        flat = flatpostings.Opened(tmp_path).get(reader)
        assert flat is not None
        for field in ("text", "gram", "unit"):
            for term in (t.decode() for t in reader.lexicon(field)):
                docs, weights = postings.term_postings(reader, field, term)
                assert flat.postings(field, term)[0].tolist() == docs.tolist()
                assert flat.postings(field, term)[1].tolist() == weights.tolist()
        keys = flat.doc_positions("gram", "工会")
        assert (keys >> 32).tolist() == [0, 1, 1] and (keys & 0xFFFFFFFF).tolist()[1:] == [0, 2]


def test_a_file_for_another_document_count_or_a_damaged_one_is_not_used(tmp_path):
    arrays = {"unit": FieldArrays(["工", "会"], np.array([0, 2, 3]), np.array([0, 1, 1]),
                                  np.ones(3, np.float32))}  # fmt: skip
    flatpostings.write(tmp_path, "MAIN_x", 2, arrays)
    assert flatpostings.FlatSegment.open(tmp_path, "MAIN_x", 2).postings("unit", "工")[
        0
    ].tolist() == [0, 1]
    assert flatpostings.FlatSegment.open(tmp_path, "MAIN_x", 3) is None
    path = flatpostings.path_of(tmp_path, "MAIN_x")
    path.write_bytes(b"junk" + path.read_bytes()[4:])
    assert flatpostings.FlatSegment.open(tmp_path, "MAIN_x", 2) is None


def test_a_version_1_file_is_read_with_every_field_in_whoosh_too(tmp_path):
    """A file written before ``only`` (``SSFLAT01``: its segment's Whoosh files hold every
    field) is read as it was; its terms' document frequencies are Whoosh's to count."""
    arrays = {"gram": FieldArrays(["工会", "会员"], np.array([0, 2, 3]), np.array([0, 1, 1]),
                                  np.ones(3, np.float32), np.ones(3, np.int64),
                                  np.array([4, 0, 1]))}  # fmt: skip
    path = flatpostings.write(tmp_path, "MAIN_v", 2, arrays, only=("gram",))
    flat = flatpostings.FlatSegment.open(tmp_path, "MAIN_v", 2)
    assert flat.only_here("gram") and flat.doc_frequency("gram", "工会") == 2
    assert flat.doc_frequency("gram", "会员") == 1 and flat.doc_frequency("gram", "无") == 0
    flat.close()
    data = path.read_bytes()
    assert data.startswith(flatpostings.MAGIC) and flatpostings.MAGIC != b"SSFLAT01"
    only = b', "only": ["gram"]'
    assert only in data
    # the same header without ``only`` (blanks keep its length), under the old magic
    path.write_bytes(b"SSFLAT01" + data[8:].replace(only, b" " * len(only), 1))
    old = flatpostings.FlatSegment.open(tmp_path, "MAIN_v", 2)
    assert old is not None and not old.only_here("gram")
    assert old.positions("gram", "工会")[2].tolist() == [4, 0]


@pytest.mark.parametrize("counts", [[1, 1, 2], [3, 1, 1]])
def test_terms_sorted_by_key_keep_their_postings_and_positions(counts):
    # Three postings of "b" (docs 0, 1, 2), then one of "a" (doc 5); positions in order.
    total = sum(counts) + 1
    arrays = FieldArrays(["b", "a"], np.array([0, 3, 4]), np.array([0, 1, 2, 5]),
                         np.array([*counts, 1], np.float32), np.array([*counts, 1]),
                         np.arange(total) * 10)  # fmt: skip
    keys, ordered = arrays.sorted_by_key()
    assert keys.tolist() == sorted(keys.tolist())
    by_term = {}
    for i, term in enumerate(ordered.terms):
        lo, hi = ordered.starts[i], ordered.starts[i + 1]
        before = int(ordered.counts[: ordered.starts[i]].sum())
        n = int(ordered.counts[lo:hi].sum())
        by_term[term] = (
            ordered.docs[lo:hi].tolist(),
            ordered.positions[before : before + n].tolist(),
        )
    assert by_term["a"] == ([5], [(total - 1) * 10])
    assert by_term["b"] == ([0, 1, 2], [p * 10 for p in range(total - 1)])


def test_the_file_holds_each_documents_paragraph_text(mixed_dirs):
    ix = whoosh_index.open_dir(str(live_dir(mixed_dirs[1])))
    opened = flatpostings.Opened(ix.storage.folder)
    with ix.reader() as top:
        for reader, _ in top.leaf_readers():
            flat = opened.get(reader)
            assert flat.has_texts
            n = reader.doc_count_all()
            for docnum in range(0, n, max(1, n // 200)):
                assert flat.text(docnum) == reader.stored_fields(docnum).get("text", "")

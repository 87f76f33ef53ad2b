"""Merging segments off the commit path (``merging``), on real pages: the policy, the pass, and
what a sync does to the segments a merge is reading."""

from __future__ import annotations

import os
import shutil

import pytest
from whoosh import index as whoosh_index

from searchsvc import index, merging, segments, storage

from .conftest import shared_bulletins
from .test_segments import QUERIES, bulk_index, real_docs, scored


@pytest.fixture(scope="module")
def docs() -> list[dict]:
    return real_docs()


def a_full_tier_then_a_commit(folder, docs) -> int:
    """A tier's worth of 40-document segments, then a small sync's commit of 5 more; ``n``."""
    n = merging.SEGMENTS_PER_TIER * 40
    ix = bulk_index(folder, docs[:n], per_segment=40)
    writer = segments.Staged(ix.writer())
    for fields in docs[n : n + 5]:
        writer.add_document(**fields)
    writer.commit()
    return n


def test_a_commit_merges_nothing(tmp_path, docs):
    folder = tmp_path / "ix"
    a_full_tier_then_a_commit(folder, docs)
    ix = whoosh_index.open_dir(str(folder))
    assert [s.doc_count() for s in ix._segments()] == [40] * merging.SEGMENTS_PER_TIER + [5]


def test_the_merge_pass_merges_a_full_tier_of_small_segments(tmp_path, docs):
    folder = tmp_path / "ix"
    n = a_full_tier_then_a_commit(folder, docs)
    assert merging.merge_pass(folder) == 1
    ix = whoosh_index.open_dir(str(folder))
    assert [s.doc_count() for s in ix._segments()] == [5, n]
    assert merging.merge_pass(folder) == 0  # nothing left to merge
    # Whoosh's own merge of the same segments (merging keeps the byte-quantised field lengths,
    # so a merged index scores a shade apart from one written in one go — either way).
    stock = bulk_index(tmp_path / "stock", docs[:n], per_segment=40)
    writer = stock.writer()
    for fields in docs[n : n + 5]:
        writer.add_document(**fields)
    writer.commit(optimize=True)
    for q in QUERIES:  # the merged segment's other fields are in its flat file alone
        assert scored(ix, q, ["text"]) == scored(stock, q, ["text"]), q
    leftovers = [p.name for p in folder.iterdir() if ".tmp" in p.name or p.name.startswith(".")]
    assert leftovers == []
    assert {p.name.split(".")[0] for p in folder.glob("MAIN_*.*")} - {"MAIN_WRITELOCK"} == {
        s.segment_id() for s in ix._segments()
    }


def test_the_plan_leaves_big_segments_and_takes_the_smallest_full_tier():
    class Seg:
        def __init__(self, n):
            self.n = n

        def doc_count(self):
            return self.n

    per = merging.SEGMENTS_PER_TIER
    big = [Seg(merging.BIG_SEGMENT_DOCS)] * (per + 1)
    assert merging.plan(big) == []
    small, mid = [Seg(50)] * per, [Seg(400)] * per
    assert merging.plan([*big, *mid, *small]) == small
    assert merging.plan([*big, *mid, *small[1:]]) == mid


def pages_corpus(tmp_path, n: int):
    corpus, home = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    pages = sorted(shared_bulletins(), key=lambda p: (p.stat().st_size, p.name))[:n]
    for page in pages:
        shutil.copy(page, corpus / page.name)
        index.sync(corpus, home)  # one segment a page (a CLI sync's merge pass is writing's)
    return corpus, home, [p.name for p in pages]


def holders(home, rel: str) -> int:
    """How many live documents of file ``rel`` the index holds."""
    with index.open_index(home).searcher() as s:
        return sum(1 for _ in s.document_numbers(src=rel))


def test_what_a_sync_deletes_while_a_merge_reads_stays_deleted(tmp_path, monkeypatch):
    monkeypatch.setattr(merging, "_tier", lambda n: 0)  # every small segment one tier
    corpus, home, names = pages_corpus(tmp_path, merging.SEGMENTS_PER_TIER)
    ix = storage.pread_storage(index.open_index(home))
    group = merging.plan(ix._segments())
    assert len(group) == merging.SEGMENTS_PER_TIER
    with storage.merge_staging(ix.storage.folder) as staging:
        built = merging._build(ix, group, staging)
        commit_meanwhile(corpus, home, names, ix, group, built, staging)


def commit_meanwhile(corpus, home, names, ix, group, built, staging) -> None:
    # Meanwhile a sync removes one page and replaces another (its old documents deleted in the
    # segments being merged, its new version a segment of its own).
    (corpus / names[0]).unlink()
    changed = corpus / names[1]
    changed.write_bytes(changed.read_bytes() + "\n\n本页补记一段。\n".encode())
    report = index.sync(corpus, home)
    assert report.removed == [names[0]] and report.changed == [names[1]]
    before = {rel: holders(home, rel) for rel in names}
    assert merging._commit(home, ix, group, built, staging)
    after = index.open_index(home)
    assert len(after._segments()) == 2  # the merged one and the changed page's
    assert {rel: holders(home, rel) for rel in names} == before
    assert before[names[0]] == 0 and before[names[1]] > 0
    assert index.sync(corpus, home).wrote is False  # the manifest agrees with the corpus


def test_a_merge_gives_up_when_the_segments_changed(tmp_path, monkeypatch):
    monkeypatch.setattr(merging, "_tier", lambda n: 0)
    corpus, home, names = pages_corpus(tmp_path, merging.SEGMENTS_PER_TIER)
    ix = storage.pread_storage(index.open_index(home))
    group = merging.plan(ix._segments())
    with storage.merge_staging(ix.storage.folder) as staging:
        built = merging._build(ix, group, staging)
        assert merging.merge_pass(home) == 1  # another merge took them first
        generation = index.open_index(home).latest_generation()
        assert not merging._commit(home, ix, group, built, staging)
    assert index.open_index(home).latest_generation() == generation


def test_tidy_leaves_a_merge_at_work_alone(tmp_path, monkeypatch):
    corpus, home, _ = pages_corpus(tmp_path, 2)
    ix = index.open_index(home)
    folder = ix.storage.folder
    stale = os.path.join(folder, ".MAIN_merge.99999999")  # a killed merge's
    os.mkdir(stale)
    with storage.merge_staging(folder) as busy:
        removed = storage.tidy_live(ix)
        assert os.path.basename(stale) in removed and os.path.isdir(busy)
        os.mkdir(stale)
    assert os.path.basename(stale) in storage.tidy_live(ix)


def test_the_merge_pass_writes_the_merged_segments_catalogue(tmp_path, docs):
    """A server's first request after a merge's commit must not read every article record of
    the merged segment under the read lock: the pass writes its ``.cat``, and it is the one a
    reader would have read from the records."""
    import numpy as np

    from searchsvc.snapshot import CATALOG_EXT, SegmentCatalog

    folder = tmp_path / "ix"
    n = a_full_tier_then_a_commit(folder, docs)
    assert merging.merge_pass(folder) == 1
    ix = whoosh_index.open_dir(str(folder))
    merged = next(s for s in ix._segments() if s.doc_count() == n)
    assert (folder / f"{merged.segment_id()}{CATALOG_EXT}").is_file()
    with ix.reader() as reader:
        sub = next(r for r, _ in reader.leaf_readers() if r.segment() is merged or
                   r.segment().segment_id() == merged.segment_id())  # fmt: skip
        kept = SegmentCatalog.load(sub, folder=str(folder))
        read = SegmentCatalog.load(sub)  # from the stored records
    assert kept.ids and kept.ids == read.ids and kept.dates == read.dates
    assert np.array_equal(kept.doc_article, read.doc_article)

"""Segment catalogues kept beside their segments (``<segment id>.cat``): a new process opens the
index without reading one stored record per article, and gets the same snapshot."""

from __future__ import annotations

import numpy as np
from whoosh import index as whoosh_index

from searchsvc import snapshot
from searchsvc.index import live_dir


def _searcher(index_home):
    return whoosh_index.open_dir(str(live_dir(index_home))).searcher()


def test_a_second_process_reads_the_kept_catalogue_not_the_records(mixed_dirs, monkeypatch):
    folder = str(live_dir(mixed_dirs[1]))
    with _searcher(mixed_dirs[1]) as s:
        first = snapshot.SnapshotCache(folder).get(s, ("a",))
    kept = list(live_dir(mixed_dirs[1]).glob("*" + snapshot.CATALOG_EXT))
    assert kept  # one per segment, written by the first

    def no_reading(*args, **kwargs):
        raise AssertionError("a stored record was read")

    monkeypatch.setattr(snapshot, "_read_heads", no_reading)
    with _searcher(mixed_dirs[1]) as s:
        second = snapshot.SnapshotCache(folder).get(s, ("b",))
    assert second.ids == first.ids
    assert np.array_equal(second.doc_article, first.doc_article)
    assert [r.title for r in second.articles] == [r.title for r in first.articles]


def test_a_kept_catalogue_of_another_document_count_or_version_is_read_again(mixed_dirs):
    folder = str(live_dir(mixed_dirs[1]))
    with _searcher(mixed_dirs[1]) as s:
        reader, _ = s.reader().leaf_readers()[0]
        sid, count = reader.segment().segment_id(), reader.doc_count_all()
        heads, doc_head = snapshot._read_heads(reader, count)
    snapshot._keep(folder, sid, count, heads, doc_head)
    assert snapshot._read_kept(folder, sid, count) is not None
    assert snapshot._read_kept(folder, sid, count + 1) is None
    (live_dir(mixed_dirs[1]) / (sid + snapshot.CATALOG_EXT)).write_bytes(b"not a pickle")
    assert snapshot._read_kept(folder, sid, count) is None
    snapshot._keep(folder, sid, count, heads, doc_head)  # leave it whole for other tests


def test_a_facets_listing_on_arrays_is_the_catalogues_listing(mixed_engine):
    """``FacetColumn.listed`` (the top values on arrays) gives what ``catalog.listed`` gives
    from a counter of every value: order, ties by name, selected values kept."""
    import random

    from searchsvc.catalog import listed

    snap = mixed_engine.backend.snapshot()
    rng = np.random.default_rng(12)
    for col in snap.facets.values():
        for limit in (1, 3, 30):
            counts = rng.integers(0, 4, len(col.values)) * (rng.random(len(col.values)) < 0.5)
            chosen = set(random.Random(limit).sample(col.values, min(2, len(col.values))))
            want = listed(col.counter(counts), chosen, limit)
            assert col.listed(counts, chosen, limit) == want

"""Merging segments off the commit path: the policy that keeps their number bounded, and the merge
pass that carries it out while syncs go on committing.

Every commit only adds its segment (``segments.with_new``): a page's commit never waits for a
merge. Merging is a pass of its own (``merge_pass``) — the live server runs it in a worker process
of its own when no sync is waiting (``reindexer``), ``searchsvc index`` after its sync. A pass
picks a group of segments (``plan``), writes their live documents as one new segment in a staging
folder *without holding any lock* (a merge of big pages takes minutes: Whoosh's ``add_reader``
copies one posting at a time), then, under the writer locks for a moment, re-reads the TOC,
marks deleted in the new segment what syncs deleted from the old ones meanwhile, moves it in and
commits a TOC without the old ones (Lucene's way). A pass killed at any point leaves the last
committed TOC serving: the staging folder and any moved-in files no TOC names are
``storage.tidy_live``'s.

The policy is by size: segments of ``BIG_SEGMENT_DOCS`` live documents or more (what a bulk run
writes) are never merged, so no merge rewrites the archive; the smaller ones are grouped by size
tier (powers of ``SEGMENTS_PER_TIER``) and a tier holding ``SEGMENTS_PER_TIER`` of them becomes
one segment of the next tier — a page's postings are copied a few times in all, and the count
stays at most ``SEGMENTS_PER_TIER - 1`` per tier plus the big ones.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.reading import SegmentReader

from searchsvc import index, segments, storage
from searchsvc.snapshot import SegmentCatalog

log = logging.getLogger("searchsvc.merge")

BIG_SEGMENT_DOCS = 20_000  # a segment this large (a bulk run's) is never merged
SEGMENTS_PER_TIER = 6  # small segments of one size tier merged once there are this many
LOCK_TIMEOUT = 600.0  # seconds a merge's commit waits for a sync to finish


def _tier(doc_count: int) -> int:
    return int(math.log(max(doc_count, 1), SEGMENTS_PER_TIER))


def plan(current: list) -> list:
    """The segments to merge next (in TOC order), or [] when every tier is below its limit: the
    smallest full tier of segments under ``BIG_SEGMENT_DOCS`` live documents."""
    tiers: dict[int, list] = defaultdict(list)
    for seg in current:
        if seg.doc_count() < BIG_SEGMENT_DOCS:
            tiers[_tier(seg.doc_count())].append(seg)
    full = [tier for tier, group in tiers.items() if len(group) >= SEGMENTS_PER_TIER]
    return tiers[min(full)] if full else []


@dataclass
class _Built:
    """A merged segment written in staging, and where each old live document went in it."""

    segment: object
    docmaps: dict[str, dict[int, int]]  # old segment id → old docnum → new docnum
    deleted: dict[str, set[int]]  # old segment id → what was deleted when the merge began


def merge_pass(home: Path, lock_timeout: float = LOCK_TIMEOUT) -> int:
    """Merge what ``plan`` picks, again and again until it picks nothing; how many merges were
    committed. Safe beside a running sync (see the module docstring)."""
    merged = 0
    while True:
        try:
            ix = storage.pread_storage(index.open_index(home, create=False))
        except FileNotFoundError:
            return merged
        group = plan(ix._segments())
        if not group:
            return merged
        if not _merge(home, ix, group, lock_timeout):
            return merged  # the index changed under us (a rebuild): the next pass starts over
        merged += 1


def _merge(home: Path, ix, group: list, lock_timeout: float) -> bool:
    with storage.merge_staging(Path(ix.storage.folder)) as staging:
        built = _build(ix, group, staging)
        budget = storage.Budget(home, lock_timeout)
        with storage.writer_lock(home, budget):
            lock = storage.whoosh_lock(ix, budget)
            try:
                return _commit(home, ix, group, built, staging)
            finally:
                lock.release()


def _build(ix, group: list, staging: Path) -> _Built:
    builder = segments.SegmentBuilder(staging, ix.schema, storage.WHOOSH_NAME)
    docmaps, deleted = {}, {}
    try:
        for seg in group:
            sid = seg.segment_id()
            deleted[sid] = set(seg.deleted_docs())
            live = [d for d in range(seg.doc_count_all()) if d not in deleted[sid]]
            docmaps[sid] = {d: builder.docnum + i for i, d in enumerate(live)}
            reader = SegmentReader(ix.storage, ix.schema, seg)
            try:
                builder.add_reader(reader)  # its live documents, in docnum order
            finally:
                reader.close()
        merged = builder.finish()
        if merged is not None:
            _keep_catalog(ix, merged, staging)
        return _Built(merged, docmaps, deleted)
    except BaseException:
        if not builder.is_closed:
            builder.cancel()
        raise


def _keep_catalog(ix, segment, staging: Path) -> None:
    """The merged segment's catalogue (``<segment id>.cat``, ``snapshot``), written beside it in
    staging and moved in with it: otherwise the server's first request after the commit reads
    every article record of the merged segment (about 1 s per 70k documents on an idle core,
    under the lock every search reads through)."""
    reader = SegmentReader(FileStorage(str(staging)), ix.schema, segment)
    try:
        SegmentCatalog.load(reader, folder=str(staging))
    finally:
        reader.close()


def _commit(home: Path, ix, group: list, built: _Built, staging: Path) -> bool:
    """Under both locks: the merged segment replaces ``group`` in the newest TOC."""
    folder = Path(ix.storage.folder)
    if storage.live_dir(home).resolve() != folder.resolve():
        return False  # a rebuild swapped another folder in
    toc = TOC.read(ix.storage, storage.WHOOSH_NAME)
    now = {seg.segment_id(): seg for seg in toc.segments}
    if any(sid not in now for sid in built.docmaps):
        return False  # not ours to lose: someone else merged or removed one of them
    new = built.segment
    if new is not None:
        for sid, docmap in built.docmaps.items():
            for d in set(now[sid].deleted_docs()) - built.deleted[sid]:
                new.delete_document(docmap[d])  # deleted by a sync while we merged
        storage.adopt(staging, folder, new)
    kept = [seg for seg in toc.segments if seg.segment_id() not in built.docmaps]
    final = [*kept, new] if new is not None and new.doc_count() else kept
    storage.commit_segments(ix, final)
    log.info(
        "merged %d segments (%d documents) into one; %d segments now",
        len(group), sum(len(m) for m in built.docmaps.values()), len(final),
    )  # fmt: skip
    return True

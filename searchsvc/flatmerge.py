"""A merge's flat postings: the fields a flat file alone holds, read back from the merged segments'
files with their documents renumbered, and joined by term key with what the merge gathered.

When ``segments.SegmentBuilder.add_reader`` copies a segment, Whoosh's own code copies what
Whoosh's files hold; the fields written only into the segment's ``flatpostings`` file
(``flatpostings.ONLY_FIELDS``) are copied from there by ``read_field``, and ``merged`` joins the
parts into the new segment's postings for the file.
"""

from __future__ import annotations

import numpy as np

from searchsvc.flatpostings import EMPTY_DOCS, FieldArrays, FlatSegment, _ranges


def read_field(flat: FlatSegment, field: str, live: np.ndarray, base: int) -> FieldArrays:
    """A field's whole postings in ``flat``, for a merge: those of the documents ``live`` (a
    mask over the segment's documents) renumbered ``base, base + 1, …`` in order; terms by
    key (``keys``), in key order."""
    f = flat._fields[field]
    entry = f.entry
    starts = np.asarray(f.starts, np.int64)
    docs = flat._read(entry["docs"], 0, int(starts[-1])).astype(np.int64)
    how = entry["weights"]
    counts = positions = None
    if f.positional:
        counts = flat._read(entry["counts"], 0, len(docs)).astype(np.int64)
        positions = flat._read(entry["positions"], 0, int(counts.sum())).astype(np.uint32)
    if "const" in how:
        weights = np.full(len(docs), how["const"], np.float32)
    elif "from_counts" in how:
        weights = counts.astype(np.float32)
    else:
        weights = flat._read(how, 0, len(docs)).astype(np.float32)
    keep = live[docs]
    renumber = np.cumsum(live, dtype=np.int64) - 1 + base
    if f.positional:
        pstarts = np.concatenate(([0], np.cumsum(counts)))
        positions = positions[_ranges(pstarts[:-1][keep], counts[keep])]
        counts = counts[keep]
    kept = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))[starts]
    held = np.flatnonzero(np.diff(kept) > 0)  # terms left with a posting
    return FieldArrays(None, np.append(kept[held], kept[-1]), renumber[docs[keep]].astype(np.int32),
                       weights[keep], counts, positions, np.asarray(f.keys, np.uint64)[held])  # fmt: skip


def merged(parts: list[FieldArrays], positional: bool) -> FieldArrays:
    """One field's postings from several sources (documents numbered apart): terms by key, in
    key order, each term's postings in document order."""
    parts = [p for p in parts if len(p.docs)]
    if len(parts) == 1:
        return parts[0]
    if not parts:
        none = np.zeros(0, np.uint32) if positional else None
        return FieldArrays(None, np.zeros(1, np.int64), EMPTY_DOCS, np.zeros(0, np.float32),
                           none, none, np.zeros(0, np.uint64))  # fmt: skip
    keys = np.concatenate([np.repeat(p.term_keys(), np.diff(p.starts)) for p in parts])
    docs = np.concatenate([np.asarray(p.docs, np.int32) for p in parts])
    order = np.lexsort((docs, keys))
    keys, docs = keys[order], docs[order]
    weights = np.concatenate([np.asarray(p.weights, np.float32) for p in parts])[order]
    counts = positions = None
    if parts[0].counts is not None:
        counts = np.concatenate([np.asarray(p.counts, np.int64) for p in parts])
        where = np.concatenate([np.asarray(p.positions, np.uint32) for p in parts])
        pstarts = np.concatenate(([0], np.cumsum(counts)))
        positions = where[_ranges(pstarts[:-1][order], counts[order])]
        counts = counts[order]
    first = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    starts = np.append(first, len(keys)).astype(np.int64)
    return FieldArrays(None, starts, docs, weights, counts, positions, keys[first])

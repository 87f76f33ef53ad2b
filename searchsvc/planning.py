"""What a sync has to do: the manifest the index holds, and the plan against the corpus.

The manifest is the ``kind=file`` documents (``documents``): ``{relative path: content hash}``,
committed with the paragraphs it describes. A plan compares it with the bulletin files on disk
— all of them (``bulletin.corpus_files``) or, for the live server's syncs of what its watcher
saw, the files named (``named_files``): then neither the archive's 5,188 pages are listed and
stat'ed, nor any removal guessed from a partial listing.
"""

from __future__ import annotations

import os
import time
from collections.abc import Collection
from pathlib import Path

from searchsvc import bulletin, documents


def manifest(ix) -> dict[str, str]:
    """``{relative path: content hash}`` of the files the index holds.

    A segment's documents never change (only which are deleted), so its manifest entries are
    read once per process and kept by segment: the live server's syncs then do not read the
    stored fields of every file in the archive again. Deletions are checked every time.
    """
    out: dict[str, str] = {}
    folder = str(getattr(ix.storage, "folder", id(ix.storage)))
    live = set()
    with ix.reader() as reader:
        for sub, _base in reader.leaf_readers():
            if sub.segment() is None:  # an empty index
                continue
            key = (folder, sub.segment().segment_id())
            live.add(key)
            entries = _SEGMENT_MANIFESTS.get(key)
            if entries is None:
                entries = _SEGMENT_MANIFESTS[key] = _segment_manifest(sub)
            deleted = sub.is_deleted if sub.has_deletions() else None
            out.update((src, digest) for d, src, digest in entries if not (deleted and deleted(d)))
    for key in [k for k in _SEGMENT_MANIFESTS if k[0] == folder and k not in live]:
        del _SEGMENT_MANIFESTS[key]  # merged away
    return out


def _segment_manifest(sub) -> list[tuple[int, str, str]]:
    """``(document number, path, hash)`` of the ``kind=file`` documents of a segment that are
    not deleted now (a deleted document never comes back)."""
    if ("kind", b"file") not in sub:
        return []
    entries = []
    for d in sub.postings("kind", b"file").all_ids():  # deleted documents filtered out
        fields = sub.stored_fields(d)
        entries.append((d, fields["src"], fields["filehash"]))
    return entries


# (folder, segment id) → that segment's manifest entries (see manifest)
_SEGMENT_MANIFESTS: dict[tuple[str, str], list[tuple[int, str, str]]] = {}


def plan(
    ix, files: dict[str, Path], vocab_fingerprint: str, only: Collection[str] | None = None
) -> tuple[list[documents.Item], list[str], dict[str, str]]:
    """Files whose content differs from the manifest (with bytes and hash), removals, manifest.

    A file whose size and modification time (ns) are those it had when this process last
    hashed it to the digest the manifest holds is not read again: the live server's syncs
    (one worker process, many syncs) then read the pages that changed, not the whole archive.

    ``only``: ``files`` are those of these paths still on disk (``named_files``), and only these
    paths can be removals.
    """
    indexed = manifest(ix)
    todo = []
    for rel, path in files.items():
        known = indexed.get(rel)
        try:
            st = os.stat(path)
            stamp = (st.st_size, st.st_mtime_ns, vocab_fingerprint)
        except OSError:
            stamp = None  # read_item says why
        if known is not None and stamp is not None and _HASHED.get(str(path)) == (*stamp, known):
            continue
        item = documents.read_item(rel, path, vocab_fingerprint)
        if item.digest is not None and stamp is not None and stamp[1] < time.time_ns() - _RACY_NS:
            # Stat before the read, so never newer than what was hashed; and only a file that
            # was last written a while ago: a rewrite within the clock's tick keeps the mtime.
            _HASHED[str(path)] = (*stamp, item.digest)
        if item.error or known != item.digest:
            todo.append(item)
    gone = set(indexed) - set(files) if only is None else set(only) & set(indexed) - set(files)
    return todo, sorted(gone), indexed


# path → (size, mtime_ns, vocabulary fingerprint, digest) of the last time plan hashed it
_HASHED: dict[str, tuple[int, int, str, str]] = {}
_RACY_NS = 2_000_000_000


def named_files(corpus: Path, only: Collection[str]) -> dict[str, Path]:
    """The bulletin files among the paths ``only`` (relative to ``corpus``) that are on disk, in
    the order ``bulletin.corpus_files`` gives; a path that is gone or no bulletin is left out."""
    rels = sorted(
        (rel for rel in set(only) if bulletin.is_bulletin(rel)), key=lambda r: r.split("/")
    )
    return {rel: corpus / rel for rel in rels if (corpus / rel).is_file()}

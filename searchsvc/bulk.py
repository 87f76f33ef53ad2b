"""Many bulletins at once: read, parsed and tokenized in worker processes, each batch written as
one whole segment by ``segments.SegmentBuilder``.

Files are cut into batches in path order (about ``BATCH_BYTES`` of text each, so a worker's
in-memory postings stay a few hundred MB); each worker writes its batch's segment into the folder
it is given (a new index's build folder, or a live index's staging folder: ``storage.staging_dir``)
and sends back only the segment record and, per file, what the parent
needs to decide: its hash, its article ids, where its documents sit in the segment, or why it was
refused. The parent keeps the rules that need the whole run — which file may hold an article id
(a file that loses is deleted from its segment) — and the commit, which stays the caller's: a TOC
naming the segments in batch order, so documents sit in the order the one-document path writes.

Nothing here touches the TOC: a run killed at any moment leaves segment files no TOC names,
which the next commit (or ``storage.tidy_live``) removes.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from searchsvc import analysis, bulletin, documents, facets, segments, storage
from searchsvc.vocabulary import VOCAB_DIR

# Text per segment: ~60k paragraphs, ~0.7 GB peak in a worker. Fewer, larger segments write
# fewer terms (a term is written once per segment that holds it) and answer queries faster.
BATCH_BYTES = 20 * 1024 * 1024
POOL_MIN_BYTES = 4 * 1024 * 1024  # below this one process does it: spawning costs ~2 s
WORKERS = max(1, min(2, os.cpu_count() or 1))


@dataclass
class FileDone:
    """One file of a batch, as the worker left it."""

    rel: str
    digest: str | None = None
    error: str | None = None  # why it was refused (nothing of it was written)
    aids: list[str] = field(default_factory=list)
    first: int = 0  # its documents are [first, first + docs) in the batch's segment
    docs: int = 0
    paragraphs: int = 0


@dataclass
class Batch:
    segment: object | None  # a Whoosh segment, None if nothing was written
    files: list[FileDone]


def batches(
    files: dict[str, Path], size: int = BATCH_BYTES, workers: int = 1
) -> list[list[tuple[str, str]]]:
    """``files`` in path order, cut into runs of at most about ``size`` bytes — as many as it
    takes, rounded up to a multiple of ``workers`` and of equal size, so that every worker has
    as much to do and none is left alone with the last batch (below ``POOL_MIN_BYTES``, one)."""
    sizes = {rel: _size(path) for rel, path in files.items()}  # unreadable: the worker says
    total = sum(sizes.values())
    count = max(1, -(-total // max(size, 1)))
    if total >= POOL_MIN_BYTES:
        count = -(-count // workers) * workers
    size = max(1, -(-total // count))
    out: list[list[tuple[str, str]]] = [[]]
    done = 0
    for rel, path in files.items():
        if done >= size * len(out) and len(out) < count:
            out.append([])
        out[-1].append((rel, str(path)))
        done += sizes[rel]
    return [b for b in out if b]


def write(
    folder: Path,
    files: dict[str, Path],
    vocab_dir: Path | None,
    claims,
    indexed: dict[str, str],
    report,
    progress: Callable[[str], None] | None = None,
) -> Iterator[tuple[object | None, list[str]]]:
    """``build``, with the whole run's rules applied: per batch, ``(segment, files written)``.

    A file that could not be read or parsed, or that claims an article id another file holds
    (``claims``, the rule of ``index._Claims``), is added to ``report.rejected``; what a worker
    already wrote of it is deleted from its segment. The rest count in ``report``.
    """
    for batch in build(folder, files, vocab_dir, progress):
        seg, ok = batch.segment, []
        for done in batch.files:
            if done.error is None:
                try:
                    claims.take_ids(done.rel, done.aids)
                except bulletin.BulletinError as err:
                    done.error = err.reason
                    for docnum in range(done.first, done.first + done.docs):
                        seg.delete_document(docnum)
            if done.error is not None:
                report.rejected.append(documents.Rejected(done.rel, done.error))
                continue
            ok.append(done.rel)
            (report.changed if done.rel in indexed else report.added).append(done.rel)
            report.articles += len(done.aids)
            report.paragraphs += done.paragraphs
        yield (seg if ok else None), ok


def build(
    folder: Path,
    files: dict[str, Path],
    vocab_dir: Path | None,
    progress: Callable[[str], None] | None = None,
    workers: int | None = None,
    batch_bytes: int | None = None,
) -> Iterator[Batch]:
    """Write ``files`` as new segments in ``folder``; yields each batch's result in path order
    (as soon as it and the ones before it are done). ``progress(rel)`` after each file."""
    workers = workers or WORKERS
    todo = batches(files, batch_bytes or BATCH_BYTES, workers)
    size = sum(_size(p) for p in files.values())
    folder, vocab_key = str(folder), str(vocab_dir or VOCAB_DIR)
    if workers <= 1 or len(todo) <= 1 or size < POOL_MIN_BYTES:
        for items in todo:
            yield build_batch(folder, items, vocab_key, progress)
        return
    context = multiprocessing.get_context("spawn")
    done: multiprocessing.Queue = context.Queue()
    pool = ProcessPoolExecutor(
        max_workers=min(workers, len(todo)),
        mp_context=context,
        initializer=_worker_init,
        initargs=(done, os.getpid()),
    )
    stop = threading.Event()
    relay = threading.Thread(target=_relay, args=(done, progress, stop), daemon=True)
    relay.start()
    try:
        futures: list[Future] = [
            pool.submit(build_batch, folder, items, vocab_key) for items in todo
        ]
        for future in futures:
            yield future.result()
    finally:
        for future in futures if "futures" in locals() else ():
            future.cancel()
        pool.shutdown(wait=True, cancel_futures=True)
        stop.set()
        relay.join(timeout=5)


def _size(path: Path) -> int:
    try:
        return os.path.getsize(path)
    except OSError:
        return 0


# --------------------------------------------------------------------------- in the worker

_done_queue = None


def _worker_init(done, parent: int) -> None:
    global _done_queue
    _done_queue = done
    die_with_parent(parent)


def die_with_parent(parent: int) -> None:
    """In a worker process: exit when its parent is gone (killed, not shut down) rather than
    linger — a bulk worker would go on writing segments no one commits, beside the next run's
    writer. A sync or batch cut short is safe: nothing is committed half-way."""

    def check() -> None:
        while os.getppid() == parent:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=check, name="parent-watch", daemon=True).start()


def _relay(done, progress, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            rel = done.get(timeout=0.2)
        except queue.Empty:
            continue
        except (EOFError, OSError):
            return
        if progress:
            progress(rel)


@lru_cache(maxsize=2)
def _vocabulary(vocab_dir: str) -> facets.Vocabulary:
    return facets.Vocabulary.load(Path(vocab_dir))


def build_batch(folder: str, items: list[tuple[str, str]], vocab_dir: str, progress=None) -> Batch:
    """One batch of files as one new segment in ``folder`` (run in a worker, or in-process)."""
    vocab = _vocabulary(vocab_dir)
    schema = documents.schema()
    builder = segments.SegmentBuilder(folder, schema, storage.WHOOSH_NAME)
    done: list[FileDone] = []
    try:
        with analysis.tokenizers_pinned():  # the user dictionary looked at once, not per field
            for rel, path in items:
                done.append(_add_file(builder, rel, Path(path), vocab))
                if progress:
                    progress(rel)
                elif _done_queue is not None:
                    _done_queue.put(rel)
        return Batch(builder.finish(), done)
    except BaseException:
        if not builder.is_closed:
            builder.cancel()
        raise


def _add_file(builder, rel: str, path: Path, vocab: facets.Vocabulary) -> FileDone:
    item = documents.read_item(rel, path, vocab.fingerprint)
    if item.error:
        return FileDone(rel, error=item.error)
    try:
        doc = bulletin.parse(bulletin.decode(item.data, rel), rel)
    except bulletin.BulletinError as err:
        return FileDone(rel, error=err.reason)
    first = builder.docnum
    for fields in documents.file_docs(rel, item.digest, doc, vocab):
        builder.add_document(**fields)
    return FileDone(
        rel,
        digest=item.digest,
        aids=[a.id for a in doc.articles],
        first=first,
        docs=builder.docnum - first,
        paragraphs=sum(len(a.paragraphs) for a in doc.articles),
    )

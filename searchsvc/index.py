"""The Whoosh index: ``sync(corpus, home)`` — the one way anything is written — and opening it.

What a bulletin becomes (the schema, a file's documents) is ``documents``'. The manifest is the
``kind=file`` documents, so it can never disagree with what the index holds: it is committed in
the same transaction as the paragraphs it describes. Small changes are one segment built in
process (``segments.Staged``: Whoosh's writer deletes, a ``SegmentBuilder`` adds); ``--full``
and large batches go through ``bulk`` (whole segments from worker processes). Either way every
segment is one of ours, with its flat postings file (``flatpostings``).

Callers pass the index *home* (``index/``); which folder in it holds the index in service, the
writer lock and the rebuild folders are ``storage``'s business.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError

from searchsvc import bulletin, documents, facets, planning, segments, storage, vocabulary
from searchsvc.planning import manifest
from searchsvc.storage import IndexBusy, live_dir, read_rejected, write_rejected
from searchsvc.vocabulary import VOCAB_DIR

# Re-exported: callers know them as index.live_dir, index.IndexBusy, ...
__all__ = ["IndexBusy", "live_dir", "manifest", "read_rejected", "write_rejected"]

BULK_MIN_BYTES = 1024 * 1024  # an incremental run with this much text goes the bulk way
LIVE_CHUNK_BYTES = 512 * 1024  # the live server commits after about this much text (~5 s)
LOCK_TIMEOUT = 60.0  # seconds a second writer waits for the first before giving up


def open_index(home: Path, create: bool = True):
    """Open the index in service under ``home``; with none (and ``create``), create an empty one
    in the home itself."""
    home = Path(home)
    for _ in range(3):
        live = live_dir(home)
        try:
            return whoosh_index.open_dir(str(live))
        except (EmptyIndexError, FileNotFoundError):
            pass
        if live_dir(home) == live:
            break
        # A rebuild swapped folders between reading CURRENT and opening: follow the pointer.
    if live != home:
        raise FileNotFoundError(
            f"{live}: 索引目录缺失 / the live index folder named by {home / storage.POINTER} "
            "is missing; run `searchsvc index --full`"
        )
    if not create:
        raise FileNotFoundError(f"{home}: 没有索引 / no index here — run `searchsvc index`")
    return storage.create_empty(home, documents.schema())


def schema_changed(home: Path) -> bool:
    """Whether the index in service was built with other fields than ``documents.schema()`` has
    (an upgrade added one): then only a rebuild can give every document the new fields."""
    try:
        ix = open_index(home, create=False)
    except FileNotFoundError:
        return False
    return sorted(ix.schema.names()) != sorted(documents.schema().names())


# --------------------------------------------------------------------------- sync


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: list[documents.Rejected] = field(default_factory=list)
    articles: int = 0
    paragraphs: int = 0
    seconds: float = 0.0
    rebuilt: bool = False  # a --full run: a new index was built and swapped in

    @property
    def wrote(self) -> bool:
        return bool(self.rebuilt or self.added or self.changed or self.removed)

    def summary(self) -> str:
        if self.rebuilt:
            files = len(self.added) + len(self.changed)
            text = (
                f"全量重建 {files} 个文件（{self.articles} 篇文章，{self.paragraphs} 段），"
                f"删除 {len(self.removed)} 个 / rebuilt from scratch: {files} files "
                f"({self.articles} articles, {self.paragraphs} paragraphs), "
                f"{len(self.removed)} removed, in {self.seconds:.2f} s"
            )
        elif not self.wrote:
            text = "索引已是最新，未写入 / index up to date, nothing written"
        else:
            text = (
                f"新增 {len(self.added)}、更新 {len(self.changed)}、删除 {len(self.removed)} 个文件"
                f"（{self.articles} 篇文章，{self.paragraphs} 段）/ added {len(self.added)}, "
                f"changed {len(self.changed)}, removed {len(self.removed)} files "
                f"({self.articles} articles, {self.paragraphs} paragraphs) in {self.seconds:.2f} s"
            )
        if self.rejected:
            text += f"; 拒收 {len(self.rejected)} 个文件 / {len(self.rejected)} rejected"
        return text


ProgressFn = Callable[[int, int, str], None]


def sync(
    corpus: Path,
    home: Path,
    progress: ProgressFn | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
    vocab_dir: Path | None = None,
    full: bool = False,
    on_wait: Callable[[str], None] | None = None,
    chunk_bytes: int | None = None,
    only: Collection[str] | None = None,
) -> SyncReport:
    """Bring the index in ``home`` in line with the bulletins in ``corpus``.

    Incremental (default): add, replace, delete, in one commit at the end; readers see the old
    index until then, and nothing is written when nothing changed. ``full``: build a new index
    from scratch in a fresh folder and swap it in; until the swap the old one serves, and a
    failed rebuild leaves it untouched.

    A file that cannot be read, or whose article ids another file already holds, is reported
    and skipped; in an incremental run its older indexed version (if any) stays searchable.
    The whole run holds the home's writer lock; a run that has to wait calls ``on_wait`` once,
    and gives up with IndexBusy after ``lock_timeout`` seconds of waiting.

    ``chunk_bytes`` (incremental only): commit after about that much text instead of once at
    the end — what the live server does, so the first of many new pages is searchable in
    seconds. A run killed half-way then leaves the chunks it committed (each complete, with its
    files' manifest entries) and the next run does the rest.

    ``only`` (incremental only): the relative paths that changed (what the live server's watcher
    saw): only these are read, and only these removed if gone — the corpus is not listed.

    The vocabularies are read first: a malformed one raises ``vocabulary.VocabError`` before anything
    is written. Their fingerprint is part of every file's recorded hash, so editing a vocabulary
    re-extracts every bulletin at the next sync. An index built with other fields than the
    schema has now is rebuilt, as with ``full``.
    """
    started = time.perf_counter()
    corpus, home = Path(corpus), Path(home)
    if not corpus.is_dir():
        raise FileNotFoundError(f"{corpus}: 语料目录不存在 / corpus folder not found")
    vocab = _vocabulary(Path(vocab_dir or VOCAB_DIR))
    budget = storage.Budget(home, lock_timeout, on_wait)
    with storage.writer_lock(home, budget):
        storage.tidy(home)  # what a killed run left: build folders, replaced live folders
        if full or schema_changed(home):
            files = bulletin.corpus_files(corpus)
            report = _rebuild(home, files, vocab_dir, budget, progress)
            write_rejected(home, report.rejected)
        elif only is None:
            files = bulletin.corpus_files(corpus)
            report = _update(home, files, vocab, budget, progress, chunk_bytes, vocab_dir)
            write_rejected(home, report.rejected)
        else:
            files = planning.named_files(corpus, only)
            report = _update(home, files, vocab, budget, progress, chunk_bytes, vocab_dir, only)
            # The other files' refusals stand: this run did not read them.
            kept = [documents.Rejected(**r) for r in read_rejected(home) if r["file"] not in only]
            write_rejected(home, [*kept, *report.rejected])
    report.seconds = time.perf_counter() - started
    return report


def _vocabulary(folder: Path) -> facets.Vocabulary:
    """The vocabularies in ``folder``, read again only when their bytes changed (a live server's
    worker syncs many times; reading them is ~0.1 s a sync)."""
    loaded = _VOCABULARIES.get(str(folder))
    if loaded is None or loaded.fingerprint != vocabulary.fingerprint(folder):
        loaded = _VOCABULARIES[str(folder)] = facets.Vocabulary.load(folder)
    return loaded


_VOCABULARIES: dict[str, facets.Vocabulary] = {}  # folder → its vocabularies, as last read


def _update(
    home: Path,
    files: dict[str, Path],
    vocab: facets.Vocabulary,
    budget,
    progress,
    chunk_bytes: int | None = None,
    vocab_dir: Path | None = None,
    only: Collection[str] | None = None,
) -> SyncReport:
    report = SyncReport()
    ix = storage.pread_storage(open_index(home))
    storage.tidy_live(ix)
    generation = ix.latest_generation()
    todo, report.removed, indexed = planning.plan(ix, files, vocab.fingerprint, only)
    if not (todo or report.removed):
        return report
    if sum(len(item.data or b"") for item in todo) >= BULK_MIN_BYTES:
        return _update_bulk(ix, files, vocab, budget, progress, vocab_dir, report, only)
    writer = segments.Staged(storage.whoosh_writer(ix, budget))
    try:
        if ix.latest_generation() != generation:
            # A writer outside sync committed while we waited for Whoosh's lock: plan again.
            todo, report.removed, indexed = planning.plan(ix, files, vocab.fingerprint, only)
        for rel in report.removed:
            writer.delete_by_term("src", rel)
        with ix.searcher() as searcher:
            claims = _Claims(searcher, released=report.removed)
            done = 0
            for n, chunk in enumerate(_chunks(todo, chunk_bytes)):
                if n:
                    writer = segments.Staged(storage.whoosh_writer(ix, budget))
                _add_files(writer, chunk, len(todo), indexed, vocab, claims, report, progress, done)
                done += len(chunk)
                if report.wrote:
                    # readers see this chunk now, not when the whole run ends
                    writer.commit()
                else:
                    writer.cancel()  # only unreadable files so far: nothing to write
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    return report


def _update_bulk(
    ix, files, vocab, budget, progress, vocab_dir, report: SyncReport, only=None
) -> SyncReport:
    """A large incremental run: the new and changed files written as whole segments by the bulk
    writer (see ``bulk``), each batch committed as it is done, together with the deletion of the
    versions it replaces (and, with the first, of removed files)."""
    from searchsvc import bulk  # it imports this module

    lock = storage.whoosh_lock(ix, budget)  # held across every commit of the run
    staging = None
    try:
        todo, report.removed, indexed = planning.plan(ix, files, vocab.fingerprint, only)
        deletions = list(report.removed)
        todo_files = {item.rel: files[item.rel] for item in todo}
        with ix.searcher() as searcher:
            claims = _Claims(searcher, released=report.removed)
            ticker = _Ticker(progress, len(todo_files))
            folder = Path(ix.storage.folder)
            staging = storage.staging_dir(folder)  # see there: why not the live folder
            for seg, ok in bulk.write(
                staging, todo_files, vocab_dir, claims, indexed, report, ticker
            ):
                if seg is None and not deletions:
                    continue  # only refused files in this batch: nothing to write
                writer = ix.writer(_lk=False)  # we hold Whoosh's lock
                try:
                    if seg is not None:
                        storage.adopt(staging, folder, seg)
                    for rel in [*deletions, *ok]:
                        writer.delete_by_term("src", rel)
                    writer.commit(mergetype=segments.with_new(seg))
                except BaseException:
                    if not writer.is_closed:
                        writer.cancel()
                    raise
                deletions = []
            if deletions:  # nothing new was written at all: the removals alone
                writer = ix.writer(_lk=False)
                for rel in deletions:
                    writer.delete_by_term("src", rel)
                writer.commit(mergetype=segments.with_new(None))
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        lock.release()
    return report


class _Ticker:
    """The progress callback as the bulk writer calls it: one file done."""

    def __init__(self, progress: ProgressFn | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self, rel: str) -> None:
        self.done += 1
        if self.progress:
            self.progress(self.done, self.total, rel)


def _chunks(items: list[documents.Item], size: int | None) -> Iterator[list[documents.Item]]:
    """``items`` in runs of about ``size`` bytes (None: all in one), a commit each."""
    if size is None:
        yield items
        return
    chunk, total = [], 0
    for item in items:
        chunk.append(item)
        total += len(item.data or b"")
        if total >= size:
            yield chunk
            chunk, total = [], 0
    if chunk or not items:
        yield chunk


def _rebuild(
    home: Path, files: dict[str, Path], vocab_dir: Path | None, budget, progress
) -> SyncReport:
    report = SyncReport(rebuilt=True)
    try:
        old = open_index(home, create=False)
    except (FileNotFoundError, storage.PointerError):
        old = None  # none yet, or a broken pointer: what a rebuild is for
    # Our writer lock keeps other syncs out; Whoosh's lock on the old index also keeps out a
    # writer that bypasses sync, whose commit would otherwise vanish with the swap.
    old_lock = storage.whoosh_lock(old, budget) if old is not None else None
    try:
        indexed = manifest(old) if old is not None else {}
        build = storage.new_build_dir(home)
        try:
            from searchsvc import bulk  # it imports this module

            ix = storage.create_empty(build, documents.schema())
            claims, ticker = _Claims(), _Ticker(progress, len(files))
            built = [
                seg
                for seg, _ok in bulk.write(build, files, vocab_dir, claims, indexed, report, ticker)
                if seg is not None
            ]
            storage.commit_segments(ix, built)
            report.removed = sorted(set(indexed) - set(files))
            storage.promote(home, build)
        except BaseException:
            storage.discard(build)  # never promoted (or renamed away already: a no-op)
            raise
    finally:
        if old_lock is not None:
            old_lock.release()
    return report


def _add_files(
    writer,
    items: Iterable[documents.Item],
    total: int,
    indexed: dict[str, str],
    vocab: facets.Vocabulary,
    claims: _Claims,
    report: SyncReport,
    progress: ProgressFn | None,
    done: int = 0,
) -> None:
    for i, item in enumerate(items, done + 1):
        try:
            if item.error:
                raise bulletin.BulletinError(item.rel, item.error)
            doc = bulletin.parse(bulletin.decode(item.data, item.rel), item.rel)
            claims.take(doc)
        except bulletin.BulletinError as err:
            report.rejected.append(documents.Rejected(item.rel, err.reason))
        else:
            (report.changed if item.rel in indexed else report.added).append(item.rel)
            _replace_file(writer, item.rel, item.digest, doc, vocab, report)
        if progress:
            progress(i, total, item.rel)


class _Claims:
    """Which file holds each article id. Ids are slugs of paths (``a/b.md``, ``a.b.md`` and
    ``a/b.txt`` share theirs), so two files can claim one id; the later one is refused rather
    than merged. An id stays with the file that holds it in the index unless that file is
    removed in this run or was already replaced in it by a version without the id; otherwise
    the first file of the run (in path order) to claim it keeps it."""

    def __init__(self, searcher=None, released: Iterable[str] = ()):
        self.searcher = searcher  # the committed index as it was before this run
        self.released = set(released)
        self.taken: dict[str, str] = {}
        self.replaced: set[str] = set()

    def take(self, doc: bulletin.Bulletin) -> None:
        self.take_ids(doc.source, [article.id for article in doc.articles])

    def take_ids(self, source: str, aids: list[str]) -> None:
        for aid in aids:
            other = self.taken.get(aid) or self._holder(aid)
            if other and other != source:
                raise bulletin.BulletinError(
                    source, f"文章编号重复 / duplicate article id {aid} (also in {other})"
                )
        self.taken.update((aid, source) for aid in aids)
        self.replaced.add(source)

    def _holder(self, aid: str) -> str | None:
        if self.searcher is None:
            return None
        # Every article has a paragraph 1: one term lookup, no scan of the records.
        docnum = self.searcher.document_number(pid=f"{aid}#1")
        if docnum is None:
            return None
        src = self.searcher.stored_fields(docnum)["src"]
        return None if src in self.released or src in self.replaced else src


def _replace_file(
    writer,
    rel: str,
    digest: str,
    doc: bulletin.Bulletin,
    vocab: facets.Vocabulary,
    report: SyncReport,
):
    writer.delete_by_term("src", rel)
    for fields in documents.file_docs(rel, digest, doc, vocab):
        writer.add_document(**fields)
    report.articles += len(doc.articles)
    report.paragraphs += sum(len(article.paragraphs) for article in doc.articles)


def stats(ix) -> dict[str, int]:
    """How many bulletin files, articles and paragraphs the index holds."""
    with ix.searcher() as s:
        return counts(s)


def counts(searcher, articles: int | None = None) -> dict[str, int]:
    """``stats`` as one open searcher sees it; ``articles`` when the caller already knows it
    (the search core's snapshot does), which saves walking the head paragraphs."""
    files = sum(1 for _ in searcher.document_numbers(kind="file"))
    if articles is None:
        articles = sum(1 for _ in searcher.document_numbers(head="1"))
    return {"files": files, "articles": articles, "paragraphs": searcher.doc_count() - files}

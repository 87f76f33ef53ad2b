"""The index home: which folder is live, the writer lock, fresh build folders.

The configured index path (``index/``) is the *home*. The Whoosh files in service live either in
the home itself (the original layout, kept for indexes built before ``--full`` existed) or in a
sub-folder ``live-<stamp>`` named by the pointer file ``CURRENT``. A full rebuild writes a new
``build-<stamp>`` folder, renames it ``live-<stamp>`` and then replaces ``CURRENT`` in one
``os.replace``: a reader sees the old index or the new one, never a mix, and a rebuild killed at
any moment leaves the old one in service. The same layout as LevelDB's ``CURRENT`` + ``LOCK``.

``LOCK`` is the home's writer lock (``flock``): one writer at a time across processes, for a whole
sync — plan, write, commit — or a whole rebuild and swap. The kernel drops it when its holder
dies, so a killed run never leaves the home locked.
"""

from __future__ import annotations

import datetime as _dt
import fcntl
import io
import json
import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage
from whoosh.filedb.structfile import StructFile
from whoosh.index import TOC, LockError, clean_files
from whoosh.util.filelock import try_for

POINTER = "CURRENT"
LOCK_FILE = "LOCK"
REJECTED_FILE = "rejected.json"
LIVE_PREFIX = "live-"
BUILD_PREFIX = "build-"
WHOOSH_NAME = "MAIN"  # Whoosh's default index name: files _MAIN_<gen>.toc, MAIN_<segment>.*
WAIT_MESSAGE = "另一个索引进程正在写入，等待中… / waiting for another index run…"
_POLL = 0.1  # seconds between attempts at a busy lock
_LIVE_NAME = re.compile(r"live-[0-9A-Za-z_-]+")
# Whoosh's own files: TOCs (and the temp TOC a killed commit leaves: _MAIN_3.toc.1732…),
# segment files, its write lock, and the posting pool's temp folder.
_WHOOSH_FILE = re.compile(rf"_{WHOOSH_NAME}_\d+\.toc(?:\..*)?|{WHOOSH_NAME}_.+|{WHOOSH_NAME}\.tmp")
_TEMP_TOC = re.compile(rf"_{WHOOSH_NAME}_\d+\.toc\..+")
# A per-segment file (``flatpostings``, ``snapshot``) killed before its rename.
_TEMP_SEGMENT_FILE = re.compile(rf"\.{WHOOSH_NAME}_[0-9a-z]+\.(flat|cat)\..+")
# Where a run's bulk workers, or a merge, write segments not committed yet (see ``staging_dir``).
_STAGING = re.compile(rf"\.{WHOOSH_NAME}_(staging|merge)\.\d+")


class IndexBusy(Exception):
    """Another process holds the index's write lock for longer than we are willing to wait."""


class PointerError(ValueError):
    """``CURRENT`` does not name a live folder (it was edited by hand)."""


def pointer(home: Path) -> str | None:
    """The live folder's name from ``CURRENT``, or None when there is no pointer file."""
    try:
        name = (Path(home) / POINTER).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _LIVE_NAME.fullmatch(name):
        # Written only by `promote` (atomically), so this is a hand edit; refuse to guess.
        raise PointerError(
            f"{Path(home) / POINTER}: 指针文件内容无效 / bad pointer {name!r}; "
            "run `searchsvc index --full` to rebuild"
        )
    return name


def live_dir(home: Path) -> Path:
    """The folder holding the Whoosh index in service now. One small read: callers may check it
    on every request to notice a swap."""
    home = Path(home)
    name = pointer(home)
    return home if name is None else home / name


# --------------------------------------------------------------------------- the writer lock


class Budget:
    """One time budget for all the waiting a run does (the home lock, then Whoosh's), counted
    from the first wait (planning a big corpus is not waiting), and one message then."""

    def __init__(self, home: Path, timeout: float, on_wait: Callable[[str], None] | None = None):
        self.home, self.timeout, self.on_wait = Path(home), timeout, on_wait
        self.deadline: float | None = None  # set by the first wait

    def waiting(self) -> None:
        if self.deadline is None:
            self.deadline = time.monotonic() + self.timeout
            if self.on_wait:
                self.on_wait(WAIT_MESSAGE)

    def left(self) -> float:
        if self.deadline is None:
            return self.timeout
        return max(0.0, self.deadline - time.monotonic())

    def busy(self) -> IndexBusy:
        return IndexBusy(
            f"{self.home}: 另一个索引进程正在写入，已等待 {self.timeout:.0f} 秒 / another index "
            f"run holds the write lock (waited {self.timeout:.0f} s); try again when it ends"
        )


@contextmanager
def writer_lock(home: Path, budget: Budget) -> Iterator[None]:
    """Hold the home's writer lock, waiting within ``budget``; raises IndexBusy past it."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if budget.left() <= 0:
                    raise budget.busy() from None
                budget.waiting()
                time.sleep(min(_POLL, budget.left()) or _POLL / 10)
        yield
    finally:
        os.close(fd)  # closing the only descriptor releases the flock


# --------------------------------------------------------------------------- rebuild and swap


def new_build_dir(home: Path) -> Path:
    """A fresh, empty ``build-<stamp>`` folder in the home (call with the writer lock held)."""
    stamp = _dt.datetime.now().strftime("%Y%m%dT%H%M%S%f")
    for n in range(1000):
        path = Path(home) / f"{BUILD_PREFIX}{stamp}{f'-{n}' if n else ''}"
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{home}: cannot make a build folder")  # pragma: no cover


def promote(home: Path, build: Path) -> Path:
    """Put the committed index in ``build`` into service, then remove the one it replaces.

    Order matters for a kill at any step: the rename makes it ``live-*`` but not yet live (an
    orphan that ``tidy`` removes); the ``os.replace`` of ``CURRENT`` is the switch; removing the
    old folder comes last (a leftover is again ``tidy``'s). Data is flushed before the switch so
    that a power cut cannot leave ``CURRENT`` naming half-written files.
    """
    home = Path(home)
    try:
        old = pointer(home)
    except PointerError:
        old = ""  # a hand-edited pointer: replace it, leave the folders to a later tidy
    live = home / (LIVE_PREFIX + build.name.removeprefix(BUILD_PREFIX))
    for path in build.iterdir():
        if path.is_file():
            _fsync(path)
    os.rename(build, live)
    _fsync_dir(live)
    tmp = home / f".{POINTER}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as out:
        out.write(live.name + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, home / POINTER)
    _fsync_dir(home)
    # Readers that have the old files open keep reading them (Linux keeps unlinked files);
    # new readers follow CURRENT.
    if old is None:
        remove_whoosh_files(home)
    elif old and old != live.name:
        shutil.rmtree(home / old, ignore_errors=True)
    return live


def discard(build: Path) -> None:
    """Remove a build folder that will not be promoted (a rebuild that failed)."""
    shutil.rmtree(build, ignore_errors=True)


def remove_whoosh_files(folder: Path) -> None:
    """Delete the Whoosh index files directly in ``folder`` (an index in the original layout
    that a rebuild replaced), leaving everything else — CURRENT, LOCK, rejected.json, .gitkeep."""
    for path in Path(folder).iterdir():
        if _WHOOSH_FILE.fullmatch(path.name):
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)


def tidy(home: Path) -> list[str]:
    """Remove what killed runs left in the home (call with the writer lock held): build folders
    of a rebuild that never finished, ``live-*`` folders that are not (or no longer) live, the
    original-layout files once a pointer exists, stray temp files. Returns the names removed."""
    home = Path(home)
    if not home.is_dir():
        return []
    try:
        current = pointer(home)
    except PointerError:
        current = ""  # unknown: keep every live-* folder, a rebuild will replace the pointer
    removed = []
    for path in sorted(home.iterdir()):
        name = path.name
        stale = (
            name.startswith(BUILD_PREFIX)
            or (current != "" and name.startswith(LIVE_PREFIX) and name != current)
            or (current and _WHOOSH_FILE.fullmatch(name))
            or name.startswith((f".{POINTER}.", ".rejected-"))
        )
        if stale:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed.append(name)
    return removed


# --------------------------------------------------------------------------- rejected files


def write_rejected(home: Path, rejected: list) -> None:
    """Record the files the last sync refused (``documents.Rejected`` records, for /api/health);
    atomic, and only if changed."""
    path = Path(home) / REJECTED_FILE
    data = json.dumps([asdict(r) for r in rejected], ensure_ascii=False, indent=1)
    if path.exists() and path.read_text(encoding="utf-8") == data:
        return
    fd, tmp = tempfile.mkstemp(dir=home, prefix=".rejected-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(data)
    os.chmod(tmp, 0o644)  # mkstemp makes it private; the server may run as another user
    os.replace(tmp, path)


def read_rejected(home: Path) -> list[dict]:
    path = Path(home) / REJECTED_FILE
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


# --------------------------------------------------------------------------- Whoosh's files


def create_empty(folder: Path, schema):
    """An empty index in ``folder``. Not ``whoosh.index.create_in``: that first deletes every TOC
    in the folder, so a reader creating the index while a first sync commits could wipe the
    sync's generation. Writing generation 0 with Whoosh's own rename-if-absent cannot."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    # NameError: someone else wrote generation 0 first — the same empty index.
    with suppress(NameError):
        TOC(schema, [], 0).write(FileStorage(str(folder)), WHOOSH_NAME)
    return whoosh_index.open_dir(str(folder))


def commit_segments(ix, segments: list) -> None:
    """Commit ``segments`` (in ``ix``'s folder) as ``ix``'s next generation, the whole of it:
    the TOC written and renamed into place the way Whoosh commits, then every TOC and segment
    file it does not name removed. For the bulk writer's fresh build folder, and a merge pass's
    commit (under the writer locks)."""
    generation = ix.latest_generation() + 1
    TOC(ix.schema, list(segments), generation).write(ix.storage, WHOOSH_NAME)
    clean_files(ix.storage, WHOOSH_NAME, generation, segments)


def whoosh_writer(ix, budget: Budget):
    """``ix.writer()``, waiting for Whoosh's own lock within ``budget``."""
    try:
        return ix.writer(timeout=0)
    except LockError:
        budget.waiting()
    try:
        return ix.writer(timeout=budget.left())
    except LockError as err:
        raise budget.busy() from err


def whoosh_lock(ix, budget: Budget):
    """Hold Whoosh's write lock on ``ix`` without a writer (release it when done)."""
    lock = ix.lock("WRITELOCK")
    if not lock.acquire():
        budget.waiting()
        if not try_for(lock.acquire, timeout=budget.left()):
            raise budget.busy()
    return lock


def staging_dir(folder: Path, kind: str = "staging") -> Path:
    """A fresh folder inside the index folder where a live run's bulk workers write the segments
    it has not committed yet. Not beside the live files: every Whoosh commit deletes the segment
    files its TOC does not name, so a batch committed while the next was being written deleted
    that one under its worker, and the next TOC named a segment that was gone. The dot keeps
    Whoosh's cleanup out; ``tidy_live`` removes one a killed run left. ``kind`` "merge": a merge
    pass's, written while syncs run (it holds a ``flock`` on the folder, which ``tidy_live``
    respects)."""
    path = Path(folder) / f".{WHOOSH_NAME}_{kind}.{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir()
    return path


@contextmanager
def merge_staging(folder: Path) -> Iterator[Path]:
    """A staging folder (``staging_dir``) for a merge, which writes while syncs run: held with a
    ``flock`` that ``tidy_live`` respects (a killed merge's lock goes with it), removed after."""
    path = staging_dir(folder, "merge")
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield path
    finally:
        os.close(fd)
        shutil.rmtree(path, ignore_errors=True)


def adopt(staging: Path, folder: Path, segment) -> None:
    """Move ``segment``'s files (the compound ``.seg``, its ``.flat``, a ``.cat``) from
    ``staging`` into the index folder: what the caller does, under Whoosh's lock, just before
    the commit naming it."""
    prefix = f"{segment.segment_id()}."
    moved = [name for name in os.listdir(staging) if name.startswith(prefix)]
    if not any(name.endswith(".seg") for name in moved):
        raise FileNotFoundError(f"{staging}: no compound file for {segment.segment_id()}")
    for name in moved:
        os.replace(Path(staging) / name, Path(folder) / name)
    _fsync_dir(Path(folder))


def tidy_live(ix) -> list[str]:
    """Remove what a run killed mid-commit left in an index folder: the temp TOC it never renamed
    (Whoosh's cleanup does not recognise the name), segment files no TOC names, older TOCs, the
    posting pool's temp folder. Whoosh clears most of these at its next commit, but a run with
    nothing to write makes none. Only under Whoosh's lock, so that no commit is in progress.
    Returns the names removed."""
    store = ix.storage
    pool = f"{WHOOSH_NAME}.tmp"
    tocfile, segfile = TOC._pattern(WHOOSH_NAME), TOC._segment_pattern(WHOOSH_NAME)

    def leftovers() -> list[str]:
        toc = TOC.read(store, WHOOSH_NAME)
        live = {segment.segment_id() for segment in toc.segments}
        return [
            name
            for name in store
            if _TEMP_TOC.fullmatch(name)
            or _TEMP_SEGMENT_FILE.fullmatch(name)
            or (_STAGING.fullmatch(name) and not flock_held(Path(store.folder) / name))
            or ((m := tocfile.match(name)) and int(m.group(1)) != toc.generation)
            or ((m := segfile.match(name)) and m.group(1) not in live)
            or name == pool
        ]

    if not leftovers():
        return []
    lock = ix.lock("WRITELOCK")
    if not lock.acquire():
        return []  # a writer is at work here; its commit (or the next run) cleans up
    try:
        stale = leftovers()  # again: a commit may have landed before we took the lock
        for name in stale:
            path = Path(store.folder) / name
            if path.is_dir():  # the pool, a killed bulk build's MAIN_<segment>.tmp or staging
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
    finally:
        lock.release()
    return stale


def flock_held(path: Path) -> bool:
    """Whether a live process holds a ``flock`` on ``path``: a file (the home's ``LOCK``) or a
    folder (a merge writing into its staging folder)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --------------------------------------------------------------------------- reading files


class _Range(io.RawIOBase):
    """A byte range of an open file, read with ``pread`` (no shared file position)."""

    def __init__(self, fd: int, offset: int, length: int, owner: bool):
        self._fd, self._offset, self._length, self._owner = fd, offset, length, owner
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buf) -> int:
        n = max(0, min(len(buf), self._length - self._pos))
        data = os.pread(self._fd, n, self._offset + self._pos) if n else b""
        buf[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, pos: int, whence: int = 0) -> int:
        base = (0, self._pos, self._length)[whence]
        self._pos = base + pos
        return self._pos

    def tell(self) -> int:
        return self._pos

    def close(self) -> None:
        if self._owner and not self.closed:
            os.close(self._fd)
        super().close()


class _RangeFile(StructFile):
    """Whoosh's ``StructFile`` over a ``_Range``: buffered (``pickle.load`` reads it at C
    speed), and its ``subset`` — a part of a compound segment file — is another range of the
    same descriptor, not a ``SubFile`` that seeks the parent on every small read (nor, mapped,
    a ``BytesIO`` copy of the part)."""

    def __init__(self, fd: int, offset: int, length: int, name=None, owner=False, **kwargs):
        raw = _Range(fd, offset, length, owner)
        super().__init__(io.BufferedReader(raw, buffer_size=16384), name=name, **kwargs)
        self.is_real = False
        self._fd, self._offset, self._length = fd, offset, length

    def subset(self, offset, length, name=None):
        return _RangeFile(self._fd, self._offset + offset, length, name=name or self._name)

    def get(self, position, length):
        return os.pread(self._fd, length, self._offset + position)


class ReadStorage(FileStorage):
    """The index folder read with ``pread`` (see ``_RangeFile``): how the search core and the
    writer open an index, so that no process copies a compound segment's parts into memory
    (mapped, Whoosh reads each part into a ``BytesIO``: a sync at the archive's size held 6 GB
    and spent seconds copying)."""

    supports_mmap = False

    def open_file(self, name, **kwargs):
        fd = os.open(self._fpath(name), os.O_RDONLY)
        return _RangeFile(fd, 0, os.fstat(fd).st_size, name=name, owner=True, **kwargs)


def pread_storage(ix, readonly: bool = False):
    """``ix`` with its folder read through ``ReadStorage``; writes (new segments, the TOC, the
    lock) go through ``FileStorage`` unchanged."""
    ix.storage = ReadStorage(ix.storage.folder, supports_mmap=False, readonly=readonly)
    return ix

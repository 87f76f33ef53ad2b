"""The corpus watcher, on real files with a real watcher thread (inotify, and polling)."""

from __future__ import annotations

import logging
import os
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from searchsvc import watch as watch_mod
from searchsvc.bulletin import is_bulletin
from searchsvc.watch import Change, watch

SEED_TEXT = (Path(__file__).resolve().parents[1] / "corpus" / "000_73d2eb0e74c950a6.txt").read_text(
    encoding="utf-8"
)
DEADLINE = 5.0
PROBE = "probe-"


class Watcher:
    """``watch`` running in a thread; every batch it reports is kept, in order."""

    def __init__(self, corpus: Path, **options) -> None:
        self.corpus = corpus
        self.polling = options.get("poll", False)
        self._bumps = 0
        self.stop = threading.Event()
        self.batches: list[list[Change]] = []
        self.hook: Callable[[list[Change]], None] | None = None
        self._lock = threading.Lock()
        self.thread = threading.Thread(
            target=watch, args=(corpus, self._on_change, self.stop), kwargs=options, daemon=True
        )

    def _on_change(self, batch: list[Change]) -> None:
        with self._lock:
            self.batches.append(batch)
        if self.hook:
            self.hook(batch)

    def seen(self) -> list[list[Change]]:
        with self._lock:
            return list(self.batches)

    def changes(self) -> list[Change]:
        return [c for batch in self.seen() for c in batch if not c.path.startswith(PROBE)]

    def wait_for(self, *expected: Change) -> None:
        deadline = time.monotonic() + DEADLINE
        while not set(expected) <= set(self.changes()):
            assert time.monotonic() < deadline, f"never saw {expected}; saw {self.seen()}"
            time.sleep(0.02)

    def start(self) -> Watcher:
        """Start, then add probe files until one is reported: from then on nothing is missed."""
        self.thread.start()
        deadline = time.monotonic() + DEADLINE
        for n in range(1000):
            if any(c.path.startswith(PROBE) for batch in self.seen() for c in batch):
                return self
            assert time.monotonic() < deadline, "the watcher never reported a probe file"
            write(self.corpus / f"{PROBE}{n}.md")
            time.sleep(0.1)
        raise AssertionError("unreachable")

    def edited(self, path: Path) -> None:
        """notify's poller compares mtimes in whole seconds: an edit within the second of the
        last one it saw goes unseen. Polling tests move the mtime on to show the edit."""
        if self.polling:
            self._bumps += 2  # each edit a second of its own
            later = time.time() + self._bumps
            os.utime(path, (later, later))

    def close(self) -> float:
        began = time.monotonic()
        self.stop.set()
        self.thread.join(timeout=3)
        assert not self.thread.is_alive()
        return time.monotonic() - began


@pytest.fixture
def corpus(tmp_path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


@pytest.fixture(params=[False, True], ids=["inotify", "poll"])
def watcher(request, corpus):
    running = Watcher(corpus, poll=request.param, poll_ms=100).start()
    yield running
    running.close()


def write(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(SEED_TEXT, encoding="utf-8")


def upload(watcher: Watcher, rel: str) -> None:
    """The way uploads land: written under a hidden temp name, then renamed into place."""
    temp = watcher.corpus / f".upload-{os.getpid()}"
    write(temp)
    watcher.edited(temp)
    os.replace(temp, watcher.corpus / rel)


def test_is_bulletin():
    assert is_bulletin("a.md") and is_bulletin("sub/B.TXT")
    assert not is_bulletin("x.png") and not is_bulletin("x.md.swp")
    assert not is_bulletin(".hidden.md") and not is_bulletin(".git/x.md")
    assert not is_bulletin("sub/.upload-12") and not is_bulletin("../outside.md")


def test_added_modified_deleted(watcher, corpus):
    write(corpus / "a.md")
    watcher.wait_for(Change("added", "a.md"))
    with (corpus / "a.md").open("a", encoding="utf-8") as f:
        f.write("\n补记一段。\n")
    watcher.edited(corpus / "a.md")
    watcher.wait_for(Change("modified", "a.md"))
    (corpus / "a.md").unlink()
    watcher.wait_for(Change("deleted", "a.md"))


@pytest.mark.parametrize("poll", [False, True], ids=["inotify", "poll"])
def test_what_lands_before_the_watcher_begins_is_reported(corpus, monkeypatch, poll):
    """Between the listing ``watch`` starts from and the start of the watcher itself no event
    can come: a page copied in then (right after a first sync) must still be reported."""
    write(corpus / "old.md")
    real = watch_mod.corpus_files

    def listing_then_landing(folder):
        found = real(folder)
        if not (corpus / "late.md").exists():
            write(corpus / "late.md")  # after the listing, before the watcher
            (corpus / "old.md").unlink()
        return found

    monkeypatch.setattr(watch_mod, "corpus_files", listing_then_landing)
    running = Watcher(corpus, poll=poll, poll_ms=100).start()
    try:
        running.wait_for(Change("added", "late.md"), Change("deleted", "old.md"))
    finally:
        running.close()


def test_upload_renamed_into_place_is_reported_under_its_final_name(watcher, corpus):
    upload(watcher, "new.md")
    watcher.wait_for(Change("added", "new.md"))
    # inotify reports a rename over an existing file as "added": it is a modification.
    upload(watcher, "new.md")
    watcher.wait_for(Change("modified", "new.md"))
    assert all(c.path == "new.md" for c in watcher.changes())


def test_folders_moved_in_and_out(watcher, corpus, tmp_path):
    # inotify names only the folder when one is renamed; what was in it must still come.
    write(corpus / ".stage" / "deep" / "y.md")
    write(corpus / ".stage" / "z.txt")
    os.replace(corpus / ".stage", corpus / "batch")
    watcher.wait_for(Change("added", "batch/deep/y.md"), Change("added", "batch/z.txt"))
    shutil.move(corpus / "batch", tmp_path / "elsewhere")
    watcher.wait_for(Change("deleted", "batch/deep/y.md"), Change("deleted", "batch/z.txt"))


def test_sub_folder(watcher, corpus):
    write(corpus / "sub" / "x.md")
    watcher.wait_for(Change("added", "sub/x.md"))


def test_burst_comes_in_few_batches(watcher, corpus):
    names = [f"burst/{i:02d}.md" for i in range(20)]
    for name in names:  # ~100 ms in all
        write(corpus / name)
        time.sleep(0.005)
    watcher.wait_for(*(Change("added", name) for name in names))
    batches = [b for b in watcher.seen() if any(c.path in names for c in b)]
    assert len(batches) <= 3
    for batch in batches:
        assert [c.path for c in batch] == sorted({c.path for c in batch})


def test_non_bulletins_are_never_reported(watcher, corpus):
    for rel in ["x.png", "x.md.swp", ".hidden.md", ".git/HEAD", ".git/x.md", "sub/.x.md"]:
        write(corpus / rel)
    write(corpus / "last.md")  # written last: once it is reported, the others were seen
    watcher.wait_for(Change("added", "last.md"))
    assert {c.path for c in watcher.changes()} == {"last.md"}


def test_stop_returns_promptly(corpus):
    running = Watcher(corpus).start()
    assert running.close() < 1.5


def test_failing_on_change_does_not_stop_watching(corpus, caplog):
    running = Watcher(corpus).start()
    failures = []

    def fail_once(batch: list[Change]) -> None:
        if not failures and any(c.path == "a.md" for c in batch):
            failures.append(batch)
            raise RuntimeError("索引写入失败")

    running.hook = fail_once
    with caplog.at_level(logging.INFO, logger="searchsvc.watch"):
        write(corpus / "a.md")
        running.wait_for(Change("added", "a.md"))
        write(corpus / "b.md")
        running.wait_for(Change("added", "b.md"))
    running.close()
    assert failures
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and "索引写入失败" in errors[0].getMessage()
    assert any("1 added" in r.getMessage() and "b.md" in r.getMessage() for r in caplog.records)


def test_falls_back_to_polling_when_inotify_fails(corpus, caplog, monkeypatch):
    real = watch_mod.watchfiles.watch

    def no_inotify(*paths, force_polling=None, **options):
        # A generator, as watchfiles.watch is: it raises on the first next(), not when called.
        if not force_polling:
            raise OSError("OS file watch limit reached")
        yield from real(*paths, force_polling=force_polling, **options)

    monkeypatch.setattr(watch_mod.watchfiles, "watch", no_inotify)
    with caplog.at_level(logging.WARNING, logger="searchsvc.watch"):
        running = Watcher(corpus, poll_ms=100).start()
        write(corpus / "a.md")
        running.wait_for(Change("added", "a.md"))
        running.close()
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "watch limit" in warnings[0].getMessage()


def test_missing_corpus(tmp_path):
    with pytest.raises(FileNotFoundError, match="语料目录不存在"):
        watch(tmp_path / "nope", lambda batch: None, threading.Event())


class _Counted(set):
    """The watcher's known bulletins, counting the times something went through all of them."""

    walks = 0

    def __iter__(self):
        type(self).walks += 1
        return super().__iter__()


def test_a_temp_name_renamed_into_place_does_not_walk_every_known_bulletin(corpus):
    # At the archive's 5,188 pages, building every known path's parents for the temp name's
    # "deleted" took 0.3 s per page landed (1.4 s in a busy server) before its sync could begin.
    import watchfiles

    known = _Counted(f"archive/{year}/{n:04d}.md" for year in (2016, 2020) for n in range(2000))
    known |= {"batch/a.md", "batch/deep/b.md", "batch2/c.md"}
    write(corpus / "inbox" / "p.md")
    raw = {
        (watchfiles.Change.added, str(corpus / "inbox" / ".p.md")),
        (watchfiles.Change.deleted, str(corpus / "inbox" / ".p.md")),
        (watchfiles.Change.added, str(corpus / "inbox" / "p.md")),
    }
    touched = watch_mod._touched(corpus, raw, known)
    assert _Counted.walks == 0
    assert {rel for rel in touched if is_bulletin(rel)} == {"inbox/p.md"}
    # A folder moved out still takes the bulletins it held, and only those.
    gone = watch_mod._touched(corpus, {(watchfiles.Change.deleted, str(corpus / "batch"))}, known)
    assert {rel for rel in gone if is_bulletin(rel)} == {"batch/a.md", "batch/deep/b.md"}

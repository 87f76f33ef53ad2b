"""Crash safety and one writer at a time, with real ``searchsvc index`` processes on real pages.

Each run is SIGKILLed at a moment chosen by watching the index folder: Whoosh creates the new
segment's files when the writer starts, its column files when adding ends and the commit begins,
the compound ``.seg`` file while the commit assembles it, and the new TOC last (by rename). After
every kill the previous generation must serve, with exactly its counts; the next run must finish
the job, with exactly the counts ``bulletin.read`` gives and every paragraph id once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import tarfile
import time
import zlib
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC
from whoosh.query import Term

from searchsvc import bulk, bulletin, index, merging, storage
from searchsvc.search import Engine, SearchRequest

from .conftest import shared_bulletins

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-archive.tar.gz"
INDEX_CMD = [sys.executable, "-m", "searchsvc.cli", "index"]
# A merge pass with every small segment in one size tier (so that six pages make a full tier).
MERGE_CMD = [sys.executable, "-c", "import sys; from searchsvc import merging; "
             "merging._tier = lambda n: 0; print(merging.merge_pass(sys.argv[1]))"]  # fmt: skip
# ``searchsvc index`` that stops for good at WHERE (``module:attribute.path``) on its AFTER-th
# call, once FLAG is made: a kill then lands at that point whatever the load (a timer after a file
# appears may land after the commit, or the run may end first: a whole run now takes well under
# a second). Run as ``PAUSE_AT FLAG WHERE AFTER index-args…``.
PAUSE_AT = [sys.executable, "-c", """
import importlib, sys, time
from pathlib import Path
from searchsvc import cli
flag, where, after = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
module, path = where.split(":")
owner = importlib.import_module(module)
*parents, name = path.split(".")
for parent in parents:
    owner = getattr(owner, parent)
real, calls = getattr(owner, name), [0]
def paused(*args, **kwargs):
    calls[0] += 1
    if calls[0] < after:
        return real(*args, **kwargs)
    flag.touch()
    time.sleep(3600)
setattr(owner, name, paused)
sys.argv = ["searchsvc", "index", *sys.argv[4:]]
cli.main()
"""]  # fmt: skip
BEFORE_TOC = "whoosh.index:TOC.write"


@pytest.fixture(scope="module")
def pages() -> dict[str, bytes]:
    """30 real pages as {relative path: bytes}: the 10 smallest shared bulletins and a fixed
    sample of 20 small pages from the shared archive (in their archive folders)."""
    if not ARCHIVE.exists():
        pytest.skip(f"{ARCHIVE} is not here (the shared test corpus)")
    chosen = sorted(shared_bulletins(), key=lambda p: (p.stat().st_size, p.name))[:10]
    found = {p.name: p.read_bytes() for p in chosen}
    # One streaming pass: the sample is decided by name and size, not by position.
    with tarfile.open(ARCHIVE, "r|gz") as tar:
        for m in tar:
            small = m.isfile() and m.name.endswith(".md") and 3000 <= m.size <= 12000
            if small and zlib.crc32(m.name.encode()) % 6 == 0:
                found[m.name] = tar.extractfile(m).read()
                if len(found) == 30:
                    break
    assert len(found) == 30
    return found


def write_corpus(corpus: Path, pages: dict[str, bytes]) -> None:
    for rel, data in pages.items():
        path = corpus / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def expected(corpus: Path) -> dict[str, int]:
    """What the index must hold for ``corpus``, by reading every file with ``bulletin.read``."""
    docs = [bulletin.read(p, corpus) for p in bulletin.corpus_files(corpus).values()]
    articles = [a for d in docs for a in d.articles]
    return {
        "files": len(docs),
        "articles": len(articles),
        "paragraphs": sum(len(a.paragraphs) for a in articles),
    }


def serving(home: Path) -> dict[str, int]:
    """Open the index as the server does, check a search answers, return its counts (and check
    that no paragraph id is indexed twice)."""
    with index.open_index(home).searcher() as s:
        counts = index.counts(s)
        pids = Counter(f["pid"] for f in s.all_stored_fields() if "pid" in f)
        hits = len(s.search(Term("text", "中国"), limit=None))
    assert not [pid for pid, n in pids.items() if n > 1], "a paragraph id is indexed twice"
    assert sum(pids.values()) == counts["paragraphs"]
    assert (hits > 0) == (counts["articles"] > 0)
    if counts["articles"]:  # see test_an_empty_index_answers_searches
        engine = Engine(home)
        try:
            assert engine.search(SearchRequest(q="中国")).total > 0
            assert engine.health().articles == counts["articles"]
        finally:
            engine.close()
    return counts


def test_an_empty_index_answers_searches(tmp_path):
    corpus, home = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    index.open_index(home)  # what a reader finds after a first run killed before its commit
    engine = Engine(home)
    assert engine.search(SearchRequest(q="中国")).total == 0
    assert engine.search(SearchRequest(q="中国")).total == 0
    assert engine.health().articles == 0


def segment_files(folder: Path, suffix: str) -> set[str]:
    if not folder.is_dir():
        return set()
    return {
        p.name for p in folder.iterdir() if p.name.startswith("MAIN_") and p.name.endswith(suffix)
    }


def kill_when(
    args: list[str],
    fire: Callable[[], bool],
    delay: float = 0.0,
    timeout: float = 60,
    cmd: list[str] = INDEX_CMD,
) -> float:
    """Run ``searchsvc index ARGS`` (or ``cmd ARGS``); SIGKILL it ``delay`` s after ``fire()``
    first holds. Returns when it was killed (seconds after start); fails if the run ended first."""
    started = time.monotonic()
    proc = subprocess.Popen([*cmd, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while proc.poll() is None and not fire():
            assert time.monotonic() - started < timeout, "the trigger never fired"
            time.sleep(0.001)
        if delay:
            time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL, f"the run ended before the kill: {err.decode()}"
    return time.monotonic() - started


def kill_paused(flag: Path, args: list[str], where: str, after: int = 1) -> float:
    """Run ``searchsvc index ARGS`` paused at ``where`` on its ``after``-th call; SIGKILL it
    there (see PAUSE_AT)."""
    flag.unlink(missing_ok=True)
    return kill_when([str(flag), where, str(after), *args], flag.exists, cmd=PAUSE_AT)


def run_index(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*INDEX_CMD, *args], capture_output=True, text=True, timeout=timeout)


def new_in(folder: Path, suffix: str, before: set[str]) -> Callable[[], bool]:
    """A trigger: a file of the new segment ending in ``suffix`` has appeared in ``folder``."""
    return lambda: bool(segment_files(folder, suffix) - before)


def whoosh_leftovers(folder: Path) -> list[str]:
    """Files a killed Whoosh commit leaves: its temp TOC, its pool folder, segment files that
    the TOC does not name, TOCs of other generations."""
    toc = TOC.read(FileStorage(str(folder)), storage.WHOOSH_NAME)
    names = {seg.segment_id() for seg in toc.segments}
    return sorted(
        p.name
        for p in folder.iterdir()
        if ".toc." in p.name
        or p.name == "MAIN.tmp"
        or (p.name.endswith(".toc") and p.name != f"_MAIN_{toc.generation}.toc")
        or (p.name.startswith("MAIN_") and p.name != "MAIN_WRITELOCK"
            and p.name.split(".")[0] not in names)
    )  # fmt: skip


def test_killed_runs_leave_the_previous_index_serving(tmp_path, pages):
    corpus, home = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, pages)
    args = ["--corpus", str(corpus), "--index", str(home)]
    empty = {"files": 0, "articles": 0, "paragraphs": 0}
    want = expected(corpus)

    # 1. Early: as soon as the run holds the home's lock (it may not have created the index).
    kill_when(args, lambda: (home / storage.LOCK_FILE).exists())
    assert serving(home) == empty

    flag = tmp_path / "paused"
    # 2. Mid-run: every document added to the writer, its commit not begun.
    kill_paused(flag, args, "whoosh.writing:SegmentWriter.commit")
    assert serving(home) == empty

    # 3. Mid-commit: the segment's files are written, its TOC not yet (the killed run above
    # had made the empty index, so the next TOC written is the commit's).
    kill_paused(flag, args, BEFORE_TOC)
    assert serving(home) == empty
    assert whoosh_leftovers(home)  # orphan segment files, the pool folder

    # 4. Late in the commit: the compound segment file is being assembled. Its TOC follows
    # within milliseconds, so the kill may land either side of the rename: either generation
    # may serve, but nothing in between.
    kill_when(args, new_in(home, ".seg", set()))
    assert serving(home) in (empty, want)

    # 5. The next run completes the sync, and cleans what the kills left.
    done = run_index(*args)
    assert done.returncode == 0, done.stderr
    assert serving(home) == want
    assert whoosh_leftovers(home) == []

    # 6. An incremental run killed mid-commit: the previous generation serves, exactly.
    names = sorted(pages)
    (corpus / names[0]).unlink()
    changed = corpus / names[1]
    changed.write_bytes(changed.read_bytes() + b"\n")
    for rel in names[2:6]:
        renamed = corpus / "later" / rel
        renamed.parent.mkdir(parents=True, exist_ok=True)
        (corpus / rel).rename(renamed)
    before = segment_files(home, ".col")
    kill_paused(flag, args, BEFORE_TOC)
    assert segment_files(home, ".col") - before  # the new segment was written, not named
    assert serving(home) == want

    # 7. ... and the rerun brings the index to the new corpus.
    done = run_index(*args)
    assert done.returncode == 0, done.stderr
    assert "added 4, changed 1, removed 5" in done.stdout
    assert serving(home) == expected(corpus)
    assert whoosh_leftovers(home) == []


def test_killed_or_failed_full_rebuild_leaves_the_old_index(tmp_path, pages, monkeypatch):
    corpus, home = tmp_path / "corpus", tmp_path / "index"
    write_corpus(corpus, dict(sorted(pages.items())[:15]))
    args = ["--corpus", str(corpus), "--index", str(home)]
    first = run_index(*args)
    assert first.returncode == 0, first.stderr
    old = expected(corpus)
    assert serving(home) == old
    files_before = {p.name: p.stat().st_mtime_ns for p in home.iterdir() if p.is_file()}

    # The corpus grows; a --full is killed in its new folder, its segments written and their
    # TOC not yet (a timer after the segment's first file used to land here; the whole build
    # of 30 pages now ends first).
    write_corpus(corpus, pages)
    builds = lambda: sorted(home.glob(storage.BUILD_PREFIX + "*"))  # noqa: E731
    kill_paused(tmp_path / "paused", [*args, "--full"], BEFORE_TOC)
    assert builds(), "the killed rebuild left its folder (not in service)"
    assert storage.live_dir(home) == home and not (home / storage.POINTER).exists()
    assert serving(home) == old
    assert {p.name: p.stat().st_mtime_ns for p in home.iterdir() if p.is_file()} == files_before

    # A --full that raises half-way (in this process): the same, and no build folder is left.
    calls = 0
    real = bulk._add_file

    def failing(*a, **kw):
        nonlocal calls
        calls += 1
        if calls == 10:
            raise RuntimeError("disk on fire")
        return real(*a, **kw)

    monkeypatch.setattr(bulk, "_add_file", failing)
    with pytest.raises(RuntimeError, match="disk on fire"):
        index.sync(corpus, home, full=True)
    monkeypatch.undo()
    assert builds() == []  # its own discarded, the killed run's tidied away
    assert storage.live_dir(home) == home
    assert serving(home) == old

    # A --full that completes: swapped in, the old files gone from the home.
    done = run_index(*args, "--full")
    assert done.returncode == 0, done.stderr
    assert "rebuilt from scratch: 30 files" in done.stdout
    live = storage.live_dir(home)
    assert live.parent == home and live.name.startswith(storage.LIVE_PREFIX)
    assert not list(home.glob("*.toc")) and not list(home.glob("MAIN_*")) and builds() == []
    assert serving(home) == expected(corpus)

    # Kill a second --full mid-build: the first rebuild's folder still serves.
    kill_when([*args, "--full"], lambda: bool(builds() and segment_files(builds()[0], ".trm")),
              delay=0.3)  # fmt: skip
    assert storage.live_dir(home) == live
    assert serving(home) == expected(corpus)
    again = run_index(*args)  # an incremental run tidies the stray build folder
    assert again.returncode == 0 and "nothing written" in again.stdout
    assert builds() == [] and sorted(p.name for p in home.iterdir() if p.is_dir()) == [live.name]


def holds_lock(home: Path) -> bool:
    """Is the home's writer lock held by some process?"""
    return storage.flock_held(home / storage.LOCK_FILE)


def test_a_second_index_run_waits_or_gives_up(tmp_path, pages):
    corpus, home = tmp_path / "corpus", tmp_path / "index"
    # The pages three times over (ids come from paths: 90 files): the first run must outlast
    # the impatient one's start and its second of waiting, and 30 pages now take about that.
    for copy in range(3):
        write_corpus(corpus / f"copy{copy}", pages)
    args = ["--corpus", str(corpus), "--index", str(home)]
    patient = None
    first = subprocess.Popen([*INDEX_CMD, *args], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while not holds_lock(home):
            assert first.poll() is None and time.monotonic() < deadline
            time.sleep(0.01)
        patient = subprocess.Popen([*INDEX_CMD, *args], stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)  # fmt: skip
        impatient = run_index(*args, "--lock-timeout", "1")
        assert first.poll() is None, "the first run ended before the second gave up"
        assert impatient.returncode == 1
        lines = impatient.stderr.strip().splitlines()
        assert lines[0].startswith(storage.WAIT_MESSAGE)
        assert len(lines) == 2 and lines[1].startswith("错误 / error: ")
        assert "another index run holds the write lock (waited 1 s)" in lines[1]

        out, err = patient.communicate(timeout=120)
        assert patient.returncode == 0, err
        assert storage.WAIT_MESSAGE in err
        assert "nothing written" in out  # it planned after the first run committed
        out, err = first.communicate(timeout=120)
        assert first.returncode == 0 and "added 90" in out and storage.WAIT_MESSAGE not in err
    finally:
        for proc in (first, patient):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
    assert serving(home) == expected(corpus)


def test_a_killed_merge_leaves_the_index_serving_and_a_rerun_merges(tmp_path, pages):
    corpus, home = tmp_path / "corpus", tmp_path / "index"
    names = sorted(pages)
    per = merging.SEGMENTS_PER_TIER
    for i in range(per):  # one segment per sync (index.sync itself never merges)
        write_corpus(corpus, {rel: pages[rel] for rel in names[i::per]})
        assert index.sync(corpus, home).wrote
    want = expected(corpus)
    segments = lambda: len(index.open_index(home)._segments())  # noqa: E731
    assert serving(home) == want and segments() == per
    staging = lambda: sorted(home.glob(".MAIN_merge.*"))  # noqa: E731

    # 1. Mid-build: the merged segment's term file is being written in the staging folder.
    kill_when([str(home)], lambda: bool(staging() and segment_files(staging()[0], ".trm")),
              delay=0.2, cmd=MERGE_CMD)  # fmt: skip
    assert serving(home) == want and segments() == per
    assert staging()  # left for the next writer to tidy (no process holds it now)

    # 2. Late: the merged segment is assembled; its commit comes within milliseconds, so the
    # kill may land either side of it — either way the same documents serve.
    kill_when([str(home)], lambda: bool(staging() and segment_files(staging()[-1], ".seg")),
              cmd=MERGE_CMD)  # fmt: skip
    assert serving(home) == want and segments() in (1, per)

    # 3. A sync tidies what the kills left; a rerun merges, exactly.
    assert not index.sync(corpus, home).wrote
    assert staging() == []
    done = subprocess.run([*MERGE_CMD, str(home)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert serving(home) == want and segments() == 1
    assert whoosh_leftovers(home) == []

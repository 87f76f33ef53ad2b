import shutil
import threading
import time

import pytest

from searchsvc import bulletin, storage
from searchsvc.documents import file_digest, schema
from searchsvc.facets import Vocabulary
from searchsvc.index import (
    IndexBusy,
    SyncReport,
    _replace_file,
    manifest,
    open_index,
    read_rejected,
    stats,
    sync,
)
from searchsvc.search import Engine, SearchRequest
from searchsvc.vocabulary import VOCAB_DIR

from .conftest import SEED, shared_bulletins


def toc_files(index_dir):
    return sorted(p.name for p in index_dir.glob("*.toc"))


@pytest.fixture
def dirs(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    return corpus, index


def test_first_sync_indexes_every_paragraph(dirs):
    corpus, index = dirs
    report = sync(corpus, index)
    assert report.added == [SEED.name] and report.articles == 6
    counts = stats(open_index(index))
    assert counts == {"files": 1, "articles": 6, "paragraphs": report.paragraphs}


def test_second_sync_with_nothing_changed_writes_nothing(dirs):
    corpus, index = dirs
    sync(corpus, index)
    before = {p.name: p.stat().st_mtime_ns for p in index.iterdir()}
    report = sync(corpus, index)
    assert not report.wrote
    assert "nothing written" in report.summary()
    assert {p.name: p.stat().st_mtime_ns for p in index.iterdir()} == before


def test_changed_file_is_replaced_and_removed_file_deleted(dirs):
    corpus, index = dirs
    sync(corpus, index)
    page = shared_bulletins()[0]
    shutil.copy(page, corpus / page.name)
    assert sync(corpus, index).added == [page.name]

    seed = corpus / SEED.name
    seed.write_text(
        seed.read_text(encoding="utf-8").replace("巧手生花", "巧手绘春"), encoding="utf-8"
    )
    report = sync(corpus, index)
    assert report.changed == [SEED.name] and report.added == []
    engine = Engine(index)
    assert engine.search(SearchRequest(q="巧手绘春")).total == 1
    assert engine.search(SearchRequest(q="巧手生花")).total == 0

    (corpus / page.name).unlink()
    assert sync(corpus, index).removed == [page.name]
    assert set(manifest(open_index(index))) == {SEED.name}
    assert stats(open_index(index))["articles"] == 6


def test_bad_files_are_reported_and_the_rest_indexed(dirs):
    corpus, index = dirs
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "photo.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" * 20)
    (corpus / "no-articles.md").write_text("# 只有横幅\n\n没有标题的正文。\n", encoding="utf-8")
    (corpus / "gbk.txt").write_bytes(
        "## 昌平区总工会举办培训班\n\n本报讯 培训班开班。\n".encode("gbk")
    )
    report = sync(corpus, index)
    rejected = {r.file for r in report.rejected}
    assert rejected == {"empty.md", "photo.txt", "no-articles.md"}
    assert sorted(report.added) == sorted([SEED.name, "gbk.txt"])
    assert {r["file"] for r in read_rejected(index)} == rejected
    assert Engine(index).search(SearchRequest(q="培训班开班")).total == 1


def test_broken_update_keeps_the_old_version_searchable(dirs):
    corpus, index = dirs
    sync(corpus, index)
    (corpus / SEED.name).write_bytes(b"\x00\x01binary now")
    report = sync(corpus, index)
    assert [r.file for r in report.rejected] == [SEED.name]
    assert Engine(index).search(SearchRequest(q="劳模工匠")).total == 2


def test_a_second_writer_waits_then_gives_up_with_a_message(dirs):
    corpus, index = dirs
    sync(corpus, index)
    shutil.copy(shared_bulletins()[1], corpus)
    writer = open_index(index).writer()
    try:
        started = time.monotonic()
        with pytest.raises(IndexBusy, match="write lock"):
            sync(corpus, index, lock_timeout=0.5)
        assert time.monotonic() - started >= 0.5
    finally:
        writer.cancel()


def test_a_waiting_writer_proceeds_when_the_lock_is_freed(dirs):
    corpus, index = dirs
    sync(corpus, index)
    shutil.copy(shared_bulletins()[1], corpus)
    writer = open_index(index).writer()
    threading.Timer(0.3, writer.cancel).start()
    report = sync(corpus, index, lock_timeout=10)
    assert report.added == [shared_bulletins()[1].name]


def test_missing_corpus_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="corpus folder not found"):
        sync(tmp_path / "nope", tmp_path / "index")


def test_a_run_that_waited_replans_and_adds_nothing_twice(dirs):
    """Two runs race for the same new file: it ends up in the index exactly once."""
    corpus, index = dirs
    sync(corpus, index)
    page = shared_bulletins()[2]
    shutil.copy(page, corpus)
    writer = open_index(index).writer()
    result = {}
    waiting = threading.Thread(target=lambda: result.update(report=sync(corpus, index)))
    waiting.start()
    time.sleep(0.5)  # the second run has planned and is waiting for the lock
    data = page.read_bytes()
    doc = bulletin.parse(bulletin.decode(data, page.name), page.name)
    vocab = Vocabulary.load()
    digest = file_digest(data, vocab.fingerprint)
    _replace_file(writer, page.name, digest, doc, vocab, SyncReport())
    writer.commit()
    waiting.join(timeout=60)
    assert not result["report"].wrote
    counts = stats(open_index(index))
    assert counts["files"] == 2
    assert counts["articles"] == 6 + len(doc.articles)


def test_editing_a_vocabulary_rereads_every_bulletin(dirs, tmp_path):
    corpus, index = dirs
    vocab = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, vocab)
    sync(corpus, index, vocab_dir=vocab)
    assert not sync(corpus, index, vocab_dir=vocab).wrote
    heng_feng = "000_73d2eb0e74c950a6-3"
    assert Engine(index).article(heng_feng).record.district == []

    districts = vocab / "districts.toml"
    text = districts.read_text(encoding="utf-8")
    assert '"王府井",' in text
    districts.write_text(text.replace('"王府井",', '"王府井", "恒丰银行北京分行",'), "utf-8")
    report = sync(corpus, index, vocab_dir=vocab)
    assert report.changed == [SEED.name] and not report.added
    assert Engine(index).article(heng_feng).record.district == ["东城区"]


# --------------------------------------------------------------------------- the home's layout


def whoosh_files(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(("_MAIN_", "MAIN")))


def test_full_rebuild_swaps_in_a_fresh_folder(dirs):
    corpus, index = dirs
    sync(corpus, index)  # the original layout: the Whoosh files in the home itself
    assert storage.live_dir(index) == index and whoosh_files(index)
    old = stats(open_index(index))

    report = sync(corpus, index, full=True)
    assert (
        report.rebuilt
        and report.changed == [SEED.name]
        and "rebuilt from scratch" in (report.summary())
    )
    live = storage.live_dir(index)
    assert (index / "CURRENT").read_text().strip() == live.name
    assert live.name.startswith("live-") and whoosh_files(live)
    assert whoosh_files(index) == []  # the replaced index is gone from the home
    assert {p.name for p in index.iterdir()} == {"CURRENT", "LOCK", "rejected.json", live.name}
    assert stats(open_index(index)) == old
    assert Engine(index).search(SearchRequest(q="劳模工匠")).total == 2

    # Incremental runs now write into the live folder.
    page = shared_bulletins()[0]
    shutil.copy(page, corpus)
    assert sync(corpus, index).added == [page.name]
    assert storage.live_dir(index) == live and stats(open_index(index))["files"] == 2

    # A second rebuild replaces the first one's folder.
    sync(corpus, index, full=True)
    assert storage.live_dir(index) != live and not live.exists()
    assert len(list(index.glob("live-*"))) == 1
    assert stats(open_index(index))["files"] == 2


def test_a_rebuild_failing_at_the_swap_leaves_the_old_index_serving(dirs, monkeypatch):
    corpus, index = dirs
    sync(corpus, index, full=True)
    live = storage.live_dir(index)
    shutil.copy(shared_bulletins()[0], corpus)

    def no_space(path):
        raise OSError(28, "No space left on device")

    # Fails after the build folder was renamed live-*, before CURRENT was replaced.
    monkeypatch.setattr(storage, "_fsync_dir", no_space)
    with pytest.raises(OSError, match="No space"):
        sync(corpus, index, full=True)
    monkeypatch.undo()
    assert storage.live_dir(index) == live
    assert stats(open_index(index))["files"] == 1
    orphans = [p for p in index.glob("live-*") if p != live]
    assert len(orphans) == 1  # never in service; the next run removes it
    assert sync(corpus, index).added == [shared_bulletins()[0].name]
    assert not orphans[0].exists() and list(index.glob("live-*")) == [live]


def test_what_killed_runs_leave_is_tidied_by_the_next_run(dirs):
    corpus, index = dirs
    sync(corpus, index)
    gen = open_index(index).latest_generation()
    leftovers = [
        index / "build-20250101T000000000000",  # a rebuild killed mid-way
        index / "live-20250101T000000000000",  # renamed, killed before the switch
        index / f"_MAIN_{gen + 1}.toc.1732000000.5",  # a commit killed before its rename
        index / "MAIN_deadbeefdeadbeef.trm",  # the segment of a commit killed mid-way
        index / "MAIN.tmp",  # its posting pool
        index / ".rejected-x1y2",
        index / ".MAIN_deadbeefdeadbeef.flat.4242.tmp",  # a flat postings file before its rename
        index / ".MAIN_staging.4242",  # a killed bulk run's segments, never committed
    ]
    for path in leftovers:
        if "." in path.name and not path.name.startswith(("build", "live", "MAIN.tmp", ".MAIN_s")):
            path.write_bytes(b"\x00half-written")
        else:
            path.mkdir()
            (path / "junk").write_bytes(b"\x00")
    before = stats(open_index(index))
    report = sync(corpus, index)
    assert not report.wrote
    assert [p.name for p in leftovers if p.exists()] == []
    assert stats(open_index(index)) == before
    assert Engine(index).search(SearchRequest(q="劳模工匠")).total == 2


def test_a_reader_creating_the_index_never_wipes_a_commit(dirs):
    corpus, index = dirs
    sync(corpus, index)
    # whoosh.index.create_in would delete the TOC just committed; open_index must not.
    before = stats(open_index(index))
    storage.create_empty(index, schema())
    assert stats(open_index(index)) == before


def test_a_broken_pointer_is_reported_and_a_rebuild_repairs_it(dirs):
    corpus, index = dirs
    sync(corpus, index, full=True)
    (index / "CURRENT").write_text("../elsewhere\n")
    with pytest.raises(storage.PointerError, match="bad pointer"):
        open_index(index)
    with pytest.raises(storage.PointerError):
        sync(corpus, index)
    assert sync(corpus, index, full=True).rebuilt
    assert stats(open_index(index))["articles"] == 6
    # The old folder could not be told from a live one while the pointer was broken; the next
    # run, with a good pointer again, removes it.
    assert len(list(index.glob("live-*"))) == 2
    sync(corpus, index)
    assert list(index.glob("live-*")) == [storage.live_dir(index)]


def test_a_missing_live_folder_is_a_clear_error(dirs):
    corpus, index = dirs
    sync(corpus, index, full=True)
    shutil.rmtree(storage.live_dir(index))
    with pytest.raises(FileNotFoundError, match="searchsvc index --full"):
        open_index(index)


def test_a_waiting_run_says_so_once_then_gives_up(dirs):
    corpus, index = dirs
    sync(corpus, index)
    told = []
    budget = storage.Budget(index, 0)
    with storage.writer_lock(index, budget):  # another run holds the home's lock
        started = time.monotonic()
        with pytest.raises(IndexBusy, match="write lock"):
            sync(corpus, index, lock_timeout=0.5, on_wait=told.append)
        assert time.monotonic() - started >= 0.5
        with pytest.raises(IndexBusy):
            sync(corpus, index, lock_timeout=0.3, full=True)
    assert told == [storage.WAIT_MESSAGE]
    assert storage.live_dir(index) == index  # the rebuild never started

    def release_soon():
        with storage.writer_lock(index, storage.Budget(index, 0)):
            time.sleep(0.5)

    holder = threading.Thread(target=release_soon)
    holder.start()
    time.sleep(0.1)
    shutil.copy(shared_bulletins()[1], corpus)
    report = sync(corpus, index, lock_timeout=10, on_wait=told.append)
    holder.join()
    assert report.added == [shared_bulletins()[1].name] and len(told) == 2


# --------------------------------------------------------------------------- duplicate ids


def test_a_file_taking_ids_another_file_holds_is_rejected(dirs):
    corpus, index = dirs
    first, second, third = shared_bulletins()[:3]
    (corpus / "x").mkdir()
    shutil.copy(first, corpus / "x" / "y.md")
    sync(corpus, index)
    held = stats(open_index(index))

    shutil.copy(second, corpus / "x.y.md")  # the same slug: x.y-1, x.y-2 ...
    report = sync(corpus, index)
    assert report.added == [] and [r.file for r in report.rejected] == ["x.y.md"]
    assert report.rejected[0].reason == (
        "文章编号重复 / duplicate article id x.y-1 (also in x/y.md)"
    )
    assert stats(open_index(index)) == held  # nothing of x.y.md, all of x/y.md
    assert Engine(index).article("x.y-1").record.source == "x/y.md"

    # Two new files of one run: the first in path order keeps the ids.
    (corpus / "p").mkdir()
    shutil.copy(third, corpus / "p" / "q.md")
    shutil.copy(third, corpus / "p" / "q.txt")
    report = sync(corpus, index)
    assert report.added == ["p/q.md"]
    assert sorted(r.file for r in report.rejected) == ["p/q.txt", "x.y.md"]

    # Once x/y.md is gone (in the same run), x.y.md may take the ids.
    (corpus / "x" / "y.md").unlink()
    report = sync(corpus, index)
    assert report.removed == ["x/y.md"] and report.added == ["x.y.md"]
    assert Engine(index).article("x.y-1").record.source == "x.y.md"
    with open_index(index).searcher() as s:
        pids = [f["pid"] for f in s.all_stored_fields() if "pid" in f]
    assert len(pids) == len(set(pids))

    # A rebuild applies the same rule and indexes the same.
    expected = stats(open_index(index))
    report = sync(corpus, index, full=True)
    assert [r.file for r in report.rejected] == ["p/q.txt"]
    assert stats(open_index(index)) == expected


def test_a_chunked_sync_commits_as_it_goes(dirs):
    corpus, index = dirs
    pages = shared_bulletins()[:3]
    for page in pages:
        shutil.copy(page, corpus)
    report = sync(corpus, index, chunk_bytes=1)  # every file its own commit
    assert sorted(report.added) == sorted([SEED.name, *(p.name for p in pages)])
    ix = open_index(index)
    assert ix.latest_generation() >= 3  # one commit per file (merges may add none)
    expected = sum(len(bulletin.read(p, corpus).articles) for p in corpus.iterdir())
    assert stats(ix)["articles"] == expected and stats(ix)["files"] == 4
    assert not sync(corpus, index, chunk_bytes=1).wrote


def test_an_index_of_an_older_schema_is_rebuilt_by_the_next_sync(tmp_path):
    """An upgrade that adds a field (as ``unit`` was added) must not end in UnknownFieldError:
    the next plain ``searchsvc index`` rebuilds, and the new index has every field."""
    from whoosh.fields import Schema

    corpus, home = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus / SEED.name)
    current = schema()
    older = Schema(**{name: current[name] for name in current.names() if name != "unit"})
    storage.create_empty(home, older)
    report = sync(corpus, home)
    assert report.rebuilt and report.articles == 6
    ix = open_index(home)
    assert sorted(ix.schema.names()) == sorted(current.names())
    assert stats(ix)["articles"] == 6
    assert not sync(corpus, home).wrote  # and then it is up to date


def test_a_long_lived_process_reads_only_the_files_that_changed(dirs, monkeypatch):
    """The live server syncs many times in one worker process: a file whose size and mtime are
    those it was hashed with is not read again, and each segment's manifest entries are read
    once (deletions still seen); an edited file is read, and indexed, all the same."""
    import os

    from searchsvc import documents, planning

    corpus, index = dirs
    page = shared_bulletins()[0]
    shutil.copy(page, corpus / page.name)
    old = time.time() - 60  # written a while ago: outside the racy window
    for path in corpus.iterdir():
        os.utime(path, (old, old))
    read = []
    real = documents.read_item
    monkeypatch.setattr(documents, "read_item", lambda rel, *a: read.append(rel) or real(rel, *a))
    sync(corpus, index)
    assert sorted(read) == sorted([SEED.name, page.name])
    read.clear()
    assert not sync(corpus, index).wrote and read == []  # nothing read, nothing written

    seed = corpus / SEED.name
    seed.write_text(seed.read_text(encoding="utf-8").replace("巧手生花", "巧手绘春"), "utf-8")
    os.utime(seed, (old + 1, old + 1))
    assert sync(corpus, index).changed == [SEED.name] and read == [SEED.name]
    assert Engine(index).search(SearchRequest(q="巧手绘春")).total == 1

    (corpus / page.name).unlink()
    assert sync(corpus, index).removed == [page.name]
    assert set(manifest(open_index(index))) == {SEED.name}
    with open_index(index).searcher() as s:  # what the manifest is, read without any cache
        assert manifest(open_index(index)) == {
            f["src"]: f["filehash"] for f in map(s.stored_fields, s.document_numbers(kind="file"))
        }
    assert planning._SEGMENT_MANIFESTS  # the segments' entries were kept


def test_a_sync_of_named_paths_reads_only_those(dirs, monkeypatch):
    """The live server's watcher names what changed: such a sync reads those files alone (not
    the corpus listing, not the others), removes a named file that is gone and nothing else, and
    keeps the other files' refusals on record."""
    from searchsvc import documents

    corpus, index = dirs
    pages = shared_bulletins()[:3]
    for page in pages:
        shutil.copy(page, corpus / page.name)
    (corpus / "bad.md").write_bytes(b"")  # refused: an empty file
    first = sync(corpus, index)
    assert [r.file for r in first.rejected] == ["bad.md"]
    read = []
    real = documents.read_item
    monkeypatch.setattr(documents, "read_item", lambda rel, *a: read.append(rel) or real(rel, *a))
    monkeypatch.setattr(bulletin, "corpus_files", lambda corpus: pytest.fail("listed the corpus"))

    new, gone, edited = corpus / "sub" / "new.md", corpus / pages[0].name, corpus / pages[1].name
    new.parent.mkdir()
    shutil.copy(shared_bulletins()[4], new)
    gone.unlink()
    edited.write_bytes(edited.read_bytes() + "\n\n本页补记一段。\n".encode())
    (corpus / pages[2].name).unlink()  # gone too, but not named: stays indexed until a full sync
    named = ["sub/new.md", pages[0].name, pages[1].name, "notes.pdf", ".hidden.md"]
    report = sync(corpus, index, only=named)
    assert (report.added, report.changed, report.removed) == (
        ["sub/new.md"], [pages[1].name], [pages[0].name]
    )  # fmt: skip
    assert sorted(read) == sorted(["sub/new.md", pages[1].name])
    assert set(manifest(open_index(index))) == {
        "sub/new.md",
        pages[1].name,
        pages[2].name,
        SEED.name,
    }
    assert [r["file"] for r in storage.read_rejected(index)] == ["bad.md"]
    monkeypatch.undo()
    assert sync(corpus, index).removed == [pages[2].name]  # a whole sync sees the rest


def test_a_large_incremental_run_keeps_every_batch_it_commits(dirs, monkeypatch):
    """Many pages landing on a live index go the bulk way, in batches, each committed as soon as
    it is built while the next is written. Whoosh's commit deletes every segment file its TOC
    does not name: a batch written beside the live files was deleted under its worker, and the
    next TOC named a segment that was gone (every search then failed). Here every batch is built
    before the first is committed, the widest that window gets."""
    from searchsvc import bulk, index

    corpus, home = dirs
    sync(corpus, home)  # the seed, the small way
    pages = shared_bulletins()[:8]
    for page in pages:
        shutil.copy(page, corpus)
    real = bulk.build

    def all_built_first(*args, **kwargs):
        yield from list(real(*args, **kwargs))

    monkeypatch.setattr(index, "BULK_MIN_BYTES", 1)
    monkeypatch.setattr(bulk, "BATCH_BYTES", 1)  # a batch per page
    monkeypatch.setattr(bulk, "build", all_built_first)
    report = sync(corpus, home)
    assert sorted(report.added) == sorted(p.name for p in pages)

    ix = open_index(home)
    segment_ids = [s.segment_id() for s in ix._segments()]
    assert len(segment_ids) >= len(pages) // 2  # batches committed one by one, some merged
    folder = storage.live_dir(home)
    assert all((folder / f"{sid}.seg").is_file() for sid in segment_ids)
    assert not list(folder.glob(".*staging*"))  # the run's staging folder is gone
    expected = sum(len(bulletin.read(p, corpus).articles) for p in corpus.iterdir())
    assert stats(ix)["articles"] == expected and stats(ix)["files"] == len(pages) + 1
    title = bulletin.read(corpus / pages[-1].name, corpus).articles[0].title
    found = Engine(home).search(SearchRequest(q=title[:4]))
    assert found.total >= 1

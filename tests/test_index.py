import shutil
import threading
import time

import pytest

from searchsvc import bulletin
from searchsvc.facets import VOCAB_DIR, Vocabulary
from searchsvc.index import (
    IndexBusy,
    SyncReport,
    _replace_file,
    file_digest,
    manifest,
    open_index,
    read_rejected,
    stats,
    sync,
)
from searchsvc.search import Engine, SearchRequest

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
    assert Engine(index).article(heng_feng).meta["district"] == []

    districts = vocab / "districts.toml"
    text = districts.read_text(encoding="utf-8")
    assert '"王府井",' in text
    districts.write_text(text.replace('"王府井",', '"王府井", "恒丰银行北京分行",'), "utf-8")
    report = sync(corpus, index, vocab_dir=vocab)
    assert report.changed == [SEED.name] and not report.added
    assert Engine(index).article(heng_feng).meta["district"] == ["东城区"]

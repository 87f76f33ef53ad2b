"""Live reindexing through the API, against a real waitress server and real bulletins."""

from __future__ import annotations

import shutil
import uuid

import pytest

from searchsvc import bulletin
from searchsvc.index import open_index, stats

from . import load
from .conftest import SEED, serving, shared_bulletins
from .http import call

TOKEN = "test-token-" + uuid.uuid4().hex


def admin(token=TOKEN):
    return {"Authorization": f"Bearer {token}"}


def multipart(filename: str, data: bytes) -> tuple[bytes, dict]:
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{filename}"\r\n'
        "Content-Type: text/markdown\r\n\r\n"
    ).encode()
    body = head + data + f"\r\n--{boundary}--\r\n".encode()
    return body, {"Content-Type": f"multipart/form-data; boundary={boundary}"}


@pytest.fixture
def admin_server(tmp_path):
    with serving(tmp_path, [SEED], admin_token=TOKEN) as server:
        yield server, server.config.corpus, server.config.index


def test_admin_endpoints_are_off_without_a_token(live_server):
    status, data = call(live_server, "POST", "/api/reindex", headers=admin())
    assert status == 403 and data["error"]["code"] == "admin_disabled"
    assert "SEARCHSVC_ADMIN_TOKEN" in data["error"]["message"]


@pytest.mark.parametrize("headers", [{}, admin("wrong"), {"Authorization": TOKEN}])
def test_admin_endpoints_need_the_token(admin_server, headers):
    server, corpus, _ = admin_server
    body, form = multipart("new.md", shared_bulletins()[0].read_bytes())
    status, data = call(server, "POST", "/api/bulletins", body, {**headers, **form})
    assert status == 401 and data["error"]["code"] == "unauthorized"
    assert not (corpus / "new.md").exists()
    assert call(server, "POST", "/api/reindex", headers=headers)[0] == 401


def test_upload_is_searchable_when_it_answers(admin_server):
    server, corpus, _ = admin_server
    page = shared_bulletins()[3]
    body, form = multipart(page.name, page.read_bytes())
    status, data = call(server, "POST", "/api/bulletins", body, {**admin(), **form})
    assert status == 201, data
    assert data["status"] == "indexed" and data["file"] == page.name and not data["replaced"]
    expected = bulletin.read(page, page.parent).articles
    assert [a["id"] for a in data["articles"]] == [a.id for a in expected]
    assert (corpus / page.name).read_bytes() == page.read_bytes()
    assert not [p for p in corpus.iterdir() if p.name.startswith(".")]  # no temp file left
    for article in expected:
        status, shown = call(server, "GET", f"/api/articles/{article.id}")
        assert status == 200 and len(shown["paragraphs"]) == len(article.paragraphs)

    # Same name again: refused unless replace=1.
    status, data = call(server, "POST", "/api/bulletins", body, {**admin(), **form})
    assert status == 409 and data["error"]["code"] == "exists"
    status, data = call(server, "POST", "/api/bulletins", body, {**admin(), **form}, replace="1")
    assert status == 201 and data["replaced"]


@pytest.mark.parametrize(
    "name, data, status, code",
    [
        ("../../escape.md", SEED.read_bytes(), 400, "bad_filename"),
        ("sub/x.md", SEED.read_bytes(), 400, "bad_filename"),
        ("..\\x.md", SEED.read_bytes(), 400, "bad_filename"),
        (".hidden.md", SEED.read_bytes(), 400, "bad_filename"),
        ("page.exe", SEED.read_bytes(), 400, "bad_filename"),
        ("", SEED.read_bytes(), 400, "no_filename"),
        ("empty.md", b"", 400, "bad_bulletin"),
        ("binary.md", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, 400, "bad_bulletin"),
        ("noarticles.md", "只有一段文字，没有标题。\n".encode(), 400, "bad_bulletin"),
        ("huge.md", b"## t\n\n" + "字".encode() * (bulletin.MAX_BYTES // 3 + 10), 413, None),
    ],
)
def test_bad_uploads_are_refused_and_nothing_lands(admin_server, name, data, status, code):
    server, corpus, index = admin_server
    before = sorted(p.name for p in corpus.iterdir())
    body, form = multipart(name, data)
    got, answer = call(server, "POST", "/api/bulletins", body, {**admin(), **form})
    assert got == status, answer
    if code:
        assert answer["error"]["code"] == code and " / " in answer["error"]["message"]
    assert sorted(p.name for p in corpus.iterdir()) == before
    assert not (corpus.parent.parent / "escape.md").exists()
    assert stats(open_index(index))["files"] == 1


def test_raw_body_upload_and_reindex(admin_server):
    server, corpus, index = admin_server
    page = shared_bulletins()[5]
    status, data = call(server, "POST", "/api/bulletins", page.read_bytes(),
                        {**admin(), "Content-Type": "text/markdown"}, name=page.name, wait="0")  # fmt: skip
    assert status in (201, 202) and data["file"] == page.name
    (corpus / SEED.name).unlink()
    status, report = call(server, "POST", "/api/reindex", headers=admin())
    # The upload's own sync may already have seen the deletion: the report of the run serving
    # this request need not list it, but the index must end up without it.
    assert status == 200 and report["status"] == "done"
    counts = stats(open_index(index))
    assert counts["files"] == 1
    assert counts["articles"] == len(bulletin.read(page, page.parent).articles)


def test_uploads_while_searching(admin_server):
    """8 threads search while 30 real pages are uploaded and synced: nothing lost, nothing twice,
    no failed query. (The 500-page version, with its timings, is bench/uploads.py.)"""
    server, corpus, index = admin_server
    pages = load.archive_pages(30)
    if not pages:
        pytest.skip(f"{load.ARCHIVE} is not here")
    report = load.uploads_under_load(server, pages, admin(), min_seconds=5, single=5)
    assert not report.failures, report.failures[:5]
    assert report.landed == report.searchable == len(pages)
    articles, paras = load.expected_counts(pages)
    counts = stats(open_index(index))
    assert counts == {"files": 31, "articles": 6 + articles, "paragraphs": 21 + paras}
    with open_index(index).searcher() as s:
        pids = [s.stored_fields(d)["pid"] for d in s.document_numbers(kind="para")]
    assert len(pids) == len(set(pids)) == 21 + paras


def test_the_server_merges_small_segments_in_the_background(tmp_path):
    """Pages synced one by one each add a segment (no commit merges); once no sync waits, the
    reindexer's merge worker merges a full tier of them, and the index answers as before."""
    import time

    from searchsvc import merging
    from searchsvc.reindexer import Reindexer
    from searchsvc.writing import Target

    corpus, home = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    # Pages whose segment (a document per paragraph, and one for the file) is in one size tier.
    tier = [
        p for p in shared_bulletins()
        if merging._tier(1 + sum(len(a.paragraphs) for a in bulletin.read(p, p.parent).articles))
        == 2
    ][: merging.SEGMENTS_PER_TIER]  # fmt: skip
    assert len(tier) == merging.SEGMENTS_PER_TIER
    reindexer = Reindexer(Target(corpus, home))
    try:
        for page in tier:
            shutil.copy(page, corpus / page.name)
            run = reindexer.wait(reindexer.request([page.name]), timeout=120)
            assert run is not None and run.report.added == [page.name], run
        want = stats(open_index(home))
        deadline = time.monotonic() + 120
        while reindexer.merging or len(open_index(home)._segments()) > 1:
            assert time.monotonic() < deadline, "no merge"
            time.sleep(0.2)
    finally:
        reindexer.close()
    assert stats(open_index(home)) == want and want["files"] == len(tier)


def test_closing_stops_a_sync_under_way_and_the_next_run_finishes_it(tmp_path):
    """SIGTERM ends the server through ``Reindexer.close``: a bulk sync under way (a burst's
    takes minutes) is killed with its worker, not waited for; the next writer does it all."""
    import time

    from searchsvc import storage
    from searchsvc.reindexer import Reindexer
    from searchsvc.writing import Target

    corpus, home = tmp_path / "corpus", tmp_path / "index"
    for copy in ("a", "b", "c"):  # 60 pages: a bulk run of many seconds
        (corpus / copy).mkdir(parents=True)
        for page in shared_bulletins():
            shutil.copy(page, corpus / copy / page.name)
    reindexer = Reindexer(Target(corpus, home))
    reindexer.request()
    deadline = time.monotonic() + 120
    while not storage.flock_held(home / storage.LOCK_FILE):  # the worker's sync has begun
        assert time.monotonic() < deadline, "the sync never began"
        time.sleep(0.01)
    reindexer.close(timeout=0.1)
    done = reindexer.last
    assert done is None or done.report is None, "close waited for the whole sync"
    again = Reindexer(Target(corpus, home))
    try:
        run = again.wait(again.request(), timeout=300)
    finally:
        again.close()
    assert run is not None and run.error is None, run
    assert stats(open_index(home))["files"] == 3 * len(shared_bulletins())


def test_a_burst_handed_over_in_batches_is_one_sync(tmp_path):
    """The watcher hands a burst over in batches as it lands; synced as they came, a 500-page
    burst was two bulk runs one after the other. A large request waits for the rest."""
    import time

    from searchsvc.reindexer import GATHER_PATHS, Reindexer
    from searchsvc.writing import Target

    corpus, home = tmp_path / "corpus", tmp_path / "index"
    (corpus / "burst").mkdir(parents=True)
    names = [f"burst/p{i:03d}.md" for i in range(2 * GATHER_PATHS)]
    page = shared_bulletins()[0].read_bytes()
    reindexer = Reindexer(Target(corpus, home), in_process=True)
    try:
        for name in names[:GATHER_PATHS]:
            (corpus / name).write_bytes(page.replace("。".encode(), f"。{name}".encode(), 1))
        first = reindexer.request(names[:GATHER_PATHS])
        time.sleep(0.2)  # the next batch, as the watcher hands it over
        second = reindexer.request(names[GATHER_PATHS:])  # (not on disk: nothing to write)
        run = reindexer.wait(second, timeout=300)
    finally:
        reindexer.close()
    assert run is not None and run.error is None, run
    assert (run.first, run.last) == (first, second)
    assert len(run.report.added) == GATHER_PATHS

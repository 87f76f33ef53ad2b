"""Live reindexing through the API, against a real waitress server and real bulletins."""

from __future__ import annotations

import json
import random
import statistics
import tarfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

import pytest

from searchsvc import bulletin
from searchsvc.config import Config
from searchsvc.index import open_index, stats, sync

from .conftest import SEED, LiveServer, shared_bulletins

TOKEN = "test-token-" + uuid.uuid4().hex
ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-archive.tar.gz"


def call(server, method, path, body=None, headers=None, **params):
    url = server.url + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=120) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


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
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / SEED.name).write_bytes(SEED.read_bytes())
    sync(corpus, index)
    with LiveServer(Config(corpus=corpus, index=index, admin_token=TOKEN)) as server:
        yield server, corpus, index


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


def archive_pages(n: int, seed: int = 5) -> list[tuple[str, bytes]]:
    """A fixed sample of ``n`` real pages from the shared archive, as (name, bytes)."""
    if not ARCHIVE.exists():
        pytest.skip(f"{ARCHIVE} is not here")
    with tarfile.open(ARCHIVE) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        chosen = random.Random(seed).sample(members, n)
        return [(Path(m.name).name, tar.extractfile(m).read()) for m in chosen]


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


def test_load_uploads_while_searching(admin_server):
    """8 threads search for 60 s while 500 real pages are uploaded and synced."""
    server, corpus, index = admin_server
    pages = archive_pages(500)
    queries = ["北京", "劳模", "习近平 会议", '"国务院"', "工会 -北京", "经济", "疫情", "志愿服务"]
    stop = threading.Event()
    failures: list[str] = []
    latencies: list[float] = []
    landed: dict[str, float] = {}  # first article id -> upload answered at
    searchable: dict[str, float] = {}

    def searcher(k: int) -> None:
        rng = random.Random(k)
        while not stop.is_set():
            q = rng.choice(queries)
            t = time.perf_counter()
            try:
                status, data = call(server, "GET", "/api/search", q=q, per_page=10)
            except Exception as err:  # a dropped connection is a failure too
                failures.append(f"{q}: {err}")
                continue
            latencies.append(time.perf_counter() - t)
            if status != 200:
                failures.append(f"{q}: {status} {data}")

    single: list[float] = []  # one page at a time: landing → searchable with nothing queued

    def uploader() -> None:
        for name, data in pages[:10]:
            t = time.perf_counter()
            status, answer = call(server, "POST", "/api/bulletins", data,
                                  {**admin(), "Content-Type": "text/markdown"}, name=name)  # fmt: skip
            if status != 201:
                failures.append(f"upload {name}: {status} {answer}")
                continue
            single.append(time.perf_counter() - t)
            aid = answer["articles"][0]["id"]
            landed[aid] = searchable[aid] = time.perf_counter()
        for name, data in pages[10:]:  # then the rest as fast as they can be sent
            status, answer = call(server, "POST", "/api/bulletins", data,
                                  {**admin(), "Content-Type": "text/markdown"},
                                  name=name, wait="0")  # fmt: skip
            if status != 202:
                failures.append(f"upload {name}: {status} {answer}")
                continue
            landed[answer["articles"][0]["id"]] = time.perf_counter()

    def watcher() -> None:  # when does each upload become searchable?
        while not stop.is_set() or len(searchable) < len(landed):
            for aid in [a for a in list(landed) if a not in searchable]:
                if call(server, "GET", f"/api/articles/{aid}")[0] == 200:
                    searchable[aid] = time.perf_counter()
            time.sleep(0.05)
            if stop.is_set() and time.perf_counter() > deadline:
                return

    deadline = time.perf_counter() + 900
    threads = [threading.Thread(target=searcher, args=(k,)) for k in range(8)]
    threads += [threading.Thread(target=uploader), threading.Thread(target=watcher)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    threads[8].join()  # every upload answered
    time.sleep(max(0.0, 60 - (time.perf_counter() - started)))
    stop.set()
    for t in threads[:8]:
        t.join()
    # The syncs run behind the uploads; each reindex call waits (up to a minute) for one more.
    status = 202
    while status == 202 and time.perf_counter() < deadline:
        status, _ = call(server, "POST", "/api/reindex", headers=admin())
    assert status == 200
    threads[9].join()

    print(f"\nload: uploads and syncs done after {time.perf_counter() - started:.0f} s")
    assert not failures, failures[:5]
    assert len(landed) == len(searchable) == len(pages)
    expected_articles = 6 + sum(len(bulletin.parse(bulletin.decode(d, n), n).articles)
                                for n, d in pages)  # fmt: skip
    expected_paras = 21 + sum(
        len(a.paragraphs)
        for n, d in pages
        for a in bulletin.parse(bulletin.decode(d, n), n).articles
    )
    counts = stats(open_index(index))
    assert counts == {"files": 501, "articles": expected_articles, "paragraphs": expected_paras}
    with open_index(index).searcher() as s:
        pids = [s.stored_fields(d)["pid"] for d in s.document_numbers(kind="para")]
    assert len(pids) == len(set(pids)) == expected_paras
    waits = [searchable[a] - landed[a] for a in list(landed)[10:]]
    print(
        f"load: {len(latencies)} queries, p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {pct(latencies, 0.95) * 1000:.0f} ms; one page at a time, upload → searchable "
        f"p50 {statistics.median(single):.2f} s, p95 {pct(single, 0.95):.2f} s; "
        f"{len(waits)} pages in a burst, landing → searchable p50 {statistics.median(waits):.1f} s,"
        f" p95 {pct(waits, 0.95):.1f} s"
    )

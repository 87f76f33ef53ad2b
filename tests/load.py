"""Uploads under query load against a real server: the driver shared by the test (a few dozen
pages, assertions) and ``bench/uploads.py`` (500 pages, timings)."""

from __future__ import annotations

import random
import statistics
import tarfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc import bulletin

from .http import call

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "news-archive.tar.gz"
QUERIES = ["北京", "劳模", "习近平 会议", '"国务院"', "工会 -北京", "经济", "疫情", "志愿服务"]


def archive_pages(n: int, seed: int = 5) -> list[tuple[str, bytes]]:
    """A fixed sample of ``n`` real pages from the shared archive, as (name, bytes); [] if the
    archive is not here."""
    if not ARCHIVE.exists():
        return []
    with tarfile.open(ARCHIVE) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile()), key=lambda m: m.name)
        chosen = random.Random(seed).sample(members, n)
        return [(Path(m.name).name, tar.extractfile(m).read()) for m in chosen]


def expected_counts(pages: list[tuple[str, bytes]]) -> tuple[int, int]:
    """(articles, paragraphs) the pages hold, read as the index reads them."""
    docs = [bulletin.parse(bulletin.decode(data, name), name) for name, data in pages]
    return sum(len(d.articles) for d in docs), sum(
        len(a.paragraphs) for d in docs for a in d.articles
    )


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


@dataclass
class LoadReport:
    seconds: float
    landed: int
    searchable: int
    failures: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # every search, seconds
    single: list[float] = field(default_factory=list)  # one page alone: upload → answered
    waits: list[float] = field(default_factory=list)  # burst pages: landing → searchable

    def summary(self) -> str:
        lat = self.latencies or [0.0]
        return (
            f"{len(self.latencies)} queries, p50 {statistics.median(lat) * 1000:.0f} ms, "
            f"p95 {pct(lat, 0.95) * 1000:.0f} ms, {len(self.failures)} failed; one page at a "
            f"time, upload → searchable p50 {statistics.median(self.single or [0]):.2f} s, "
            f"p95 {pct(self.single or [0], 0.95):.2f} s; {len(self.waits)} pages in a burst, "
            f"landing → searchable p50 {statistics.median(self.waits or [0]):.1f} s, "
            f"p95 {pct(self.waits or [0], 0.95):.1f} s; all done after {self.seconds:.0f} s"
        )


def uploads_under_load(server, pages, admin: dict, min_seconds: float = 60, single: int = 10,
                       clients: int = 8, limit: float = 900) -> LoadReport:  # fmt: skip
    """``clients`` threads search while ``pages`` are uploaded: the first ``single`` one at a
    time (each waits for its sync), the rest as fast as they can be sent (``wait=0``)."""
    stop = threading.Event()
    failures: list[str] = []
    latencies: list[float] = []
    landed: dict[str, float] = {}  # first article id -> upload answered at
    searchable: dict[str, float] = {}
    alone: list[float] = []
    burst: list[str] = []  # first article ids of the pages sent without waiting
    headers = {**admin, "Content-Type": "text/markdown"}

    def searcher(k: int) -> None:
        rng = random.Random(k)
        while not stop.is_set():
            q = rng.choice(QUERIES)
            t = time.perf_counter()
            try:
                status, data = call(server, "GET", "/api/search", q=q, per_page=10)
            except Exception as err:  # a dropped connection is a failure too
                failures.append(f"{q}: {err}")
                continue
            latencies.append(time.perf_counter() - t)
            if status != 200:
                failures.append(f"{q}: {status} {data}")

    def uploader() -> None:
        for i, (name, data) in enumerate(pages):
            t = time.perf_counter()
            wait = {} if i < single else {"wait": "0"}
            status, answer = call(
                server, "POST", "/api/bulletins", data, headers, name=name, **wait
            )
            if status != (201 if i < single else 202):
                failures.append(f"upload {name}: {status} {answer}")
                continue
            aid = answer["articles"][0]["id"]
            landed[aid] = time.perf_counter()
            if i < single:
                alone.append(landed[aid] - t)
                searchable[aid] = landed[aid]
            else:
                burst.append(aid)

    def watcher() -> None:  # when does each upload become searchable?
        while not stop.is_set() or len(searchable) < len(landed):
            for aid in [a for a in list(landed) if a not in searchable]:
                if call(server, "GET", f"/api/articles/{aid}")[0] == 200:
                    searchable[aid] = time.perf_counter()
            time.sleep(0.05)
            if stop.is_set() and time.perf_counter() > deadline:
                return

    deadline = time.perf_counter() + limit
    threads = [threading.Thread(target=searcher, args=(k,)) for k in range(clients)]
    up, watch = threading.Thread(target=uploader), threading.Thread(target=watcher)
    started = time.perf_counter()
    for t in (*threads, up, watch):
        t.start()
    up.join()  # every upload answered
    time.sleep(max(0.0, min_seconds - (time.perf_counter() - started)))
    stop.set()
    for t in threads:
        t.join()
    # The syncs run behind the uploads; each reindex call waits (up to a minute) for one more.
    status = 202
    while status == 202 and time.perf_counter() < deadline:
        status, _ = call(server, "POST", "/api/reindex", headers=admin)
    if status != 200:
        failures.append(f"final reindex: {status}")
    watch.join()
    return LoadReport(
        seconds=time.perf_counter() - started,
        landed=len(landed),
        searchable=len(searchable),
        failures=failures,
        latencies=latencies,
        single=alone,
        waits=[searchable[a] - landed[a] for a in burst if a in searchable],
    )

"""The whole archive (or a slice of it): query latency in-process and over HTTP, beside stock
Whoosh on the same index and the same queries, and literal-string recall and question MRR@10.

    python bench/archive.py --corpus DIR --index DIR [--queries N] [--seed S] [--no-http]
        [--kinds string,phrase,...] [--no-quality] [--no-stock]
        [--http-only] [--http-queries N] [--workers N,…] [--threads N] [--rounds N] [--main PATH]

Over HTTP every server is asked the same draws (8, then 32 clients): main's code when ``--main``
names its ``searchsvc`` (``../main/.venv/bin/searchsvc``), ours in one process, ours in
``--workers`` processes, each with ``--threads`` waitress threads in all; memory is summed over
the server's processes, resident and proportional (PSS: pages shared between them count once).

The index must exist (``searchsvc index --full --corpus DIR --index DIR``). The query mix is drawn
as a stranger would: strings cut at random places from random paragraphs, quoted phrases, common
and rare words, pairs, reporters' names, questions written around a paragraph's words; each with
or without a facet filter, by relevance or date, page 1 or 2; no query repeated (the cache is off
in-process, and a server without the match cache answers the HTTP runs). Every set is split in
two by the seed; only the first half is printed as ``tune``, the second as ``held``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from whoosh import query as wq
from whoosh.collectors import TimeLimit, TimeLimitCollector

from searchsvc import bulletin, planning, storage
from searchsvc import index as index_mod
from searchsvc.analysis import normalize, unit_runs, words
from searchsvc.bulletin import corpus_files
from searchsvc.query import QueryError, gram_query, parse, to_whoosh
from searchsvc.search import Engine, SearchRequest, SearchTimeout

COMMON = ["工会", "北京", "中国", "发展", "习近平", "会议", "经济", "坚持和发展", "合作", "国际"]
QUESTION_FORMS = [
    "{a}和{b}有什么关系？",
    "{a}{b}是怎么回事",
    "哪里在{a}{b}？",
    "{a}对{b}有哪些影响？",
    "为什么要{a}{b}",
    "{a}的{b}情况如何？",
]


def same_corpus(corpus: Path, index: Path) -> None:
    """Exit 2 unless ``corpus`` is the folder ``index`` was built from: the quality figures
    match drawn articles by id (their path under the corpus), and a parent or child folder
    gives every source article as missed."""
    ix = storage.pread_storage(index_mod.open_index(index, create=False), readonly=True)
    held = set(planning.manifest(ix))  # read as the server reads: no mapped pages in our RSS
    files = set(corpus_files(corpus))
    if not held & files:
        sample = next(iter(held), "nothing")
        print(f"--corpus {corpus}: not the folder --index was built from (it holds {sample!r})",
              file=sys.stderr)  # fmt: skip
        sys.exit(2)


def paragraphs(corpus: Path, rng: random.Random, pages: int = 400):
    files = list(corpus_files(corpus).items())
    out = []
    for _rel, path in rng.sample(files, min(pages, len(files))):
        try:
            doc = bulletin.read(path, corpus)
        except bulletin.BulletinError:
            continue
        for art in doc.articles:
            for para in art.paragraphs:
                if len(para.text) >= 30:
                    out.append((art, para.text))
    rng.shuffle(out)
    return out


def mix(corpus: Path, n: int, seed: int) -> dict[str, list]:
    """Query kinds → [(query text, source article id or None)]; nothing repeated."""
    rng = random.Random(seed)
    paras = paragraphs(corpus, rng)
    seen: set[str] = set()
    kinds: dict[str, list] = {
        k: [] for k in ("string", "phrase", "word", "pair", "name", "question")
    }

    def add(kind: str, text: str, aid=None):
        if text.strip() and text not in seen and len(kinds[kind]) < n:
            seen.add(text)
            kinds[kind].append((text, aid))

    for word in COMMON:
        add("word", word)
    for art, text in paras:
        start = rng.randrange(0, len(text) - 10)
        add("string", text[start : start + rng.randint(3, 9)].strip(), art.id)
        start = rng.randrange(0, len(text) - 8)
        add("phrase", '"' + text[start : start + rng.randint(4, 7)].replace('"', "") + '"', art.id)
        ws = [w for w in words(text) if len(w) >= 2]
        if len(ws) >= 4:
            add("word", rng.choice(ws))
            a, b = rng.sample(ws, 2)
            add("pair", f"{a} {b}")
            add("question", rng.choice(QUESTION_FORMS).format(a=a, b=b), art.id)
        for name in art.reporters[:1]:
            add("name", name)
    return kinds


def variants(kinds: dict[str, list], rng: random.Random):
    """Each query once, with a random filter, sort and page."""
    out = []
    for kind, items in kinds.items():
        for text, _aid in items:
            filt = rng.random() < 0.4
            out.append(
                (
                    kind,
                    SearchRequest(
                        q=text,
                        sort=rng.choice(["relevance", "relevance", "-date"]),
                        page=rng.choice([1, 1, 2]),
                        date_from="2016" if filt else "",
                    ),
                )
            )
    rng.shuffle(out)
    return out


def pct(values: list[float]) -> str:
    if not values:
        return "-"
    v = sorted(values)

    def at(p):
        return v[min(len(v) - 1, int(p * len(v)))]

    return (
        f"n={len(v):4d} p50 {at(0.5):7.1f}  p95 {at(0.95):7.1f}  p99 {at(0.99):7.1f}  "
        f"max {v[-1]:7.1f} ms"
    )


def rss_mb(pid: int | str = "self") -> tuple[float, float]:
    status = Path(f"/proc/{pid}/status").read_text()
    got = {p[0].rstrip(":"): p[1] for p in map(str.split, status.splitlines()) if len(p) > 1}
    return int(got["VmRSS"]) / 1024, int(got["VmHWM"]) / 1024


STOCK_LIMIT = (
    5.0  # seconds (our budget too): a stock search stopped there is counted at its time so far
)


def stock_search(searcher, q, limit: int | None):
    """Stock Whoosh's scored search, stopped after ``STOCK_LIMIT`` (None when it was)."""
    collector = TimeLimitCollector(searcher.collector(limit=limit), timelimit=STOCK_LIMIT)
    try:
        searcher.search_with_collector(q, collector)
    except TimeLimit:
        return None
    return collector.results()


def load() -> str:
    return "load average " + " ".join(f"{x:.2f}" for x in os.getloadavg())


def in_process(index: Path, asks, stock_too: bool = True) -> None:
    t0 = time.perf_counter()
    engine = Engine(index, cache=False)
    t1 = time.perf_counter()
    engine.search(SearchRequest(q="预热"))
    print(
        f"engine made in {t1 - t0:.2f} s; first query after opening (snapshot of every "
        f"segment): {time.perf_counter() - t1:.2f} s; {load()}"
    )
    searcher = engine.backend.searcher()
    by_kind: dict[str, list[float]] = {}
    stock: dict[str, list[float]] = {}
    timeouts = 0
    for kind, req in asks:
        t = time.perf_counter()
        try:
            engine.search(req)
        except SearchTimeout:
            timeouts += 1
        except QueryError:
            continue
        by_kind.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
        if not stock_too:
            continue
        tree = parse(req.q)
        t = time.perf_counter()
        stock_search(searcher, wq.And([to_whoosh(tree), wq.Term("kind", "para")]), 10)
        stock.setdefault(kind, []).append((time.perf_counter() - t) * 1000)
    every = [x for v in by_kind.values() for x in v]
    print(f"in-process, cache off ({timeouts} timeouts), searchsvc vs stock Whoosh scored top 10:")
    for kind in by_kind:
        print(f"  {kind:9s} ours  {pct(by_kind[kind])}\n  {'':9s} stock {pct(stock.get(kind, []))}")
    print(f"  {'all':9s} ours  {pct(every)}")
    print(f"  {'all':9s} stock {pct([x for v in stock.values() for x in v])}")
    print("  process RSS now {:.0f} MB, peak {:.0f} MB; ".format(*rss_mb()) + load())


def holders(searcher, text: str) -> set[str] | None:
    """Every article holding ``text`` (normalised) literally in a paragraph: stock Whoosh's
    candidates from the bigrams, each confirmed on the stored text."""
    norm = normalize(text).strip()
    if not unit_runs(norm):
        return set()
    found = set()
    hits = stock_search(searcher, wq.And([gram_query(norm), wq.Term("kind", "para")]), None)
    if hits is None:
        return None
    for hit in hits:
        if hit["aid"] not in found and norm in normalize(hit.get("text", "")):
            found.add(hit["aid"])
    return found


def quality(index: Path, kinds: dict[str, list]) -> None:
    engine = Engine(index, cache=False)
    searcher = engine.backend.searcher()
    heads = {  # title and byline names: matched like the body
        a.id: normalize(a.title + "\n" + " ".join(a.names))
        for a in engine.backend.snapshot().articles
    }
    for half, items in (("tune", kinds["string"][::2]), ("held", kinds["string"][1::2])):
        pairs = found = sources = skipped = 0
        for text, aid in items:
            try:
                got = {r.id for r in engine.search(SearchRequest(q=text, per_page=100)).results}
            except (QueryError, SearchTimeout):
                got = set()
            norm = normalize(text).strip()
            held = holders(searcher, text)
            if held is None:
                skipped += 1
                continue
            truth = held | {a for a, t in heads.items() if norm and norm in t}
            truth.add(aid)
            pairs += min(len(truth), 100)
            found += min(len(truth & got), 100)
            sources += aid in got
        print(
            f"literal strings ({half}): {found}/{pairs} (string, article) pairs in the first 100 "
            f"({100 * found / max(1, pairs):.2f} %); the source article {sources}/"
            f"{len(items) - skipped} ({skipped} skipped: stock Whoosh took > {STOCK_LIMIT:g} s)"
        )
    for half, items in (("tune", kinds["question"][::2]), ("held", kinds["question"][1::2])):
        ours = plain = 0.0
        for text, aid in items:
            got = [r.id for r in engine.search(SearchRequest(q=text)).results]
            ours += 1 / (got.index(aid) + 1) if aid in got else 0
            q = wq.Or([wq.Term("text", w) for w in words(text)])
            seen: list[str] = []
            for hit in searcher.search(q, limit=200):
                a = hit["aid"]
                if a not in seen:
                    seen.append(a)
            seen = seen[:10]
            plain += 1 / (seen.index(aid) + 1) if aid in seen else 0
        n = max(1, len(items))
        print(
            f"questions ({half}): MRR@10 ours {ours / n:.3f}, plain BM25 over jieba words {plain / n:.3f}"
        )


def family(pid: int) -> list[int]:
    """``pid`` and every process below it (server processes, their sync workers)."""
    found, todo = [], [pid]
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            parents.setdefault(ppid, []).append(int(entry.name))
    while todo:
        p = todo.pop()
        found.append(p)
        todo += parents.get(p, [])
    return found


def memory_mb(pid: int) -> tuple[float, float]:
    """(resident, proportional) MB summed over the server's processes: the index files and
    what the children share with their parent count once in PSS, in every child in RSS."""
    rss = pss = 0.0
    for p in family(pid):
        try:
            rows = Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()
        except OSError:
            continue
        got = {r.split()[0].rstrip(":"): int(r.split()[1]) for r in rows[1:] if len(r.split()) > 1}
        rss, pss = rss + got.get("Rss", 0) / 1024, pss + got.get("Pss", 0) / 1024
    return rss, pss


class Server:
    """``searchsvc serve`` in a subprocess (match cache off) on a free port, until ``stop``."""

    def __init__(self, label: str, argv: list[str], index: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "SEARCHSVC_MATCH_CACHE": "0", "SEARCHSVC_INDEX": str(index)}
        self.label, self.base = label, f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen(
            [*argv, "--port", str(port)], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        t = time.perf_counter()
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + "/api/health", timeout=5).read()
                break
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"{label}: exited ({self.proc.returncode})") from None
                time.sleep(0.2)
        self.started = time.perf_counter() - t
        for word in ("预热", "热身", "准备", "开始"):  # every process past its first query
            urllib.request.urlopen(f"{self.base}/api/search?q={urllib.parse.quote(word)}").read()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def http(server: Server, asks, clients: int) -> None:
    todo = list(asks)
    lock, times, errors, refused = threading.Lock(), [], [0], [0]
    slowest: list[tuple[float, str]] = []  # (ms, what)
    beyond = []  # each answer's time beyond the search's own (took_ms): HTTP, Flask, JSON, waiting
    peak = [0.0, 0.0]
    done = threading.Event()

    def worker():
        while True:
            with lock:
                if not todo:
                    return
                _kind, req = todo.pop()
            params = {"q": req.q, "sort": req.sort, "page": req.page}
            if req.date_from:
                params["from"] = req.date_from
            t = time.perf_counter()
            try:
                with urllib.request.urlopen(
                    f"{server.base}/api/search?{urllib.parse.urlencode(params)}", timeout=30
                ) as resp:
                    took = json.load(resp)["took_ms"]
                with lock:
                    times.append((time.perf_counter() - t) * 1000)
                    beyond.append(times[-1] - took)
                    slowest.append((times[-1], f"{req.q!r} took_ms {took:.0f}"))
            except urllib.error.HTTPError as err:
                with lock:
                    errors[0] += err.code >= 500
                    slowest.append(((time.perf_counter() - t) * 1000, f"{req.q!r} {err.code}"))
                    refused[0] += err.code < 500
            except OSError:
                with lock:
                    errors[0] += 1

    def sampler():  # the server's memory under load, every half second and at the end
        while True:
            stop = done.wait(0.5)
            rss, pss = memory_mb(server.proc.pid)
            peak[0], peak[1] = max(peak[0], rss), max(peak[1], pss)
            if stop:
                return

    cpu, client = cpu_seconds(server.proc.pid), time.process_time()
    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    watch = threading.Thread(target=sampler)
    for t in (*threads, watch):
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    done.set()
    watch.join()
    client = (time.process_time() - client) / wall
    used = cpu_seconds(server.proc.pid)
    shares = " + ".join(f"{(used[p] - cpu.get(p, 0)) / wall:.2f}" for p in sorted(used))
    print(
        f"  {server.label:18s} {clients:2d} clients: {len(times) / wall:6.1f} req/s, "
        f"{errors[0]} errors, {refused[0]} 4xx, {pct(times)}\n{'':24s}beyond the search "
        f"(answer − took_ms) p50 {statistics.median(beyond or [0]):.1f} ms; cores used per "
        f"process {shares} (clients {client:.2f}); peak RSS sum {peak[0]:.0f} MB, PSS sum {peak[1]:.0f} MB; {load()}"
        f"\n{'':24s}slowest: "
        + "; ".join(f"{ms:.0f} ms {what}" for ms, what in sorted(slowest)[:-4:-1])
    )


def cpu_seconds(pid: int) -> dict[int, float]:
    """CPU seconds (user + system) each of the server's processes has used so far."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for p in family(pid):
        try:
            cells = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[p] = (int(cells[11]) + int(cells[12])) / tick
    return out


def http_runs(args, draws: dict[int, list]) -> None:
    """Every server in turn, each asked the same draw at 8 then at 32 clients: main's code (if
    ``--main``), ours in one process, ours in ``--workers`` processes; ``--threads`` in all."""
    ours = str(Path(sys.executable).parent / "searchsvc")
    servers = [
        ("ours, 1 process", [ours, "serve", "--workers", "1", "--threads", str(args.threads)])
    ]
    for n in args.workers:
        per = max(1, -(-args.threads // n))  # the same threads in all, split
        servers.append((f"ours, {n} processes",
                        [ours, "serve", "--workers", str(n), "--threads", str(per)]))  # fmt: skip
    if args.main:
        servers.insert(
            0, ("main, 1 process", [str(args.main), "serve", "--threads", str(args.threads)])
        )
    print(f"HTTP, match cache off, no query repeated within a run, {os.cpu_count()} cores:")
    for label, argv in servers * args.rounds:  # rounds: the same draws, servers interleaved
        server = Server(label, argv, args.index)
        try:
            rss, pss = memory_mb(server.proc.pid)
            print(f"  {label}: answering after {server.started:.1f} s, RSS sum {rss:.0f} MB, "
                  f"PSS sum {pss:.0f} MB ({len(family(server.proc.pid))} processes)")  # fmt: skip
            for clients, asks in draws.items():
                http(server, asks, clients)
        finally:
            server.stop()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, required=True)
    ap.add_argument("--index", type=Path, required=True)
    ap.add_argument("--queries", type=int, default=40, help="per kind")
    ap.add_argument("--seed", type=int, default=12)
    ap.add_argument("--no-http", action="store_true")
    ap.add_argument("--no-quality", action="store_true", help="no literal recall nor MRR")
    ap.add_argument("--no-stock", action="store_true", help="no stock Whoosh baseline")
    ap.add_argument("--kinds", default="", help="only these kinds, comma-separated")
    ap.add_argument("--http-only", action="store_true", help="only the HTTP runs")
    ap.add_argument("--http-queries", type=int, default=80, help="per kind, per HTTP run")
    ap.add_argument("--workers", type=lambda v: [int(n) for n in v.split(",")],
                    default=[os.cpu_count() or 2], help="server processes: N or N,M,…")  # fmt: skip
    ap.add_argument("--threads", type=int, default=8, help="waitress threads in all, per server")
    ap.add_argument("--rounds", type=int, default=1, help="every server again, in turn")
    ap.add_argument("--main", type=Path, help="main's searchsvc (its venv's bin/searchsvc)")
    args = ap.parse_args()
    wanted = set(args.kinds.split(",")) if args.kinds else None

    def only(asks):
        return [a for a in asks if wanted is None or a[0] in wanted]

    same_corpus(args.corpus, args.index)
    kinds = mix(args.corpus, args.queries, args.seed)
    rng = random.Random(args.seed)
    print({k: len(v) for k, v in kinds.items()}, load())
    if not args.http_only:
        in_process(args.index, only(variants(kinds, rng)), stock_too=not args.no_stock)
    if not args.no_quality and not args.http_only:
        quality(args.index, kinds)
    if not args.no_http:
        # A fresh draw of the same kinds for each number of clients (nothing repeats within a
        # run), the same draw for every server.
        draws = {
            clients: only(variants(mix(args.corpus, args.http_queries, rng.randrange(10**6)), rng))
            for clients in (8, 32)
        }  # fmt: skip
        http_runs(args, draws)


if __name__ == "__main__":
    main()

"""Index the whole shared archive cold, ours against the stock pipeline in the same run; then
how fast new pages become searchable in a running ``serve --watch`` at that size.

    python bench/index_archive.py [--archive PATH] [--stock-pages N] [--singles N] [--burst N]
                                  [--no-live] [--sizes]

Ours is ``searchsvc index --full`` as a user runs it (a subprocess). The stock pipeline is the
baseline of ``bench/slice.py`` (one Whoosh document per paragraph, jieba's ``ChineseAnalyzer``,
body stored), in a subprocess too so that its peak RSS is its own. On the whole archive it takes
~10 minutes: ``--stock-pages N`` indexes a fixed sample of N pages instead (said in the output;
the ratio then compares paragraphs/s). Everything is unpacked into a temporary folder;
``--archive`` may also name an unpacked archive folder, read where it is (with ``--no-live``:
the live part writes pages into the corpus). ``--no-live`` measures the cold build alone.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHIVE = ROOT.parent / "shared" / "corpus" / "news-archive.tar.gz"
BIN = Path(sys.executable).parent


def dir_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


# Runs a command and reports what its own process tree used: a fresh wrapper's RUSAGE_CHILDREN
# covers only that command (ours' one would also hold every earlier command's peak).
_USAGE = (
    "import resource, subprocess, sys; rc = subprocess.run(sys.argv[1:]).returncode; "
    "u = resource.getrusage(resource.RUSAGE_CHILDREN); "
    "print(u.ru_maxrss, u.ru_utime + u.ru_stime, file=sys.stderr); sys.exit(rc)"
)


def timed(cmd: list[str]) -> tuple[float, float, float, str]:
    """Run ``cmd``; wall seconds, peak RSS (MB) of its largest process, CPU seconds of all its
    processes, stdout."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _USAGE, *cmd], capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{cmd[:3]} failed: {done.stderr[-2000:]}")
    peak_kb, cpu = done.stderr.strip().splitlines()[-1].split()
    return seconds, int(peak_kb) / 1024, float(cpu), done.stdout


STOCK = """
import sys, time
sys.path.insert(0, {bench!r})
from pathlib import Path
from slice import baseline_index
s, n = baseline_index(Path({corpus!r}), Path({out!r}))
print(n)
"""


def stock(corpus: Path, out: Path) -> tuple[float, float, float, int]:
    code = STOCK.format(bench=str(ROOT / "bench"), corpus=str(corpus), out=str(out))
    seconds, peak, cpu, stdout = timed([sys.executable, "-c", code])
    return seconds, peak, cpu, int(stdout.strip().splitlines()[-1])


def sample(corpus: Path, dest: Path, pages: int) -> None:
    files = sorted(corpus.rglob("*.md"))
    for path in random.Random(20261129).sample(files, min(pages, len(files))):
        target = dest / path.relative_to(corpus)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]


class Server:
    def __init__(self, corpus: Path, home: Path):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(
            [str(BIN / "searchsvc"), "serve", "--watch", "--corpus", str(corpus), "--index",
             str(home), "--port", str(self.port)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                self.total("中国")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the server did not answer")

    def total(self, q: str) -> int:
        url = f"http://127.0.0.1:{self.port}/api/search?" + urllib.parse.urlencode({"q": q})
        with urllib.request.urlopen(url, timeout=30) as resp:
            return json.load(resp)["total"]

    def found(self, q: str, errors: list) -> bool:
        """Whether ``q`` finds something now; a failed query is counted, not raised."""
        try:
            return self.total(q) > 0
        except Exception as err:  # a timeout, a 503: the figure is the count
            errors.append(repr(err))
            return False

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)


def page(template: bytes, marker: str) -> bytes:
    """A real page with a unique searchable word in a new article of its own."""
    return template + f"\n\n## 新增页面 {marker}\n\n本页标记 {marker} 用于测量。\n".encode()


def live(corpus: Path, home: Path, singles: int, burst: int) -> None:
    # pages of the archive's typical size (the first 50 by name held its largest, 1.6 MB)
    pages = sorted(corpus.rglob("*.md"), key=lambda p: (p.stat().st_size, p.name))
    middle = len(pages) // 2
    templates = [p.read_bytes() for p in pages[max(0, middle - 25) : middle + 25]]
    inbox = corpus / "live"
    inbox.mkdir()
    server = Server(corpus, home)
    try:
        waits, errors = [], []
        for i in range(singles):
            marker = f"zqsingle{i}x{random.randrange(10**9)}"
            tmp = inbox / f".{marker}.md"
            tmp.write_bytes(page(templates[i % len(templates)], marker))
            landed = time.monotonic()
            tmp.rename(inbox / f"2026-01-{i % 28 + 1:02d}_{marker}.md")
            while not server.found(marker, errors):
                time.sleep(0.05)
            waits.append(time.monotonic() - landed)
            time.sleep(1)
        print(f"single page → searchable ({singles} pages, one at a time): "
              f"p50 {statistics.median(waits):.2f} s  p95 {pct(waits, 0.95):.2f} s  "
              f"max {max(waits):.2f} s; failed queries {len(errors)}")  # fmt: skip
        errors, asked, stop = [], [0], threading.Event()

        def ask() -> None:
            while not stop.is_set():
                try:
                    server.total(random.choice(["工会", "劳模", "北京 职工", "疫情防控"]))
                    asked[0] += 1
                except Exception as err:  # counted, not raised: the figure is the count
                    errors.append(repr(err))

        askers = [threading.Thread(target=ask, daemon=True) for _ in range(2)]
        for t in askers:
            t.start()
        markers = [f"zqburst{i}x{random.randrange(10**9)}" for i in range(burst)]
        started = time.monotonic()
        for i, marker in enumerate(markers):
            (inbox / f"burst-{i:04d}.md").write_bytes(page(templates[i % len(templates)], marker))
        landed = time.monotonic()
        pending = set(markers)
        while pending:
            pending = {m for m in pending if not server.found(m, errors)}
            time.sleep(0.2)
        done = time.monotonic()
        stop.set()
        for t in askers:
            t.join()
        print(f"burst of {burst} pages (landed in {landed - started:.1f} s): all searchable "
              f"{done - landed:.1f} s after the last landed; queries meanwhile {asked[0]}, "
              f"failed {len(errors)}")  # fmt: skip
    finally:
        server.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=ARCHIVE)
    ap.add_argument("--stock-pages", type=int, default=0, help="stock baseline on N pages (0: all)")
    ap.add_argument("--singles", type=int, default=20)
    ap.add_argument("--burst", type=int, default=500)
    ap.add_argument("--sizes", action="store_true", help="where our index's bytes go (index_size)")
    ap.add_argument("--no-live", action="store_true", help="the cold build alone")
    args = ap.parse_args()
    if args.archive.is_dir() and not args.no_live:
        ap.error("an archive folder is read where it is: use it with --no-live")
    work = Path(tempfile.mkdtemp(prefix="searchsvc-archive-"))
    try:
        if args.archive.is_dir():
            corpus = args.archive
        else:
            with tarfile.open(args.archive) as tar:
                tar.extractall(work, filter="data")
            corpus = work / "archive"
        print(f"nproc {os.cpu_count()}; archive {sum(1 for _ in corpus.rglob('*.md'))} pages; "
              f"load average at the start {os.getloadavg()[0]:.1f}", flush=True)  # fmt: skip
        ours_s, ours_rss, ours_cpu, out = timed([str(BIN / "searchsvc"), "index", "--full", "--corpus",
                                       str(corpus), "--index", str(work / "ours")])  # fmt: skip
        paras = int(out.split("篇文章，")[1].split("段")[0])
        print(f"ours: {ours_s:.1f} s, {paras} paragraphs, {paras / ours_s:.0f} para/s, "
              f"{dir_mb(work / 'ours'):.0f} MB, peak RSS {ours_rss:.0f} MB, CPU {ours_cpu:.0f} s "
              f"(load average now {os.getloadavg()[0]:.1f})", flush=True)  # fmt: skip
        if args.sizes:
            subprocess.run(
                [sys.executable, str(ROOT / "bench" / "index_size.py"), str(work / "ours")]
            )
        stock_corpus = corpus
        if args.stock_pages:
            stock_corpus = work / "stock-sample"
            sample(corpus, stock_corpus, args.stock_pages)
        base_s, base_rss, base_cpu, base_paras = stock(stock_corpus, work / "stock")
        label = "stock (ChineseAnalyzer)" + (
            f", {args.stock_pages} pages" if args.stock_pages else ""
        )
        print(f"{'':34}{'seconds':>9}{'para/s':>9}{'MB':>8}{'peak RSS MB':>13}"
              f"{'CPU s':>9}{'CPU ms/para':>13}")  # fmt: skip
        print(f"{label:34}{base_s:9.1f}{base_paras / base_s:9.0f}{dir_mb(work / 'stock'):8.0f}"
              f"{base_rss:13.0f}{base_cpu:9.0f}{1000 * base_cpu / base_paras:13.2f}")  # fmt: skip
        print(f"{'searchsvc index --full':34}{ours_s:9.1f}{paras / ours_s:9.0f}"
              f"{dir_mb(work / 'ours'):8.0f}{ours_rss:13.0f}{ours_cpu:9.0f}"
              f"{1000 * ours_cpu / paras:13.2f}")  # fmt: skip
        print(f"load average at the end: {os.getloadavg()[0]:.1f} (other jobs share the cores)")
        print(
            f"speed ratio ours / stock (paragraphs/s): {(paras / ours_s) / (base_paras / base_s):.2f}x"
            + ("  (stock on a sample: --stock-pages)" if args.stock_pages else "")
        )
        print("peak RSS: the largest single process (the parent or one of its workers)")
        shutil.rmtree(work / "stock", ignore_errors=True)
        if not args.no_live:
            live(corpus, work / "ours", args.singles, args.burst)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Index the whole shared archive cold, ours against the stock pipeline in the same run; then
how fast new pages become searchable in a running ``serve --watch`` at that size.

    python bench/index_archive.py [--archive PATH] [--stock-pages N] [--singles N] [--burst N]
                                  [--no-live] [--sizes] [--keep DIR]
    python bench/index_archive.py --index INDEX --corpus CORPUS [--baseline OTHER/.venv/bin] ...

Ours is ``searchsvc index --full`` as a user runs it (a subprocess). The stock pipeline is the
baseline of ``bench/slice.py`` (one Whoosh document per paragraph, jieba's ``ChineseAnalyzer``,
body stored), in a subprocess too so that its peak RSS is its own. On the whole archive it takes
~10 minutes: ``--stock-pages N`` indexes a fixed sample of N pages instead (said in the output;
the ratio then compares paragraphs/s). Everything is unpacked into a temporary folder;
``--archive`` may also name an unpacked archive folder, read where it is (with ``--no-live``:
the live part writes pages into the corpus). ``--no-live`` measures the cold build alone;
``--keep DIR`` moves our index there at the end (a new folder) instead of deleting it.

With ``--index`` (an index of the archive built earlier, and the corpus it was built from) only
the live figures are measured, on a copy of it, and with ``--baseline`` another tree's server
(e.g. main's ``.venv/bin``) is measured first on a copy of its own. Set ``SEARCHSVC_VOCAB`` to
the vocabulary the index was built with, or the server reads the whole archive again. A page is
searchable when a string cut from it (around a marker put in at a random place) finds it,
asked of the running server while two other clients keep querying (failures counted).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

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
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
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
    """``serve --watch`` in a subprocess; its log and its writer's timeline (``timeline``, JSON
    lines: ``reindexer.Timeline``) are written beside the index."""

    def __init__(self, corpus: Path, home: Path, bin_dir: Path = BIN):
        import socket

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.timeline = home.parent / "timeline.jsonl"
        self.log = open(home.parent / "server.log", "wb")  # noqa: SIM115 (closed in close)
        self.proc = subprocess.Popen(
            [str(bin_dir / "searchsvc"), "serve", "--watch", "--corpus", str(corpus), "--index",
             str(home), "--port", str(self.port)],
            stdout=self.log, stderr=subprocess.STDOUT,
            env={**os.environ, "SEARCHSVC_TIMELINE": str(self.timeline)},
        )  # fmt: skip
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                self.search("中国")
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("the server did not answer")

    def search(self, q: str) -> dict:
        url = f"http://127.0.0.1:{self.port}/api/search?" + urllib.parse.urlencode({"q": q})
        with urllib.request.urlopen(url, timeout=30) as resp:
            return json.load(resp)

    def health(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/health", timeout=30) as r:
            return json.load(r)

    def events(self) -> list[dict]:
        """The writer's timeline so far (empty for a server that keeps none: older code)."""
        try:
            lines = self.timeline.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in lines if line.strip()]

    def found(self, probe: Probe, errors: list) -> bool:
        """Whether the string cut from the probe's page finds that page now; a failed query is
        counted, not raised."""
        try:
            results = self.search(probe.query)["results"]
        except Exception as err:  # a timeout, a 503: the figure is the count
            errors.append(repr(err))
            return False
        return any(r["id"].startswith(probe.slug) for r in results)

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=60)
        self.log.close()


# Common characters a random marker is drawn from: six of them never occur together in the
# archive, so the string cut around the marker finds the new page and no other.
_MARK_CHARS = "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处理府研"


_HAN = re.compile(r"[\u4e00-\u9fff]*")
_HAN_RUNS = re.compile(r"[\u4e00-\u9fff]+")


def _body_start(lines: list[str]) -> int:
    """The first line after a front matter block (``---`` … ``---``), or 0."""
    if lines and lines[0].strip() == "---":
        for i, line in enumerate(lines[1:], 1):
            if line.strip() == "---":
                return i + 1
    return 0


@dataclass(frozen=True)
class Probe:
    """A page to land and the query that tells when it is searchable: a string cut from one of
    its paragraphs, around a marker put in at a random place."""

    name: str  # the file's path under the corpus
    data: bytes
    query: str
    slug: str  # its articles' ids start with this

    @classmethod
    def of(cls, template: bytes, name: str, rng: random.Random) -> Probe:
        """A marker put where the reader keeps it: the string cut around it must be in a
        paragraph of the page as ``bulletin.parse`` reads it (not in front matter, a heading,
        a byline it takes out), or another place is drawn."""
        from searchsvc.bulletin import parse

        lines = template.decode("utf-8").split("\n")
        body = _body_start(lines)  # not in the front matter (it is no paragraph text)
        long = [
            i
            for i, line in enumerate(lines)
            if i >= body and len(_HAN_RUNS.findall(line)) >= 3 and len("".join(_HAN_RUNS.findall(line))) > 30
            and not line.startswith(("#", ">", "|", "-", "*"))
        ]  # fmt: skip
        for _ in range(50):
            data, cut_out = cls._marked(lines, rng.choice(long), rng)
            pages = parse(data, name).articles
            if any(cut_out in p.text for a in pages for p in a.paragraphs):
                break
        else:
            raise RuntimeError(f"{name}: no paragraph kept a marker in 50 draws")
        query = f'"{cut_out}"'  # quoted: that string exactly, so no other page ranks above it
        slug = PurePosixPath(name).with_suffix("").as_posix().replace("/", ".") + "-"
        return cls(name, data.encode("utf-8"), query, slug)

    @staticmethod
    def _marked(lines: list[str], i: int, rng: random.Random) -> tuple[str, str]:
        """The page with a random marker put into line ``i`` at a random place, and the string
        cut around it (the marker and up to 5 Han characters either side)."""
        lines = list(lines)
        cut = rng.randrange(10, len(lines[i]) - 10)
        marker = "".join(rng.choice(_MARK_CHARS) for _ in range(6))
        lines[i] = lines[i][:cut] + marker + lines[i][cut:]
        line, end = lines[i], cut + len(marker)
        before = len(_HAN.match(line[cut - 1 :: -1]).group())  # Han only: no query operator
        after = len(_HAN.match(line[end:]).group())
        cut_out = line[
            cut - min(before, rng.randrange(0, 6)) : end + min(after, rng.randrange(0, 6))
        ]
        return "\n".join(lines), cut_out


class Askers:
    """Clients querying the server meanwhile: the queries answered and the ones that failed."""

    def __init__(self, server: Server, n: int = 2):
        self.server, self.asked, self.errors = server, 0, []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._ask, daemon=True) for _ in range(n)]
        for t in self.threads:
            t.start()

    def _ask(self) -> None:
        rng = random.Random()
        while not self.stop.is_set():
            try:
                self.server.search(
                    rng.choice(["工会", "劳模", "北京 职工", "疫情防控", "技能大赛"])
                )
                self.asked += 1
            except Exception as err:  # counted, not raised: the figure is the count
                self.errors.append(repr(err))

    def close(self) -> str:
        self.stop.set()
        for t in self.threads:
            t.join()
        return f"queries meanwhile {self.asked}, failed {len(self.errors)}"


WAIT_LIMIT = 300.0  # a page not searchable after this long is counted as never
SAMPLE = 20  # burst pages whose strings are asked for once the server holds all the burst
SEED = 20261130  # the pages and markers drawn: the same for the baseline and ours in one run


def live(corpus: Path, home: Path, singles: int, burst: int, bin_dir: Path = BIN,
         seed: int = SEED) -> None:  # fmt: skip
    """Land pages into a running ``serve --watch`` of ``home`` (over ``corpus``): one at a time,
    then a burst; when each becomes searchable, judged by a string cut from it."""
    # pages of the archive's typical size (the first 50 by name held its largest, 1.6 MB)
    pages = sorted(corpus.rglob("*.md"), key=lambda p: (p.stat().st_size, p.name))
    middle = len(pages) // 2
    templates = [p.read_bytes() for p in pages[max(0, middle - 25) : middle + 25]]
    rng = random.Random(seed)
    run = f"{rng.randrange(10**6):06d}"
    (corpus / f"live{run}").mkdir()
    started = time.monotonic()
    server = Server(corpus, home, bin_dir)
    print(f"  server up in {time.monotonic() - started:.1f} s ({bin_dir}); seed {seed}",
          flush=True)  # fmt: skip
    try:
        _wait_idle(server)
        single_pages(server, corpus, [
            Probe.of(rng.choice(templates), f"live{run}/s{i:03d}.md", rng) for i in range(singles)
        ])  # fmt: skip
        if burst:
            _wait_idle(server)
            burst_pages(server, corpus, [
                Probe.of(rng.choice(templates), f"live{run}/b{i:04d}.md", rng)
                for i in range(burst)
            ], rng)  # fmt: skip
    finally:
        server.close()


def _wait_idle(server: Server, limit: float = 600) -> None:
    """Until the server's writer has nothing pending (its start-up sync of the whole corpus, a
    burst's last syncs): a page landed before would wait for it, which is not what is timed."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        sync = server.health().get("sync") or {}
        if not sync.get("pending"):
            break
        time.sleep(0.5)
    print(f"  writer idle after {time.monotonic() - started:.1f} s", flush=True)


def single_pages(server: Server, corpus: Path, probes: list[Probe]) -> None:
    """One page at a time (renamed into place): seconds until its string finds it; then, from
    the writer's timeline, where the time of the slowest went."""
    askers, waits, errors, landed_at = Askers(server), [], [], {}
    for i, probe in enumerate(probes):
        tmp = corpus / probe.name.replace(f"/s{i:03d}", f"/.s{i:03d}")
        tmp.write_bytes(probe.data)
        landed, landed_at[probe.name] = time.monotonic(), time.time()
        tmp.rename(corpus / probe.name)
        while not server.found(probe, errors) and time.monotonic() - landed < WAIT_LIMIT:
            time.sleep(0.05)
        waits.append(time.monotonic() - landed)
        time.sleep(1)
    missed = sum(w >= WAIT_LIMIT for w in waits)
    print(f"  single page → searchable ({len(probes)} pages, one at a time): "
          f"p50 {statistics.median(waits):.2f} s  p95 {pct(waits, 0.95):.2f} s  "
          f"max {max(waits):.2f} s; never {missed}; probe queries failed {len(errors)}; "
          f"{askers.close()}", flush=True)  # fmt: skip
    pages = [(p.name, landed_at[p.name], w) for p, w in zip(probes, waits, strict=True)]
    explain(server.events(), pages)


def explain(events: list[dict], pages: list[tuple[str, float, float]]) -> None:
    """Per page (name, landed at, seconds to searchable), from the writer's timeline: when the
    watcher's request named it, when the sync that wrote it started, when the worker answered
    (committed), when the server had refreshed; the rest is the probe finding it. Medians, and
    the five slowest pages in full."""
    if not events:
        print("  (no writer timeline: this server keeps none)")
        return
    rows = []
    for name, landed, wait in pages:
        seen = next((e["at"] for e in events if e["event"] == "request"
                     and e["paths"] and name in e["paths"] and e["at"] >= landed), None)  # fmt: skip
        sync = next((e for e in events if e["event"] == "sync" and e["wrote"]
                     and name in e["wrote"]["added"] + e["wrote"]["changed"]), None)  # fmt: skip
        merges = [e for e in events if e["event"] == "merge"
                  and e["started"] < landed + wait and e["finished"] > landed]  # fmt: skip
        rows.append(_phases(name, landed, wait, seen, sync, merges))
    keys = ["seen", "queued", "sync", "refresh", "found"]
    print("  median s: " + "  ".join(
        f"{k} {statistics.median([r[k] for r in rows if r[k] is not None] or [0]):.2f}"
        for k in keys))  # fmt: skip
    for r in sorted(rows, key=lambda r: -r["wait"])[:5]:
        print(f"    {r['name']}: {r['wait']:.2f} s = " + ", ".join(
            f"{k} {'?' if r[k] is None else f'{r[k]:.2f}'}" for k in keys
        ) + f"; sync of {r['files']} files, {r['sync_s']} s in index.sync; merging {r['merging']}"
          + f"; merge passes meanwhile {r['merges']}")  # fmt: skip


def _phases(name, landed, wait, seen, sync, merges) -> dict:
    """Seconds from one moment to the next: landed → seen (the watcher's request) → queued
    (the sync starts) → sync (the worker answered) → refresh (the server's engine told) →
    found (the probe's string finds it)."""
    row = {"name": name, "wait": wait, "seen": None, "queued": None, "sync": None,
           "refresh": None, "found": None, "files": None, "sync_s": None, "merging": None,
           "merges": [round(m["finished"] - m["started"], 1) for m in merges]}  # fmt: skip
    if seen is not None:
        row["seen"] = seen - landed
    if sync is not None:
        row["queued"] = sync["started"] - (seen if seen is not None else landed)
        row["sync"] = (sync["returned"] or sync["finished"]) - sync["started"]
        row["refresh"] = sync["finished"] - (sync["returned"] or sync["finished"])
        row["found"] = landed + wait - sync["finished"]
        row["files"] = len(sync["wrote"]["added"]) + len(sync["wrote"]["changed"])
        row["sync_s"], row["merging"] = sync["wrote"]["seconds"], sync["merging"]
    return row


def burst_pages(server: Server, corpus: Path, probes: list[Probe], rng: random.Random) -> None:
    """All at once: when the server holds every page of the burst (``/api/health``'s file
    count, the writer's figure), then when a sample of their strings all find their pages (the
    reader's), with two clients querying meanwhile."""
    askers, errors = Askers(server), []
    before = server.health()["files"]
    started, started_wall = time.monotonic(), time.time()
    for probe in probes:
        (corpus / probe.name).write_bytes(probe.data)
    landed, landed_wall = time.monotonic(), time.time()
    held = None
    while time.monotonic() - landed < WAIT_LIMIT:
        if server.health()["files"] >= before + len(probes):
            held = time.monotonic() - landed
            break
        time.sleep(0.5)
    pending = rng.sample(probes, min(SAMPLE, len(probes)))
    while pending and time.monotonic() - landed < WAIT_LIMIT:
        pending = [p for p in pending if not server.found(p, errors)]
    found = time.monotonic() - landed
    held_s = "never" if held is None else f"{held:.1f} s"
    print(f"  burst of {len(probes)} pages (landed in {landed - started:.1f} s): all held by the "
          f"server {held_s} after the last landed; {SAMPLE} sampled strings all found "
          f"{found:.1f} s after (not found: {len(pending)}); probe queries failed {len(errors)}; "
          f"{askers.close()}", flush=True)  # fmt: skip
    syncs = [e for e in server.events() if e["event"] == "sync" and e["started"] >= started_wall]
    for e in syncs[:12]:
        files = len(e["wrote"]["added"]) if e["wrote"] else 0
        print(f"    sync +{e['started'] - landed_wall:.1f} s → +{e['finished'] - landed_wall:.1f} s:"
              f" {files} files added; merging {e['merging']}")  # fmt: skip


def copy_index(src: Path, dest: Path) -> None:
    """A working copy of an index: its files hard-linked (a segment file is never written in
    place — new files, renames, unlinks — so the original is untouched), ``LOCK`` its own."""
    shutil.copytree(src, dest, copy_function=os.link, ignore=shutil.ignore_patterns("LOCK"))


LOGS = Path(tempfile.gettempdir()) / "searchsvc-live-logs"


def _keep_logs(work: Path, label: str) -> None:
    """The server's log and the writer's timeline, kept after the work folder goes."""
    LOGS.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for name in ("server.log", "timeline.jsonl"):
        if (work / name).exists():
            shutil.copy(work / name, LOGS / f"{stamp}-{label}-{name}")
    print(f"  server log and timeline kept in {LOGS}/{stamp}-{label}-*", flush=True)


def live_only(args) -> None:
    """The live figures on a copy of an existing whole-archive index (``--index``, built from
    ``--corpus``), with ``--baseline`` (another tree's ``bin``) on a copy of its own first."""
    print(f"nproc {os.cpu_count()}; index {args.index}; load average {os.getloadavg()[0]:.1f}")
    for label, bin_dir in [("baseline", args.baseline), ("ours", args.ours)]:
        if bin_dir is None:
            continue
        work = Path(tempfile.mkdtemp(prefix="searchsvc-live-"))
        try:
            shutil.copytree(args.corpus, work / "corpus")
            copy_index(args.index, work / "index")
            print(f"{label}:", flush=True)
            try:
                live(work / "corpus", work / "index", args.singles, args.burst, bin_dir, args.seed)
            finally:
                _keep_logs(work, label)
            print(f"  load average {os.getloadavg()[0]:.1f}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--archive", type=Path, default=ARCHIVE)
    ap.add_argument("--stock-pages", type=int, default=0, help="stock baseline on N pages (0: all)")
    ap.add_argument("--singles", type=int, default=20)
    ap.add_argument("--burst", type=int, default=500)
    ap.add_argument("--seed", type=int, default=SEED, help="the pages and markers drawn")
    ap.add_argument("--sizes", action="store_true", help="where our index's bytes go (index_size)")
    ap.add_argument("--index", type=Path, help="live figures only, on a copy of this index")
    ap.add_argument("--corpus", type=Path, help="with --index: the corpus it was built from")
    ap.add_argument("--baseline", type=Path, help="with --index: another tree's venv bin, first")
    ap.add_argument("--ours", type=Path, default=BIN, help="with --index: our server's bin folder")
    ap.add_argument("--no-live", action="store_true", help="the cold build alone")
    ap.add_argument("--keep", type=Path, help="move our index to this new folder at the end")
    args = ap.parse_args()
    if args.index:
        if args.corpus is None:
            ap.error("--index needs --corpus")
        live_only(args)
        return
    if args.archive.is_dir() and not args.no_live:
        ap.error("an archive folder is read where it is: use it with --no-live")
    if args.keep and args.keep.exists():
        ap.error(f"--keep {args.keep}: already there")
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
        if args.keep:
            shutil.move(work / "ours", args.keep)
            print(f"our index kept in {args.keep}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

"""The server's one writer: ``writing.sync`` run in a background thread whenever something asks.

Uploads, ``POST /api/reindex`` and the corpus watcher all call ``request()``; requests that
arrive while a sync runs are served by the next one (a burst of 50 uploads is two syncs, not 50).
Readers never wait for it: they keep searching the committed generation and pick up the next one
after the commit. Across processes, ``index.sync`` itself holds the index's writer lock.
What is written is the ``writing.Target`` it was made with: the Whoosh index, or the Typesense
cluster when ``SEARCHSVC_BACKEND=typesense`` (``on_synced`` then tells the server's engine to
read the collection again: a cluster has no file the engine could look at for news).

Merging segments is kept off the syncs' path (``merging``): once no sync is waiting, a merge pass
runs in a worker process of its own, at low priority (``nice``), while syncs go on committing
beside it; a sync that wrote asks for another pass. (Waiting for a quiet writer instead was
tried: the segments piled up during a trickle of pages, and the next burst's article-id checks,
which look in every segment, cost more than the passes had.) Closing the reindexer kills a pass
under way, which is safe at any point.

The sync runs in a worker *process*: indexing is pure-Python CPU work, and in the server's
process it would share the GIL with the threads answering queries — on two cores it would get a
fraction of one and slow every query down. The worker is started once (spawned, not forked: the
server has threads) and reused; if it dies, the next sync starts a new one.

With ``SEARCHSVC_TIMELINE`` set to a file, every request (the paths it named), sync (when it
started and finished, what it read, what it wrote) and merge pass is appended there as a JSON
line with wall-clock times: ``bench/index_archive.py`` tells from it where a slow page's time
went.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Collection
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass

from searchsvc import index, merging, writing
from searchsvc.bulk import die_with_parent
from searchsvc.writing import Target

log = logging.getLogger("searchsvc.reindex")
HISTORY = 200  # finished runs remembered, so a waiter can find the run that covered it
GATHER_PATHS = 50  # a request this large is a burst landing: see _gathering
GATHER_QUIET = 0.5  # seconds without a request that end a burst's gathering
GATHER_MAX = 5.0  # seconds a burst's gathering may last in all
TIMELINE_ENV = "SEARCHSVC_TIMELINE"  # a file: each request, sync and merge pass, a JSON line


class Timeline:
    """Where the writer's events go as JSON lines (``SEARCHSVC_TIMELINE``); nowhere if unset."""

    def __init__(self, path: str | None = None):
        self.path = path if path is not None else os.environ.get(TIMELINE_ENV) or None
        self._lock = threading.Lock()

    def note(self, event: str, **fields) -> None:
        if self.path is None:
            return
        line = json.dumps({"event": event, **fields}, ensure_ascii=False)
        with self._lock:
            try:
                with open(self.path, "a", encoding="utf-8") as out:
                    out.write(line + "\n")
            except OSError as err:  # a timeline must never stop the writer
                log.warning("timeline %s: %s", self.path, err)
                self.path = None


@dataclass
class Run:
    """One finished sync and the range of requests it served."""

    first: int
    last: int
    started: float  # time.time()
    finished: float
    report: index.SyncReport | None
    error: str | None


class Reindexer:
    def __init__(
        self,
        target: Target,
        in_process: bool = False,
        on_synced: Callable[[], None] | None = None,
    ):
        self.target = target
        self.in_process = in_process  # run syncs in this process (a CLI that does nothing else)
        self.on_synced = on_synced  # called after every run that wrote something
        # Called whenever ``pending`` or ``last`` changed, under the reindexer's lock (it may
        # read them, nothing else): ``serve --workers`` tells the other server processes.
        self.on_change: Callable[[], None] | None = None
        self._pool: ProcessPoolExecutor | None = None
        self._cond = threading.Condition()
        self._requested = 0  # tickets handed out
        self._served = 0  # every ticket ≤ this is covered by a finished run
        self._runs: deque[Run] = deque(maxlen=HISTORY)
        self._thread: threading.Thread | None = None
        self._closed = False
        self._merge_pool: ProcessPoolExecutor | None = None
        self._merging: Future | None = None  # the merge pass under way
        self._merge_due = False  # a sync wrote since the last pass began
        self._asked = time.monotonic()  # when the last request came
        self._first_asked = self._asked  # when the first request not served yet came
        self._whole = False  # a request not served yet asked for the whole corpus
        self._paths: set[str] = set()  # the paths the requests not served yet named
        self.timeline = Timeline()

    def request(self, paths: Collection[str] | None = None) -> int:
        """Ask for a sync that starts after now; returns a ticket to ``wait`` on. ``paths``: only
        these changed (relative to the corpus, as the watcher saw them) — the sync then reads
        just these; None: the whole corpus is compared with the index."""
        with self._cond:
            if self._closed:
                raise RuntimeError("reindexer is closed")
            if paths is None:
                self._whole = True
            else:
                self._paths.update(paths)
            if self._requested == self._served:
                self._first_asked = time.monotonic()  # the first request not served yet
            self._requested += 1
            self._asked = time.monotonic()
            self.timeline.note("request", ticket=self._requested, at=time.time(),
                               paths=None if paths is None else sorted(paths))  # fmt: skip
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="reindexer", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            self._changed()
            return self._requested

    def _changed(self) -> None:
        """Tell ``on_change`` (with ``_cond`` held: calls are in the order of the changes)."""
        if self.on_change is not None:
            self.on_change()

    def wait(self, ticket: int, timeout: float | None = None) -> Run | None:
        """The run that served ``ticket``, or None if it has not finished within ``timeout``."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._served >= ticket, timeout):
                return None
            return next((r for r in self._runs if r.first <= ticket <= r.last), None)

    @property
    def last(self) -> Run | None:
        with self._cond:
            return self._runs[-1] if self._runs else None

    @property
    def pending(self) -> int:
        with self._cond:
            return self._requested - self._served

    @property
    def merging(self) -> bool:
        """Whether a merge pass is under way or due."""
        with self._cond:
            return self._merge_due or self._pass_running()

    def close(self, timeout: float = 30) -> None:
        """Stop the writer. A sync still running after ``timeout`` (a burst's bulk run takes
        minutes; SIGTERM must not wait for it) is killed with its worker, as a merge pass is:
        killed at any point, a run leaves the last commit serving and the next run does the rest
        (``tests/test_crash.py``)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive() and self._pool is not None:
                log.warning("closing: the sync under way is stopped; the next run finishes it")
                _kill(self._pool)
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._merge_pool is not None:
            _kill(self._merge_pool)  # a pass may take minutes (see merging)
            self._merge_pool.shutdown(wait=True, cancel_futures=True)
            self._merge_pool = None

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(
                    lambda: self._closed or self._requested > self._served or self._merge_ready()
                )
                if self._requested <= self._served:
                    if self._closed:
                        return  # closed, nothing left to do
                    if self._merge_ready():
                        self._start_merge()
                    continue
                if (gather := self._gathering()) is not None:
                    self._cond.wait(gather)  # a burst still landing: take it in one sync
                    continue
                first, last = self._served + 1, self._requested
                only = None if self._whole else sorted(self._paths)
                self._whole, self._paths = False, set()
            run = self._sync(first, last, only)
            with self._cond:
                self._runs.append(run)
                self._served = last
                if run.report is not None and run.report.wrote and self._mergeable():
                    self._merge_due = True
                self._changed()  # before a waiter answers: another process may be asked next
                self._cond.notify_all()

    def _gathering(self) -> float | None:
        """Seconds to wait before syncing, while a burst is landing: the requests not served yet
        name ``GATHER_PATHS`` paths or more and the last came under ``GATHER_QUIET`` s ago (for
        at most ``GATHER_MAX`` s). The watcher hands a burst over in batches as it lands; synced
        as they come, 500 pages were two bulk runs one after the other. None: sync now (call
        with ``_cond`` held)."""
        if self._closed or self._whole or len(self._paths) < GATHER_PATHS:
            return None
        now = time.monotonic()
        left = min(GATHER_QUIET - (now - self._asked), GATHER_MAX - (now - self._first_asked))
        return left if left > 0 else None

    def _mergeable(self) -> bool:
        return self.target.backend.name != "typesense"  # a cluster merges on its own

    def _merge_ready(self) -> bool:
        """A merge pass is due and none is under way (call with ``_cond`` held)."""
        return self._merge_due and not self._pass_running()

    def _pass_running(self) -> bool:
        """A merge pass is under way (call with ``_cond`` held)."""
        return self._merging is not None and not self._merging.done()

    def _start_merge(self) -> None:
        """Start a merge pass in the merge worker (call with ``_cond`` held, nothing waiting)."""
        self._merge_due = False
        if self._merge_pool is None:
            self._merge_pool = _worker(_merge_worker_init)
        try:
            self._merging = self._merge_pool.submit(merging.merge_pass, self.target.home)
        except BrokenProcessPool:
            self._merge_pool = None  # the worker died: a new one at the next pass
            return
        started = time.time()
        self._merging.add_done_callback(lambda future: self._merged(future, started))

    def _merged(self, future: Future, started: float) -> None:
        merged = None
        try:
            merged = future.result()
        except BrokenProcessPool:
            with self._cond:
                self._merge_pool = None
                closing = self._closed
            if closing:  # close() killed it: nothing failed, the next pass merges
                log.info("merge pass stopped: the writer is closing")
            else:
                log.error("merge pass failed: the merge worker process died")
        except Exception as err:  # a failed pass must not stop the syncs
            log.error("merge pass failed: %s", str(err) or type(err).__name__)
        else:
            if merged:
                log.info("merge pass: %d merges committed", merged)
        self.timeline.note("merge", started=started, finished=time.time(), merged=merged)
        with self._cond:
            self._cond.notify_all()  # a sync may have asked for another pass meanwhile

    def _sync(self, first: int, last: int, only: list[str] | None = None) -> Run:
        started = time.time()
        with self._cond:
            merging_now = self._pass_running()
        report, error, returned = None, None, None
        try:
            report = self._run_sync(only)
            returned = time.time()
            if report.wrote and self.on_synced is not None:
                self.on_synced()  # before the waiters hear of the run: they may search next
        except Exception as err:  # a failed sync must not kill the writer thread
            error = str(err) or type(err).__name__
            log.error("sync failed: %s", error)
        else:
            if report.wrote or report.rejected:
                log.info("%s", report.summary())
            for rejected in report.rejected:
                log.warning("rejected %s: %s", rejected.file, rejected.reason)
        run = Run(first, last, started, time.time(), report, error)
        self._note_sync(run, only, returned, merging_now)
        return run

    def _note_sync(self, run: Run, only, returned: float | None, merging_now: bool) -> None:
        """The run on the timeline: ``returned`` is when the worker answered (its last commit
        was just before), ``seconds`` how long ``index.sync`` took inside the worker."""
        report = run.report
        wrote = None if report is None else {
            "added": report.added, "changed": report.changed, "removed": report.removed,
            "paragraphs": report.paragraphs, "seconds": round(report.seconds, 3),
        }  # fmt: skip
        self.timeline.note(
            "sync", first=run.first, last=run.last, paths=only, started=run.started,
            returned=returned, finished=run.finished, merging=merging_now, wrote=wrote,
            error=run.error,
        )  # fmt: skip

    def _run_sync(self, only: list[str] | None = None) -> index.SyncReport:
        args = (self.target,)
        # merged in the background (see _start_merge)
        kwargs = {"chunk_bytes": index.LIVE_CHUNK_BYTES, "merge": False, "only": only}
        if self.in_process:
            return writing.sync(*args, **kwargs)
        if self._pool is None:
            self._pool = _worker(die_with_parent)
        try:
            return self._pool.submit(writing.sync, *args, **kwargs).result()
        except BrokenProcessPool:
            self._pool = None  # the worker died (killed, out of memory): a new one next time
            raise RuntimeError("索引进程意外退出 / the index worker process died") from None


def _worker(initializer: Callable[[int], None]) -> ProcessPoolExecutor:
    """A worker process of the server's own (spawned, not forked from a threaded server),
    ``initializer`` given the server's pid."""
    return ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=initializer,
        initargs=(os.getpid(),),
    )


def _kill(pool: ProcessPoolExecutor) -> None:
    """End the worker process of ``pool`` now, whatever it is doing."""
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()


def _merge_worker_init(parent: int) -> None:
    """The merge worker: gone with the server, and behind the syncs and queries for the CPU."""
    die_with_parent(parent)
    os.nice(10)

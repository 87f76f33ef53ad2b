"""The server's one writer: ``index.sync`` run in a background thread whenever something asks.

Uploads, ``POST /api/reindex`` and the corpus watcher all call ``request()``; requests that
arrive while a sync runs are served by the next one (a burst of 50 uploads is two syncs, not 50).
Readers never wait for it: they keep searching the committed generation and pick up the next one
after the commit. Across processes, ``index.sync`` itself holds the index's writer lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from searchsvc import index

log = logging.getLogger("searchsvc.reindex")
HISTORY = 200  # finished runs remembered, so a waiter can find the run that covered it


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
    def __init__(self, corpus: Path, home: Path, vocab_dir: Path | None = None):
        self.corpus, self.home, self.vocab_dir = Path(corpus), Path(home), vocab_dir
        self._cond = threading.Condition()
        self._requested = 0  # tickets handed out
        self._served = 0  # every ticket ≤ this is covered by a finished run
        self._runs: deque[Run] = deque(maxlen=HISTORY)
        self._thread: threading.Thread | None = None
        self._closed = False

    def request(self) -> int:
        """Ask for a sync that starts after now; returns a ticket to ``wait`` on."""
        with self._cond:
            if self._closed:
                raise RuntimeError("reindexer is closed")
            self._requested += 1
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="reindexer", daemon=True)
                self._thread.start()
            self._cond.notify_all()
            return self._requested

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

    def close(self, timeout: float = 30) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._closed or self._requested > self._served)
                if self._requested <= self._served:
                    return  # closed, nothing left to do
                first, last = self._served + 1, self._requested
            run = self._sync(first, last)
            with self._cond:
                self._runs.append(run)
                self._served = last
                self._cond.notify_all()

    def _sync(self, first: int, last: int) -> Run:
        started = time.time()
        report, error = None, None
        try:
            report = index.sync(self.corpus, self.home, vocab_dir=self.vocab_dir)
        except Exception as err:  # a failed sync must not kill the writer thread
            error = str(err) or type(err).__name__
            log.error("sync failed: %s", error)
        else:
            if report.wrote or report.rejected:
                log.info("%s", report.summary())
            for rejected in report.rejected:
                log.warning("rejected %s: %s", rejected.file, rejected.reason)
        return Run(first, last, started, time.time(), report, error)

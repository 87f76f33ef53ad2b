"""The request's time budget: every request ends within it (``Deadline``), relaxation and
suggestions included; past it, a ``SearchTimeout`` (a 503 that says how to narrow the query).

``search.Engine.search`` makes each request's deadline the thread's current one (``running``);
code that blocks on a socket (the Typesense backend's HTTP calls) reads it (``current``) and takes
its timeouts from what is left, so that no call outlives the request. A ``ContextVar``: each
thread (each waitress worker) has its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from searchsvc.errors import SearchTimeout

CHECK_EVERY = 20_000  # units of work (postings, stored reads × 50) between two looks at the clock


class Deadline:
    """The request's time budget, looked at after every ``CHECK_EVERY`` units of work: a query
    that does little never pays for the clock, a broad one stops soon after its budget."""

    def __init__(self, budget: float, started: float | None = None):
        self.budget = budget
        self.at = (time.perf_counter() if started is None else started) + budget
        self._work = 0

    def spend(self, units: int) -> None:
        self._work += units
        if self._work >= CHECK_EVERY:
            self._work = 0
            self.check()

    def check(self) -> None:
        if time.perf_counter() > self.at:
            b = self.budget
            raise SearchTimeout(
                f"检索超时（超过 {b:g} 秒），请加词、加引号或筛选缩小范围 / the query took longer "
                f"than {b:g} s: add words, quote a phrase or filter to narrow it down"
            )


_RUNNING: ContextVar[Deadline | None] = ContextVar("deadline", default=None)


@contextmanager
def running(deadline: Deadline | None) -> Iterator[None]:
    """``deadline`` is the thread's current one inside the block (None: no budget)."""
    token = _RUNNING.set(deadline)
    try:
        yield
    finally:
        _RUNNING.reset(token)


def current() -> Deadline | None:
    """The deadline of the request this thread is answering, if any."""
    return _RUNNING.get()

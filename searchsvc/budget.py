"""The time budget of the request a thread is answering, for what waits on another process.

``search.Engine.search`` runs each request under its ``matching.Deadline`` (``running``); code
that blocks on a socket (the Typesense backend's HTTP calls) reads it here (``current``) and
takes its timeouts from what is left, so that no call outlives the request. A plain
``contextvars.ContextVar``: each thread (each waitress worker) has its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol


class Budget(Protocol):
    """What ``matching.Deadline`` offers: when it ends, and a check that raises past it."""

    budget: float  # seconds, all told
    at: float  # time.perf_counter() at which the budget ends

    def check(self) -> None: ...


_RUNNING: ContextVar[Budget | None] = ContextVar("budget", default=None)


@contextmanager
def running(budget: Budget | None) -> Iterator[None]:
    """``budget`` is the thread's current one inside the block (None: no budget)."""
    token = _RUNNING.set(budget)
    try:
        yield
    finally:
        _RUNNING.reset(token)


def current() -> Budget | None:
    return _RUNNING.get()

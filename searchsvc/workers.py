"""Several server processes on one listening socket: ``searchsvc serve --workers N``.

One process answers with one core: waitress's threads share Python's GIL, so on the whole archive
8 clients got ~27 requests/s with the load average under 2. ``supervise`` binds the socket once,
then forks ``N`` children that each run waitress on the inherited socket (the kernel hands each
connection to whichever child accepts it first: an idle one). The parent serves nothing: it
forks, restarts a child that dies, and stops them all on Ctrl-C or SIGTERM. A child dies with
the parent even when the parent is killed outright (``PR_SET_PDEATHSIG``).

What the children share beyond the socket:

- the index on disk — every request already looks for the newest generation (a stat of the
  home and the live folder), so a page committed by one child is searchable from all; syncs
  from several children are serialized by the index's writer lock, as a ``searchsvc index``
  beside a server always was;
- the ``Board``: a few bytes of shared memory where each child's writer tells how many syncs
  it has pending, how its last one ended, and how many wrote — so ``/api/health`` says the same
  whichever child answers, and a backend with no file to look at (Typesense) reads the
  collection again in every child after any child's sync.

Only child 0 watches the corpus (``serve --watch``); a restarted child 0 watches again.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import mmap
import multiprocessing
import os
import signal
import socket
import struct
import sys
import threading
import time
import traceback
from collections.abc import Callable

from searchsvc.health import SyncState

log = logging.getLogger("searchsvc.workers")

STOP_GRACE = 10.0  # seconds children get to finish after SIGTERM before they are killed
RESTARTS = 5  # a child dying this many times ...
RESTART_WINDOW = 60.0  # ... within this many seconds ends the server (something is wrong)
_PR_SET_PDEATHSIG = 1


def listen(host: str, port: int, backlog: int = 1024) -> socket.socket:
    """The listening socket, bound once (``port`` 0: a free one), inherited by every child."""
    family, kind, proto, _, addr = socket.getaddrinfo(
        host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    )[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(addr)
        sock.listen(backlog)
    except OSError:
        sock.close()
        raise
    return sock


class Board:
    """Each child's writer state in shared memory (an anonymous shared mapping made before the
    children fork): per slot the syncs pending, when the last one ended, its error and whether
    it wrote."""

    _SLOT = struct.Struct("<qdqH")  # pending, last finished (time.time, 0: none), wrote, len
    _ERROR_BYTES = 400
    _SIZE = _SLOT.size + _ERROR_BYTES

    def __init__(self, slots: int):
        self.slots = slots
        self._mem = mmap.mmap(-1, slots * self._SIZE)  # MAP_SHARED | MAP_ANONYMOUS
        self._lock = multiprocessing.get_context("fork").Lock()

    def publish(self, slot: int, pending: int, finished: float, wrote: int, error: str | None):
        raw = (error or "").encode()[: self._ERROR_BYTES]
        raw = raw.decode(errors="ignore").encode()  # not cut inside a character
        size = len(raw) if error is not None else 0xFFFF
        with self._lock:
            at = slot * self._SIZE
            self._SLOT.pack_into(self._mem, at, pending, finished, wrote, size)
            self._mem[at + self._SLOT.size : at + self._SLOT.size + len(raw)] = raw

    def _read(self, slot: int) -> tuple[int, float, int, str | None]:
        at = slot * self._SIZE
        pending, finished, wrote, size = self._SLOT.unpack_from(self._mem, at)
        if size == 0xFFFF:
            return pending, finished, wrote, None
        start = at + self._SLOT.size
        return pending, finished, wrote, self._mem[start : start + size].decode()

    def follow(self, slot: int, reindexer) -> None:
        """Publish ``reindexer``'s state in ``slot`` now and whenever it changes (a restarted
        child starts its slot afresh)."""
        seen: list = [None, 0]  # the last run published, how many runs wrote

        def publish() -> None:  # under the reindexer's lock: in the order of the changes
            last = reindexer.last
            if last is not None and last is not seen[0]:
                seen[0] = last
                seen[1] += bool(last.report is not None and last.report.wrote)
            finished, error = (last.finished, last.error) if last else (0.0, None)
            self.publish(slot, reindexer.pending, finished, seen[1], error)

        reindexer.on_change = publish
        publish()

    def state(self) -> SyncState:
        """Syncs pending in every child; the error of the sync that ended last, in any child."""
        with self._lock:
            slots = [self._read(s) for s in range(self.slots)]
        last = max(slots, key=lambda s: s[1])
        return SyncState(pending=sum(s[0] for s in slots), last_error=last[3])

    def wrote(self) -> int:
        """How many syncs wrote, in all children: it changes when any child committed."""
        return sum(self._SLOT.unpack_from(self._mem, s * self._SIZE)[2] for s in range(self.slots))


def supervise(count: int, run: Callable[[int], None], stop_grace: float = STOP_GRACE) -> int:
    """Fork ``count`` children, each calling ``run(slot)`` (which serves until it is told to
    stop); restart one that dies; on Ctrl-C or SIGTERM stop them all. Returns the exit status:
    0 when stopped, 1 when children kept dying. Call it with no other thread running."""
    if threading.active_count() > 1:
        raise RuntimeError("supervise() forks: no other thread may be running")
    parent = os.getpid()
    children: dict[int, int] = {}  # pid → slot
    deaths: list[float] = []

    def stop(*_):
        raise _Stop

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for slot in range(count):
            children[_fork(slot, run, parent)] = slot
        while True:
            pid, status = os.wait()
            slot = children.pop(pid, None)
            if slot is None:
                continue
            code = os.waitstatus_to_exitcode(status)
            now = time.monotonic()
            deaths = [t for t in deaths if now - t < RESTART_WINDOW] + [now]
            if len(deaths) >= RESTARTS:
                print(f"错误 / error: server process {slot} exited ({_how(code)}), "
                      f"{len(deaths)} deaths in {RESTART_WINDOW:g} s: stopping", file=sys.stderr)  # fmt: skip
                return 1
            log.error(
                "server process %d (pid %d) exited (%s): restarting it", slot, pid, _how(code)
            )
            children[_fork(slot, run, parent)] = slot
    except _Stop:
        return 0
    except KeyboardInterrupt:
        return 0
    finally:
        _stop_all(children, stop_grace)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


class _Stop(Exception):
    """SIGTERM or SIGINT reached the parent."""


def _how(code: int) -> str:
    return f"signal {-code}" if code < 0 else f"status {code}"


def _fork(slot: int, run: Callable[[int], None], parent: int) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        _child_setup(parent)
        run(slot)
        code = 0
    except SystemExit as err:
        code = err.code if isinstance(err.code, int) else (0 if err.code is None else 1)
    except KeyboardInterrupt:
        code = 0
    except BaseException:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _child_setup(parent: int) -> None:
    """In a child: SIGTERM ends ``run`` as ``SystemExit`` (its ``finally`` runs); it is sent
    SIGTERM if the parent dies, even killed with SIGKILL."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: the parent's SIGTERM is what stops a child
    if os.getppid() != parent:  # the parent died before prctl took effect
        sys.exit(0)


def _stop_all(children: dict[int, int], grace: float) -> None:
    """SIGTERM to every child, SIGKILL to any still running after ``grace``; all reaped."""
    for pid in children:
        _signal(pid, signal.SIGTERM)
    end = time.monotonic() + grace
    while children and time.monotonic() < end:
        for pid in list(children):
            if os.waitpid(pid, os.WNOHANG)[0]:
                del children[pid]
        time.sleep(0.02)
    for pid in list(children):
        log.error("server process %d (pid %d) ignored SIGTERM: killed", children[pid], pid)
        _signal(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        del children[pid]


def _signal(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)

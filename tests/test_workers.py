"""``searchsvc serve --workers N``: several real server processes (waitress) on one port, over a
real index, asked over real connections. Which process answered a connection is read from
``/proc`` (the process holding the server side of that TCP connection)."""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from searchsvc.storage import LOCK_FILE

from .conftest import SEED, shared_bulletins
from .server import free_port, indexed_corpus

TOKEN = "workers-token"


def children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            state, ppid = stat.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == pid and state != "Z":
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def owner(conn: http.client.HTTPConnection, port: int, pids: list[int]) -> int | None:
    """Which of ``pids`` holds the server side of ``conn`` (after it was answered once)."""
    mine = conn.sock.getsockname()[1]
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        cells = line.split()
        local, remote = (int(cells[i].split(":")[1], 16) for i in (1, 2))
        if local == port and remote == mine:
            inode = cells[9]
    for pid in pids:
        fds = Path(f"/proc/{pid}/fd")
        for fd in fds.iterdir() if fds.exists() else ():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    return None


def ask(conn: http.client.HTTPConnection, method: str, path: str, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    resp = conn.getresponse()
    return resp.status, json.loads(resp.read() or b"null")


class Served:
    """``searchsvc serve --workers N`` in a subprocess over ``corpus`` and ``index``."""

    def __init__(self, corpus: Path, index: Path, workers: int = 2, watch: bool = False):
        self.port = free_port()
        env = {**os.environ, "SEARCHSVC_ADMIN_TOKEN": TOKEN}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "searchsvc.cli", "serve", "--workers", str(workers),
             "--port", str(self.port), "--corpus", str(corpus), "--index", str(index),
             *(["--watch"] if watch else [])],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        self.workers = workers
        self.wait_ready()

    def wait_ready(self, timeout: float = 60) -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            assert self.proc.poll() is None, self.proc.communicate()
            if len(self.children()) == self.workers:
                try:
                    if ask(self.connect(), "GET", "/api/health")[0] == 200:
                        return
                except OSError:
                    pass
            time.sleep(0.1)
        raise AssertionError("the server did not start")

    def children(self) -> list[int]:
        return children(self.proc.pid)

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def one_connection_each(self, tries: int = 200) -> dict[int, http.client.HTTPConnection]:
        """A kept-alive connection answered by each server process."""
        pids, got = self.children(), {}
        for _ in range(tries):
            conn = self.connect()
            ask(conn, "GET", "/api/facets")
            pid = owner(conn, self.port, pids)
            if pid in got or pid is None:
                conn.close()
            else:
                got[pid] = conn
            if len(got) == len(pids):
                return got
        raise AssertionError(f"{tries} connections reached only {sorted(got)} of {pids}")

    def stop(self) -> str:
        """Stops the server; what it wrote on stderr."""
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.communicate(timeout=30)[1]


@contextmanager
def serving(tmp_path: Path, **kw):
    corpus, index = indexed_corpus(tmp_path, [SEED])
    server = Served(corpus, index, **kw)
    try:
        yield server, corpus, index
    finally:
        server.stop()


def test_an_upload_to_one_process_is_searchable_and_told_by_every_one(tmp_path):
    page = shared_bulletins()[0]
    with serving(tmp_path) as (server, _corpus, index):
        conns = server.one_connection_each()
        (first, upload), *others = conns.items()
        # Hold the index's writer lock: the upload's sync waits for it, pending in its process.
        lock = os.open(index / LOCK_FILE, os.O_RDWR | os.O_CREAT)
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/markdown"}
            status, answer = ask(upload, "POST", f"/api/bulletins?name={page.name}&wait=0",
                                 page.read_bytes(), headers)  # fmt: skip
            assert status == 202, answer
            for pid, conn in conns.items():
                status, health = ask(conn, "GET", "/api/health")
                assert (pid, health["sync"]["pending"], health["files"]) == (pid, 1, 1)
        finally:
            os.close(lock)
        aid = answer["articles"][0]["id"]
        end = time.monotonic() + 60
        while ask(upload, "GET", "/api/health")[1]["sync"]["pending"] and time.monotonic() < end:
            time.sleep(0.1)
        time.sleep(0.1)  # a commit is seen once the folder's change time has settled (50 ms)
        for pid, conn in conns.items():
            status, health = ask(conn, "GET", "/api/health")
            assert (pid, health["sync"], health["files"]) == (
                pid, {"pending": 0, "last_error": None}, 2
            )  # fmt: skip
            assert ask(conn, "GET", f"/api/articles/{aid}")[0] == 200


def test_only_one_process_watches_and_a_dead_one_is_replaced(tmp_path):
    with serving(tmp_path, watch=True) as (server, corpus, _index):
        pids = server.children()

        def watchers() -> list[int]:
            return [
                pid
                for pid in server.children()
                if any(os.readlink(fd).endswith("inotify") for fd in _fds(pid))
            ]

        end = time.monotonic() + 30
        while not watchers() and time.monotonic() < end:
            time.sleep(0.1)
        assert len(watchers()) == 1
        page = shared_bulletins()[0]
        shutil.copy(page, corpus / page.name)
        for conn in server.one_connection_each().values():
            while ask(conn, "GET", "/api/health")[1]["files"] < 2 and time.monotonic() < end + 30:
                time.sleep(0.2)
            assert ask(conn, "GET", "/api/health")[1]["files"] == 2

        victim = watchers()[0]
        os.kill(victim, signal.SIGKILL)
        end = time.monotonic() + 30
        while (len(server.children()) < 2 or victim in server.children()) and (
            time.monotonic() < end
        ):
            time.sleep(0.1)
        now = server.children()
        assert len(now) == 2 and victim not in now and set(pids) - {victim} < set(now)
        while len(watchers()) != 1 and time.monotonic() < end:
            time.sleep(0.1)
        assert len(watchers()) == 1  # the new one watches in its place
        assert server.proc.poll() is None
        conns = server.one_connection_each().values()
        assert all(ask(c, "GET", "/api/health")[0] == 200 for c in conns)
        assert "exited (signal 9): restarting it" in server.stop()


def _fds(pid: int) -> list[Path]:
    try:
        return list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return []


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL])
def test_stopping_the_server_leaves_no_process_behind(tmp_path, sig):
    with serving(tmp_path) as (server, corpus, _index):
        # A sync first: each process that ran one has a worker process of its own.
        for conn in server.one_connection_each().values():
            headers = {"Authorization": f"Bearer {TOKEN}"}
            assert ask(conn, "POST", "/api/reindex", b"", headers)[0] == 200
        family = [*server.children()]
        family += [grandchild for pid in family for grandchild in children(pid)]
        assert len(family) >= 4  # two server processes, each with its sync worker
        server.proc.send_signal(sig)
        server.proc.wait(timeout=30)
        end = time.monotonic() + 10
        while any(alive(pid) for pid in family) and time.monotonic() < end:
            time.sleep(0.1)
        assert [pid for pid in family if alive(pid)] == []
        if sig != signal.SIGKILL:
            assert server.proc.returncode == 0


def test_children_that_keep_dying_end_the_server_clearly():
    code = (
        "import sys\n"
        "from searchsvc.workers import supervise\n"
        "sys.exit(supervise(2, lambda slot: sys.exit(3)))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert "status 3" in done.stderr and "stopping" in done.stderr


def test_a_taken_port_is_one_line_and_status_1(tmp_path):
    corpus, index = indexed_corpus(tmp_path, [SEED])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "searchsvc.cli", "serve", "--workers", "2", "--port",
             str(port), "--corpus", str(corpus), "--index", str(index)],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("错误 / error:") and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "env, args",
    [
        ({"SEARCHSVC_WORKERS": "0"}, []),
        ({"SEARCHSVC_WORKERS": "many"}, []),
        ({}, ["--workers", "0"]),
    ],
)
def test_a_bad_number_of_workers_is_status_2_and_names_the_setting(tmp_path, env, args):
    done = subprocess.run(
        [sys.executable, "-m", "searchsvc.cli", "serve", "--port", str(free_port()), *args,
         "--corpus", str(tmp_path), "--index", str(tmp_path / "index")],
        env={**os.environ, **env}, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("SEARCHSVC_WORKERS" if env else "--workers") in done.stderr


def test_the_default_is_one_process_per_core():
    from searchsvc.config import Config

    assert Config.from_env({}).workers == len(os.sched_getaffinity(0))
    assert Config.from_env({"SEARCHSVC_WORKERS": "3"}).workers == 3
    assert Config.from_env({"SEARCHSVC_WORKERS": "3"}, workers=1).workers == 1

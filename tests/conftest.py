"""Shared fixtures: real bulletins, a real Whoosh index on disk, a real waitress server."""

from __future__ import annotations

import shutil
import socket
import threading
from pathlib import Path

import pytest

from searchsvc.config import Config
from searchsvc.index import sync
from searchsvc.search import Engine
from searchsvc.server import make_server
from searchsvc.web import create_app

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "000_73d2eb0e74c950a6.txt"
SHARED_BULLETINS = ROOT.parent / "shared" / "corpus" / "bulletins"


def shared_bulletins() -> list[Path]:
    if not SHARED_BULLETINS.is_dir():
        pytest.skip(f"{SHARED_BULLETINS} is not here (the shared test corpus)")
    return sorted(SHARED_BULLETINS.glob("*.md"))


def indexed_corpus(base: Path, pages: list[Path]) -> tuple[Path, Path]:
    """Copy ``pages`` into ``base/corpus`` and sync it into ``base/index``."""
    corpus, index = base / "corpus", base / "index"
    corpus.mkdir()
    for page in pages:
        shutil.copy(page, corpus / page.name)
    sync(corpus, index)
    return corpus, index


@pytest.fixture(scope="session")
def seed_dirs(tmp_path_factory) -> tuple[Path, Path]:
    """A corpus holding the seed page, indexed once for the session: (corpus, index)."""
    return indexed_corpus(tmp_path_factory.mktemp("seed"), [SEED])


@pytest.fixture(scope="session")
def engine(seed_dirs) -> Engine:
    return Engine(seed_dirs[1])


@pytest.fixture(scope="session")
def mixed_dirs(tmp_path_factory) -> tuple[Path, Path]:
    """The seed plus the 20 shared pages, indexed once: (corpus, index)."""
    return indexed_corpus(tmp_path_factory.mktemp("mixed"), [SEED, *shared_bulletins()])


@pytest.fixture(scope="session")
def mixed_engine(mixed_dirs) -> Engine:
    return Engine(mixed_dirs[1])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app under waitress on a free loopback port, in a background thread."""

    def __init__(self, config: Config):
        self.app = create_app(config)
        self.server = make_server(self.app, "127.0.0.1", free_port(), threads=4)
        self.url = f"http://127.0.0.1:{self.server.effective_port}"
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.closing = False

    def _run(self) -> None:
        try:
            self.server.run()
        except OSError:
            # close() from another thread can pull the socket out from under select(): EBADF.
            if not self.closing:
                raise

    def __enter__(self) -> LiveServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.closing = True
        self.app.extensions["searchsvc.reindexer"].close()
        # Let the worker threads finish what they hold first: closing pulls waitress's trigger
        # socket from under a task still answering (EBADF in channel.service).
        self.server.task_dispatcher.shutdown()
        self.server.close()
        self.thread.join(timeout=5)


@pytest.fixture(scope="session")
def live_server(mixed_dirs):
    corpus, index = mixed_dirs
    with LiveServer(Config(corpus=corpus, index=index)) as server:
        yield server

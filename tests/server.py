"""The one server factory of the tests (and of the load benchmarks): the app under waitress on a
free loopback port, in a background thread, over an index built from real pages."""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from searchsvc.config import Config
from searchsvc.index import sync
from searchsvc.server import make_server
from searchsvc.web import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def indexed_corpus(base: Path, pages: list[Path]) -> tuple[Path, Path]:
    """Copy ``pages`` into ``base/corpus`` and sync it into ``base/index``."""
    corpus, index = base / "corpus", base / "index"
    corpus.mkdir()
    for page in pages:
        shutil.copy(page, corpus / page.name)
    sync(corpus, index)
    return corpus, index


class LiveServer:
    """The app under waitress on a free loopback port, in a background thread."""

    def __init__(self, config: Config, threads: int = 4):
        self.config = config
        self.app = create_app(config)
        self.server = make_server(self.app, "127.0.0.1", free_port(), threads=threads)
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


@contextmanager
def serving(base: Path, pages: list[Path], **settings) -> Iterator[LiveServer]:
    """A server over ``pages`` indexed under ``base``; ``settings`` are ``Config`` fields."""
    corpus, index = indexed_corpus(base, pages)
    with LiveServer(Config(corpus=corpus, index=index, **settings)) as server:
        yield server

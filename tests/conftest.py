"""Shared fixtures: real bulletins, a real Whoosh index on disk, a real waitress server."""

from __future__ import annotations

import fcntl
import shutil
from pathlib import Path

import pytest

from searchsvc.config import Config
from searchsvc.search import Engine

from .server import LiveServer, indexed_corpus, serving

__all__ = ["LiveServer", "indexed_corpus", "serving"]  # the tests import them from here too

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "corpus" / "000_73d2eb0e74c950a6.txt"
SHARED_BULLETINS = ROOT.parent / "shared" / "corpus" / "bulletins"


def pytest_xdist_make_scheduler(config, log):
    """With ``-n 2 --dist loadgroup`` (make test): a test file runs in one worker, so its module
    fixtures (a server, a browser) are made once, and every Typesense file shares one worker and
    so one 3-node cluster. xdist's own loadgroup cannot do this under pytest 9.2: it appends the
    group to ``item._nodeid``, which ``nodeid`` no longer reads, so it grouped nothing and both
    workers started a cluster. Scopes of our own, by file name, do it."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByFile(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return "typesense" if Path(path).name.startswith("test_typesense_") else path

    config.option.loadscopereorder = False  # the longest first (see below), not the most tests
    return ByFile(config, log)


# The files that take longest (a minute and a half for the Typesense ones together, 15–50 s for
# these), handed out first so that neither worker starts one near the end.
LONGEST_FIRST = ("test_typesense_", "test_live.py", "test_ui.py", "test_segments.py",
                 "test_crash.py", "test_workers.py", "test_cli.py", "test_openapi.py")  # fmt: skip


def pytest_collection_modifyitems(items) -> None:
    def rank(item) -> int:
        name = item.path.name
        return next(
            (i for i, p in enumerate(LONGEST_FIRST) if name.startswith(p)), len(LONGEST_FIRST)
        )

    items.sort(key=rank)  # stable: within a file, the order as written


def shared_bulletins() -> list[Path]:
    if not SHARED_BULLETINS.is_dir():
        pytest.skip(f"{SHARED_BULLETINS} is not here (the shared test corpus)")
    return sorted(SHARED_BULLETINS.glob("*.md"))


@pytest.fixture(scope="session")
def seed_dirs(tmp_path_factory) -> tuple[Path, Path]:
    """A corpus holding the seed page, indexed once for the session: (corpus, index)."""
    return indexed_corpus(tmp_path_factory.mktemp("seed"), [SEED])


@pytest.fixture(scope="session")
def engine(seed_dirs) -> Engine:
    return Engine(seed_dirs[1])


@pytest.fixture(scope="session")
def mixed_dirs(tmp_path_factory, worker_id) -> tuple[Path, Path]:
    """The seed plus the 20 shared pages, indexed once for the whole run — with ``-n 2`` the
    workers share it (the first builds it under a lock; every test only reads it)."""
    pages = [SEED, *shared_bulletins()]
    root = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        root = root.parent  # the folder every worker's base temp lives in
    base = root / "mixed-shared"
    with open(root / "mixed-shared.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (base / "built").exists():
            shutil.rmtree(base, ignore_errors=True)
            base.mkdir()
            indexed_corpus(base, pages)
            (base / "built").touch()
    return base / "corpus", base / "index"


@pytest.fixture(scope="session")
def mixed_engine(mixed_dirs) -> Engine:
    return Engine(mixed_dirs[1])


@pytest.fixture(scope="session")
def live_server(mixed_dirs):
    corpus, index = mixed_dirs
    with LiveServer(Config(corpus=corpus, index=index)) as server:
        yield server


@pytest.fixture(scope="session")
def vocab():
    """The facet vocabularies as shipped (``searchsvc/vocab/``)."""
    from searchsvc.facets import Vocabulary

    return Vocabulary.load()

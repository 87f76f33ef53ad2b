"""Health: what the index in service holds, read from the storage it lives in."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc import documents
from searchsvc import index as index_mod


@dataclass(frozen=True)
class Health:
    """``GET /api/health``: what the index in service holds (the web face adds ``sync``)."""

    status: str
    generation: int
    files: int
    articles: int
    paragraphs: int
    index_bytes: int
    last_sync: str | None
    rejected: list[documents.Rejected] = field(default_factory=list)  # files the last sync refused
    sync: SyncState | None = None  # the server's writer, when there is one

    @classmethod
    def read(cls, home: Path, searcher, articles: int | None = None) -> Health:
        live = index_mod.live_dir(home)
        counts = index_mod.counts(searcher, articles)
        return cls(
            status="ok",
            generation=searcher.reader().generation(),
            **counts,
            index_bytes=sum(f.stat().st_size for f in live.glob("*") if f.is_file()),
            last_sync=_mtime_iso(live),
            rejected=[documents.Rejected(**r) for r in index_mod.read_rejected(home)],
        )


@dataclass(frozen=True)
class SyncState:
    pending: int  # syncs asked for and not yet run
    last_error: str | None


def _mtime_iso(index_dir: Path) -> str | None:
    tocs = sorted(Path(index_dir).glob("_MAIN_*.toc"), key=lambda p: p.stat().st_mtime)
    if not tocs:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(tocs[-1].stat().st_mtime))

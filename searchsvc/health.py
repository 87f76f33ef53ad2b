"""Health: what the index in service holds, read from the storage it lives in."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from searchsvc import index as index_mod


@dataclass(frozen=True)
class Health:
    """``GET /api/health`` (the web face adds its ``sync``). Reads like a mapping too
    (``health["articles"]``, ``{**health}``), as the faces did when it was a dict."""

    status: str
    generation: int
    files: int
    articles: int
    paragraphs: int
    index_bytes: int
    last_sync: str | None
    rejected: list = field(default_factory=list)

    @classmethod
    def read(cls, home: Path, searcher, articles: int | None = None) -> Health:
        live = index_mod.live_dir(home)
        counts = index_mod.counts(searcher) if articles is None else _counts(searcher, articles)
        return cls(
            status="ok",
            generation=searcher.reader().generation(),
            **counts,
            index_bytes=sum(f.stat().st_size for f in live.glob("*") if f.is_file()),
            last_sync=_mtime_iso(live),
            rejected=index_mod.read_rejected(home),
        )

    def to_dict(self) -> dict:
        return asdict(self)

    def keys(self):
        return self.to_dict().keys()

    def __getitem__(self, name: str):
        return getattr(self, name)


def _counts(searcher, articles: int) -> dict[str, int]:
    """``index.counts`` with the article count taken from the snapshot (no posting walk)."""
    files = sum(1 for _ in searcher.document_numbers(kind="file"))
    return {"files": files, "articles": articles, "paragraphs": searcher.doc_count() - files}


def _mtime_iso(index_dir: Path) -> str | None:
    tocs = sorted(Path(index_dir).glob("_MAIN_*.toc"), key=lambda p: p.stat().st_mtime)
    if not tocs:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(tocs[-1].stat().st_mtime))

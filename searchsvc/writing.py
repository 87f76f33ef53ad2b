"""The one way the corpus is written, whichever backend serves: ``sync(target)``.

Every write path comes through here: ``searchsvc index`` directly; uploads, ``POST
/api/reindex``, ``serve --watch`` and ``searchsvc watch`` through ``reindexer``. ``Target``
names what is written — the corpus folder, and the backend ``SEARCHSVC_BACKEND`` chose: the local
Whoosh index (``index.sync`` into ``home``) or the Typesense cluster (``typesense.index.sync``
into the collection behind its alias; ``home`` is not touched). Both answer a
``index.SyncReport`` (the Typesense one adds the collection it wrote), so the faces report a
sync the same way whichever backend serves.

A ``Target`` is a frozen dataclass of paths and settings: it crosses into the reindexer's worker
process as it is, and the cluster client is made there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

from searchsvc import index, merging
from searchsvc.config import BackendConfig, Config


@dataclass(frozen=True)
class Target:
    corpus: Path
    home: Path  # the Whoosh index folder (the Whoosh backend's only)
    vocab: Path | None = None
    backend: BackendConfig = BackendConfig()

    @classmethod
    def of(cls, config: Config) -> Target:
        return cls(config.corpus, config.index, config.vocab, config.backend)

    def describe(self) -> str:
        """Where a sync writes, for a log line or a banner."""
        if self.backend.name == "typesense":
            ts = self.backend.typesense
            return f"Typesense {ts.collection} @ {','.join(ts.nodes)}"
        return str(self.home)


def sync(
    target: Target,
    full: bool = False,
    progress: index.ProgressFn | None = None,
    lock_timeout: float = index.LOCK_TIMEOUT,
    on_wait: Callable[[str], None] | None = None,
    chunk_bytes: int | None = None,
    merge: bool = True,
    only: Collection[str] | None = None,
) -> index.SyncReport:
    """Bring ``target``'s backend in line with the bulletins in its corpus.

    ``lock_timeout``, ``on_wait`` and ``chunk_bytes`` are the Whoosh writer's (its cross-process
    lock and commit size); the cluster has no local lock and imports in its own batches.
    ``merge``: after an incremental sync that wrote, merge the Whoosh index's small segments
    (``merging.merge_pass``) — the live server says no and merges in the background instead.
    ``only``: the paths that changed (see ``index.sync``); the cluster's sync reads them all.
    """
    if target.backend.name == "typesense":
        from searchsvc.typesense import index as ts_index
        from searchsvc.typesense.client import Cluster

        cluster = Cluster(target.backend.typesense)
        return ts_index.sync(
            cluster, target.corpus, vocab_dir=target.vocab, full=full, progress=progress
        )
    report = index.sync(target.corpus, target.home, progress=progress, lock_timeout=lock_timeout,
                        vocab_dir=target.vocab, full=full, on_wait=on_wait,
                        chunk_bytes=chunk_bytes, only=only)  # fmt: skip
    if merge and report.wrote and not report.rebuilt:
        merging.merge_pass(target.home, lock_timeout)
    return report

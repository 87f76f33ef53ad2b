"""Writing the corpus into a Typesense cluster: the same manifest logic as ``index.sync``.

Readers always go through an **alias** (``TypesenseConfig.collection``) to a physical collection
``<alias>_<stamp>``. Beside each physical collection lives its manifest, ``<physical>__files``
(one document per bulletin file: path and content hash), found through the alias too, so the two
always swap together.

* ``sync``: add new files, replace changed ones, delete removed ones, in the live collection;
  a run with nothing new writes nothing. A replaced bulletin's paragraphs are upserted with a
  new ``stamp``, then its paragraphs with an older stamp are deleted: readers never see the
  bulletin missing, only briefly (while the deletion replicates) a paragraph it no longer has.
* ``sync(full=True)``: build a new physical collection beside the live one, wait until every
  node has *indexed* all of it (a node applies Raft entries before its indexer has caught up,
  so the alias alone is not enough: readers saw half-built collections without this wait), then
  point the alias at it (one Raft write: readers see the old or the new) and drop the old.

Every write is idempotent (upserts by id, deletes by filter) and goes through
``Cluster.write``, which retries across a leader change. A file is recorded in the manifest only
after its documents are in, so a run that dies half-way is finished by the next one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from searchsvc import bulletin, facets
from searchsvc.bulletin import corpus_files
from searchsvc.documents import Rejected, file_digest
from searchsvc.index import SyncReport
from searchsvc.typesense.client import IMPORT_BATCH, Cluster
from searchsvc.typesense.documents import paragraph_documents, quoted, schema
from searchsvc.vocabulary import VOCAB_DIR

MANIFEST_SUFFIX = "__files"

ProgressFn = Callable[[int, int, str], None]


@dataclass
class TsSyncReport(SyncReport):
    """``index.SyncReport`` (what the faces print and ``POST /api/reindex`` answers), plus the
    physical collection the alias names after the run."""

    collection: str = ""

    def summary(self) -> str:
        return (
            f"{self.collection}: +{len(self.added)} ~{len(self.changed)} -{len(self.removed)} "
            f"files, {self.articles} articles, {self.paragraphs} paragraphs"
            f"{' (rebuilt)' if self.rebuilt else ''} in {self.seconds:.1f} s"
            + (f"; {len(self.rejected)} rejected" if self.rejected else "")
        )


def manifest_schema(name: str) -> dict:
    return {
        "name": name,
        "fields": [
            {"name": "path", "type": "string"},
            {"name": "digest", "type": "string", "index": False, "optional": True},
        ],
    }


def _file_id(rel: str) -> str:
    # Document ids go into URLs; a path's slashes and dots do not belong there.
    return rel.encode().hex()


# --------------------------------------------------------------------------- collections


def new_collection(cluster: Cluster, alias: str) -> str:
    """Create an empty physical collection (and its manifest) for ``alias``; not yet live."""
    name = f"{alias}_{time.time_ns()}"
    cluster.create_collection(schema(name))
    cluster.create_collection(manifest_schema(name + MANIFEST_SUFFIX))
    return name


def drop_others(cluster: Cluster, alias: str, keep: str) -> list[str]:
    """Drop ``alias``'s physical collections (and manifests) other than ``keep``."""
    dropped = []
    for name in cluster.collection_names():
        base = name.removesuffix(MANIFEST_SUFFIX)
        if base != keep and base.startswith(alias + "_") and base[len(alias) + 1 :].isdigit():
            cluster.drop_collection(name)
            dropped.append(name)
    return dropped


def read_manifest(cluster: Cluster, collection: str) -> dict[str, str]:
    docs = cluster.client.collections[collection + MANIFEST_SUFFIX].documents
    text = cluster.read(docs.export)
    entries = (json.loads(line) for line in text.splitlines() if line.strip())
    return {e["path"]: e.get("digest", "") for e in entries}


# --------------------------------------------------------------------------- bulletins


def bulletin_documents(doc: bulletin.Bulletin, vocab: facets.Vocabulary, stamp: int) -> list[dict]:
    docs = []
    for article in doc.articles:
        for para in paragraph_documents(article, facets.extract(article, vocab)):
            para["stamp"] = stamp
            docs.append(para)
    return docs


def replace_bulletin(cluster: Cluster, collection: str, rel: str, docs: list[dict]) -> None:
    """Make the collection hold exactly ``docs`` for bulletin ``rel`` (all carry one stamp)."""
    if docs:
        cluster.upsert(collection, docs)
        stamp = docs[0]["stamp"]
        cluster.delete_where(collection, f"src:={quoted(rel)} && stamp:<{stamp}")
    else:
        delete_bulletin(cluster, collection, rel)


def delete_bulletin(cluster: Cluster, collection: str, rel: str) -> int:
    """Delete every paragraph of bulletin ``rel`` (its articles leave results and facets)."""
    return cluster.delete_where(collection, f"src:={quoted(rel)}")


def _record(cluster: Cluster, collection: str, rel: str, digest: str | None) -> None:
    manifest = collection + MANIFEST_SUFFIX
    if digest is None:
        cluster.delete_id(manifest, _file_id(rel))
    else:
        cluster.upsert(manifest, [{"id": _file_id(rel), "path": rel, "digest": digest}])


# --------------------------------------------------------------------------- sync


def sync(
    cluster: Cluster,
    corpus: Path,
    alias: str | None = None,
    vocab_dir: Path | None = None,
    full: bool = False,
    progress: ProgressFn | None = None,
) -> TsSyncReport:
    """Bring the collection behind ``alias`` in line with the bulletins in ``corpus``."""
    started = time.perf_counter()
    corpus, alias = Path(corpus), alias or cluster.config.collection
    if not corpus.is_dir():
        raise FileNotFoundError(f"{corpus}: 语料目录不存在 / corpus folder not found")
    vocab = facets.Vocabulary.load(vocab_dir or VOCAB_DIR)
    files = corpus_files(corpus)
    live = cluster.alias_target(alias)
    report = TsSyncReport(rebuilt=full or live is None)
    if report.rebuilt:
        target, indexed = new_collection(cluster, alias), {}
    else:
        target, indexed = live, read_manifest(cluster, live)
    todo = list(_changed(files, indexed, vocab.fingerprint))
    batch = _Batch(cluster, target)
    for i, (rel, data, digest) in enumerate(todo, 1):
        docs = _read_file(rel, data, digest, vocab, rel in indexed, report)
        if docs is None:
            pass
        elif report.rebuilt:
            batch.add(rel, digest, docs)  # a fresh collection: nothing to replace, nobody reads
        else:
            replace_bulletin(cluster, target, rel, docs)
            _record(cluster, target, rel, digest)
        if progress:
            progress(i, len(todo), rel)
    batch.flush()
    for rel in sorted(set(indexed) - set(files)):
        delete_bulletin(cluster, target, rel)
        _record(cluster, target, rel, None)
        report.removed.append(rel)
    if target != live:
        cluster.wait_indexed(target, report.paragraphs)  # see Cluster.wait_indexed
        cluster.wait_indexed(target + MANIFEST_SUFFIX, len(report.added))
        cluster.point_alias(alias, target)
        drop_others(cluster, alias, target)
    elif report.added or report.changed or report.removed:
        # Readers go to any node: what this run wrote is searchable on all when it returns
        # (an upload answers "indexed" right after).
        cluster.wait_like_leader(target)
        # The next run plans from whichever node it reads: every node must hold this manifest.
        kept = len(set(indexed) | set(report.added)) - len(report.removed)
        cluster.wait_indexed(target + MANIFEST_SUFFIX, kept)
    cluster.wait_alias(alias, target)  # … and name the same collection
    report.collection = target
    report.seconds = time.perf_counter() - started
    return report


def _changed(
    files: dict[str, Path], indexed: dict[str, str], fingerprint: str
) -> Iterator[tuple[str, bytes | None, str | None]]:
    """``(rel, bytes, digest)`` of the files that are new or changed; unreadable ones with
    ``None`` bytes (and the reason in place of the digest)."""
    for rel, path in files.items():
        try:
            data = bulletin.load(path, rel)
        except bulletin.BulletinError as err:
            yield rel, None, err.reason
            continue
        digest = file_digest(data, fingerprint)
        if indexed.get(rel) != digest:
            yield rel, data, digest


def _read_file(
    rel: str,
    data: bytes | None,
    digest: str,
    vocab: facets.Vocabulary,
    known: bool,
    report: TsSyncReport,
) -> list[dict] | None:
    """The documents of one bulletin file, counted in the report; None if it is rejected."""
    try:
        if data is None:
            raise bulletin.BulletinError(rel, digest)
        doc = bulletin.parse(bulletin.decode(data, rel), rel)
    except bulletin.BulletinError as err:
        # As in the Whoosh backend: reported and skipped; an older indexed version stays.
        report.rejected.append(Rejected(rel, err.reason))
        return None
    docs = bulletin_documents(doc, vocab, time.time_ns())
    (report.changed if known else report.added).append(rel)
    report.articles += len(doc.articles)
    report.paragraphs += len(docs)
    return docs


class _Batch:
    """Documents of many files imported together (a rebuild's collection is not live yet, so
    one file at a time buys nothing); each file's manifest entry after its documents.

    A batch is sent from a worker thread while the next one is being cut (jieba is CPU, an
    import is a wait on the cluster): one batch in flight at a time, so they land in order.
    """

    def __init__(self, cluster: Cluster, target: str):
        self.cluster, self.target = cluster, target
        self.docs: list[dict] = []
        self.files: list[dict] = []
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ts-import")
        self._sending: Future | None = None

    def add(self, rel: str, digest: str, docs: list[dict]) -> None:
        self.docs += docs
        self.files.append({"id": _file_id(rel), "path": rel, "digest": digest})
        if len(self.docs) >= IMPORT_BATCH:
            self._send()

    def _send(self) -> None:
        if self._sending is not None:
            self._sending.result()  # raises what the previous batch raised
        docs, files, self.docs, self.files = self.docs, self.files, [], []
        self._sending = self._pool.submit(self._import, docs, files)

    def _import(self, docs: list[dict], files: list[dict]) -> None:
        if docs:
            self.cluster.upsert(self.target, docs)
        if files:
            self.cluster.upsert(self.target + MANIFEST_SUFFIX, files)

    def flush(self) -> None:
        """Send what is left and wait for every batch to be in."""
        try:
            self._send()
            self._sending.result()
        finally:
            self._pool.shutdown(wait=True)

"""The Whoosh index: its schema, and ``sync(corpus, index)`` — the one way anything is written.

One Whoosh document per paragraph (``kind=para``), carrying its article's id, title and bylines
so that every paragraph hit can be filtered and grouped on its own. The article's record
(title, date, bylines, facets …) is stored once, on its first paragraph (``head``). One more
document per bulletin file (``kind=file``) records the file's content hash: that *is* the
manifest, so it can never disagree with what the index holds — it is committed in the same
transaction as the paragraphs it describes.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import index as whoosh_index
from whoosh.fields import ID, NUMERIC, STORED, TEXT, Schema
from whoosh.index import LockError

from searchsvc import bulletin, facets
from searchsvc.analysis import gram_analyzer, word_analyzer

BULLETIN_SUFFIXES = {".md", ".txt"}
LOCK_TIMEOUT = 60.0  # seconds a second writer waits for the first before giving up
REJECTED_FILE = "rejected.json"
TITLE_BOOST = 2.0


class IndexBusy(Exception):
    """Another process holds the index's write lock for longer than we are willing to wait."""


def schema() -> Schema:
    """The one place the schema is built."""
    return Schema(
        pid=ID(stored=True, unique=True),
        aid=ID(stored=True, sortable=True),
        kind=ID(),
        src=ID(stored=True),
        n=NUMERIC(stored=True),
        head=ID(),
        text=TEXT(analyzer=word_analyzer(), stored=True, phrase=True),
        title=TEXT(analyzer=word_analyzer(), phrase=False, field_boost=TITLE_BOOST),
        names=TEXT(analyzer=word_analyzer(), phrase=False),
        gram=TEXT(analyzer=gram_analyzer(), phrase=True),
        meta=STORED(),
        filehash=STORED(),
    )


def open_index(index_dir: Path, create: bool = True):
    """Open (or create, empty) the Whoosh index in ``index_dir``."""
    index_dir = Path(index_dir)
    if whoosh_index.exists_in(str(index_dir)):
        return whoosh_index.open_dir(str(index_dir))
    if not create:
        raise FileNotFoundError(f"{index_dir}: 没有索引 / no index here — run `searchsvc index`")
    index_dir.mkdir(parents=True, exist_ok=True)
    return whoosh_index.create_in(str(index_dir), schema())


# --------------------------------------------------------------------------- documents


def article_meta(article: bulletin.Article, found: facets.Facets) -> dict:
    """The article's record, stored on its head paragraph and read back by the search core."""
    return {
        "id": article.id,
        "title": article.title,
        "date": article.date,
        "source": article.source,
        "ordinal": article.ordinal,
        "dateline": article.dateline,
        "reporters": list(article.reporters),
        "correspondents": list(article.correspondents),
        "photographers": list(article.photographers),
        "paragraphs": len(article.paragraphs),
        "paper": article.paper,
        "page": article.page,
        # Facet values are lists, empty when unknown (listed as 未注明 by the search core).
        "organizer": list(found.organizer),
        "host": list(found.host),
        "co_organizer": list(found.co_organizer),
        "district": list(found.district),
        "event_type": list(found.event_type),
    }


def byline_names(article: bulletin.Article) -> str:
    return " ".join([*article.reporters, *article.correspondents, *article.photographers])


def paragraph_docs(article: bulletin.Article, found: facets.Facets) -> Iterator[dict]:
    names = byline_names(article)
    for para in article.paragraphs:
        doc = {
            "pid": f"{article.id}#{para.n}",
            "aid": article.id,
            "kind": "para",
            "src": article.source,
            "n": para.n,
            "text": para.text,
            "title": article.title,
            "names": names,
            # title, body and names in one recall field; the newlines end unit runs, so no
            # phrase can match across the seams.
            "gram": "\n".join((article.title, para.text, names)),
        }
        if para.n == 1:
            doc["head"] = "1"
            doc["meta"] = article_meta(article, found)
        yield doc


# --------------------------------------------------------------------------- sync


@dataclass
class Rejected:
    file: str
    reason: str


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    articles: int = 0
    paragraphs: int = 0
    seconds: float = 0.0

    @property
    def wrote(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def summary(self) -> str:
        if not self.wrote:
            text = "索引已是最新，未写入 / index up to date, nothing written"
        else:
            text = (
                f"新增 {len(self.added)}、更新 {len(self.changed)}、删除 {len(self.removed)} 个文件"
                f"（{self.articles} 篇文章，{self.paragraphs} 段）/ added {len(self.added)}, "
                f"changed {len(self.changed)}, removed {len(self.removed)} files "
                f"({self.articles} articles, {self.paragraphs} paragraphs) in {self.seconds:.2f} s"
            )
        if self.rejected:
            text += f"; 拒收 {len(self.rejected)} 个文件 / {len(self.rejected)} rejected"
        return text


ProgressFn = Callable[[int, int, str], None]


def corpus_files(corpus: Path) -> dict[str, Path]:
    """Bulletin files below ``corpus`` by relative posix path (hidden files and folders skipped)."""
    found: dict[str, Path] = {}
    for path in sorted(Path(corpus).rglob("*")):
        rel = path.relative_to(corpus)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if path.suffix.lower() in BULLETIN_SUFFIXES and path.is_file():
            found[rel.as_posix()] = path
    return found


def manifest(ix) -> dict[str, str]:
    """``{relative path: content hash}`` of the files the index holds."""
    with ix.searcher() as s:
        return {
            fields["src"]: fields["filehash"]
            for fields in (s.stored_fields(d) for d in s.document_numbers(kind="file"))
        }


def sync(
    corpus: Path,
    index_dir: Path,
    progress: ProgressFn | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
    vocab_dir: Path | None = None,
) -> SyncReport:
    """Bring ``index_dir`` in line with the bulletins in ``corpus``: add, replace, delete.

    A file that cannot be read is reported and skipped; if an older version of it is indexed,
    that version stays searchable (nothing is lost to a bad upload). Nothing is written when
    nothing changed. Readers see the old index until the single commit at the end.

    The vocabularies are read first: a malformed one raises ``facets.VocabError`` before anything
    is written. Their fingerprint is part of every file's recorded hash, so editing a vocabulary
    re-extracts every bulletin at the next sync.
    """
    started = time.perf_counter()
    corpus, index_dir = Path(corpus), Path(index_dir)
    if not corpus.is_dir():
        raise FileNotFoundError(f"{corpus}: 语料目录不存在 / corpus folder not found")
    vocab = facets.Vocabulary.load(vocab_dir or facets.VOCAB_DIR)
    ix = open_index(index_dir)
    files = corpus_files(corpus)
    report = SyncReport()
    generation = ix.latest_generation()
    todo, report.removed, indexed = _plan(ix, files, vocab.fingerprint)
    if todo or report.removed:
        writer = _writer(ix, index_dir, lock_timeout)
        try:
            if ix.latest_generation() != generation:
                # Another run committed while we waited for the lock: plan again.
                todo, report.removed, indexed = _plan(ix, files, vocab.fingerprint)
            for rel in report.removed:
                writer.delete_by_term("src", rel)
            for i, (rel, data, digest) in enumerate(todo, 1):
                try:
                    doc = bulletin.parse(bulletin.decode(data, rel), rel)
                except bulletin.BulletinError as err:
                    report.rejected.append(Rejected(rel, err.reason))
                else:
                    (report.changed if rel in indexed else report.added).append(rel)
                    _replace_file(writer, rel, digest, doc, vocab, report)
                if progress:
                    progress(i, len(todo), rel)
            if report.wrote:
                writer.commit()
            else:
                writer.cancel()  # only unreadable files: nothing to write
        except BaseException:
            writer.cancel()
            raise
    write_rejected(index_dir, report.rejected)
    report.seconds = time.perf_counter() - started
    return report


def _plan(
    ix, files: dict[str, Path], vocab_fingerprint: str
) -> tuple[list[tuple[str, bytes, str]], list[str], dict]:
    """Files whose content differs from the manifest (with bytes and hash), removals, manifest."""
    indexed = manifest(ix)
    todo = []
    for rel, path in files.items():
        data = path.read_bytes()
        digest = file_digest(data, vocab_fingerprint)
        if indexed.get(rel) != digest:
            todo.append((rel, data, digest))
    return todo, sorted(set(indexed) - set(files)), indexed


def file_digest(data: bytes, vocab_fingerprint: str) -> str:
    """What the manifest records for a file: its content hash and the vocabularies it was read
    with (facets depend on both)."""
    return f"{hashlib.sha256(data).hexdigest()}:{vocab_fingerprint[:16]}"


def _writer(ix, index_dir: Path, lock_timeout: float):
    try:
        return ix.writer(timeout=lock_timeout)
    except LockError as err:
        raise IndexBusy(
            f"{index_dir}: 另一个索引进程正在写入，已等待 {lock_timeout:.0f} 秒 / another index "
            f"run holds the write lock (waited {lock_timeout:.0f} s); try again when it ends"
        ) from err


def _replace_file(
    writer,
    rel: str,
    digest: str,
    doc: bulletin.Bulletin,
    vocab: facets.Vocabulary,
    report: SyncReport,
):
    writer.delete_by_term("src", rel)
    writer.add_document(kind="file", src=rel, filehash=digest)
    for article in doc.articles:
        report.articles += 1
        for para_doc in paragraph_docs(article, facets.extract(article, vocab)):
            report.paragraphs += 1
            writer.add_document(**para_doc)


def write_rejected(index_dir: Path, rejected: list[Rejected]) -> None:
    """Record the files the last sync refused (for /api/health); atomic, and only if changed."""
    path = Path(index_dir) / REJECTED_FILE
    data = json.dumps([asdict(r) for r in rejected], ensure_ascii=False, indent=1)
    if path.exists() and path.read_text(encoding="utf-8") == data:
        return
    fd, tmp = tempfile.mkstemp(dir=index_dir, prefix=".rejected-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(data)
    os.replace(tmp, path)


def read_rejected(index_dir: Path) -> list[dict]:
    path = Path(index_dir) / REJECTED_FILE
    if not path.exists():
        return []
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []


def stats(ix) -> dict[str, int]:
    """How many bulletin files, articles and paragraphs the index holds."""
    with ix.searcher() as s:
        return counts(s)


def counts(searcher) -> dict[str, int]:
    """``stats`` as one open searcher sees it."""
    files = sum(1 for _ in searcher.document_numbers(kind="file"))
    articles = sum(1 for _ in searcher.document_numbers(head="1"))
    return {"files": files, "articles": articles, "paragraphs": searcher.doc_count() - files}

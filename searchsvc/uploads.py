"""Uploaded bulletins: checked, then saved atomically into the corpus (the sync does the rest).

A file is read exactly as the index will read it *before* it is saved, so a bad upload is
refused with the reason and never lands in the corpus. The name is the only part of the path a
client chooses, and it may not name a folder: ``../../x.md`` is refused, not cleaned up.
"""

from __future__ import annotations

import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from searchsvc import bulletin
from searchsvc.errors import UploadError
from searchsvc.records import article_url
from searchsvc.reindexer import Run

MAX_UPLOAD_BYTES = bulletin.MAX_BYTES + 64 * 1024  # the file plus multipart overhead
MAX_NAME_CHARS = 120
SYNC_WAIT_SECONDS = 60.0  # how long an upload waits for its sync before answering 202
_SEPARATORS = re.compile(r"[/\\\x00]")


@dataclass
class Saved:
    name: str
    replaced: bool
    articles: list[tuple[str, str]]  # (id, title)


def check_name(name: str) -> str:
    """The file name to save under, or UploadError: no folders, no hidden or odd names."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise UploadError(400, "no_filename", "缺少文件名 / the upload has no file name")
    bad = (
        _SEPARATORS.search(name)
        or name.startswith(".")
        or ".." in name
        or any(unicodedata.category(ch).startswith("C") for ch in name)
    )
    if bad:
        raise UploadError(
            400,
            "bad_filename",
            f"文件名不能包含路径、以点开头或含控制字符：{name[:60]!r} / the file name must be a "
            "plain name: no folders, no leading dot, no control characters",
        )
    if len(name) > MAX_NAME_CHARS:
        raise UploadError(
            400, "bad_filename", f"文件名过长 / file name longer than {MAX_NAME_CHARS} characters"
        )
    if Path(name).suffix.lower() not in bulletin.BULLETIN_SUFFIXES:
        raise UploadError(
            400,
            "bad_filename",
            "只接受 .md 或 .txt 文件 / only .md and .txt bulletins are accepted",
        )
    return name


def check_content(name: str, data: bytes) -> bulletin.Bulletin:
    if len(data) > bulletin.MAX_BYTES:
        raise UploadError(
            413, "too_large", f"文件过大 / file larger than {bulletin.MAX_BYTES} bytes"
        )
    try:
        return bulletin.parse(bulletin.decode(data, name), name)
    except bulletin.BulletinError as err:
        raise UploadError(400, "bad_bulletin", f"{name}: {err.reason}") from None


def save(corpus: Path, name: str, data: bytes, replace: bool = False) -> Saved:
    """Check ``name`` and ``data``, then write ``corpus/name`` atomically (temp file + rename)."""
    name = check_name(name)
    doc = check_content(name, data)
    target = Path(corpus) / name
    existed = target.exists()
    if existed and not replace:
        raise UploadError(
            409,
            "exists",
            f"语料中已有 {name}，如要替换请加 replace=1 / {name} is already in the corpus; "
            "add replace=1 to replace it",
        )
    # A hidden temp name in the corpus itself: the sync skips hidden files, and the rename is
    # atomic because it stays on one file system.
    fd, tmp = tempfile.mkstemp(dir=corpus, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return Saved(name, existed, [(a.id, a.title) for a in doc.articles])


def outcome(saved: Saved, run: Run | None) -> tuple[dict, int]:
    """The answer to an upload: 201 indexed, 202 still queued, 422 rejected, 503 sync failed."""
    body = {
        "file": saved.name,
        "replaced": saved.replaced,
        "articles": [{"id": a, "title": t, "url": article_url(a)} for a, t in saved.articles],
    }
    if run is None:
        return {**body, "status": "queued"}, 202
    if run.error:
        return {
            **body,
            "status": "error",
            "error": {"code": "sync_failed", "message": run.error},
        }, 503
    rejected = next((r for r in run.report.rejected if r.file == saved.name), None)
    if rejected is not None:
        error = {"code": "rejected", "message": rejected.reason}
        return {**body, "status": "rejected", "error": error}, 422
    return {**body, "status": "indexed"}, 201

"""The vocabulary folder staff edit (``searchsvc/vocab/``, or ``SEARCHSVC_VOCAB``): where it is,
how its files are read and checked (``VocabError`` says ``path:line: reason``), and the
fingerprint that tells the index everything must be read again after an edit — of a vocabulary
file, or of the extractor's code (``EXTRACTOR_VERSION``).

What the files mean is their readers' business: ``facets_vocab`` (organizers, districts, event
types), ``lexicon`` (synonyms, stop words), ``analysis`` (jieba's user dictionary).
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import NoReturn

VOCAB_DIR = Path(__file__).parent / "vocab"
USERDICT = "userdict.txt"  # jieba's user dictionary, in the vocabulary folder
USERDICT_PATH = VOCAB_DIR / USERDICT

# What a page's bytes become in the index is the vocabularies' doing and the extractor's code's:
# a change to either must have every page read again. The code's part is this number, bumped
# by hand when what these modules make of the same bytes changes (not a digest of their source:
# a comment or a refactor would have the whole archive read again). ``tests/test_vocabulary.py``
# keeps a digest of the modules' code (comments, docstrings and layout left out) per version and
# fails when it changes, so a change to them is never made without deciding whether to bump.
# Version 1 adds nothing to the fingerprint: indexes made before versions were counted are
# taken to be version 1, not read again for nothing.
EXTRACTOR_VERSION = 1
EXTRACTOR_MODULES = (
    "bulletin", "bylines", "article", "facets", "facets_report", "facets_places",
    "facets_venues", "facets_vocab", "documents", "analysis",
)  # fmt: skip


class VocabError(Exception):
    """A vocabulary file staff cannot have meant. str(e) == f"{path}:{line}: {reason}"."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        super().__init__(f"{path}:{line}: {reason}" if line is not None else f"{path}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


def fingerprint(folder: Path = VOCAB_DIR) -> str:
    """sha256 over the vocabulary files (every *.toml and userdict.txt), names and bytes, and
    the extractor's version (see ``EXTRACTOR_VERSION``)."""
    digest = hashlib.sha256()
    files = [*Path(folder).glob("*.toml"), Path(folder) / USERDICT]
    for path in sorted({p for p in files if p.is_file()}, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    if EXTRACTOR_VERSION != 1:
        digest.update(b"extractor\0%d\0" % EXTRACTOR_VERSION)
    return digest.hexdigest()


class TomlFile:
    """One TOML vocabulary file, read and parsed, that knows where its keys are written."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise VocabError(path, None, "缺少词表文件 / vocabulary file missing") from None
        except (OSError, UnicodeDecodeError) as err:
            raise VocabError(
                path, None, f"无法读取 / cannot read (UTF-8 expected): {err}"
            ) from None
        try:
            self.data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as err:
            # tomllib says where only inside its message: "Invalid value (at line 3, column 9)".
            m = re.search(r"\s*\(at line (\d+), column \d+\)", str(err))
            line, detail = (int(m.group(1)), str(err).replace(m.group(0), "")) if m else (None, err)
            raise VocabError(path, line, f"{_MALFORMED}: {detail}") from None

    def line_of(self, table: str | None, key: str | None = None) -> int | None:
        """Best-effort line of `key = …` in [table], or of the [table] header itself."""
        lines, start, end = self.text.split("\n"), 0, None
        if table is not None and key is not None:
            header = re.compile(rf'\s*\[\s*["\']?{re.escape(table)}["\']?\s*\]\s*(#.*)?$')
            start = next((i for i, line in enumerate(lines) if header.match(line)), None)
            if start is None:
                return None
            ends = (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("["))
            end = next(ends, None)
        name = key if key is not None else table
        target = re.compile(rf'\s*\[?\s*["\']?{re.escape(str(name))}["\']?\s*[=\]]')
        return next(
            (i + 1 for i in range(start, end or len(lines)) if target.match(lines[i])), None
        )

    def fail(self, reason: str, table: str | None, key: str | None = None) -> NoReturn:
        raise VocabError(self.path, self.line_of(table, key), f"{_MALFORMED}: {reason}")

    def only(self, table: str | None, known: Iterable[str]) -> dict:
        """The [table] (None: the whole file), checked to hold no unknown key (a typo)."""
        section = self.data if table is None else self.data.get(table)
        if not isinstance(section, dict):
            self.fail(f"缺少 [{table}] 表 / missing table [{table}]", table)
        for key in (k for k in section if k not in known):
            self.fail(f"未知的键 / unknown key {key!r}", table, key)
        return section

    def lists(
        self, table: str, keys: Iterable[str], required: Iterable[str] = ()
    ) -> dict[str, tuple[str, ...]]:
        """The lists of strings of one [table], each checked: strings, none empty."""
        section, found = self.only(table, keys), {}
        for key in keys:
            value = section.get(key, None if key in required else [])
            if value is None:
                self.fail(f"{table}.{key} 缺少 / missing", table, key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.fail(f"{table}.{key} 应为字符串列表 / must be a list of strings", table, key)
            if any(not v.strip() for v in value):
                self.fail(f"{table}.{key} 含空关键词 / contains an empty keyword", table, key)
            if key in required and not value:
                self.fail(f"{table}.{key} 不能为空 / must not be empty", table, key)
            found[key] = tuple(v.strip() for v in value)
        return found


_MALFORMED = "词表格式错误 / malformed vocabulary"

"""Query-time vocabularies staff edit: synonyms, and the words a relaxed query may leave out.

Both are read from the vocabulary folder and re-read when a file changes, so an edit applies to
the next search without a reindex (unlike the facet vocabularies and the user dictionary, which
shape the index itself).
"""

from __future__ import annotations

import threading
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.analysis import normalize
from searchsvc.vocabulary import VOCAB_DIR, TomlFile, VocabError

SYNONYMS = "synonyms.toml"
STOPWORDS = "stopwords.txt"


@dataclass(frozen=True)
class Lexicon:
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)  # term → its group
    stopwords: frozenset[str] = frozenset()

    @classmethod
    def load(cls, folder: Path = VOCAB_DIR) -> Lexicon:
        return cls(_synonyms(Path(folder) / SYNONYMS), _stopwords(Path(folder) / STOPWORDS))


def _synonyms(path: Path) -> dict[str, tuple[str, ...]]:
    if not path.exists():
        return {}
    toml = TomlFile(path)
    toml.only(None, ("groups",))
    groups = toml.data.get("groups", [])
    ok = isinstance(groups, list) and all(
        isinstance(g, list) and len(g) >= 2 and all(isinstance(w, str) and w.strip() for w in g)
        for g in groups
    )
    if not ok:
        toml.fail(
            '须为 groups = [["词甲", "词乙"], …] / expected groups = [["a", "b"], …]', "groups"
        )
    found: dict[str, tuple[str, ...]] = {}
    for group in groups:
        terms = tuple(dict.fromkeys(normalize(w.strip()) for w in group))
        for term in terms:
            found[term] = tuple(dict.fromkeys((*found.get(term, ()), *terms)))
    return found


def _stopwords(path: Path) -> frozenset[str]:
    if not path.exists():
        return frozenset()
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(normalize(s.strip()) for s in lines if s.strip() and not s.startswith("#"))


class LexiconCache:
    """The lexicon of a folder, re-read when one of its files changes (one stat per file)."""

    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder or VOCAB_DIR)
        self._lock = threading.Lock()
        self._stamp: tuple = ()
        self._lexicon = Lexicon.load(self.folder)  # a broken file fails loudly at start-up
        self._stamp = self._current_stamp()

    def _current_stamp(self) -> tuple:
        stamps = []
        for name in (SYNONYMS, STOPWORDS):
            try:
                st = (self.folder / name).stat()
                stamps.append((st.st_mtime_ns, st.st_size))
            except FileNotFoundError:
                stamps.append(None)
        return tuple(stamps)

    def get(self) -> Lexicon:
        stamp = self._current_stamp()
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    # A broken edit: keep serving with the last good one.
                    with suppress(VocabError):
                        self._lexicon = Lexicon.load(self.folder)
                    self._stamp = stamp
        return self._lexicon

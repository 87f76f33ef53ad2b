"""The ``gram`` and ``unit`` tokens of many paragraphs at once, as integer codes, with numpy.

``analysis.UnitBigramTokenizer`` and ``UnitTokenizer`` cut one text at a time in Python, and the
bulk writer then looked every token up in a dictionary to number it: for the two fields with
the most tokens (~60 and ~50 a paragraph) that was a fifth of a cold build. Here the texts of
many paragraphs are read as one array of code points. Each character's class (Han, other
letter or digit, neither) comes from a table made with ``analysis``'s own regular expressions,
so units and runs are cut exactly as there; a unit is a number — a Han character's (or a
one-character unit's) code point, or ``LONG + k`` for the k-th distinct longer unit (a run of
Latin letters or digits, ``2025``, ``peu``) — and a bigram is ``first << 32 | second``, the run's
last unit with ``$`` being ``unit << 32`` (no unit is 0). Term strings are made only once per
distinct code (``Units.term``), for the flat file's term keys.

``tests/test_analysis.py`` checks on real pages that the rows are the analyzers' tokens.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from searchsvc import termfiles
from searchsvc.analysis import _HAN, RUN_END
from searchsvc.flatpostings import _ranges

LONG = 0x110000  # first code of a unit longer than one character (past every code point)
_SEP = "\n"  # between two texts: no unit, so runs end there


@lru_cache(maxsize=1)
def _classes() -> np.ndarray:
    """Per code point: 1 a Han unit, 2 a character of a Latin/digit unit, 0 neither — the
    character classes of ``analysis._UNIT_RE``, read off the expressions themselves."""
    every = "".join(map(chr, range(LONG)))
    table = np.zeros(LONG, np.uint8)
    for cls, pattern in ((2, rf"[^\W_{_HAN}]"), (1, rf"[{_HAN}]")):
        found = [m.start() for m in re.finditer(pattern, every)]
        table[np.asarray(found, np.int64)] = cls
    return table


class Units:
    """The longer units met so far (text → code), and the term string of a code."""

    def __init__(self):
        self.codes: dict[str, int] = {}
        self.texts: list[str] = []

    def code(self, text: str) -> int:
        got = self.codes.get(text)
        if got is None:
            got = self.codes[text] = LONG + len(self.texts)
            self.texts.append(text)
        return got

    def unit(self, code: int) -> str:
        return chr(code) if code < LONG else self.texts[code - LONG]

    def term(self, code: int) -> str:
        """A bigram code's term (``gram``); a unit code below ``1 << 32`` is the unit itself."""
        first, second = code >> 32, code & 0xFFFFFFFF
        if not first:
            return self.unit(second)
        return self.unit(first) + (self.unit(second) if second else RUN_END)


class Rows(NamedTuple):
    """The units of a list of texts, in order: each unit's code, its text's index, its
    ``gram`` term (bigram code) and position."""

    units: np.ndarray  # uint64
    texts: np.ndarray  # int64: which text (index in the list given)
    grams: np.ndarray  # uint64
    positions: np.ndarray  # uint32
    counts: np.ndarray  # int64, per text: its units (= its gram tokens)


def rows(texts: list[str], units: Units) -> Rows:
    """Every unit of ``texts`` (normalised), with its bigram term and position as
    ``UnitBigramTokenizer.index_columns`` gives them: a run's units at consecutive positions,
    one position left out between runs."""
    big = _SEP.join(texts)
    cp = np.frombuffer(big.encode("utf-32-le", "surrogatepass"), "<u4")
    cls = _classes()[cp]
    n = len(cp)
    prev = np.empty(n, np.uint8)
    prev[:1] = 0
    prev[1:] = cls[:-1]
    # a unit starts at a Han character, or at a Latin/digit character after another class
    start = np.flatnonzero((cls == 1) | ((cls == 2) & (prev != 2)))
    run_start = prev[start] == 0
    codes = cp[start].astype(np.uint64)
    long_ = np.flatnonzero((cls[start] == 2) & (_next(cls, start) == 2))
    if len(long_):
        latin = (cls == 2).view(np.int8)
        ends = np.flatnonzero(np.diff(np.concatenate((latin, [0]))) == -1) + 1
        cut = ends[np.searchsorted(ends, start[long_], side="right")]
        code = units.code
        codes[long_] = [code(big[a:b]) for a, b in zip(start[long_].tolist(), cut.tolist(), strict=True)]  # fmt: skip
    # which text each unit is in, and its place there
    lengths = np.fromiter(map(len, texts), np.int64, len(texts))
    text_starts = np.concatenate(([0], np.cumsum(lengths + 1)[:-1]))
    text_of = np.searchsorted(text_starts, start, side="right") - 1
    counts = np.bincount(text_of, minlength=len(texts))
    first = np.concatenate(([0], np.cumsum(counts)[:-1]))
    runs = np.cumsum(run_start)  # runs up to and including each unit's
    runs_before = np.concatenate(([0], runs))[first][text_of]
    unit_index = np.arange(len(start)) - first[text_of]
    positions = (unit_index + runs - 1 - runs_before).astype(np.uint32)
    second = np.zeros(len(start), np.uint64)
    last = np.ones(len(start), bool)
    last[:-1] = run_start[1:]
    second[~last] = codes[1:][~last[:-1]]
    grams = (codes << np.uint64(32)) | second
    return Rows(codes, text_of, grams, positions, counts)


def _next(cls: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The class of the character after each of ``at`` (0 past the end)."""
    after = at + 1
    out = np.zeros(len(at), np.uint8)
    inside = after < len(cls)
    out[inside] = cls[after[inside]]
    return out


class Gathered:
    """One field's rows (``gram``: bigram code, document, position; ``unit``: unit code and
    document, one row per distinct unit of a document), gathered a chunk of documents at a
    time; ``arrays`` sorts them into a field's postings, as ``termfiles.FieldPostings`` does
    for the other fields."""

    def __init__(self, positional: bool):
        self.positional = positional
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray | None]] = []

    def add(self, r: Rows, docnums: np.ndarray) -> None:
        """``r`` of texts whose documents are ``docnums`` (uint32, ascending)."""
        docs = docnums[r.texts]
        if self.positional:
            self.parts.append((r.grams, docs, r.positions))
            return
        keys = np.sort((docs.astype(np.uint64) << np.uint64(32)) | r.units)
        keys = keys[_changes(keys)]  # Existence: a unit once per document
        self.parts.append((keys & np.uint64(0xFFFFFFFF), (keys >> np.uint64(32)), None))

    def arrays(self, units: Units, boost: float, by_key) -> termfiles.TermArrays:
        """The rows as ``termfiles.TermArrays``, terms in the order of their keys (``by_key``
        of their strings). One stable sort of the codes (rows came in document order, so
        documents and positions stay in order within a term); the terms then put in key order
        by moving whole runs, not by sorting the rows again."""
        parts, self.parts = self.parts, []
        codes = np.concatenate([p[0] for p in parts])
        docs = np.concatenate([p[1] for p in parts])
        positions = np.concatenate([p[2] for p in parts]) if self.positional else None
        order = np.argsort(codes, kind="stable")
        codes = codes[order]
        first = np.flatnonzero(_changes(codes))
        terms = [units.term(c) for c in codes[first].tolist()]
        keys = by_key(terms)
        by = np.argsort(keys, kind="stable")
        keys = keys[by]
        if len(keys) > 1 and not (keys[1:] != keys[:-1]).all():
            raise ValueError("two terms share a key")
        runs = np.diff(np.append(first, len(codes)))[by]
        take = order[_ranges(first[by], runs)]
        docs = docs[take].astype(np.uint32)
        term_of = np.repeat(np.arange(len(by), dtype=np.uint64), runs)
        names = [terms[i] for i in by.tolist()]
        if not self.positional:  # one row per posting already (distinct units per document)
            starts = np.concatenate(([0], np.cumsum(runs))).astype(np.int64)
            weights = np.full(len(docs), boost, np.float32)
            return termfiles.TermArrays(names, starts, docs.astype(np.int32), weights, keys=keys)
        positions = positions[take]
        key = (term_of << np.uint64(32)) | docs
        heads = np.flatnonzero(_changes(key))
        pos_starts = np.append(heads, len(key)).astype(np.int64)
        weights = (np.diff(pos_starts) * boost).astype(np.float32)
        starts = np.searchsorted(term_of[heads], np.arange(len(by) + 1)).astype(np.int64)
        return termfiles.TermArrays(names, starts, docs[heads].astype(np.int32), weights,
                                    positions=positions.astype(np.uint32),
                                    pos_starts=pos_starts, keys=keys)  # fmt: skip


def _changes(values: np.ndarray) -> np.ndarray:
    """Where a sorted array's value changes (True at the first element)."""
    out = np.ones(len(values), bool)
    np.not_equal(values[1:], values[:-1], out=out[1:])
    return out


class Coded:
    """A segment's fields cut here (name → positional): their normalised texts wait, per field
    (document numbers, texts), and are cut a chunk of documents at a time — once for fields
    given the same texts (``gram`` and ``unit``)."""

    def __init__(self, fields: dict[str, bool]):
        self.gathered = {name: Gathered(positional) for name, positional in fields.items()}
        self.waiting: dict[str, tuple[list[int], list[str]]] = {n: ([], []) for n in fields}
        self.units = Units()

    def waits(self) -> int:
        """The documents waiting (the most of any field)."""
        return max((len(w[0]) for w in self.waiting.values()), default=0)

    def cut(self) -> list[tuple[str, list[int], list[int]]]:
        """Cut what waits into rows; per field cut, its documents and their units (lengths)."""
        done: dict[tuple, Rows] = {}
        out = []
        for name, (docnums, texts) in self.waiting.items():
            if not docnums:
                continue
            key = (tuple(docnums), tuple(map(id, texts)))
            got = done.get(key)
            if got is None:
                got = done[key] = rows(texts, self.units)
            self.gathered[name].add(got, np.asarray(docnums, np.uint32))
            out.append((name, list(docnums), got.counts.tolist()))
        for docnums, texts in self.waiting.values():
            docnums.clear()
            texts.clear()
        return out

    def arrays(self, name: str, boost: float, by_key) -> termfiles.TermArrays | None:
        """A field's rows as ``termfiles.TermArrays``; None if it has none."""
        gathered = self.gathered[name]
        return gathered.arrays(self.units, boost, by_key) if gathered.parts else None

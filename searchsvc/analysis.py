"""Text analysis: normalisation, the jieba word tokenizer and the unit-bigram tokenizer.

Two analyzers feed the index:

* ``word_analyzer()`` — jieba words. Index mode adds jieba's search-mode sub-words (北京市总工会 →
  北京, 京市, 总工会 …) at the *same position* as the word that holds them, so positions count
  words, not characters (the stock ``ChineseAnalyzer`` uses character offsets of overlapping tokens,
  which breaks phrase queries). Query mode is jieba's precise mode.
* ``gram_analyzer()`` — the recall device. Text is cut into *units* (one Han character, or one run of
  Latin letters/digits) and every pair of neighbouring units within a run of text is a term, with
  word positions; the last unit of a run also gets ``unit + "$"``. A string that occurs literally in
  the text is then a phrase of its unit bigrams (or, for a single unit, a prefix), whatever jieba
  made of it.
* ``unit_analyzer()`` — the units themselves, one term each (positions are not kept: phrases are
  matched on the bigrams). A single character is then one posting list, not a prefix of
  thousands of bigrams.

Both work on ``normalize(text)``: NFKC (full-width Latin, digits and punctuation → half-width) and
lower case. The stored text keeps what the page said; ``normalize_map`` maps positions back so that
highlights land on the printed characters.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from contextlib import contextmanager
from functools import lru_cache
from itertools import accumulate, chain, islice
from operator import itemgetter
from pathlib import Path

import rjieba
from whoosh.analysis import Analyzer, Token, Tokenizer

from searchsvc.vocabulary import USERDICT_PATH

# Han ideographs (CJK unified, extension A, compatibility) and the other letters we treat as
# "Latin-like" runs: any alphanumeric that is not Han.
_HAN = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_UNIT_RE = re.compile(rf"[{_HAN}]|[^\W_{_HAN}]+")
_RUN_RE = re.compile(rf"(?:[{_HAN}]|[^\W_{_HAN}]+)+")  # a maximal run of touching units
_HAN_RE = re.compile(rf"[{_HAN}]")
_HAN_RUN_RE = re.compile(rf"[{_HAN}]+")
RUN_END = "$"


# --------------------------------------------------------------------------- normalisation


def _fold(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def normalize(text: str) -> str:
    """The form every index term and every literal comparison is made in."""
    fast = unicodedata.normalize("NFKC", text).lower()
    return fast if len(fast) == len(text) else normalize_map(text)[0]


def normalize_lines(text: str, known: dict[str, str | None]) -> str:
    """``normalize(text)``, made from its lines' forms, which ``known`` keeps (a line → its form,
    or None when NFKC and lower case change its length) — a paragraph's title and bylines, and
    its text that the ``text`` field normalises again, are done once. NFKC and lower case never
    act across a newline (it composes with nothing and is neither cased nor case-ignorable), so
    when every line keeps its length the joined forms are ``normalize(text)``; otherwise that is
    computed whole."""
    out = []
    for line in text.split("\n"):
        form = known.get(line, False)
        if form is False:
            fast = unicodedata.normalize("NFKC", line).lower()
            form = known[line] = fast if len(fast) == len(line) else None
        if form is None:
            return normalize(text)
        out.append(form)
    return "\n".join(out)


def normalize_map(text: str) -> tuple[str, list[int]]:
    """``(normalised, origin)`` where ``origin[i]`` is the index in ``text`` of normalised char i.

    ``origin`` has one extra entry, ``len(text)``, so that an end offset maps too.
    """
    fast = unicodedata.normalize("NFKC", text).lower()
    if len(fast) == len(text):
        # The common case (full-width → half-width, case): one char for one char.
        return fast, list(range(len(text) + 1))
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold(ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    origin.append(len(text))
    return "".join(out), origin


@lru_cache(maxsize=1)
def _t2s():
    import opencc  # loaded on first use: its dictionaries take a moment

    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    """Traditional → simplified (OpenCC, phrase-aware: 著名 and 乾隆 stay as they are)."""
    return _t2s().convert(text) if text else text


def units(norm: str) -> list[tuple[str, int, int]]:
    """The units of normalised text: ``(unit, start, end)`` for each Han char or Latin/digit run."""
    return [(m.group(), m.start(), m.end()) for m in _UNIT_RE.finditer(norm)]


def unit_runs(norm: str) -> list[list[tuple[str, int, int]]]:
    """Units grouped into runs: neighbours with nothing (no space, no punctuation) between them."""
    runs: list[list[tuple[str, int, int]]] = []
    prev_end = -1
    for unit in units(norm):
        if unit[1] != prev_end or not runs:
            runs.append([])
        runs[-1].append(unit)
        prev_end = unit[2]
    return runs


def gram_terms(run: list[tuple[str, int, int]]) -> list[str]:
    """Index terms of one run: bigrams of neighbouring units, then the last unit + ``$``."""
    terms = [run[i][0] + run[i + 1][0] for i in range(len(run) - 1)]
    terms.append(run[-1][0] + RUN_END)
    return terms


def has_han(text: str) -> bool:
    return bool(_HAN_RE.search(text))


# --------------------------------------------------------------------------- jieba


_jieba_lock = threading.Lock()
_FIRST, _SECOND = itemgetter(0), itemgetter(1)
# How jieba's Python HMM path splits a run of non-Han characters (``finalseg.re_skip``): jieba-rs
# keeps ``f-22`` or ``1-8`` whole where jieba gives ``f`` ``-`` ``22``; we cut as jieba does.
_NON_HAN_SKIP = re.compile(r"([a-zA-Z0-9]+(?:\.\d+)?%?)")
_JIEBA_HAN = re.compile(r"[\u4E00-\u9FD5]")


def jieba_tokenizer(userdict: str = str(USERDICT_PATH)) -> rjieba.Jieba:
    """A private jieba-rs instance with our user dictionary (the default one is left alone).

    jieba-rs (``rjieba``) cuts ~6x faster than jieba and, with the non-Han split below, gives
    the same tokens on this archive (``tests/test_analysis.py`` compares them on real pages).
    Keyed by the dictionary file's size and mtime as well as its path: staff edit it, and a
    long-lived process (the server, its sync worker) must cut words with the new one — the
    edit changes the vocabulary fingerprint, so the next sync re-reads every bulletin with it.
    """
    try:
        st = Path(userdict).stat()
        stamp = (st.st_mtime_ns, st.st_size)
    except OSError:
        stamp = None
    return _tokenizer(userdict, stamp)


@lru_cache(maxsize=4)
def _tokenizer(userdict: str, stamp: tuple[int, int] | None) -> rjieba.Jieba:
    with _jieba_lock:
        tk = rjieba.Jieba()
        path = Path(userdict)
        if path.is_file():
            for line in path.read_text(encoding="utf-8-sig").splitlines():
                # jieba's user dictionary format: word [freq] [tag]
                parts = line.split()
                if parts:
                    freq = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
                    tk.add_word(parts[0], freq, parts[-1] if len(parts) > 2 else None)
        return tk


def words(text: str, mode: str = "query", userdict: str = str(USERDICT_PATH)) -> list[str]:
    """Normalised words of ``text`` (no punctuation or spaces); index mode adds sub-words."""
    return [t for t, _pos, _s, _e in word_tokens(normalize(text), mode, userdict)]


def word_tokens(norm: str, mode: str, userdict: str = str(USERDICT_PATH)):
    """``(word, position, start, end)`` over normalised text.

    Positions count precise-mode words. In index mode, the dictionary sub-words of a long word are
    added at that word's position, as jieba's search mode picks them.
    """
    return _word_tokens(norm, mode, userdict, jieba_tokenizer(userdict))


@lru_cache(maxsize=512)  # a title and its bylines come once per paragraph of the article
def _word_tokens(norm: str, mode: str, userdict: str, tk) -> tuple:
    has_word = tk.has_word
    out = []
    pos = -1
    for word, start, end in _cut(tk, norm):
        if not _UNIT_RE.search(word):
            continue  # punctuation and white space are not words
        pos += 1
        out.append((word, pos, start, end))
        if mode == "index" and len(word) > 2:
            # Like jieba's search mode, but every dictionary sub-word, not only 2- and 3-grams:
            # 巾帼劳模工匠 must also index 劳模工匠.
            for n in range(2, len(word)):
                for i in range(len(word) - n + 1):
                    sub = word[i : i + n]
                    if has_word(sub):
                        out.append((sub, pos, start + i, start + i + n))
    return tuple(out)


def _cut(tk, norm: str):
    for word, start, end in tk.tokenize(norm, "default", True):
        if len(word) == 1 or _JIEBA_HAN.search(word):
            yield word, start, end
            continue
        for piece in _NON_HAN_SKIP.split(word):
            if piece:
                yield piece, start, start + len(piece)
                start += len(piece)


@lru_cache(maxsize=4)
def _expansions(tk) -> dict[str, tuple[tuple[str, ...], tuple[int, ...]]]:
    """What index mode makes of one word jieba cut, by word (a dictionary per tokenizer): its
    terms and their steps (``_expand``)."""
    return {}


def _expand(tk, word: str) -> tuple[tuple[str, int], ...]:
    """``_word_tokens`` (index mode) of the one word ``word`` as jieba cut it: ``(term, step)``,
    ``step`` 1 for a term at a new position, 0 for a sub-word at the position before it. It
    depends on the word alone, so it is computed once per distinct word."""
    out = []
    for piece, _start, _end in _cut_one(word):
        if not _UNIT_RE.search(piece):
            continue
        out.append((piece, 1))
        if len(piece) > 2:
            for n in range(2, len(piece)):
                for i in range(len(piece) - n + 1):
                    if tk.has_word(sub := piece[i : i + n]):
                        out.append((sub, 0))
    return tuple(out)


def _cut_one(word: str):
    if len(word) == 1 or _JIEBA_HAN.search(word):
        yield word, 0, len(word)
        return
    start = 0
    for piece in _NON_HAN_SKIP.split(word):
        if piece:
            yield piece, start, start + len(piece)
            start += len(piece)


def index_word_columns(norm: str, userdict: str = str(USERDICT_PATH)):
    """``word_tokens(norm, "index")`` as two lists, terms and positions (what the bulk writer
    indexes; no offsets): jieba's cut, then each distinct word's terms and position steps from
    a cache, chained and summed without a Python step per word."""
    tk = getattr(_pinned, "tokenizers", {}).get(userdict) or jieba_tokenizer(userdict)
    known = _expansions(tk)
    words = tk.cut(norm, True)
    for word in set(words).difference(known):
        exp = _expand(tk, word)
        known[word] = (tuple(t for t, _s in exp), tuple(s for _t, s in exp))
    pairs = list(map(known.__getitem__, words))
    terms = list(chain.from_iterable(map(_FIRST, pairs)))
    steps = chain.from_iterable(map(_SECOND, pairs))
    return terms, list(islice(accumulate(steps, initial=-1), 1, None))


_pinned = threading.local()


@contextmanager
def tokenizers_pinned(userdict: str = str(USERDICT_PATH)):
    """Within it (in this thread), ``index_word_columns`` uses the jieba instance the user
    dictionary gives now, without looking at the file again for every paragraph: a batch of
    documents is read with one dictionary, the one its vocabulary fingerprint was taken with."""
    before = getattr(_pinned, "tokenizers", None)
    _pinned.tokenizers = {**(before or {}), userdict: jieba_tokenizer(userdict)}
    try:
        yield
    finally:
        _pinned.tokenizers = before or {}


# --------------------------------------------------------------------------- Whoosh pieces


class NormalizedTokenizer(Tokenizer):
    """A Whoosh tokenizer over ``normalize(value)`` whose chars map back to the printed text.

    Subclasses yield ``(term, position, start, end)`` with offsets into the normalised text.
    """

    def terms(self, norm: str, mode: str):
        raise NotImplementedError

    def index_terms(self, norm: str) -> list[tuple[str, int]]:
        """``(term, position)`` of ``terms(norm, "index")``."""
        return list(zip(*self.index_columns(norm), strict=True))

    def index_columns(self, norm: str) -> tuple[list[str], list[int]]:
        """``index_terms`` as two lists, terms and positions — what the bulk writer indexes;
        subclasses make it faster where offsets cost."""
        toks = list(self.terms(norm, "index"))
        return [t[0] for t in toks], [t[1] for t in toks]

    def __eq__(self, other):
        return type(other) is type(self) and other.__dict__ == self.__dict__

    def __call__(self, value, positions=False, chars=False, keeporiginal=False,
                 removestops=True, start_pos=0, start_char=0, mode="", **kwargs):  # fmt: skip
        norm, origin = normalize_map(value)
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for term, pos, start, end in self.terms(norm, mode or "query"):
            t.text = term
            t.boost = 1.0
            t.stopped = False
            if keeporiginal:
                t.original = value[origin[start] : origin[end]]
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = start_char + origin[start]
                t.endchar = start_char + origin[end]
            yield t


class JiebaTokenizer(NormalizedTokenizer):
    """jieba words. Picklable: it holds the dictionary path, not the model."""

    def __init__(self, userdict: str = str(USERDICT_PATH)):
        self.userdict = userdict

    def terms(self, norm: str, mode: str):
        return word_tokens(norm, mode, self.userdict)

    def index_columns(self, norm: str) -> tuple[list[str], list[int]]:
        return index_word_columns(norm, self.userdict)


class UnitBigramTokenizer(NormalizedTokenizer):
    """Unit bigrams (see the module docstring); a gap in positions between runs."""

    def terms(self, norm: str, mode: str):
        pos = 0
        for run in unit_runs(norm):
            for i, term in enumerate(gram_terms(run)):
                yield term, pos, run[i][1], run[min(i + 1, len(run) - 1)][2]
                pos += 1
            pos += 1  # no phrase spans punctuation

    def index_columns(self, norm: str) -> tuple[list[str], list[int]]:
        terms: list[str] = []
        poss: list[int] = []
        pos = 0
        for run in _RUN_RE.findall(norm):
            # a run of Han characters is its own list of units
            us = run if _HAN_RUN_RE.fullmatch(run) else _UNIT_RE.findall(run)
            n = len(us)
            terms += map(str.__add__, us[:-1], us[1:])
            terms.append(us[-1] + RUN_END)
            poss += range(pos, pos + n)
            pos += n + 1
        return terms, poss


class UnitTokenizer(NormalizedTokenizer):
    """One term per unit (see ``units``), numbered in order."""

    def terms(self, norm: str, mode: str):
        for pos, (unit, start, end) in enumerate(units(norm)):
            yield unit, pos, start, end

    def index_columns(self, norm: str) -> tuple[list[str], list[int]]:
        units_ = _UNIT_RE.findall(norm)
        return units_, list(range(len(units_)))


def word_analyzer(userdict: str = str(USERDICT_PATH)) -> Analyzer:
    return JiebaTokenizer(userdict)


def gram_analyzer() -> Analyzer:
    return UnitBigramTokenizer()


def unit_analyzer() -> Analyzer:
    return UnitTokenizer()

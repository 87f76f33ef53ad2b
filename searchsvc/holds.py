"""Whether a paragraph's stored text holds a query unit the way the index finds it — the check
made on a few candidates instead of reading the unit's long posting list — or holds a literal
string once normalised (``holds_string``), looked for on the raw text."""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Mapping

from searchsvc.analysis import has_han, normalize, units


def _folding_to_han() -> tuple[re.Pattern, re.Pattern]:
    """Characters NFKC turns into (text with) a Han character that they are not: radicals,
    compatibility and enclosed ideographs. Text without any needs no NFKC to look for one.

    Two patterns: the BMP characters as one class (``re`` compiles it to a bitmap: ~9 µs a
    paragraph), and the astral blocks as two ranges. One class holding both is a list ``re``
    walks per character: 3.4 ms a paragraph."""
    blocks = [(0x2E80, 0x3400), (0xF900, 0xFB00), (0xFE00, 0xFFF0), (0x1F200, 0x1F300),
              (0x2F800, 0x2FA20)]  # fmt: skip
    chars = [
        chr(c)
        for lo, hi in blocks
        for c in range(lo, hi)
        if has_han(unicodedata.normalize("NFKC", chr(c)))
        and not has_han(chr(c))
        or (has_han(chr(c)) and unicodedata.normalize("NFKC", chr(c)) != chr(c))
    ]
    bmp = "".join(c for c in chars if ord(c) <= 0xFFFF)
    return re.compile("[" + re.escape(bmp) + "]"), re.compile(
        "[\U0001f200-\U0001f2ff\U0002f800-\U0002fa1f]"
    )


_FOLDS_TO_HAN, _ASTRAL_FOLDS = _folding_to_han()


def _may_fold_to_han(text: str) -> bool:
    return _FOLDS_TO_HAN.search(text) is not None or _ASTRAL_FOLDS.search(text) is not None


def holds(text: str, unit: str, exact: bool) -> bool:
    """Whether ``text`` (as stored) holds ``unit`` as the index finds it in its normalised
    form: a unit equal to it (the ``unit`` field), or one beginning with it (a prefix of the
    bigrams: ``2025`` finds 20250)."""
    if len(unit) == 1 and has_han(unit):
        # A Han character is a unit of its own, and NFKC never changes one that is printed
        # as such: only a miss needs the normalised text (a compatibility form may fold to it).
        return unit in text or (_may_fold_to_han(text) and unit in normalize(text))
    norm = normalize(text)
    if unit not in norm:  # a unit equal to it or beginning with it holds it as a substring
        return False
    return any(u == unit or (not exact and u.startswith(unit)) for u, _, _ in units(norm))


_HAN_ONLY = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")


# --------------------------------------------------------------------------- any literal string


class _Folds:
    """What ``normalize`` does to each character, read once from ``unicodedata`` (~1 s; the
    engine builds it while it warms up).

    ``normalize`` is NFKC then lower case over the whole text. For text without a *complex*
    character it is the same as folding each character on its own into one character, so a
    literal is in the normalised text exactly when a pattern matches the raw text: per
    character of the literal, a class of the characters that fold to it (，for ,). Complex
    characters are those that fold into several (…, ㈱), combine or reorder with a neighbour
    (combining marks, a second half of a canonical pair, Hangul jamo), or lower differently in
    context (Σ); text holding one is normalised as a whole.
    """

    def __init__(self):
        seconds: set[str] = set()
        folds: dict[str, str] = {}
        for i in range(0x110000):
            if 0xD800 <= i < 0xE000:
                continue
            ch = chr(i)
            parts = unicodedata.decomposition(ch)
            if parts and not parts.startswith("<") and len(parts.split()) == 2:
                seconds.add(chr(int(parts.split()[1], 16)))
            if parts or ch.lower() != ch or unicodedata.combining(ch):
                folded = unicodedata.normalize("NFKC", ch).lower()
                if folded != ch or unicodedata.combining(ch):
                    folds[ch] = folded
        hangul = ((0x1100, 0x1200), (0x3130, 0x3190), (0xA960, 0xA980), (0xAC00, 0xD7B0),
                  (0xD7B0, 0xD800), (0xFFA0, 0xFFDD))  # fmt: skip
        complex_ = {chr(c) for lo, hi in hangul for c in range(lo, hi)} | {"\u03a3"} | seconds
        self.into: dict[str, list[str]] = {}  # a character → the others that fold into it
        for ch, folded in folds.items():
            decomposed = unicodedata.normalize("NFKD", ch)
            if (
                len(folded) != 1
                or unicodedata.combining(ch)
                or any(unicodedata.combining(c) or c in seconds for c in decomposed + folded)
            ):
                complex_.add(ch)
        for ch, folded in folds.items():
            if ch not in complex_:
                self.into.setdefault(folded, []).append(ch)
        self.complex_bmp = _char_class(c for c in complex_ if ord(c) <= 0xFFFF)
        self.complex_astral = _char_class(c for c in complex_ if ord(c) > 0xFFFF)
        self._patterns: dict[str, re.Pattern] = {}

    def pattern(self, needle: str) -> re.Pattern:
        found = self._patterns.get(needle)
        if found is None:
            parts = []
            for ch in needle:
                same = [c for c in (ch, *self.into.get(ch, ())) if _fold1(c) == ch]
                bmp = [c for c in same if ord(c) <= 0xFFFF]
                astral = [c for c in same if ord(c) > 0xFFFF]
                alts = [f"[{re.escape(''.join(bmp))}]"] if bmp else []
                alts += [f"[{re.escape(''.join(astral))}]"] if astral else []
                parts.append("(?:" + "|".join(alts) + ")" if alts else "(?!)")
            if len(self._patterns) > 4096:
                self._patterns.clear()
            found = self._patterns[needle] = re.compile("".join(parts))
        return found

    def is_complex(self, text: str) -> bool:
        # A class of many astral ranges is a list ``re`` walks per character: it is only
        # asked of text that has an astral character at all (one range: cheap).
        if self.complex_bmp.search(text):
            return True
        return bool(_ASTRAL.search(text) and self.complex_astral.search(text))


_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def _fold1(ch: str) -> str:
    return unicodedata.normalize("NFKC", ch).lower()


def _char_class(chars) -> re.Pattern:
    """One class of ``chars`` as ranges (a class never matches when empty)."""
    codes = sorted(ord(c) for c in chars)
    ranges: list[tuple[int, int]] = []
    for c in codes:
        if ranges and c == ranges[-1][1] + 1:
            ranges[-1] = (ranges[-1][0], c)
        else:
            ranges.append((c, c))
    if not ranges:
        return re.compile("(?!)")
    body = "".join(
        re.escape(chr(a)) if a == b else f"{re.escape(chr(a))}-{re.escape(chr(b))}"
        for a, b in ranges
    )
    return re.compile(f"[{body}]")


_folds: _Folds | None = None
_folds_lock = threading.Lock()


def folds() -> _Folds:
    global _folds
    if _folds is None:
        with _folds_lock:
            if _folds is None:
                _folds = _Folds()
    return _folds


def holds_string(text: str, needle: str) -> bool:
    """Whether ``normalize(text)`` holds ``needle`` (normalised) — without normalising ``text``
    unless it holds a complex character (see ``_Folds``).

    A needle of Han characters found in the raw text is in the normalised one (NFKC and lower
    case leave unified ideographs as they are, and none composes with a neighbour); one not
    found can only appear through a character that folds to Han (a radical, a compatibility or
    enclosed ideograph), which is looked for first: the commonest answers need no pattern."""
    if _HAN_ONLY.fullmatch(needle):
        if needle in text:
            return True
        if not _may_fold_to_han(text):
            return False
    f = folds()
    if f.is_complex(text):
        return needle in normalize(text)
    return f.pattern(needle).search(text) is not None


class StoredFields(Mapping):
    """A candidate paragraph's fields as stored (``query.matches`` reads them): its body
    first, its article's title and bylines (``heads()``) read only if the body does not settle
    it — making the article's record for every candidate was a third of a punctuated phrase's
    time."""

    def __init__(self, text: Callable[[], str], heads: Callable[[], tuple[str, str]]):
        self._text, self._heads = text, heads
        self._read: dict[str, str] = {}

    def __getitem__(self, name: str) -> str:
        if name not in self._read:
            if name == "text":
                self._read["text"] = self._text()
            elif name in ("title", "names"):
                self._read["title"], self._read["names"] = self._heads()
            else:
                raise KeyError(name)
        return self._read[name]

    def __iter__(self):
        return iter(("text", "title", "names"))

    def __len__(self) -> int:
        return 3

"""Whether a paragraph's stored text holds a query unit the way the index finds it — the check
made on a few candidates instead of reading the unit's long posting list."""

from __future__ import annotations

import re
import unicodedata

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


def holds_any(text: str, needles: list[str]) -> bool:
    """Whether ``normalize(text)`` holds any of ``needles`` (normalised), paying for NFKC only
    when the raw text does not settle it.

    A needle of Han characters found in the raw text is in the normalised one (NFKC and lower
    case leave unified ideographs as they are, and none composes with a neighbour); one not
    found can only appear through a character that folds to Han (a radical, a compatibility
    or enclosed ideograph), which is looked for first. Other needles read the normalised text.
    """
    norm = folds = None
    for needle in needles:
        if _HAN_ONLY.fullmatch(needle):
            if needle in text:
                return True
            if folds is None:
                folds = _may_fold_to_han(text)
            if not folds:
                continue
        if norm is None:
            norm = normalize(text)
        if needle in norm:
            return True
    return False

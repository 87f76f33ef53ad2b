"""Highlights: HTML-escaped text with ``<mark>`` around every literal occurrence of the query.

Matching is done on the normalised text (full-width = half-width, case-insensitive) and mapped
back to the printed characters, so a query for PEU marks "ＰＥＵ" as printed, and 马克思 is marked
whole — never the 马克 that a tokenizer happened to cut.
"""

from __future__ import annotations

from markupsafe import Markup, escape

from searchsvc.analysis import normalize_map


def spans(text: str, needles: list[str]) -> list[tuple[int, int]]:
    """Merged ``(start, end)`` spans in ``text`` where any normalised needle occurs."""
    norm, origin = normalize_map(text)
    found: list[tuple[int, int]] = []
    for needle in {n for n in needles if n}:
        start = norm.find(needle)
        while start != -1:
            found.append((origin[start], origin[start + len(needle)]))
            start = norm.find(needle, start + 1)
    merged: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def mark(text: str, needles: list[str], window: int | None = None) -> Markup:
    """``text`` as safe HTML with hits in ``<mark>``; with ``window``, a cut around the first hit."""
    hits = spans(text, needles)
    begin, end = 0, len(text)
    if window is not None and len(text) > window:
        first = hits[0][0] if hits else 0
        begin = max(0, min(first - window // 4, len(text) - window))
        end = begin + window
    out: list[str] = ["…" if begin > 0 else ""]
    pos = begin
    for start, stop in hits:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        out.append(str(escape(text[pos:start])))
        out.append(f"<mark>{escape(text[start:stop])}</mark>")
        pos = stop
    out.append(str(escape(text[pos:end])))
    if end < len(text):
        out.append("…")
    return Markup("".join(out))

"""The result list as a file: CSV (with a UTF-8 BOM, so Excel reads Chinese) or JSON Lines.

One row per article, in the order of the search, at most ``EXPORT_MAX`` of them; the snippet is
plain text here (no ``<mark>``), since a spreadsheet shows markup as characters.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from searchsvc.article import SUMMARY_FIELDS
from searchsvc.records import Result

EXPORT_MAX = 1000  # articles in one export; the X-Total-Count header says how many there were
FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "jsonl": "application/x-ndjson; charset=utf-8",
}
COLUMNS = (*SUMMARY_FIELDS, "matched_paragraphs", "url", "snippet")
LIST_SEPARATOR = "、"  # how a list (several reporters, organizers …) is written in one CSV cell


def row(result: Result) -> dict:
    """The exported fields of one result, lists kept as lists."""
    data = {name: getattr(result, name) for name in COLUMNS}
    data["snippet"] = result.snippet.striptags()
    return data


def csv_lines(results: list[Result]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(COLUMNS)
    yield "\ufeff" + take()
    for result in results:
        writer.writerow(
            LIST_SEPARATOR.join(v) if isinstance(v, list) else ("" if v is None else v)
            for v in row(result).values()
        )
        yield take()


def jsonl_lines(results: list[Result]) -> Iterator[str]:
    for result in results:
        yield json.dumps(row(result), ensure_ascii=False) + "\n"


def lines(fmt: str, results: list[Result]) -> Iterator[str]:
    return csv_lines(results) if fmt == "csv" else jsonl_lines(results)

"""Export of the current result list as CSV (UTF-8 BOM) and JSON Lines, over real HTTP."""

import csv
import io
import json

from searchsvc import export

from .test_web import get, get_json


def test_csv_has_a_bom_a_header_and_every_article_in_order(live_server):
    _, page = get_json(live_server, "/api/search", q="工会", sort="-date", per_page=100)
    status, headers, body = get(live_server, "/api/search", q="工会", sort="-date", format="csv")
    assert status == 200
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="searchsvc-results.csv"'
    assert headers["X-Total-Count"] == str(page["total"])
    assert body.startswith("\ufeffid,title,date,")
    rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
    assert [r["id"] for r in rows] == [r["id"] for r in page["results"]]
    first, source = rows[0], page["results"][0]
    assert first["title"] == source["title"] and first["date"] == (source["date"] or "")
    assert first["organizer"] == export.LIST_SEPARATOR.join(source["organizer"])
    assert "<mark>" not in body and "工会" in first["snippet"]


def test_jsonl_is_one_article_per_line_with_lists(live_server):
    _, page = get_json(live_server, "/api/search", q="工会", district="昌平区")
    status, headers, body = get(
        live_server, "/api/search", q="工会", district="昌平区", format="jsonl"
    )
    assert status == 200 and headers["Content-Type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in body.splitlines()]
    assert [r["id"] for r in records] == [r["id"] for r in page["results"]] and records
    assert all(r["district"] == ["昌平区"] for r in records)
    assert set(records[0]) == set(export.COLUMNS)


def test_export_is_capped(live_server, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_MAX", 3)
    _, headers, body = get(live_server, "/api/search", q="北京", format="jsonl")
    assert int(headers["X-Total-Count"]) > 3 and len(body.splitlines()) == 3


def test_bad_format_is_a_400(live_server):
    status, data = get_json(live_server, "/api/search", q="工会", format="xlsx")
    assert status == 400 and data["error"]["code"] == "bad_format"
    assert "csv" in data["error"]["message"] and "format" in data["error"]["message"]


def test_export_of_nothing_is_a_header_only(live_server):
    _, headers, body = get(live_server, "/api/search", q="火星基地", format="csv")
    assert headers["X-Total-Count"] == "0"
    assert body.splitlines() == ["\ufeff" + ",".join(export.COLUMNS)]

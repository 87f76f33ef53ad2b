"""The JSON API: search (and its CSV / JSONL export), articles, facets, health, the description."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, Response, jsonify

from searchsvc import export
from searchsvc.errors import QueryError
from searchsvc.records import public
from searchsvc.web.context import engine, param, search_request, sync_state

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search():
    fmt = param("format", "json") or "json"
    if fmt == "json":
        return jsonify(engine().search(search_request()).to_dict())
    if fmt not in export.FORMATS:
        raise QueryError(
            "bad_format",
            f"format 只能是 json、{'、'.join(export.FORMATS)} / format must be json or one "
            f"of {', '.join(export.FORMATS)}",
        )
    resp = engine().search(search_request(), limit=export.EXPORT_MAX)
    return Response(
        export.lines(fmt, resp.results),
        content_type=export.FORMATS[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="searchsvc-results.{fmt}"',
            "X-Total-Count": str(resp.total),
        },
    )


@bp.get("/articles/<aid>")
def article(aid: str):
    return jsonify(engine().article(aid, param("q")).to_dict())


@bp.get("/openapi.json")
def openapi():
    from searchsvc import openapi  # the description is built only when asked for

    return jsonify(openapi.spec())


@bp.get("/facets")
def facets():
    return jsonify({"facets": public(engine().facets())})


@bp.get("/health")
def health():
    return jsonify(public(replace(engine().health(), sync=sync_state())))

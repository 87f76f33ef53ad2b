"""The search UI: the search page and the article page (HTML over the core's records)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from searchsvc import export
from searchsvc.catalog import FACETS
from searchsvc.records import SORTS
from searchsvc.web.context import engine, param, search_request

bp = Blueprint("pages", __name__)


@bp.get("/")
def home():
    req = search_request()
    resp = engine().search(req) if req.q.strip() or req.filtered or req.within else None
    return render_template(
        "search.html",
        req=req,
        resp=resp,
        sorts=SORTS,
        clear_facets={spec.name: () for spec in FACETS} | {"date_from": "", "date_to": ""},
        export_max=export.EXPORT_MAX,
    )


@bp.get("/articles/<aid>")
def article_page(aid: str):
    q = param("q")
    return render_template("article.html", view=engine().article(aid, q), q=q)


@bp.get("/favicon.ico")
def favicon():
    abort(404)

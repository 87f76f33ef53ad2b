"""The web face: ``create_app(config)`` — HTML pages and the JSON API over one ``SearchResponse``.

Thin on purpose: read parameters, call the core, render. Every error the core raises becomes a
message and a 4xx; nothing reaches the user as a traceback.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote_to_bytes, urlencode

from flask import Flask, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from searchsvc.config import Config
from searchsvc.query import QueryError
from searchsvc.search import ArticleNotFound, Engine, SearchRequest

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
MAX_URL_PARAM_CHARS = 2000
CSP = (
    "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["SEARCHSVC"] = config
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    engine = Engine(config.index)
    app.extensions["searchsvc"] = engine

    def is_api() -> bool:
        return request.path.startswith("/api/")

    def error(status: int, code: str, message: str):
        if is_api():
            return jsonify({"error": {"code": code, "message": message}}), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(QueryError)
    def query_error(err: QueryError):
        return error(400, err.code, err.message)

    @app.errorhandler(ArticleNotFound)
    def not_found(err: ArticleNotFound):
        return error(404, "not_found", "没有这篇文章 / no such article")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        return error(err.code or 500, err.name.lower().replace(" ", "_"), f"{err.code} {err.name}")

    @app.errorhandler(Exception)
    def internal_error(err: Exception):
        app.logger.exception("unhandled error")
        return error(
            500, "internal", "服务器内部错误，请稍后再试 / internal error, try again later"
        )

    @app.before_request
    def utf8_only():
        # Werkzeug leaves undecodable %XX in place; a GBK-encoded query would then search for
        # "%C0%CD". Say what is wrong instead.
        try:
            unquote_to_bytes(request.query_string).decode("utf-8")
        except UnicodeDecodeError:
            raise QueryError(
                "bad_encoding",
                "网址参数须为 UTF-8 编码 / the query string must be UTF-8 (percent-encoded)",
            ) from None

    @app.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    def search_request() -> SearchRequest:
        return SearchRequest(
            q=_param("q", ""),
            page=_int_param("page", 1),
            per_page=_int_param("per_page", 10),
            sort=_param("sort", "relevance") or "relevance",
        )

    @app.get("/")
    def home():
        req = search_request()
        resp = engine.search(req) if req.q.strip() else None
        return render_template(
            "search.html", req=req, resp=resp, page_url=lambda n: "/?" + urlencode(_with(page=n))
        )

    @app.get("/articles/<aid>")
    def article_page(aid: str):
        view = engine.article(aid, _param("q", ""))
        return render_template("article.html", view=view, q=_param("q", ""))

    @app.get("/api/search")
    def api_search():
        return jsonify(engine.search(search_request()).to_dict())

    @app.get("/api/articles/<aid>")
    def api_article(aid: str):
        view = engine.article(aid, _param("q", ""))
        return jsonify(
            {**view.meta, "query": view.query, "paragraphs": [str(p) for p in view.paragraphs]}
        )

    @app.get("/api/health")
    def api_health():
        return jsonify(engine.health())

    @app.get("/favicon.ico")
    def favicon():
        abort(404)

    return app


def _param(name: str, default: str) -> str:
    value = request.args.get(name, default)
    if len(value) > MAX_URL_PARAM_CHARS:
        raise QueryError("param_too_long", f"参数 {name} 过长 / parameter {name} is too long")
    return value


def _int_param(name: str, default: int) -> int:
    raw = _param(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise QueryError(
            f"bad_{name}", f"{name} 须为整数，收到 {raw[:20]!r} / {name} must be a whole number"
        ) from None


def _with(**changes) -> dict:
    """The current query string with some parameters changed (all UI state lives in the URL)."""
    args = {k: v for k, v in request.args.items() if k != "page"}
    args.update({k: v for k, v in changes.items() if v is not None})
    return args

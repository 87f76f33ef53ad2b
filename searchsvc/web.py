"""The web face: ``create_app(config)`` — HTML pages and the JSON API over one ``SearchResponse``.

Thin on purpose: read parameters, call the core, render. Every error the core raises becomes a
message and a 4xx; nothing reaches the user as a traceback.
"""

from __future__ import annotations

import hmac
from dataclasses import asdict
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlencode

from flask import Flask, Response, abort, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from searchsvc import export, uploads
from searchsvc.catalog import FACETS
from searchsvc.config import Config
from searchsvc.query import QueryError
from searchsvc.reindexer import Reindexer, Run
from searchsvc.search import ArticleNotFound, Engine, SearchRequest, SearchTimeout

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"
MAX_URL_PARAM_CHARS = 2000
FACET_NAMES = tuple(spec.name for spec in FACETS)
HTTP_MESSAGES = {  # the Chinese half of the errors Werkzeug itself raises
    404: "没有这个页面或文章",
    405: "此地址不支持这种请求方法",
    413: f"请求过大，上传文件最多 {uploads.MAX_UPLOAD_BYTES // 2**20} MiB",
}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, template_folder=str(TEMPLATES))
    app.config["SEARCHSVC"] = config
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.config["MAX_CONTENT_LENGTH"] = uploads.MAX_UPLOAD_BYTES
    engine = Engine(
        config.index,
        time_budget=config.query_budget,
        vocab_dir=config.vocab,
        cache=config.match_cache,
    )
    reindexer = Reindexer(config.corpus, config.index, config.vocab)
    app.extensions["searchsvc"] = engine
    app.extensions["searchsvc.reindexer"] = reindexer

    def is_api() -> bool:
        return request.path.startswith("/api/")

    def error(status: int, code: str, message: str):
        if is_api():
            return jsonify({"error": {"code": code, "message": message}}), status
        return render_template("error.html", status=status, message=message), status

    @app.errorhandler(QueryError)
    def query_error(err: QueryError):
        return error(400, err.code, err.message)

    @app.errorhandler(uploads.UploadError)
    def upload_error(err: uploads.UploadError):
        return error(err.status, err.code, err.message)

    @app.errorhandler(SearchTimeout)
    def search_timeout(err: SearchTimeout):
        return error(503, "timeout", str(err))

    @app.errorhandler(ArticleNotFound)
    def not_found(err: ArticleNotFound):
        return error(404, "not_found", "没有这篇文章 / no such article")

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        code = err.code or 500
        chinese = HTTP_MESSAGES.get(code, "请求有误")
        return error(code, err.name.lower().replace(" ", "_"), f"{chinese} / {code} {err.name}")

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
            organizer=_list_param("organizer"),
            district=_list_param("district"),
            type=_list_param("type"),
            date_from=_param("from", "").strip(),
            date_to=_param("to", "").strip(),
            within=_list_param("within"),
        )

    @app.get("/")
    def home():
        req = search_request()
        resp = engine.search(req) if req.q.strip() or req.filtered or req.within else None
        return render_template(
            "search.html",
            req=req,
            resp=resp,
            page_url=lambda n: _url(page=[str(n)]),
            facet_url=_facet_url,
            period_url=lambda period: _url(**{"from": [period], "to": [period]}),
            clear_url=_url(**{name: [] for name in (*FACET_NAMES, "from", "to")}),
            unwithin_url=_url(within=[]),
            export_url=lambda fmt: _url("/api/search", format=[fmt]),
            facet_names=FACET_NAMES,
            export_max=export.EXPORT_MAX,
        )

    @app.get("/articles/<aid>")
    def article_page(aid: str):
        q = _param("q", "")
        view = engine.article(aid, q)
        return render_template(
            "article.html",
            view=view,
            q=q,
            article_url=lambda other: f"/articles/{other}?" + urlencode({"q": q} if q else {}),
        )

    @app.get("/api/search")
    def api_search():
        fmt = _param("format", "json") or "json"
        if fmt == "json":
            return jsonify(engine.search(search_request()).to_dict())
        if fmt not in export.FORMATS:
            raise QueryError(
                "bad_format",
                f"format 只能是 json、{'、'.join(export.FORMATS)} / format must be json or one "
                f"of {', '.join(export.FORMATS)}",
            )
        resp = engine.search(search_request(), limit=export.EXPORT_MAX)
        return Response(
            export.lines(fmt, resp.results),
            content_type=export.FORMATS[fmt],
            headers={
                "Content-Disposition": f'attachment; filename="searchsvc-results.{fmt}"',
                "X-Total-Count": str(resp.total),
            },
        )

    @app.get("/api/articles/<aid>")
    def api_article(aid: str):
        view = engine.article(aid, _param("q", ""))
        neighbours = {"prev": view.prev, "next": view.next}
        return jsonify(
            {
                **view.record.stored(),
                "query": view.query,
                "paragraphs": [str(p) for p in view.paragraphs],
                "neighbours": {k: asdict(v) if v else None for k, v in neighbours.items()},
            }
        )

    @app.get("/api/openapi.json")
    def api_openapi():
        from searchsvc import openapi  # the description is built only when asked for

        return jsonify(openapi.spec())

    @app.get("/api/facets")
    def api_facets():
        return jsonify({"facets": [asdict(f) for f in engine.facets()]})

    @app.get("/api/health")
    def api_health():
        last = reindexer.last
        sync = {"pending": reindexer.pending, "last_error": last.error if last else None}
        return jsonify({**engine.health(), "sync": sync})

    def require_admin() -> None:
        token = config.admin_token
        if not token:
            raise uploads.UploadError(
                403,
                "admin_disabled",
                "管理接口未开启，请设置 SEARCHSVC_ADMIN_TOKEN / admin endpoints are off: "
                "set SEARCHSVC_ADMIN_TOKEN",
            )
        given = request.headers.get("Authorization", "")
        scheme, _, credential = given.partition(" ")
        # compare_digest: the time taken must not tell how much of a guess was right.
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            credential.strip().encode(), token.encode()
        ):
            raise uploads.UploadError(
                401,
                "unauthorized",
                "需要管理令牌：Authorization: Bearer <token> / "
                "send the admin token as Authorization: Bearer <token>",
            )

    def wait_param() -> float | None:
        """``wait=0`` answers at once; otherwise wait (bounded) for the sync to finish."""
        return None if _param("wait", "1") in ("0", "false", "no") else uploads.SYNC_WAIT_SECONDS

    @app.post("/api/bulletins")
    def api_upload():
        require_admin()
        name, data = _upload_body()
        saved = uploads.save(config.corpus, name, data, replace=_param("replace", "") == "1")
        ticket = reindexer.request()
        wait = wait_param()
        run = reindexer.wait(ticket, wait) if wait else None
        body, status = uploads.outcome(saved, run)
        return jsonify(body), status

    @app.post("/api/reindex")
    def api_reindex():
        require_admin()
        ticket = reindexer.request()
        wait = wait_param()
        run = reindexer.wait(ticket, wait) if wait else None
        if run is None:
            return jsonify({"status": "queued", "ticket": ticket}), 202
        return jsonify(_run_dict(run)), 503 if run.error else 200

    @app.get("/favicon.ico")
    def favicon():
        abort(404)

    return app


def _param(name: str, default: str) -> str:
    value = request.args.get(name, default)
    if len(value) > MAX_URL_PARAM_CHARS:
        raise _too_long(name)
    return value


def _too_long(name: str) -> QueryError:
    return QueryError(
        "param_too_long",
        f"参数 {name} 过长（最多 {MAX_URL_PARAM_CHARS} 个字符），请缩短 / parameter {name} is too "
        f"long: shorten it to at most {MAX_URL_PARAM_CHARS} characters",
    )


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


def _upload_body() -> tuple[str, bytes]:
    """The uploaded file: a multipart part named ``file``, or the raw body with ``?name=``."""
    part = request.files.get("file")
    if part is not None:
        return part.filename or "", part.read()
    if request.files or request.form:
        raise uploads.UploadError(
            400, "no_file", "请用 file 字段上传文件 / send the bulletin in a form field named file"
        )
    return _param("name", ""), request.get_data(cache=False)


def _run_dict(run: Run) -> dict:
    if run.error:
        return {"error": {"code": "sync_failed", "message": run.error}}
    report = asdict(run.report)
    return {"status": "done", **report, "wrote": run.report.wrote}


def _list_param(name: str) -> tuple[str, ...]:
    """A repeatable parameter (``organizer=A&organizer=B``), blanks dropped, order kept."""
    values = request.args.getlist(name)
    if any(len(v) > MAX_URL_PARAM_CHARS for v in values):
        raise _too_long(name)
    return tuple(dict.fromkeys(v.strip() for v in values if v.strip()))


def _url(path: str = "/", **changes: list[str]) -> str:
    """This page's URL with some parameters replaced (all UI state lives in the URL).

    Any change other than paging goes back to page 1.
    """
    args = request.args.to_dict(flat=False)
    if "page" not in changes:
        args.pop("page", None)
    args.update(changes)
    return f"{path}?" + urlencode({k: v for k, v in args.items() if v}, doseq=True)


def _facet_url(name: str, value: str) -> str:
    """The URL that toggles one facet value: the one place facets become links."""
    current = request.args.getlist(name)
    chosen = [v for v in current if v != value] if value in current else [*current, value]
    return _url(**{name: chosen})

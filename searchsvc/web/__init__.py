"""The web face: ``create_app(config)`` — the search pages, the JSON API and the admin endpoints
as three blueprints over one engine. Thin on purpose: read parameters, call the core, render.
Every ``ApiError`` becomes its status and a message (``errors.py``); nothing reaches the user as a
traceback.
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from searchsvc import uploads
from searchsvc.config import Config
from searchsvc.records import article_url
from searchsvc.reindexer import Reindexer
from searchsvc.search import Engine
from searchsvc.web import admin, api, errors, pages
from searchsvc.workers import Board
from searchsvc.writing import Target

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def create_app(config: Config | None = None) -> Flask:
    config = config or Config.from_env()
    app = Flask(__name__, template_folder=str(TEMPLATES), static_folder="../static")
    app.config.update(SEARCHSVC=config, MAX_CONTENT_LENGTH=uploads.MAX_UPLOAD_BYTES)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    app.jinja_env.globals["article_url"] = article_url
    engine = app.extensions["searchsvc"] = Engine(
        config.index, time_budget=config.query_budget, vocab_dir=config.vocab,
        cache=config.match_cache, backend=config.backend,
    )  # fmt: skip
    # Uploads, POST /api/reindex and serve --watch write through this one reindexer, into the
    # backend the engine reads (writing.Target: the Whoosh index or the Typesense cluster).
    app.extensions["searchsvc.reindexer"] = Reindexer(Target.of(config), on_synced=engine.refresh)
    for blueprint in (pages.bp, api.bp, admin.bp):
        app.register_blueprint(blueprint)
    errors.install(app)

    @app.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        return resp

    return app


def share(app: Flask, board: Board, slot: int) -> None:
    """In one of ``serve --workers``' processes: its writer's state goes on the ``board``;
    ``/api/health`` tells every process's; any process's sync refreshes this one's engine (a
    no-op on Whoosh, where each request looks for the newest generation; Typesense reads its
    catalogue again)."""
    engine = app.extensions["searchsvc"]
    board.follow(slot, app.extensions["searchsvc.reindexer"])
    app.extensions["searchsvc.sync_state"] = board.state
    seen = [board.wrote()]

    @app.before_request
    def news() -> None:
        wrote = board.wrote()
        if wrote != seen[0]:
            seen[0] = wrote
            engine.refresh()

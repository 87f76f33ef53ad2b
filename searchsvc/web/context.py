"""What every view reads: the engine and reindexer of the app, and the request's parameters."""

from __future__ import annotations

from flask import current_app, request

from searchsvc.config import Config
from searchsvc.health import SyncState
from searchsvc.records import MAX_URL_PARAM_CHARS, SearchRequest, too_long
from searchsvc.reindexer import Reindexer
from searchsvc.search import Engine


def engine() -> Engine:
    return current_app.extensions["searchsvc"]


def reindexer() -> Reindexer:
    return current_app.extensions["searchsvc.reindexer"]


def sync_state() -> SyncState:
    """The server's writer: this process's reindexer, or every process's (``web.share``)."""
    shared = current_app.extensions.get("searchsvc.sync_state")
    if shared is not None:
        return shared()
    last = reindexer().last
    return SyncState(pending=reindexer().pending, last_error=last.error if last else None)


def config() -> Config:
    return current_app.config["SEARCHSVC"]


def param(name: str, default: str = "") -> str:
    """One query-string parameter other than the search's own (those are SearchRequest's)."""
    value = request.args.get(name, default)
    if len(value) > MAX_URL_PARAM_CHARS:
        raise too_long(name)
    return value


def search_request() -> SearchRequest:
    return SearchRequest.from_args(request.args)

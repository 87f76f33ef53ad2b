"""The admin endpoints (``Authorization: Bearer $SEARCHSVC_ADMIN_TOKEN``): upload a bulletin,
sync the corpus. With no token set they answer 403."""

from __future__ import annotations

import hmac
from dataclasses import asdict

from flask import Blueprint, jsonify, request

from searchsvc import uploads
from searchsvc.errors import UploadError
from searchsvc.reindexer import Run
from searchsvc.web.context import config, param, reindexer

bp = Blueprint("admin", __name__, url_prefix="/api")


@bp.before_request
def require_admin() -> None:
    token = config().admin_token
    if not token:
        raise UploadError(
            403,
            "admin_disabled",
            "管理接口未开启，请设置 SEARCHSVC_ADMIN_TOKEN / admin endpoints are off: "
            "set SEARCHSVC_ADMIN_TOKEN",
        )
    scheme, _, credential = request.headers.get("Authorization", "").partition(" ")
    # compare_digest: the time taken must not tell how much of a guess was right.
    if scheme.lower() != "bearer" or not hmac.compare_digest(
        credential.strip().encode(), token.encode()
    ):
        raise UploadError(
            401,
            "unauthorized",
            "需要管理令牌：Authorization: Bearer <token> / "
            "send the admin token as Authorization: Bearer <token>",
        )


@bp.post("/bulletins")
def upload():
    name, data = _upload_body()
    saved = uploads.save(config().corpus, name, data, replace=param("replace") == "1")
    # The sync reads the saved file alone (not the whole corpus): see index.sync's ``only``.
    body, status = uploads.outcome(saved, _wait(reindexer().request([saved.name])))
    return jsonify(body), status


@bp.post("/reindex")
def reindex():
    ticket = reindexer().request()
    run = _wait(ticket)
    if run is None:
        return jsonify({"status": "queued", "ticket": ticket}), 202
    if run.error:
        return jsonify({"error": {"code": "sync_failed", "message": run.error}}), 503
    return jsonify({"status": "done", **asdict(run.report), "wrote": run.report.wrote})


def _wait(ticket: int) -> Run | None:
    """``wait=0`` answers at once; otherwise wait (bounded) for the sync to finish."""
    if param("wait", "1") in ("0", "false", "no"):
        return None
    return reindexer().wait(ticket, uploads.SYNC_WAIT_SECONDS)


def _upload_body() -> tuple[str, bytes]:
    """The uploaded file: a multipart part named ``file``, or the raw body with ``?name=``."""
    part = request.files.get("file")
    if part is not None:
        return part.filename or "", part.read()
    if request.files or request.form:
        raise UploadError(
            400, "no_file", "请用 file 字段上传文件 / send the bulletin in a form field named file"
        )
    return param("name"), request.get_data(cache=False)

"""Errors, mapped once: an ``ApiError`` (or Werkzeug's own 404/405/413) becomes its status and
``{"error": {"code", "message"}}`` under /api/, or the error page elsewhere."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from searchsvc import uploads
from searchsvc.errors import ApiError, QueryError

HTTP_MESSAGES = {  # the Chinese half of the errors Werkzeug itself raises
    404: "没有这个页面或文章",
    405: "此地址不支持这种请求方法",
    413: f"请求过大，上传文件最多 {uploads.MAX_UPLOAD_BYTES // 2**20} MiB",
}


def answer(status: int, code: str, message: str):
    if request.path.startswith("/api/"):
        return jsonify({"error": {"code": code, "message": message}}), status
    return render_template("error.html", status=status, message=message), status


def install(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def api_error(err: ApiError):
        return answer(err.status, err.code, err.message)

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException):
        code = err.code or 500
        chinese = HTTP_MESSAGES.get(code, "请求有误")
        return answer(code, err.name.lower().replace(" ", "_"), f"{chinese} / {code} {err.name}")

    @app.errorhandler(Exception)
    def internal_error(err: Exception):
        app.logger.exception("unhandled error")
        return answer(
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

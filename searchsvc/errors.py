"""The errors a request can end in: one type, ``ApiError``, with a status, a stable code and a
message in Chinese and English that says what to change. The faces turn it into a 4xx/5xx and
``{"error": {"code", "message"}}`` (web) or one line on stderr and exit status 2 (CLI).
"""

from __future__ import annotations


class ApiError(Exception):
    status = 400

    def __init__(self, code: str, message: str, status: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        if status is not None:
            self.status = status


class QueryError(ApiError, ValueError):
    """A query or a search parameter that cannot be run (400)."""


class ArticleNotFound(ApiError, LookupError):
    status = 404

    def __init__(self, aid: str):
        super().__init__("not_found", "没有这篇文章 / no such article")
        self.aid = aid


class SearchTimeout(ApiError):
    """A query ran past its time budget (503, with how to narrow it down)."""

    status = 503

    def __init__(self, message: str):
        super().__init__("timeout", message)


class UploadError(ApiError):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(code, message, status)

"""Running the app under waitress — the one place a server is made, for `serve` and the tests.

Staff and scripts type Chinese straight into URLs: `curl '127.0.0.1:8080/api/search?q=劳模工匠'`
sends the UTF-8 bytes raw, which is not valid HTTP, and waitress answers "400 Bad URI" because
it splits the request target with ``urllib.parse.urlsplit`` on bytes (ASCII only; see
Pylons/waitress#127). Browsers percent-encode those bytes; we do the same before waitress splits
the target, so both spellings reach the app as the same query.
"""

from __future__ import annotations

import re

import waitress
import waitress.parser

_RAW_HIGH_BYTES = re.compile(rb"[\x80-\xff]")
_original_split_uri = waitress.parser.split_uri


def _split_uri_percent_encoding(uri: bytes):
    return _original_split_uri(_RAW_HIGH_BYTES.sub(lambda m: b"%%%02X" % m.group()[0], uri))


def _install() -> None:
    if waitress.parser.split_uri is not _split_uri_percent_encoding:
        waitress.parser.split_uri = _split_uri_percent_encoding


def make_server(app, host: str = "", port: int = 0, threads: int = 4, sockets=()):
    """A waitress server for ``app`` (not yet running); ``port=0`` picks a free one.
    ``sockets``: listen on these, bound already (``workers.listen``), not on ``host:port``."""
    _install()
    where = {"sockets": list(sockets)} if sockets else {"host": host, "port": port}
    return waitress.create_server(app, threads=threads, ident="searchsvc", **where)

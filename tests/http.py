"""The one HTTP client of the tests (and of the load benchmarks): plain urllib against a real
server on 127.0.0.1, answers returned whatever their status."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass
class Reply:
    status: int
    headers: object  # http.client.HTTPMessage
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


def request(base: str, method: str, path: str, body: bytes | None = None,
            headers: dict | None = None, timeout: float = 120, **params) -> Reply:  # fmt: skip
    """``method base+path?params``; ``params`` may hold lists (repeated parameters)."""
    url = base + path + ("?" + urllib.parse.urlencode(params, doseq=True) if params else "")
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Reply(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())


def get(server, path: str, **params) -> tuple[int, object, str]:
    """GET on a ``LiveServer`` (or anything with ``.url``): (status, headers, text)."""
    reply = request(server.url, "GET", path, **params)
    return reply.status, reply.headers, reply.text


def get_json(server, path: str, **params) -> tuple[int, object]:
    reply = request(server.url, "GET", path, **params)
    assert reply.headers["Content-Type"].startswith("application/json")
    return reply.status, reply.json()


def call(server, method: str, path: str, body: bytes | None = None, headers: dict | None = None,
         **params) -> tuple[int, object]:  # fmt: skip
    """Any method, JSON answer: (status, data)."""
    reply = request(server.url, method, path, body, headers, **params)
    return reply.status, reply.json()

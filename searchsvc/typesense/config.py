"""Where the Typesense cluster is: ``SEARCHSVC_TYPESENSE_NODES`` and ``SEARCHSVC_TYPESENSE_API_KEY``.

Read once, by the face that starts the service, and passed in (never read at import time). A bad
value is a ``TypesenseConfigError`` whose message is one line that says what to change; the CLI
treats it as bad usage (exit status 2), like an unreadable corpus folder.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

NODES_VAR = "SEARCHSVC_TYPESENSE_NODES"
KEY_VAR = "SEARCHSVC_TYPESENSE_API_KEY"
COLLECTION_VAR = "SEARCHSVC_TYPESENSE_COLLECTION"
DEFAULT_COLLECTION = "searchsvc"  # the alias readers use; physical collections get a suffix
EXAMPLE = "http://127.0.0.1:8108,http://127.0.0.1:8109,http://127.0.0.1:8110"


class TypesenseConfigError(ValueError):
    """A Typesense setting that cannot work (bad usage: exit status 2)."""


@dataclass(frozen=True)
class TypesenseConfig:
    nodes: tuple[str, ...]  # base URLs, "http://host:port", in the order given
    api_key: str
    collection: str = DEFAULT_COLLECTION

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> TypesenseConfig:
        env = os.environ if env is None else env
        nodes = parse_nodes(env.get(NODES_VAR, ""))
        key = env.get(KEY_VAR, "").strip()
        if not key:
            raise TypesenseConfigError(
                f"{KEY_VAR} 未设置：请给出集群的 API key / {KEY_VAR} is empty: set it to the "
                "cluster's API key"
            )
        collection = env.get(COLLECTION_VAR, "").strip() or DEFAULT_COLLECTION
        if not collection.replace("_", "").replace("-", "").isalnum():
            raise TypesenseConfigError(
                f"{COLLECTION_VAR}={collection[:40]!r}：只能用字母、数字、_ 和 - / use only "
                "letters, digits, _ and - in the collection name"
            )
        return cls(nodes, key, collection)


def parse_nodes(value: str) -> tuple[str, ...]:
    """``http://h:p,http://h:p`` → normalised base URLs; raises ``TypesenseConfigError``."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise TypesenseConfigError(
            f"{NODES_VAR} 未设置：请列出集群节点，如 {EXAMPLE} / {NODES_VAR} is empty: list "
            f"the cluster's nodes, e.g. {EXAMPLE}"
        )
    urls: list[str] = []
    for item in items:
        parts = urlsplit(item)
        try:
            port = parts.port
        except ValueError:
            port = None
        if parts.scheme not in ("http", "https") or not parts.hostname or port is None:
            raise TypesenseConfigError(
                f"{NODES_VAR} 中的 {item[:60]!r} 不是 http(s)://主机:端口 / {item[:60]!r} in "
                f"{NODES_VAR} is not http(s)://host:port, e.g. {EXAMPLE}"
            )
        if parts.path not in ("", "/") or parts.query:
            raise TypesenseConfigError(
                f"{NODES_VAR} 中的 {item[:60]!r} 不应带路径 / {item[:60]!r} in {NODES_VAR} "
                "must be just scheme://host:port, without a path"
            )
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        url = f"{parts.scheme}://{host}:{port}"
        if url in urls:
            raise TypesenseConfigError(
                f"{NODES_VAR} 中 {url} 重复 / {url} is listed twice in {NODES_VAR}"
            )
        urls.append(url)
    return tuple(urls)

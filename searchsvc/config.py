"""Settings, from the environment and the command line, in one dataclass."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from searchsvc.typesense.config import TypesenseConfig, TypesenseConfigError


class ConfigError(ValueError):
    """A setting that makes no sense; the message names it and says what it must be."""


BACKENDS = ("whoosh", "typesense")
MAX_WORKERS = 64


@dataclass(frozen=True)
class BackendConfig:
    """Which engine answers: ``SEARCHSVC_BACKEND`` (``whoosh``, the default, or ``typesense``
    with ``SEARCHSVC_TYPESENSE_NODES`` and ``SEARCHSVC_TYPESENSE_API_KEY``)."""

    name: str = "whoosh"
    typesense: TypesenseConfig | None = None

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> BackendConfig:
        env = os.environ if env is None else env
        name = env.get("SEARCHSVC_BACKEND", "").strip().lower() or "whoosh"
        if name not in BACKENDS:
            raise ConfigError(
                f"SEARCHSVC_BACKEND={name[:40]!r}：须为 whoosh 或 typesense / "
                "SEARCHSVC_BACKEND must be whoosh or typesense"
            )
        if name == "whoosh":
            return cls()
        try:
            return cls(name, TypesenseConfig.from_env(env))
        except TypesenseConfigError as err:
            raise ConfigError(str(err)) from None


@dataclass(frozen=True)
class Config:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 4  # waitress threads per server process
    workers: int = field(default_factory=lambda: _cores())  # server processes on the port
    admin_token: str | None = None
    vocab: Path | None = None  # vocabulary folder; None: the one shipped in searchsvc/vocab
    query_budget: float = 5.0  # seconds a query may take before it is answered with a 503
    match_cache: bool = True  # keep queries' grouped matches for paging and facet clicks
    backend: BackendConfig = BackendConfig()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Config:
        """Environment first (``SEARCHSVC_*``), then explicit overrides that are not None.

        A value that makes no sense raises ``ConfigError`` naming the variable."""
        env = os.environ if env is None else env
        cfg = cls(
            corpus=Path(env.get("SEARCHSVC_CORPUS", "corpus")),
            index=Path(env.get("SEARCHSVC_INDEX", "index")),
            host=env.get("SEARCHSVC_HOST", "127.0.0.1"),
            port=_number(env, "SEARCHSVC_PORT", "8080", int, 0, 65535),
            workers=_number(env, "SEARCHSVC_WORKERS", str(_cores()), int, 1, MAX_WORKERS),
            admin_token=env.get("SEARCHSVC_ADMIN_TOKEN") or None,
            vocab=Path(env["SEARCHSVC_VOCAB"]) if env.get("SEARCHSVC_VOCAB") else None,
            query_budget=_number(env, "SEARCHSVC_QUERY_BUDGET", "5", float, 0.001, 3600),
            match_cache=env.get("SEARCHSVC_MATCH_CACHE", "1") not in ("0", "false", "no"),
            backend=BackendConfig.from_env(env),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus", "index", "vocab"):
            if key in given:
                given[key] = Path(given[key])
        return replace(cfg, **given)


def _cores() -> int:
    """The cores this process may run on: ``serve``'s default number of processes."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _number(env, name: str, default: str, kind: type, low: float, high: float):
    raw = env.get(name, default)
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or not low <= value <= high:
        zh, en = ("整数", "a whole number") if kind is int else ("数", "a number")
        raise ConfigError(
            f"{name}={raw!r}：须为 {low:g} 到 {high:g} 之间的{zh} / {name} must be {en} "
            f"from {low:g} to {high:g}"
        )
    return value

"""Settings, from the environment and the command line, in one dataclass."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path


@dataclass(frozen=True)
class Config:
    corpus: Path = Path("corpus")
    index: Path = Path("index")
    host: str = "127.0.0.1"
    port: int = 8080
    threads: int = 4
    admin_token: str | None = None
    vocab: Path | None = None  # vocabulary folder; None: the one shipped in searchsvc/vocab
    query_budget: float = 5.0  # seconds a query may take before it is answered with a 503
    match_cache: bool = True  # keep queries' grouped matches for paging and facet clicks

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides) -> Config:
        """Environment first (``SEARCHSVC_*``), then explicit overrides that are not None."""
        env = os.environ if env is None else env
        cfg = cls(
            corpus=Path(env.get("SEARCHSVC_CORPUS", "corpus")),
            index=Path(env.get("SEARCHSVC_INDEX", "index")),
            host=env.get("SEARCHSVC_HOST", "127.0.0.1"),
            port=int(env.get("SEARCHSVC_PORT", "8080")),
            admin_token=env.get("SEARCHSVC_ADMIN_TOKEN") or None,
            vocab=Path(env["SEARCHSVC_VOCAB"]) if env.get("SEARCHSVC_VOCAB") else None,
            query_budget=float(env.get("SEARCHSVC_QUERY_BUDGET", "5")),
            match_cache=env.get("SEARCHSVC_MATCH_CACHE", "1") not in ("0", "false", "no"),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus", "index", "vocab"):
            if key in given:
                given[key] = Path(given[key])
        return replace(cfg, **given)

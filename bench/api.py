"""The JSON API over real HTTP on the 20 shared pages (+ the seed): what a script sees.

    python bench/api.py [--rounds N]

A real waitress server on 127.0.0.1 over the shared bulletins. Each query is asked unfiltered
(the baseline, same run) and filtered by each of the most common values of every facet; prints
p50/p95 of the server's ``took_ms`` and of the client's wall time, and the time of a CSV export.
Asked twice: of a server without the match cache (every search in full: what a new query
costs) and of one with it (what paging and facet clicks cost once a query has been asked).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from searchsvc.config import Config  # noqa: E402
from tests.conftest import SEED, SHARED_BULLETINS, LiveServer, indexed_corpus  # noqa: E402

QUERIES = ["工会", "习近平", "劳模工匠", "志愿服务", "北京", "会议", "职工 培训", '"总工会"',
           "疫情", "经济 发展"]  # fmt: skip


def fetch(base: str, path: str, params: dict) -> tuple[float, dict | bytes]:
    url = f"{base}{path}?{urllib.parse.urlencode(params, doseq=True)}"
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as resp:
        body = resp.read()
        kind = resp.headers["Content-Type"]
    wall = (time.perf_counter() - started) * 1000
    return wall, json.loads(body) if kind.startswith("application/json") else body


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def ask_all(base: str, rounds: int, filters: list[dict]) -> dict[str, tuple[list, list]]:
    """Every query unfiltered, with each filter, and with two facets, ``rounds`` times."""
    runs: dict[str, tuple[list, list]] = {
        name: ([], []) for name in ("unfiltered (baseline)", "one facet value", "two facets")
    }
    for _ in range(rounds):
        for q in QUERIES:
            cases = [("unfiltered (baseline)", {})]
            cases += [("one facet value", f) for f in filters]
            cases += [("two facets", {**filters[0], **filters[-1]})]
            for name, extra in cases:
                wall, data = fetch(base, "/api/search", {"q": q, **extra})
                runs[name][0].append(data["took_ms"])
                runs[name][1].append(wall)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    pages = [SEED, *sorted(SHARED_BULLETINS.glob("*.md"))]
    tables = {}
    with tempfile.TemporaryDirectory() as tmp:
        corpus, index = indexed_corpus(Path(tmp), pages)
        for title, cache in (("without the match cache", False), ("with the match cache", True)):
            config = Config(corpus=corpus, index=index, match_cache=cache)
            with LiveServer(config) as server:
                facets = fetch(server.url, "/api/facets", {})[1]["facets"]
                filters = [
                    {f["name"]: v["value"]} for f in facets for v in f["values"][:3]
                ]  # the three most common values of each facet
                tables[title] = ask_all(server.url, args.rounds, filters)
                export_walls = []
                for _ in range(5):
                    wall, body = fetch(server.url, "/api/search", {"q": "北京", "format": "csv"})
                    export_walls.append(wall)
                rows = body.decode("utf-8-sig").count("\n") - 1
    print(f"{len(pages)} pages, {args.rounds} rounds × {len(QUERIES)} queries; filters: "
          f"{', '.join(f'{k}={v}' for f in filters for k, v in f.items())}")  # fmt: skip
    for title, runs in tables.items():
        print(title)
        print(f"  {'':24}{'n':>6}{'took_ms p50':>13}{'p95':>9}{'wall p50':>11}{'p95':>9}")
        base_p50 = statistics.median(runs["unfiltered (baseline)"][0])
        for name, (took, wall) in runs.items():
            ratio = statistics.median(took) / base_p50
            print(
                f"  {name:24}{len(took):>6}{statistics.median(took):>13.2f}"
                f"{pct(took, 0.95):>9.2f}{statistics.median(wall):>11.2f}{pct(wall, 0.95):>9.2f}"
                f"   ×{ratio:.2f} of baseline"
            )
    print(f"CSV export of 北京 ({rows} rows, cached): p50 {statistics.median(export_walls):.1f} ms")


if __name__ == "__main__":
    main()

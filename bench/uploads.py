"""Uploads under query load: 8 clients search a real server while 500 real archive pages are
uploaded through ``POST /api/bulletins`` — the first 10 one at a time (each answered when it is
searchable), the rest as fast as they can be sent. Prints query latency, failures, and how long
pages take to become searchable; the baseline is the same server asked with nothing uploading
(same run).

    python bench/uploads.py [--pages 500] [--seconds 60]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from searchsvc.index import open_index, stats  # noqa: E402
from tests import load  # noqa: E402
from tests.conftest import SEED  # noqa: E402
from tests.server import serving  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    pages = load.archive_pages(args.pages)
    if not pages:
        print(f"{load.ARCHIVE} is not here", file=sys.stderr)
        return 2
    token = uuid.uuid4().hex
    admin = {"Authorization": f"Bearer {token}"}
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(Path(tmp), [SEED], admin_token=token) as server,
    ):
        quiet = load.uploads_under_load(server, [], admin, min_seconds=10)
        print(f"baseline, nothing uploading: {quiet.summary()}")
        report = load.uploads_under_load(server, pages, admin, min_seconds=args.seconds)
        print(f"{len(pages)} pages uploading:   {report.summary()}")
        articles, paras = load.expected_counts(pages)
        counts = stats(open_index(server.config.index))
        expected = {"files": 1 + len(pages), "articles": 6 + articles, "paragraphs": 21 + paras}
        print(f"index: {counts} (expected {expected})")
        lost = report.landed - report.searchable
        ok = not report.failures and counts == expected and lost == 0
        print("OK" if ok else f"PROBLEM: {report.failures[:5]}, {lost} not searchable")
        return 0 if ok else 1


if __name__ == "__main__":
    started = time.perf_counter()
    code = main()
    print(f"({time.perf_counter() - started:.0f} s)")
    sys.exit(code)

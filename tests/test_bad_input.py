"""Bad input loses nothing: every bad file is refused with its reason, every good one indexed.

A corpus of real pages mixed with the ways a file goes wrong, indexed by a real
``searchsvc index`` process; then the same corpus rebuilt with ``--full``.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from searchsvc import bulletin, index
from searchsvc.records import public
from searchsvc.search import Engine, SearchRequest

from .conftest import SEED, shared_bulletins

# file -> what its rejection reason must say
BAD = {
    "empty.md": "empty file",
    "blank.txt": "empty file",
    "photo.md": "binary file",
    "mangled.md": "cannot decode",
    "huge.md": "file too large",
    "unclosed.md": "front matter not closed",
    "garbage-front.md": "malformed front matter line 2",
    "bad-date.md": "invalid date in front matter",
    "no-articles.md": "no articles",
    "x.y.md": "duplicate article id x.y-1 (also in x/y.md)",
}


def page(name: str) -> Path:
    found = [p for p in shared_bulletins() if p.name == name]
    if not found:
        pytest.skip(f"shared page {name} is not here")
    return found[0]


@pytest.fixture
def mixed(tmp_path) -> tuple[Path, Path, list[str]]:
    """(corpus, index home, good files): real pages and every kind of bad file."""
    corpus = tmp_path / "corpus"
    (corpus / "x").mkdir(parents=True)
    shutil.copy(SEED, corpus / SEED.name)
    shutil.copy(page("2020-03-30_gn.md"), corpus / "2020-03-30_gn.md")
    shutil.copy(page("2020-04-01_sh.md"), corpus / "2020-04-01_sh.md")
    shutil.copy(page("2020-03-31_gn.md"), corpus / "x" / "y.md")
    # A page saved as GBK by an old system: valid GB18030, so it must be indexed.
    text = page("2020-04-03_cj.md").read_text(encoding="utf-8")
    (corpus / "gbk-2020-04-03_cj.md").write_bytes(text.replace("\n", "\r\n").encode("gbk"))
    good = sorted(bulletin.corpus_files(corpus))

    real = page("2020-04-02_gn.md").read_text(encoding="utf-8")
    raw = real.encode("utf-8")
    (corpus / "empty.md").write_bytes(b"")
    (corpus / "blank.txt").write_bytes(b" \r\n\t\n")
    (corpus / "photo.md").write_bytes(b"\x89PNG\r\n\x1a\n" + random.Random(7).randbytes(4000))
    # 0xFF starts no character in UTF-8, GB18030, Big5, Shift-JIS or EUC-KR.
    cut = [m.start() for m in re.finditer("。".encode(), raw)][:5]
    (corpus / "mangled.md").write_bytes(
        b"".join(raw[a:b] + b"\xff\xfe" for a, b in zip([0, *cut], [*cut, len(raw)], strict=True))
    )
    with open(corpus / "huge.md", "wb") as out:
        while out.tell() <= bulletin.MAX_BYTES:
            out.write(raw)
    (corpus / "unclosed.md").write_text("---\ndate: 2020-04-02\npaper: 新闻\n\n" + real, "utf-8")
    (corpus / "garbage-front.md").write_text("---\n这不是键值对\n---\n" + real, "utf-8")
    (corpus / "bad-date.md").write_text("---\ndate: 2020-13-45\n---\n" + real, "utf-8")
    no_heads = re.sub(r"^## ", "", real, flags=re.M)
    (corpus / "no-articles.md").write_text(no_heads, "utf-8")
    (corpus / "x.y.md").write_text(real, "utf-8")  # its ids are x.y-1 … like x/y.md's
    assert sorted(set(bulletin.corpus_files(corpus)) - set(good)) == sorted(BAD)
    return corpus, tmp_path / "index", good


def expected(corpus: Path, good: list[str]) -> dict[str, int]:
    docs = [bulletin.read(corpus / rel, corpus) for rel in good]
    articles = [a for d in docs for a in d.articles]
    return {
        "files": len(docs),
        "articles": len(articles),
        "paragraphs": sum(len(a.paragraphs) for a in articles),
    }


def run_index(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "searchsvc.cli", "index", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )


def check_index(corpus: Path, home: Path, good: list[str]) -> None:
    ix = index.open_index(home)
    assert index.stats(ix) == expected(corpus, good)
    assert sorted(index.manifest(ix)) == good
    with ix.searcher() as s:
        pids = [f["pid"] for f in s.all_stored_fields() if "pid" in f]
    assert len(pids) == len(set(pids))
    rejected = index.read_rejected(home)
    assert [r["file"] for r in rejected] == sorted(BAD)
    for r in rejected:
        assert BAD[r["file"]] in r["reason"], r
    engine = Engine(home)
    try:
        assert public(engine.health())["rejected"] == rejected  # what /api/health shows
        # The GBK page reads as its UTF-8 original does.
        original = bulletin.read(page("2020-04-03_cj.md"), page("2020-04-03_cj.md").parent)
        title = original.articles[0].title
        hits = engine.search(SearchRequest(q=f'title:"{title}"')).results
        assert "gbk-2020-04-03_cj-1" in [h.id for h in hits]
    finally:
        engine.close()


def test_every_bad_file_is_reported_and_every_good_one_indexed(mixed):
    corpus, home, good = mixed
    result = run_index("--corpus", str(corpus), "--index", str(home))
    assert result.returncode == 0, result.stderr
    printed = [ln for ln in result.stderr.splitlines() if ln.startswith("拒收 / rejected: ")]
    assert len(printed) == len(BAD)
    for name, reason in BAD.items():
        assert any(ln.startswith(f"拒收 / rejected: {name}: ") and reason in ln for ln in printed)
    assert f"added {len(good)}," in result.stdout
    assert f"{len(BAD)} rejected" in result.stdout
    check_index(corpus, home, good)
    listing = json.loads((home / "rejected.json").read_text(encoding="utf-8"))
    assert {r["file"] for r in listing} == set(BAD)

    # Nothing changed: nothing written, the same files still reported.
    again = run_index("--corpus", str(corpus), "--index", str(home))
    assert again.returncode == 0 and "nothing written" in again.stdout
    assert again.stderr.count("拒收 / rejected: ") == len(BAD)

    # A rebuild from scratch refuses the same files and holds the same.
    full = run_index("--corpus", str(corpus), "--index", str(home), "--full")
    assert full.returncode == 0, full.stderr
    assert full.stderr.count("拒收 / rejected: ") == len(BAD)
    check_index(corpus, home, good)


def test_a_bad_file_fixed_is_indexed_at_the_next_run(mixed):
    corpus, home, good = mixed
    index.sync(corpus, home)
    unclosed = corpus / "unclosed.md"
    unclosed.write_text(
        unclosed.read_text(encoding="utf-8").replace("新闻\n\n", "新闻\n---\n", 1), "utf-8"
    )
    report = index.sync(corpus, home)
    assert report.added == ["unclosed.md"]
    assert "unclosed.md" not in {r["file"] for r in index.read_rejected(home)}
    doc = bulletin.read(unclosed, corpus)
    assert doc.date == "2020-04-02" and doc.paper == "新闻"
    counts = index.stats(index.open_index(home))
    assert counts["files"] == len(good) + 1

"""The extractor's version in the vocabulary fingerprint: bumped, every page is read again; and
its code cannot change without someone deciding whether to bump it."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path

import searchsvc
from searchsvc import index, vocabulary

from .conftest import shared_bulletins
from .server import indexed_corpus

PACKAGE = Path(searchsvc.__file__).parent

# ``code_digest()`` of ``vocabulary.EXTRACTOR_MODULES`` for each ``EXTRACTOR_VERSION``. When the
# test below fails you changed the extractor's code: if the same page bytes now give other
# records, paragraphs or tokens, bump ``EXTRACTOR_VERSION`` (every index reads its pages again)
# and record the new digest under the new number; if they give the same, record the new digest
# under the current number.
RECORDED = {
    # main at 4a2ae5e; then analysis made faster (the same tokens: test_analysis) and bylines'
    # standalone byline read in the order most processes had read it (test_bulletin)
    1: "26c1056c44c54b440517c7250bec38398c87894ab361f1948f8748b124336588",
}


def code_digest(sources: dict[str, str] | None = None) -> str:
    """sha256 over the modules' syntax trees: comments, docstrings and layout left out."""
    if sources is None:
        sources = {
            name: (PACKAGE / f"{name}.py").read_text(encoding="utf-8")
            for name in vocabulary.EXTRACTOR_MODULES
        }
    digest = hashlib.sha256()
    for name in sorted(sources):
        tree = ast.parse(sources[name])
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and _is_docstring(body[0]):
                node.body = body[1:] or [ast.Pass()]
        digest.update(name.encode() + b"\0" + ast.dump(tree).encode() + b"\0")
    return digest.hexdigest()


def _is_docstring(node) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def test_the_extractor_code_is_what_its_version_was_recorded_with():
    digest = code_digest()
    assert RECORDED.get(vocabulary.EXTRACTOR_VERSION) == digest, (
        f"the extractor's code changed (now {digest}): bump vocabulary.EXTRACTOR_VERSION if it "
        "makes other records of the same pages, and record the digest (see RECORDED)"
    )


def test_the_code_digest_sees_code_not_comments_or_docstrings():
    source = (PACKAGE / "facets.py").read_text(encoding="utf-8")
    before = code_digest({"facets": source})
    commented = source.replace("\n", "  # a remark\n", 1)
    assert code_digest({"facets": commented}) == before
    documented = '"""A new module docstring."""\n' + source.split('"""', 2)[2]
    assert code_digest({"facets": documented}) == before
    assert code_digest({"facets": source + "\n_UNUSED = 1\n"}) != before  # a line of code
    assert code_digest({"facets": source.replace("return ", "return not ", 1)}) != before


def test_a_new_extractor_version_has_every_page_read_again(tmp_path, monkeypatch):
    pages = shared_bulletins()[:3]
    corpus, home = indexed_corpus(tmp_path, pages)
    assert not index.sync(corpus, home).wrote  # same code, same vocabularies: nothing to do
    before = vocabulary.fingerprint()
    monkeypatch.setattr(vocabulary, "EXTRACTOR_VERSION", vocabulary.EXTRACTOR_VERSION + 1)
    assert vocabulary.fingerprint() != before
    report = index.sync(corpus, home)
    assert sorted(report.changed) == sorted(p.name for p in pages)
    assert not report.added and not report.removed
    assert not index.sync(corpus, home).wrote  # read again once, then current

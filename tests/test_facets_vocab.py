"""The facet vocabularies (facets_vocab): the TOML files staff edit, read and checked; errors
name file, line and reason; the fingerprint follows every file."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

import pytest

from searchsvc import facets
from searchsvc.facets import DISTRICTS, EVENT_TYPES, Vocabulary
from searchsvc.vocabulary import VOCAB_DIR, VocabError
from tests.conftest import ROOT


@pytest.fixture
def vocab_copy(tmp_path) -> Path:
    folder = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, folder)
    return folder


def _replace(path: Path, old: str, new: str) -> int:
    """Replace the first line containing old; returns that line's number (1-based)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    n = next(i for i, line in enumerate(lines) if old in line)
    lines[n] = lines[n].replace(old, new)
    path.write_text("\n".join(lines), encoding="utf-8")
    return n + 1


def test_vocab_loads_and_covers_the_taxonomy(vocab):
    assert set(vocab.keywords) == set(EVENT_TYPES)
    assert set(vocab.places.values()) == set(DISTRICTS)
    assert len(vocab.fingerprint) == 64


def test_vocab_syntax_error_names_file_and_line(vocab_copy):
    path = vocab_copy / "event_types.toml"
    line = _replace(path, 'strong = ["读书"', 'strong = ["读书" "阅读"')
    with pytest.raises(VocabError) as err:
        Vocabulary.load(vocab_copy)
    assert err.value.path == path and err.value.line == line
    assert str(err.value).startswith(f"{path}:{line}: 词表格式错误 / malformed vocabulary")


def test_vocab_shape_error_names_file_key_and_reason(vocab_copy):
    path = vocab_copy / "event_types.toml"
    text = path.read_text(encoding="utf-8")
    start = text.index('["宣讲报告"]')
    end = text.index("]", text.index("strong = [", start)) + 1
    path.write_text(text[:start] + '["宣讲报告"]\nstrong = "宣讲"' + text[end:], encoding="utf-8")
    with pytest.raises(VocabError) as err:
        Vocabulary.load(vocab_copy)
    assert err.value.path == path
    assert err.value.line == text[:start].count("\n") + 2
    assert "宣讲报告.strong" in err.value.reason and "list of strings" in err.value.reason


@pytest.mark.parametrize(
    ("file", "old", "new", "reason"),
    [
        ("event_types.toml", '["培训"]', '["培训课"]', "unknown event type"),
        ("districts.toml", '["平谷区"]', '["平谷县"]', "not one of Beijing's 17 districts"),
        ("organizers.toml", 'host = ["承办"', 'host = ["", "承办"', "empty keyword"),
        ("districts.toml", 'aliases = ["丰台"]', 'aliases = ["丰台", "海淀"]', "both"),
        ("organizers.toml", "joiners = [", "joiner = [", "unknown key 'joiner'"),
    ],
)
def test_vocab_shape_errors(vocab_copy, file, old, new, reason):
    line = _replace(vocab_copy / file, old, new)
    with pytest.raises(VocabError) as err:
        Vocabulary.load(vocab_copy)
    assert err.value.path == vocab_copy / file
    assert err.value.line == line
    assert reason in err.value.reason


def test_vocab_missing_file(vocab_copy):
    (vocab_copy / "districts.toml").unlink()
    with pytest.raises(VocabError, match="districts.toml: 缺少词表文件") as err:
        Vocabulary.load(vocab_copy)
    assert err.value.line is None


def test_vocab_error_str():
    assert str(VocabError("a.toml", 3, "坏 / bad")) == "a.toml:3: 坏 / bad"
    assert str(VocabError(Path("a.toml"), None, "坏 / bad")) == "a.toml: 坏 / bad"


def test_fingerprint_changes_with_any_vocabulary_file(vocab_copy):
    before = Vocabulary.load(vocab_copy)
    assert Vocabulary.load(vocab_copy) == before
    for name in ("districts.toml", "userdict.txt"):
        with (vocab_copy / name).open("a", encoding="utf-8") as f:
            f.write("\n# 新增一行\n" if name.endswith(".toml") else "新词 10 n\n")
        after = Vocabulary.load(vocab_copy)
        assert after.fingerprint != before.fingerprint
        before = after


def test_new_vocabulary_words_take_effect(vocab_copy, vocab):
    # Staff see a village the text names as the venue and add it to its district's gazetteer.
    text = "近日，区总工会在南庄头村举办职工运动会。"
    assert facets.venues(text, vocab) == []
    _replace(vocab_copy / "districts.toml", '"三里屯", ', '"南庄头村", "三里屯", ')
    assert facets.venues(text, Vocabulary.load(vocab_copy)) == [("朝阳区", "在南庄头村")]


def test_vocabulary_ships_with_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["searchsvc"]
    for path in VOCAB_DIR.iterdir():
        rel = path.relative_to(VOCAB_DIR.parent)
        assert any(rel.match(p) for p in patterns), rel

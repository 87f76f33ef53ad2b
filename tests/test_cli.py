"""The command line, run as a real process."""

import json
import os
import shutil
import subprocess
import sys

from .conftest import SEED


def run(*args, env_extra=None):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "searchsvc.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_index_then_search_then_index_again(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    first = run("index", "--corpus", str(corpus), "--index", str(index))
    assert first.returncode == 0, first.stderr
    assert "6 articles" in first.stdout
    again = run("index", env_extra={"SEARCHSVC_CORPUS": str(corpus), "SEARCHSVC_INDEX": str(index)})
    assert again.returncode == 0 and "nothing written" in again.stdout

    found = run("search", "劳模工匠", "--json", "--index", str(index))
    assert found.returncode == 0, found.stderr
    data = json.loads(found.stdout)
    assert data["total"] == 2 and all("<mark>" in r["snippet"] for r in data["results"])

    text = run("search", "压花", "--index", str(index))
    assert "巧手生花" in text.stdout and "【压花】" in text.stdout


def test_bad_query_exits_2_with_one_line(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    run("index", "--corpus", str(corpus), "--index", str(index))
    bad = run("search", '"劳模', "--index", str(index))
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("错误 / error: 引号不成对")


def test_missing_corpus_exits_2(tmp_path):
    result = run("index", "--corpus", str(tmp_path / "none"), "--index", str(tmp_path / "i"))
    assert result.returncode == 2 and "corpus folder not found" in result.stderr

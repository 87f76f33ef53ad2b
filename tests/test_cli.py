"""The command line, run as a real process."""

import contextlib
import dataclasses
import json
import os
import shutil
import subprocess
import sys

from searchsvc.article import ArticleRecord
from searchsvc.config import Config

from .conftest import ROOT, SEED, LiveServer
from .http import get_json, request


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


def test_parse_prints_articles_and_facets(tmp_path):
    shown = run("parse", str(SEED))
    assert shown.returncode == 0, shown.stderr
    assert "昌平区总工会举办专职工会社会工作者培训班" in shown.stdout
    assert "主办 / organizer: 恒丰银行北京分行工会" in shown.stdout

    as_json = run("parse", str(SEED), "--json")
    assert as_json.returncode == 0, as_json.stderr
    data = json.loads(as_json.stdout)
    assert data["file"] == str(SEED)
    # DESIGN.md's keys (scripts rely on them), then the rest of the article record (added).
    keys = ["id", "title", "date", "reporters", "correspondents", "photographers", "paragraphs",
            "organizer", "host", "co_organizer", "district", "event_type"]  # fmt: skip
    record_keys = [f.name for f in dataclasses.fields(ArticleRecord)]
    assert [sorted(a) for a in data["articles"]] == [sorted({*keys, *record_keys, "evidence"})] * 6
    assert [len(a["paragraphs"]) for a in data["articles"]] == [5, 5, 3, 1, 3, 4]
    sixth = data["articles"][5]
    assert sixth["organizer"] == ["恒兴肿瘤医院工会"] and sixth["district"] == ["朝阳区"]
    assert data["articles"][2]["district"] == []  # unknown is empty, shown as 未注明

    broken = tmp_path / "broken.md"
    broken.write_bytes(b"\xff\xfe\x00garbage\x00\x00")
    bad = run("parse", str(broken))
    assert bad.returncode == 2 and bad.stderr.startswith("错误 / error: ")


def test_search_with_filters(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    run("index", "--corpus", str(corpus), "--index", str(index))
    found = run("search", "--district", "昌平区", "--district", "朝阳区", "--type", "培训",
                "--json", "--index", str(index))  # fmt: skip
    assert found.returncode == 0, found.stderr
    data = json.loads(found.stdout)
    assert [r["title"] for r in data["results"]] == ["昌平区总工会举办专职工会社会工作者培训班"]
    bad = run("search", "--from", "2025-13", "--index", str(index))
    assert bad.returncode == 2 and "from" in bad.stderr


def test_malformed_vocabulary_stops_index_with_file_and_line(tmp_path):
    from searchsvc.vocabulary import VOCAB_DIR

    vocab = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, vocab)
    victim = sorted(vocab.glob("*.toml"))[0]
    lines = victim.read_text(encoding="utf-8").splitlines()
    lines.append('broken = ["unclosed')
    victim.write_text("\n".join(lines) + "\n", encoding="utf-8")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    result = run("index", "--corpus", str(corpus), "--index", str(index),
                 env_extra={"SEARCHSVC_VOCAB": str(vocab)})  # fmt: skip
    assert result.returncode == 2
    assert f"{victim}:{len(lines)}:" in result.stderr
    assert not index.exists()  # stopped before anything was written


def test_watch_indexes_bulletins_as_they_land(tmp_path):
    import signal
    import time

    from searchsvc.index import open_index, stats

    from .conftest import shared_bulletins

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchsvc.cli", "watch", "--corpus", str(corpus),
         "--index", str(index), "--debounce", "200"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def files_indexed(n, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if index.exists() and stats(open_index(index))["files"] == n:
                return True
            time.sleep(0.2)
        return False

    try:
        assert files_indexed(1)  # what was there before watching began
        page = shared_bulletins()[0]
        shutil.copy(page, corpus / page.name)
        assert files_indexed(2)
        (corpus / SEED.name).unlink()
        assert files_indexed(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "1 added" in err and "1 deleted" in err


def test_serve_watch_picks_up_new_bulletins(tmp_path):
    import time

    from .conftest import shared_bulletins
    from .server import free_port

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    assert run("index", "--corpus", str(corpus), "--index", str(index)).returncode == 0
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "searchsvc.cli", "serve", "--watch", "--port", str(port),
         "--corpus", str(corpus), "--index", str(index)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def health(timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                yield request(f"http://127.0.0.1:{port}", "GET", "/api/health").json()
            time.sleep(0.2)

    try:
        assert any(h["files"] == 1 for h in health())
        page = shared_bulletins()[1]
        shutil.copy(page, corpus / page.name)
        assert any(h["files"] == 2 for h in health())
    finally:
        proc.terminate()
        proc.communicate(timeout=30)


def test_malformed_synonyms_stop_index_with_file_and_line(tmp_path):
    from searchsvc.vocabulary import VOCAB_DIR

    vocab = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, vocab)
    synonyms = vocab / "synonyms.toml"
    synonyms.write_text('groups = [\n  ["劳模", "劳动模范"],\n  "单个词",\n]\n', encoding="utf-8")
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    result = run("index", "--corpus", str(corpus), "--index", str(tmp_path / "index"),
                 env_extra={"SEARCHSVC_VOCAB": str(vocab)})  # fmt: skip
    assert result.returncode == 2 and f"{synonyms}:1:" in result.stderr


def test_search_json_is_the_api_object_under_the_same_environment(tmp_path, mixed_dirs):
    """``searchsvc search --json Q`` and ``GET /api/search?q=Q`` print the same object, with a
    vocabulary folder of its own (SEARCHSVC_VOCAB) that both must honour."""
    corpus, index = mixed_dirs
    vocab = tmp_path / "vocab"
    shutil.copytree(ROOT / "searchsvc" / "vocab", vocab)
    (vocab / "synonyms.toml").write_text(
        'groups = [["压花", "义诊"]]\n', encoding="utf-8"
    )  # a synonym only this folder has: 压花 also finds 义诊
    env = {"SEARCHSVC_VOCAB": str(vocab), "SEARCHSVC_INDEX": str(index)}
    params = {"q": "压花", "per_page": "5", "sort": "-date"}
    with LiveServer(Config.from_env(env, corpus=corpus)) as server:
        status, api = get_json(server, "/api/search", **params)
        _, plain = get_json(server, "/api/search", q="压花 OR 义诊", per_page="5", sort="-date")
    assert status == 200
    cli = run("search", "压花", "--json", "--per-page", "5", "--sort", "-date", env_extra=env)
    assert cli.returncode == 0, cli.stderr
    printed = json.loads(cli.stdout)
    for data in (api, printed):
        data.pop("took_ms")
    assert printed == api
    # … and the folder's synonym really applied (both found what 压花 OR 义诊 finds).
    assert api["total"] == plain["total"] > 0

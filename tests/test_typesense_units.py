"""The Typesense backend's pure parts: configuration, tokens, query strings (no cluster)."""

from __future__ import annotations

import pytest

from searchsvc import bulletin, facets
from searchsvc.analysis import normalize
from searchsvc.typesense.config import KEY_VAR, NODES_VAR, TypesenseConfig, TypesenseConfigError
from searchsvc.typesense.documents import (
    date_num,
    gram_tokens,
    literal_tokens,
    paragraph_documents,
    schema,
)
from searchsvc.typesense.query import TsQuery, date_bounds, filter_by, q_string
from searchsvc.vocabulary import VOCAB_DIR
from tests.conftest import SEED

NODES = "http://127.0.0.1:8108,http://127.0.0.1:8109,http://127.0.0.1:8110"


def test_config_from_env():
    cfg = TypesenseConfig.from_env({NODES_VAR: f" {NODES}, ", KEY_VAR: "k"})
    assert cfg.nodes == tuple(NODES.split(","))
    assert cfg.api_key == "k"
    assert cfg.collection == "searchsvc"


@pytest.mark.parametrize(
    ("nodes", "key", "says"),
    [
        ("", "k", f"{NODES_VAR} is empty"),
        ("127.0.0.1:8108", "k", "is not http(s)://host:port"),
        ("http://127.0.0.1", "k", "is not http(s)://host:port"),
        ("http://127.0.0.1:99999", "k", "is not http(s)://host:port"),
        ("ftp://127.0.0.1:8108", "k", "is not http(s)://host:port"),
        ("http://127.0.0.1:8108/x", "k", "without a path"),
        ("http://127.0.0.1:8108,http://127.0.0.1:8108", "k", "listed twice"),
        (NODES, "", f"{KEY_VAR} is empty"),
    ],
)
def test_config_errors_say_what_to_change(nodes, key, says):
    with pytest.raises(TypesenseConfigError) as err:
        TypesenseConfig.from_env({NODES_VAR: nodes, KEY_VAR: key})
    message = str(err.value)
    assert says in message
    assert "\n" not in message  # one line on stderr
    assert isinstance(err.value, ValueError)


def test_ipv6_loopback_node():
    cfg = TypesenseConfig.from_env({NODES_VAR: "http://[::1]:8108", KEY_VAR: "k"})
    assert cfg.nodes == ("http://[::1]:8108",)


def _contains(tokens: list[str], phrase: list[str]) -> bool:
    n = len(phrase)
    return any(tokens[i : i + n] == phrase for i in range(len(tokens) - n + 1))


def test_a_literal_is_a_phrase_of_adjacent_gram_tokens():
    text = "北京市教育工会、劳动午报社协办，ABC２０２５年"
    tokens = gram_tokens(text)
    norm = normalize(text)
    for literal in ["北京市教育工会", "教育", "午报社协办", "abc2025年", "会"]:
        runs = literal_tokens(literal)
        assert len(runs) == 1
        assert _contains(tokens, runs[0]), literal
        assert literal in norm
    # Not in the text: across punctuation, or characters that never stand side by side.
    for literal in ["工会劳动", "会、劳", "京北"]:
        runs = literal_tokens(literal)
        assert not all(_contains(tokens, r) for r in runs) or len(runs) > 1, literal


def test_no_phrase_spans_the_seam_between_title_and_text():
    tokens = gram_tokens("职工之家", "家风建设")
    assert _contains(tokens, literal_tokens("之家")[0])
    assert _contains(tokens, literal_tokens("家风")[0])
    assert not _contains(tokens, literal_tokens("之家家风")[0])


def test_q_string():
    assert q_string(()) == ("*", False)
    assert q_string(("北京市", "会")) == ('"北京 京市" 会', False)
    assert q_string(("工会",), ("职工",)) == ("工会 -职工", False)
    assert q_string(("工会，职工",)) == ("工会 职工", True)  # a candidate to confirm
    with pytest.raises(ValueError):
        q_string(("工会",), ("工会，职工",))


def test_date_bounds_match_the_request_semantics():
    assert date_bounds("", "") is None
    assert date_bounds("2016", "2016-01") == (20160101, 20160199)
    assert date_bounds("", "2020") == (1, 20209999)  # undated (0) is never inside a range
    assert date_bounds("2020-04-03", "") == (20200403, 99_999_999)
    assert date_num("2020-04-03") == 20200403
    assert date_num(None) == 0


def test_filter_leaves_out_one_facet_for_its_own_counts():
    q = TsQuery(selection={"district": ("朝阳区", "大兴区"), "type": ("培训",)}, date_from="2016")
    full = filter_by(q)
    assert "district:=[`朝阳区`,`大兴区`]" in full
    assert "event_type:=[`培训`]" in full
    assert "date_num:>=20160101" in full
    assert "district" not in filter_by(q, leave_out="district")
    with pytest.raises(ValueError):
        filter_by(TsQuery(selection={"organizer": ("a`b",)}))


def test_seed_documents():
    vocab = facets.Vocabulary.load(VOCAB_DIR)
    page = bulletin.read(SEED, SEED.parent)
    article = page.articles[0]
    docs = list(paragraph_documents(article, facets.extract(article, vocab)))
    assert [d["id"] for d in docs] == [f"{article.id}#{p.n}" for p in article.paragraphs]
    assert sum(1 for d in docs if "record" in d) == 1 and docs[0]["head"]
    names = {f["name"] for f in schema("x")["fields"]}
    for doc in docs:
        assert set(doc) - {"id"} <= names
        assert doc["organizer"] and doc["district"] and doc["event_type"]  # 未注明 when unknown
        # The byline's names are findable, but they are not body text.
        for name in article.reporters:
            assert _contains(doc["gram"].split(), literal_tokens(name)[0])
            assert name not in doc["text"]

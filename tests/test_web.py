"""HTTP tests against a real waitress server on a free loopback port."""

import json
import shutil
import urllib.error
import urllib.parse
import urllib.request

import pytest

from searchsvc.config import Config
from searchsvc.index import sync

from .conftest import SEED, LiveServer
from .http import get, get_json


def test_api_search_returns_seed_articles_with_marks(live_server):
    status, data = get_json(live_server, "/api/search", q="劳模工匠")
    assert status == 200
    titles = {r["title"] for r in data["results"]}
    assert "巾帼劳模工匠走进北京石油化工学院讲述奋斗故事" in titles
    assert all("<mark>" in r["snippet"] for r in data["results"])
    assert data["total"] == len(data["results"]) and data["page"] == 1
    assert {
        "query",
        "total",
        "page",
        "per_page",
        "took_ms",
        "relaxed",
        "results",
        "facets",
        "histogram",
        "suggestion",
    } <= set(data)
    first = data["results"][0]
    assert {"id", "title", "date", "reporters", "matched_paragraphs", "snippet", "url"} <= set(
        first
    )


def test_api_paging(live_server):
    _, one = get_json(live_server, "/api/search", q="北京", per_page=5, page=1)
    _, two = get_json(live_server, "/api/search", q="北京", per_page=5, page=2)
    assert one["total"] == two["total"] > 10
    assert not {r["id"] for r in one["results"]} & {r["id"] for r in two["results"]}


@pytest.mark.parametrize(
    "params, code",
    [
        ({"q": '"劳模'}, "unbalanced_quotes"),
        ({"q": "(劳模"}, "unbalanced_parentheses"),
        ({"q": "劳模", "page": "0"}, "bad_page"),
        ({"q": "劳模", "page": "abc"}, "bad_page"),
        ({"q": "劳模", "per_page": "1000"}, "bad_per_page"),
        ({"q": "劳模", "sort": "size"}, "bad_sort"),
        ({"q": "劳" * 10000}, "param_too_long"),
        ({"q": "劳" * 600}, "query_too_long"),
    ],
)
def test_api_bad_parameters_are_400_with_a_message(live_server, params, code):
    status, data = get_json(live_server, "/api/search", **params)
    assert status == 400
    assert data["error"]["code"] == code
    assert data["error"]["message"]


def test_a_request_line_past_the_servers_limit_is_refused_as_documented(live_server):
    """Past waitress's 256 KB the app never sees the request: 431, which the spec lists."""
    from searchsvc.openapi import spec

    status, _headers, _text = get(live_server, "/api/search", q="劳模", district="区" * 100_000)
    assert status == 431
    assert "431" in spec()["paths"]["/api/search"]["get"]["responses"]


def test_api_article_and_404(live_server):
    status, data = get_json(live_server, "/api/articles/000_73d2eb0e74c950a6-4", q="压花")
    assert status == 200 and data["title"] == "巧手生花"
    assert data["photographers"] == ["余璨译"]
    assert any("<mark>压花</mark>" in p for p in data["paragraphs"])
    status, data = get_json(live_server, "/api/articles/..%2F..%2Fetc%2Fpasswd")
    assert status == 404 and data["error"]["code"] == "not_found"


def test_api_health(live_server):
    status, data = get_json(live_server, "/api/health")
    assert status == 200 and data["status"] == "ok"
    assert data["files"] == 21 and data["articles"] > 100 and data["paragraphs"] > data["articles"]


def test_search_page_in_chinese_with_results_and_pages(live_server):
    status, headers, html = get(live_server, "/", q="北京", per_page=5)
    assert status == 200
    assert 'lang="zh-CN"' in html and "共找到" in html and "检索" in html
    assert html.count('<li class="hit">') == 5 and "下一页" in html and "<mark>北京</mark>" in html
    assert "Content-Security-Policy" in headers
    status, _, html = get(live_server, "/")
    assert status == 200 and "共找到" not in html


def test_search_page_shows_query_errors_as_400(live_server):
    status, _, html = get(live_server, "/", q='"劳模')
    assert status == 400 and "引号不成对" in html


def test_article_page(live_server):
    status, _, html = get(live_server, "/articles/000_73d2eb0e74c950a6-1", q="劳模工匠")
    assert status == 200
    assert "<h1>巾帼劳模工匠走进北京石油化工学院讲述奋斗故事</h1>" in html
    assert "<mark>劳模工匠</mark>" in html and "任洁" in html
    status, _, html = get(live_server, "/articles/nope-1")
    assert status == 404 and "没有这篇文章" in html


def test_markup_in_a_bulletin_renders_as_text(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    shutil.copy(SEED, corpus)
    (corpus / "2025-04-18_x.md").write_text(
        "## 工会<script>alert(1)</script>活动\n\n本报讯 职工<img src=x onerror=alert(2)>参加"
        "读书分享活动。\n",
        encoding="utf-8",
    )
    sync(corpus, index)
    with LiveServer(Config(corpus=corpus, index=index)) as server:
        _, _, html = get(server, "/", q="读书分享")
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
        _, data = get_json(server, "/api/search", q="读书分享")
        snippet = next(r["snippet"] for r in data["results"] if r["date"] == "2025-04-18")
        assert "&lt;img" in snippet and "<img" not in snippet


def raw_request(server, target: bytes) -> tuple[int, bytes]:
    """Send a request line as raw bytes (as curl does with unencoded Chinese in the URL)."""
    import socket

    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split(b" ")[1]), body


def test_raw_utf8_in_the_url_works_like_percent_encoding(live_server):
    status, body = raw_request(live_server, "/api/search?q=劳模工匠".encode())
    assert status == 200
    raw = json.loads(body)
    _, encoded = get_json(live_server, "/api/search", q="劳模工匠")
    assert raw["total"] == encoded["total"] >= 2
    assert [r["id"] for r in raw["results"]] == [r["id"] for r in encoded["results"]]


def test_gbk_bytes_in_the_url_are_a_400_not_a_crash(live_server):
    status, body = raw_request(live_server, "/api/search?q=劳模".encode("gbk"))
    assert status == 400
    assert json.loads(body)["error"]["code"]


def test_api_filters_and_facets_by_article(live_server):
    status, data = get_json(live_server, "/api/search", district=["昌平区", "朝阳区"])
    assert status == 200
    assert {r["title"] for r in data["results"]} >= {
        "昌平区总工会举办专职工会社会工作者培训班",
        "恒兴肿瘤医院工会志愿服务送进社区",
    }
    assert all({"昌平区", "朝阳区"} & set(r["district"]) for r in data["results"])
    facets = {f["name"]: f for f in data["facets"]}
    assert list(facets) == ["organizer", "district", "type"]
    assert facets["district"]["label"] == "区域"
    chosen = {v["value"]: v for v in facets["district"]["values"] if v["selected"]}
    assert set(chosen) == {"昌平区", "朝阳区"}
    assert all(v["count"] >= 1 for v in chosen.values())
    types = {v["value"]: v["count"] for v in facets["type"]["values"]}
    assert types["培训"] >= 1 and types["志愿服务"] >= 1
    assert sum(types.values()) >= data["total"]
    first = data["results"][0]
    assert {"organizer", "host", "co_organizer", "district", "event_type"} <= set(first)


def test_api_facets_endpoint(live_server):
    status, data = get_json(live_server, "/api/facets")
    assert status == 200
    by_name = {f["name"]: {v["value"]: v["count"] for v in f["values"]} for f in data["facets"]}
    assert by_name["organizer"]["恒丰银行北京分行工会"] == 1
    assert by_name["district"]["昌平区"] >= 1
    assert by_name["type"]["读书阅读"] >= 1


@pytest.mark.parametrize(
    "params, code",
    [
        ({"from": "2025-13-01"}, "bad_from"),
        ({"to": "yesterday"}, "bad_to"),
        ({"organizer": "没有这个单位"}, "unknown_facet_value"),
        ({"type": "x" * 3000}, "param_too_long"),
    ],
)
def test_api_bad_filters_are_400(live_server, params, code):
    status, data = get_json(live_server, "/api/search", q="工会", **params)
    assert status == 400 and data["error"]["code"] == code


def test_search_page_facet_check_boxes_and_toggle_links(live_server):
    status, _, body = get(live_server, "/", q="工会", district="昌平区")
    assert status == 200
    for legend in ("主办单位", "区域", "活动类型"):
        assert f"<legend>{legend}</legend>" in body
    # The selected value is a ticked box; the others are not; the facet form keeps the query.
    assert '<input type="checkbox" name="district" value="昌平区" checked>' in body
    assert '<input type="checkbox" name="district" value="朝阳区">' in body
    facets_form = body[
        body.index('<form class="facets"') : body.index(
            "</form>", body.index('<form class="facets"')
        )
    ]
    assert '<input type="hidden" name="q" value="工会">' in facets_form
    assert 'name="district" value="昌平区"' not in facets_form.split("<fieldset")[0]
    # A chip of the selected value links to the same search without it; others add themselves.
    assert 'href="/?q=%E5%B7%A5%E4%BC%9A"' in body
    both = urllib.parse.urlencode({"q": "工会", "district": ["昌平区", "朝阳区"]}, doseq=True)
    assert f'href="/?{both.replace("&", "&amp;")}"' not in body  # no result is in 朝阳区 here
    assert '<input type="hidden" name="district" value="昌平区">' in body
    assert '<a class="clear" href="/?q=%E5%B7%A5%E4%BC%9A">' in body


def test_a_slow_query_is_a_503_with_advice(mixed_dirs):
    corpus, index = mixed_dirs
    with LiveServer(Config(corpus=corpus, index=index, query_budget=0.0)) as server:
        status, data = get_json(server, "/api/search", q="的")
        assert status == 503 and data["error"]["code"] == "timeout"
        assert "秒" in data["error"]["message"]
        assert get_json(server, "/api/search", q="压花")[0] == 200


def test_article_neighbours_on_the_same_bulletin_page(live_server):
    seed_ids = [f"{SEED.stem}-{n}" for n in range(1, 7)]
    status, first = get_json(live_server, f"/api/articles/{seed_ids[0]}")
    assert status == 200 and first["neighbours"]["prev"] is None
    assert first["neighbours"]["next"]["id"] == seed_ids[1]
    _, middle = get_json(live_server, f"/api/articles/{seed_ids[2]}")
    assert [middle["neighbours"][k]["id"] for k in ("prev", "next")] == [seed_ids[1], seed_ids[3]]
    _, last = get_json(live_server, f"/api/articles/{seed_ids[-1]}")
    assert last["neighbours"]["next"] is None
    # The page links them, keeping the query.
    _, _, body = get(live_server, f"/articles/{seed_ids[2]}", q="工会")
    assert f'<a rel="prev" href="/articles/{seed_ids[1]}?q=%E5%B7%A5%E4%BC%9A">' in body
    assert f'<a rel="next" href="/articles/{seed_ids[3]}?q=%E5%B7%A5%E4%BC%9A">' in body


def test_histogram_bars_link_to_their_period(live_server):
    _, data = get_json(live_server, "/api/search", q="工会")
    _, _, body = get(live_server, "/", q="工会")
    assert data["histogram"] and '<svg class="histogram"' in body
    for bar in data["histogram"]:
        link = urllib.parse.urlencode({"q": "工会", "from": bar["period"], "to": bar["period"]})
        assert (
            f'href="/?{link.replace("&", "&amp;")}" aria-label="{bar["period"]}：{bar["count"]} 篇"'
            in body
        )


def test_within_form_carries_the_query_and_filters(live_server):
    _, _, body = get(live_server, "/", q="工会", district="昌平区", within="培训")
    form = body[body.index('<form class="within"') :]
    form = form[: form.index("</form>")]
    for hidden in (
        '<input type="hidden" name="district" value="昌平区">',
        '<input type="hidden" name="within" value="培训">',
        '<input type="hidden" name="within" value="工会">',
    ):
        assert hidden in form
    assert "在“培训”的结果中检索" in body


def test_werkzeugs_own_errors_speak_both_languages(live_server):
    status, data = get_json(live_server, "/api/no-such-endpoint")
    assert status == 404 and data["error"]["message"] == "没有这个页面或文章 / 404 Not Found"
    req = urllib.request.Request(live_server.url + "/api/search?q=x", data=b"", method="POST")
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    body = json.loads(err.value.read().decode("utf-8"))
    assert err.value.code == 405 and body["error"]["message"].startswith(
        "此地址不支持这种请求方法 / "
    )

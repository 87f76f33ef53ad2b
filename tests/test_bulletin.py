"""searchsvc.bulletin on real pages: the seed page in corpus/ and the shared sample pages."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from searchsvc import bulletin, bylines
from searchsvc.bulletin import BulletinError

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "corpus" / "000_73d2eb0e74c950a6.txt"
SHARED = REPO.parent / "shared" / "corpus" / "bulletins"
SHARED_PAGES = sorted(SHARED.glob("*.md")) if SHARED.is_dir() else []
needs_shared = pytest.mark.skipif(
    not SHARED_PAGES,
    reason=f"shared sample pages not found at {SHARED} (checkout without ../shared)",
)

SEED_TITLES = [
    "巾帼劳模工匠走进北京石油化工学院讲述奋斗故事",
    "建立结对帮扶互助机制并确定合作项目 分享岗位实践中的创新经验 "
    "国防邮电产业“劳模工匠助企行”活动走进北汽福田",
    "恒丰银行北京分行工会举办读书分享活动",
    "巧手生花",
    "昌平区总工会举办专职工会社会工作者培训班",
    "恒兴肿瘤医院工会志愿服务送进社区",
]
# Checked by eye against the page: every cut made by the column layout re-joined, nothing more.
SEED_PARAGRAPHS = [5, 5, 3, 1, 3, 4]
FINAL = tuple("。！？!?…；;”’」』）)")


@pytest.fixture(scope="module")
def seed() -> bulletin.Bulletin:
    return bulletin.read(SEED, SEED.parent)


def shared(name: str) -> bulletin.Bulletin:
    return bulletin.read(SHARED / name, SHARED)


def signature(b: bulletin.Bulletin) -> list[tuple]:
    return [
        (a.id, a.title, a.dateline, a.reporters, a.correspondents, a.photographers, a.paragraphs)
        for a in b.articles
    ]


# --- the seed page -------------------------------------------------------------------------------


def test_seed_articles_and_banner(seed):
    assert seed.source == "000_73d2eb0e74c950a6.txt"
    assert seed.banners == ["深入学习贯彻党的二十大精神 奋力开拓首都工会工作新局面"]
    assert [a.title for a in seed.articles] == SEED_TITLES
    assert [a.ordinal for a in seed.articles] == [1, 2, 3, 4, 5, 6]
    assert [a.id for a in seed.articles] == [f"000_73d2eb0e74c950a6-{i}" for i in range(1, 7)]
    assert all(a.source == seed.source and a.paper == "" and a.page == "" for a in seed.articles)


def test_seed_bylines(seed):
    got = [(a.reporters, a.correspondents, a.photographers) for a in seed.articles]
    assert got == [
        (["任洁"], [], []),
        (["马超"], [], []),
        (["曹立栋"], ["周琼"], []),
        ([], [], ["余璨译"]),
        (["周美玉"], [], []),
        (["刘欣欣"], [], []),
    ]
    assert [a.dateline for a in seed.articles] == ["本报讯"] * 3 + [""] + ["本报讯"] * 2
    first = seed.articles[0].paragraphs[0].text
    assert first.startswith("近日，“奋进新征程·巾帼绽芳华”2025年巾帼劳模工匠宣讲活动")
    for article in seed.articles:
        for p in article.paragraphs:
            assert "本报讯" not in p.text and "记者 " not in p.text
            assert "摄影报道" not in p.text and "余璨译" not in p.text


def test_seed_layout_breaks_repaired(seed):
    assert [len(a.paragraphs) for a in seed.articles] == SEED_PARAGRAPHS
    for article in seed.articles:
        assert [p.n for p in article.paragraphs] == list(range(1, len(article.paragraphs) + 1))
        for p in article.paragraphs:
            assert p.text.endswith(FINAL), p.text
    texts = [p.text for a in seed.articles for p in a.paragraphs]
    for word in (
        "北京市教育工会",
        "火热实践",
        "新时代女职工",
        "汽车产业",
        "血糖的区域",
        "提升了专职工会",
    ):
        assert sum(word in t for t in texts) == 1, word
    # The photo credit closes the story; it is neither body text nor glued onto it.
    assert seed.articles[3].text.endswith("更让大家感受到了工会组织的关怀和温暖。")


def test_seed_article_text_joins_paragraphs(seed):
    article = seed.articles[2]
    assert article.text == "\n".join(p.text for p in article.paragraphs)
    assert article.text.count("\n") == 2


# --- encodings and dirty input -------------------------------------------------------------------


def test_gb18030_and_utf8_bom_crlf_read_the_same(seed, tmp_path):
    text = SEED.read_text(encoding="utf-8")
    (tmp_path / "gb.txt").write_bytes(text.encode("gb18030"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode())
    for name in ("gb.txt", "bom.txt"):
        got = bulletin.read(tmp_path / name, tmp_path)
        assert got.banners == seed.banners
        assert [s[1:] for s in signature(got)] == [s[1:] for s in signature(seed)]


def test_full_width_kept_and_control_chars_removed(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    text = text.replace("2025年巾帼劳模", "２０２５年巾帼\u200b劳模").replace(
        "（PEU）", "（ＰＥＵ）\x07"
    )
    (tmp_path / "fw.txt").write_bytes(text.encode("gb18030"))
    got = bulletin.read(tmp_path / "fw.txt", tmp_path)
    assert "２０２５年巾帼劳模工匠宣讲活动" in got.articles[0].paragraphs[0].text
    assert "自主重型高压集成控制器（ＰＥＵ）集成工艺" in got.articles[1].text
    assert not re.search(r"[\x00-\x08\x0b-\x1f\u200b\ufeff]", got.articles[1].text)


def test_lines_within_a_paragraph_are_joined():
    text = "## 标题\n\n本报讯（记者 任洁）近日，北京市\n总工会举办活动。\n\nRead the\nnews today.\n"
    article = bulletin.parse(text, "x.txt").articles[0]
    assert [p.text for p in article.paragraphs] == [
        "近日，北京市总工会举办活动。",
        "Read the news today.",
    ]


# --- dates ---------------------------------------------------------------------------------------


def test_date_from_front_matter_paper_and_page():
    text = "\n---\ndate: 2025-04-18\npaper: 劳动午报\npage: 03\nauthor: x\n---\n## 标题\n\n正文。\n"
    b = bulletin.parse(text, "20240101.txt")
    assert (b.date, b.paper, b.page) == ("2025-04-18", "劳动午报", "03")
    a = b.articles[0]
    assert (a.date, a.paper, a.page) == ("2025-04-18", "劳动午报", "03")


@pytest.mark.parametrize(
    ("source", "date"),
    [
        ("2025-04-18_x.md", "2025-04-18"),
        ("20250418.txt", "2025-04-18"),
        ("2025/2025-04-18/x.md", "2025-04-18"),
        ("2025_04_18.txt", "2025-04-18"),
        ("000_73d2eb0e74c950a6.txt", None),
        ("2025-02-30_x.md", None),
        ("a/12345678901.txt", None),
    ],
)
def test_date_from_path(source, date):
    assert bulletin.parse("## 标题\n\n正文。\n", source).date == date


def test_seed_has_no_date(seed):
    assert seed.date is None and all(a.date is None for a in seed.articles)


# --- errors --------------------------------------------------------------------------------------


def assert_error(tmp_path, name: str, data: bytes, reason: str) -> None:
    (tmp_path / name).write_bytes(data)
    with pytest.raises(BulletinError) as info:
        bulletin.read(tmp_path / name, tmp_path)
    assert info.value.path == name
    assert str(info.value).startswith(f"{name}: ")
    assert reason in info.value.reason


def test_error_empty_file(tmp_path):
    assert_error(tmp_path, "empty.txt", b"", "empty file")
    assert_error(tmp_path, "blank.txt", b"\xef\xbb\xbf \r\n\r\n", "empty file")
    assert_error(tmp_path, "bom.txt", b"\xef\xbb\xbf", "empty file")


def test_error_binary_file(tmp_path):
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"
    assert_error(tmp_path, "image.txt", png, "binary file")
    assert_error(tmp_path, "nul.txt", "## 标题\n\n正文。".encode() + b"\x00", "binary file")


def test_error_not_utf8_or_gb18030(tmp_path):
    # 0x80 and 0xFF can never start a GB18030 character, nor are they valid UTF-8.
    assert_error(tmp_path, "noise.txt", b"\x80\xff" * 200, "cannot decode")


def test_error_front_matter(tmp_path):
    body = "## 标题\n\n正文。\n"
    assert_error(tmp_path, "open.md", f"---\ndate: 2025-04-18\n{body}".encode(), "not closed")
    assert_error(
        tmp_path, "date.md", f"---\ndate: 2025-02-30\n---\n{body}".encode(), "invalid date"
    )
    assert_error(tmp_path, "line.md", f"---\njust text\n---\n{body}".encode(), "malformed")


def test_error_no_articles(tmp_path):
    data = "# 标语\n\n只有导语，没有标题。\n\n##\n".encode()
    assert_error(tmp_path, "none.md", data, "no articles")


def test_error_too_large(tmp_path):
    big = ("## 标题\n\n" + "正文。" * (bulletin.MAX_BYTES // 9 + 1)).encode()
    assert_error(tmp_path, "big.md", big, "too large")
    with pytest.raises(BulletinError, match="too large"):
        bulletin.decode(big, "big.md")


def test_error_outside_root(tmp_path):
    with pytest.raises(BulletinError, match="not inside"):
        bulletin.read(SEED, tmp_path)


# --- ids -----------------------------------------------------------------------------------------


def test_article_id():
    assert bulletin.article_id("000_73d2eb0e74c950a6.txt", 1) == "000_73d2eb0e74c950a6-1"
    assert bulletin.article_id("2025/2025-04-18/a.md", 3) == "2025.2025-04-18.a-3"
    odd = bulletin.article_id("2025/劳动午报 一版.md", 2)
    assert re.fullmatch(r"b[0-9a-f]{12}-2", odd)
    assert odd == bulletin.article_id("2025/劳动午报 一版.md", 2)


# --- bylines -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dateline", "reporters", "correspondents"),
    [
        ("本报讯（记者 曹立栋 通讯员 周琼）近日，开展活动。", "本报讯", ["曹立栋"], ["周琼"]),
        ("中新网北京4月1日电(陈杭)北京开展活动。", "中新网北京4月1日电", ["陈杭"], []),
        (
            "新华社北京2月18日电（记者吴晶晶、余晓洁）我国出现。",
            "新华社北京2月18日电",
            ["吴晶晶", "余晓洁"],
            [],
        ),  # fmt: skip
        ("中新社北京1月5日电 (记者周音)中国国家铁路局披露。", "中新社北京1月5日电", ["周音"], []),
        ("央视网消息（新闻联播）：国务院召开会议。", "央视网消息", [], []),
        ("新京报讯 北京市地震局发布消息。", "新京报讯", [], []),
    ],
)
def test_dateline_and_byline(text, dateline, reporters, correspondents):
    article = bulletin.parse(f"## 标题\n\n{text}\n", "x.md").articles[0]
    assert (article.dateline, article.reporters, article.correspondents) == (
        dateline,
        reporters,
        correspondents,
    )
    assert article.paragraphs[0].text.endswith("。")
    assert not article.paragraphs[0].text.startswith(("（", "(", "：", " "))


def test_a_standalone_byline_is_read_the_same_in_every_process():
    """``王可本报`` also looks like a paper's name; which reading won depended on the process's
    string hashing (1 seed in ~12), so two builds of one corpus could differ."""
    code = "from searchsvc import bylines; print(bylines.standalone_byline('王可本报记者赵霞'))"
    seen = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": str(seed)}).stdout
        for seed in range(24)
    }  # fmt: skip
    assert len(seen) == 1, seen
    assert bylines.standalone_byline("王可本报记者赵霞")[1]["reporters"] == ["王可", "赵霞"]


def test_standalone_bylines_are_conservative():
    assert bylines.standalone_byline("《中国经济周刊》记者宋明霞|北京报道") == (
        False,
        {"reporters": ["宋明霞"], "correspondents": [], "photographers": []},
    )
    assert bylines.standalone_byline("本报记者 王明 摄影报道")[1]["photographers"] == ["王明"]
    for body in (
        "记者手记",
        "新华社评论员",
        "环保投入已超过9亿元",
        "记者从市环保局了解到，外埠车辆",
    ):
        assert bylines.standalone_byline(body) is None


# --- the shared sample pages ---------------------------------------------------------------------

# A dateline still followed by a byline parenthesis means the byline was not taken out.
LEFTOVER = re.compile(
    r"^\S{2,20}?(?:电|讯|消息)\s*[（(](?:记者|通讯员)?[\u4e00-\u9fff、 ]{2,12}[)）]"
)


@needs_shared
@pytest.mark.parametrize("page", SHARED_PAGES, ids=lambda p: p.name)
def test_every_shared_page_parses(page):
    b = bulletin.read(page, SHARED)
    text = page.read_text(encoding="utf-8")
    headlines = sum(line.startswith("## ") for line in text.splitlines())
    assert len(b.articles) == headlines == 10
    assert b.date == page.name[:10]
    for article in b.articles:
        assert article.title and article.date == b.date and article.paragraphs
        assert re.fullmatch(r"[A-Za-z0-9_.-]+", article.id)
        assert not LEFTOVER.match(article.paragraphs[0].text), article.paragraphs[0].text
        assert all(p.text.strip() == p.text and p.text for p in article.paragraphs)


@needs_shared
@pytest.mark.parametrize(
    ("page", "ordinal", "dateline", "reporters", "opening"),
    [
        (
            "2020-04-01_sh.md",
            1,
            "中新网北京4月1日电",
            ["陈杭"],
            "北京在四月份开展第32个爱国卫生月活动",
        ),
        ("2020-03-30_gn.md", 3, "新华社北京3月30日电", ["郭宇靖"], "在30日举行的北京市新冠肺炎"),
        ("2016-01-05_sohu.md", 1, "中新社北京1月5日电", ["周音"], "中国国家铁路局5日披露"),
        ("2016-02-18_sohu.md", 4, "新华社北京2月18日电", ["吴晶晶", "余晓洁"], "2015年底，"),
        ("2016-01-07_sohu.md", 2, "京华时报讯", ["王硕"], "昨天，记者从市环保局了解到"),
        ("2016-01-06_sohu.md", 4, "人民网北京1月6日电", ["蒋琪"], "据环保部消息"),
        ("2016-02-19_sohu.md", 9, "法制晚报报讯", ["蒲长廷"], "下周一，北京个人购买"),
        (
            "2020-04-03_sh.md",
            10,
            "中新网广州4月3日电",
            ["程景伟", "陈毅恩"],
            "广州市见义勇为基金会",
        ),
    ],
)
def test_shared_datelines(page, ordinal, dateline, reporters, opening):
    article = shared(page).articles[ordinal - 1]
    assert (article.dateline, article.reporters) == (dateline, reporters)
    assert [p for p in article.paragraphs if p.text.startswith(opening)]
    assert dateline not in article.text


@needs_shared
def test_shared_dateline_below_a_repeated_title():
    article = shared("2020-04-01_sh.md").articles[1]
    assert (article.dateline, article.reporters) == ("新华社北京4月1日电", ["田晓航"])
    assert article.paragraphs[0].text == "疫情期间老年人如何防骗？专家支招“三句话”"
    assert article.paragraphs[1].text.startswith("小刘的母亲曾加入一个老年拼购群。")


@needs_shared
@pytest.mark.parametrize(
    ("page", "ordinal", "line", "reporters"),
    [
        ("2016-01-04_sohu.md", 1, "《中国经济周刊》记者宋明霞|北京报道", ["宋明霞"]),
        ("2016-01-07_sohu.md", 4, "每日经济新闻记者谢振宇", ["谢振宇"]),
        ("2016-02-17_sohu.md", 3, "法制网记者周芬棉", ["周芬棉"]),
    ],
)
def test_shared_standalone_byline_paragraph(page, ordinal, line, reporters):
    b = shared(page)
    article = b.articles[ordinal - 1]
    assert article.reporters == reporters
    assert all(line not in p.text for p in article.paragraphs)


@needs_shared
def test_shared_photo_credit_line():
    article = shared("2016-02-22_sohu.md").articles[4]
    assert article.photographers == ["欧阳晓菲"] and article.reporters == ["袁国礼"]
    assert "欧阳晓菲" not in article.text


@needs_shared
def test_shared_captions_and_subheadings_stay_apart():
    first = shared("2016-01-04_sohu.md").articles[0]
    texts = [p.text for p in first.paragraphs]
    # An image caption and a sub-heading end without punctuation by convention: not joined.
    assert texts[0] == "乌东德水电站效果图"
    assert texts[1].startswith("【区域·城市】")
    assert "环保投入已超过9亿元" in texts
    assert "五大效益并举，中国水电综合实力再上台阶" in texts
    second = shared("2016-01-05_sohu.md").articles
    assert any(a.paragraphs[0].text == "李书磊资料图" for a in second)


@needs_shared
def test_shared_quote_after_full_stop_ends_the_paragraph():
    article = shared("2016-01-04_sohu.md").articles[5]
    texts = [p.text for p in article.paragraphs]
    i = next(i for i, t in enumerate(texts) if t.startswith("“完全没有股权保护架构的万科"))
    assert texts[i].endswith("。”")
    assert texts[i + 1].startswith("2015年12月18日，万科紧急宣布停牌")


@needs_shared
def test_shared_cut_paragraph_rejoined():
    texts = [p.text for a in shared("2016-01-04_sohu.md").articles for p in a.paragraphs]
    assert any("分析和解决实际问题的能力" in t and "体现到自身的道德、品行" in t for t in texts)
    assert any("干必行、成必优”的工作原则" in t for t in texts)


def test_joins_rules():
    joins = bulletin._joins
    assert not joins("宣讲结束后，她们送上寄语。”", "活动主持人表示，将继续推进。")
    assert not joins("乌东德水电站效果图", "【区域·城市】“新三峡”正式核准")
    assert not joins("环保投入已超过9亿元", "为建设三峡、开发长江，2002年，国家授权")
    assert not joins("其建成后将实现五大效益并举——", "一是发电效益。")
    assert joins("座谈会上，3位劳模工匠分别从航天领域的尖端技术到汽车产", "业的一线实践，分享了")
    assert joins("在免费测量血压、血糖的区", "域，志愿者们认真为居民检测数据")
    assert not joins("在免费测量血压、血糖的区", "一、合理膳食")


def test_structure_banners_empty_articles_and_ordinals():
    text = (
        "前言不算。\n\n# 标语\n\n## 第一篇\n\n正文一。\n\n## 空的\n\n##第三篇\n\n#话题# 正文三。\n"
    )
    b = bulletin.parse(text, "p.md")
    assert b.banners == ["标语"]
    assert [(a.ordinal, a.title, a.id) for a in b.articles] == [
        (1, "第一篇", "p-1"),
        (3, "第三篇", "p-3"),
    ]
    assert b.articles[1].paragraphs == [bulletin.Paragraph(1, "#话题# 正文三。")]

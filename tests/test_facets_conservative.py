"""Facets: 未注明 where the evidence for a host or a district is weak (issue 14, round 7).

Forms met on archive articles outside the dev set, where a value was given wrongly; sentences
cut short (or made up in the archive's style). The expected values are what
``../shared/FACETS-GUIDE.md`` and the readings of tests/data/README.md say.
"""

from __future__ import annotations

import pytest

from searchsvc import facets
from tests.articles import article


@pytest.mark.parametrize(
    "text",
    [
        # who holds a briefing is the news source, not a host
        "记者今天从国新办举行的政策吹风会上了解到，我国将进一步扩大市场准入对外开放范围。",
        "据沈阳市政府新闻办4月1日召开的发布会消息，沈阳通过落实应绿未绿林地等举措加强林业生态建设。",
        # an event to come
        "国务院还将召开全体会议，讨论政府工作报告。",
        # a body launched, not launching
        "日本政府今天宣布国家安全保障局正式启动。",
        # a book compiled and printed
        "经中央军委批准，军委政治工作部组织编印《学习纲要》，日前印发全军。",
        # a body's name inside the event's name
        "香港特别行政区第五届政府就职典礼1日上午在香港会展中心隆重举行。",
        # the object of 请求
        "香港警方请求广东公安机关开展协查。",
    ],
)
def test_no_host_from_weak_evidence(vocab, text):
    assert facets.organizers(text, vocab, held=True) == []


def test_united_nations_is_a_name_not_together_with(vocab):
    text = "目前联合国世界粮食计划署正在叙利亚开展一些项目。"
    assert facets.organizers(text, vocab) == ["联合国世界粮食计划署"]


def test_a_short_form_beside_its_full_form_is_one_body(vocab):
    found = facets.extract(
        article(
            "全国政协民宗委召开宗教界主题协商座谈会",
            "全国政协民族和宗教委员会27日在京召开宗教界主题协商座谈会，围绕宗教人才培养座谈交流。",
        ),
        vocab,
    )
    assert found.organizer == ("全国政协民族和宗教委员会",)


def test_a_list_cut_inside_its_first_name_gives_none(vocab):
    text = "由中国文化部、意大利文化遗产与活动部、中国驻意大利大使馆主办的雕塑展23号拉开帷幕。"
    assert facets.roles(text, vocab)["organizer"] == []


def test_a_headline_list_leaves_the_hosts_to_the_lead(vocab):
    title = "全国政协办公厅 中共中央统战部 国务院侨办联合举行国庆招待会"
    lead = "全国政协办公厅、中共中央统战部、国务院侨办28日在人民大会堂联合举行国庆招待会。"
    got = facets.extract(article(title, lead), vocab)
    assert got.organizer == ("全国政协办公厅", "中共中央统战部", "国务院侨办")


def test_a_roundup_item_host_is_not_the_articles(vocab):
    got = facets.extract(
        article(
            "欢乐辞旧岁 迎新年",
            "今天是大年三十，各地张灯结彩，在欢乐祥和中迎接春天的到来。",
            "在香港，由香港食物环境卫生署主办的年宵花市热闹非凡。",
        ),
        vocab,
    )
    assert got.organizer == ()


def test_a_photo_caption_gives_no_venue(vocab):
    got = facets.extract(
        article(
            "习近平的教育观：让每个人都有人生出彩机会",
            "图为2014年5月30日，习近平总书记在海淀区民族小学参加队日活动。",
        ),
        vocab,
    )
    assert got.district == ()


def test_a_visit_stop_described_before_the_visitor_comes_is_a_stop(vocab):
    title = "习近平春节前夕在北京看望慰问基层干部群众"
    lead = "2月9日至10日，习近平深入科创园区、养老服务街区、新春市集考察，看望慰问基层干部群众。"
    stops = (
        "位于西城区北草厂胡同的养老服务街区，近年来推进适老化改造。10日上午，习近平来到这里。"
        "东城区隆福寺街区通过风貌保护和更新改造，打造成为步行街区。习近平察看街区风貌。"
    )
    # 东城区 is a stop the stop rules do not catch: which districts the visit had is not known.
    assert facets.extract(article(title, lead, stops), vocab).district == ()

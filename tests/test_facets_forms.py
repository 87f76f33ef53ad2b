"""Facets: the less plain forms of host, venue and type (issue 14, round 4).

Sentences copied from the news archive, cut short; the expected values are what
``../shared/FACETS-GUIDE.md`` says a reader should answer.
"""

from __future__ import annotations

import pytest

from searchsvc import facets
from searchsvc.facets_report import report_kind
from tests.articles import article


def test_objects_of_zuzhi_are_not_organizers(vocab):
    text = (
        "4月1日，农业农村部组织湖北省农业农村厅、广东省农业农村厅召开视频会议，在北京、武汉、广州"
        "三地举办“鄂粤同心抗疫发展”启动仪式。"
    )
    assert facets.organizers(text, vocab, held=True) == ["农业农村部"]


def test_the_body_that_convened_the_meeting_a_reporter_learned_from(vocab):
    text = (
        "记者从国家林草局今日(4月1日)召开的全国森林草原防火工作紧急电视电话会议了解到，3月17日至"
        "4月1日早8时，国家林业和草原局共接报处置14个省区78起森林草原火灾。"
    )
    assert facets.organizers(text, vocab, held=True) == ["国家林草局"]


def test_an_appeal_without_aid_has_no_organizer(vocab):
    text = (
        "为保障疫情防控期间安全祭扫，北京市社工委、市民政局、首都文明办日前发起“理性追思、文明祭扫”"
        "倡议，号召市民预约祭扫不聚集。"
    )
    assert facets.organizers(text, vocab, held=True) == []
    text = "北京市慈善协会日前发起倡议，筹措防疫物资支持一线医护人员。"
    assert facets.organizers(text, vocab, held=True) == ["北京市慈善协会"]


def test_a_full_and_a_short_form_give_the_full_form_once(vocab):
    got = facets.extract(
        article(
            "伦敦奥运会中国代表团举行升旗仪式",
            "北京时间25号下午4点半，中国代表团在奥运村举行了升旗仪式，中国代表团正式开启了奥运会的征程。",
        ),
        vocab,
    )
    assert got.organizer == ("伦敦奥运会中国代表团",)


def test_roundup_district_named_as_a_subject_without_zai(vocab):
    lead = "连日来，各地区和有关部门落实落细各项防汛措施，加快恢复受灾地区生产生活秩序。"
    item = (
        "北京受灾地区已进入灾后全面恢复重建阶段。门头沟区组织16家规划编制团队，深入8个镇街、178个"
        "行政村进行灾后规划摸排评估。"
    )
    got = facets.extract(article("各地区多举措加快恢复灾区生产生活秩序", lead, item), vocab)
    assert got.district == ("门头沟区",)
    # 平谷区的降雪量: a district in passing, not the subject of the item.
    item = "北京昨晚迎来入冬后的第一场降雪，主要集中在远郊区县。其中平谷区的降雪量达到中雪级别。"
    got = facets.extract(article("多地降雪降温 北京迎来今冬初雪", lead, item), vocab)
    assert got.district == ()


def test_district_of_an_attended_event_from_the_next_paragraph(vocab):
    title = "习近平在参加首都义务植树活动时强调 倡导人人爱绿植绿护绿的文明风尚"
    lead = "习近平2日上午在参加首都义务植树活动时强调，每年这个时候，我们一起参加义务植树。"
    stop = "上午10时30分许，党和国家领导人集体乘车，来到位于北京市朝阳区温榆河的植树点，同首都群众一起参加义务植树活动。"
    assert facets.extract(article(title, lead, stop), vocab).district == ("朝阳区",)


def test_reactions_to_a_speech_are_not_the_event():
    lead = "10月9日，在中国工会第十八次全国代表大会开幕式上，党中央致词在全体代表中引起强烈共鸣。"
    assert report_kind("奋力书写我国工人阶级投身强国建设民族复兴的壮丽篇章", lead) == "statement"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (
            "正在北京国家博物馆举办的大型展览，记录了我国通过实施精准扶贫交出的扶贫成绩单。",
            "参观交流",
        ),
        ("由该所牵头的科考分队对可可西里地区的主要湖泊进行了系统科学考察。", None),
        ("“线上春招”公益活动自2月12日上线以来，求职成功88994人。", None),
    ],
)
def test_event_types_exhibitions_expeditions_and_gongyi(vocab, text, kind):
    got = facets.event_types(text, vocab)
    assert (kind in got) if kind else got == ()

"""Facets, issue 14 round 9: articles whose headline and lead do not say it all — a storm's
roundup with no disaster word, a festival kept with no hosting verb, a venue given only in a
later paragraph — and the scenes that are still no venue (a trend, a renewal programme, a
person's past).

Made-up sentences in the archive's style, one kind each (the kinds round 8's report named,
found again in the dev part's ninth draw); the expected values are what
``../shared/FACETS-GUIDE.md`` and tests/data/README.md's readings say.
"""

from __future__ import annotations

from tests.articles import extract

# ---------------------------------------------------------------------------------------------
# 1. A Winter Olympics day whose venue only a later paragraph gives


def test_a_games_day_takes_the_venue_of_its_next_paragraph(vocab):
    title = "冬奥会高山滑雪男子滑降比赛今天举行"
    lead = "今天（2月6日），北京冬奥会高山滑雪男子滑降比赛举行，37名运动员参赛。"
    later = "比赛在延庆赛区国家高山滑雪中心进行，赛道落差近900米。"
    found = extract(vocab, title, lead, later)
    assert found.district == ("延庆区",)
    assert found.event_type == ("文体活动",)
    # …not when the lead gives its own venue (在国家体育场举行): a known venue is no district.
    lead = "北京冬奥会开幕式今晚在国家体育场隆重举行。"
    later = "火炬在延庆赛区进行了传递。"
    assert extract(vocab, "冬奥会开幕", lead, later).district == ()


# ---------------------------------------------------------------------------------------------
# 2. A storm's roundup whose head has no disaster word


def test_a_storms_transfers_keep_the_district_where_the_rain_fell(vocab):
    title = "台风北上 京津冀迎强降雨"
    lead = "受台风影响，京津冀多地出现强降雨。"
    item = "北京平谷一些地方降下大暴雨，当地启动防汛应急响应，提前转移低洼处村民。"
    assert extract(vocab, title, lead, item).district == ("平谷区",)
    # Two districts in one item's transfer are both where it was done.
    item = "北京市房山区、门头沟区紧急转移群众3000余人。"
    assert set(extract(vocab, title, lead, item).district) == {"房山区", "门头沟区"}
    # The rain alone, or a warning, is no happening.
    item = "北京门头沟区出现大暴雨，降雨量达到120毫米，门头沟区发布暴雨橙色预警。"
    assert extract(vocab, title, lead, item).district == ()


# ---------------------------------------------------------------------------------------------
# 3. A festival kept without a hosting verb


def test_a_festive_roundup_without_a_hosting_verb_is_an_event(vocab):
    title = "欢乐祥和迎新春"
    lead = "大年初一，大江南北喜气洋洋，人们逛庙会、赏年俗，欢欢喜喜过大年。"
    item = "在北京丰台区的庙会上，舞龙舞狮表演吸引了众多游客。"
    found = extract(vocab, title, lead, item)
    assert found.event_type == ("文体活动",)
    assert found.district == ("丰台区",)
    # A show brought to a place's people is held there (给…的百姓带来).
    title = "文化进万家活动在各地举行"
    lead = "“文化进万家”活动在各地举行，各级文艺小分队深入基层。"
    item = "青年演奏员们给北京延庆区永宁镇的村民带来了一场小型音乐会。"
    assert extract(vocab, title, lead, item).district == ("延庆区",)


# ---------------------------------------------------------------------------------------------
# 5. A venue stated later in an event report


def test_an_event_report_takes_a_venue_stated_in_its_next_paragraphs(vocab):
    title = "全国青少年植树活动举行"
    lead = "3月12日，全国青少年植树活动举行，300多名青少年参加。"
    later = "活动安排在北京房山水头村举行，孩子们种下了200多棵树苗。"
    assert extract(vocab, title, lead, later).district == ("房山区",)
    # …not a past year's venue, nor in a series' feature.
    later = "2015年，同一活动在北京房山水头村举行。"
    assert extract(vocab, title, lead, later, date="2021-03-12").district == ()
    title = "【奋进新征程】北京：全民健身添活力"
    lead = "北京广泛开展全民健身活动，群众参与热情高涨。"
    later = "在石景山区，一场冰雪嘉年华正在举行。"
    assert extract(vocab, title, lead, later).district == ()


# ---------------------------------------------------------------------------------------------
# 7. No district for a trend, a renewal programme or a person's past


def test_a_trend_or_a_past_year_gives_no_district(vocab):
    title = "各地推进城市更新"
    lead = "各地城市更新建设加紧推进，老旧小区改造项目陆续完工。"
    item = "北京西城区白塔寺区域改造项目，改善了胡同居民的生活环境。"
    assert extract(vocab, title, lead, item).district == ()
    title = "总书记见过的他们"
    lead = "广东、四川、陕西、河南的几位普通人讲述这几年的变化。"
    item = "2014年5月，还在海淀区民族小学读书的他，曾在学校开展的活动中汇报。"
    assert extract(vocab, title, lead, item, date="2016-01-04").district == ()


# ---------------------------------------------------------------------------------------------
# 10. An event with no hosting verb still has its type


def test_results_announced_a_donation_and_a_chorus_are_events(vocab):
    lead = "今天，2024年度全国十大考古新发现评选结果在京揭晓。"
    assert extract(vocab, "十大考古新发现揭晓", lead).event_type == ("表彰评选",)
    lead = "某公司工会向受灾地区捐赠价值100万元的救灾物资。"
    assert extract(vocab, "爱心企业驰援灾区", lead).event_type == ("慰问帮扶",)
    lead = "今天，200名职工合唱团成员唱响《我和我的祖国》。"
    assert extract(vocab, "职工唱响新时代", lead).event_type == ("文体活动",)


def test_a_games_venue_outside_beijing_gives_none(vocab):
    title = "北京冬奥会单板滑雪比赛精彩上演"
    lead = "今天，北京冬奥会单板滑雪女子坡面障碍技巧决赛举行。"
    later = "决赛在张家口赛区云顶滑雪公园进行。"
    assert extract(vocab, title, lead, later).district == ()


# ---------------------------------------------------------------------------------------------
# 4 and 6. A district's epidemic measures; a flood-rescue feature's happening


def test_a_districts_measures_and_a_rescue_features_deed_keep_their_district(vocab):
    title = "各地采取多种措施防控疫情"
    lead = "连日来，各地采取多种措施，严防疫情扩散。"
    item = "北京市大兴区对重点区域开展全员核酸检测。上海浦东新区加强社区管控。"
    assert extract(vocab, title, lead, item).district == ("大兴区",)
    title = "【党旗在基层一线高高飘扬】翻山越岭送物资"
    lead = "暴雨过后，党员干部冲锋在前。"
    item = "在北京门头沟区清水镇，党员突击队徒步进山，为被困群众送去食品和药品。"
    assert extract(vocab, title, lead, item).district == ("门头沟区",)


def test_a_festive_items_performance_is_a_happening_its_leisure_is_not(vocab):
    title = "各地喜迎国庆"
    lead = "国庆佳节，各地群众以多种方式喜迎国庆。"
    item = "在北京市东城区的社区里，居民们合唱《我和我的祖国》。"
    assert extract(vocab, title, lead, item).district == ("东城区",)
    title = "冰雪经济升温"
    lead = "冬季来临，各地冰雪旅游持续升温。"
    item = "北京延庆的雪场迎来大批游客，营业收入同比增长三成。"
    assert extract(vocab, title, lead, item).district == ()


def test_a_later_sentence_through_many_places_or_a_markets_scene_gives_none(vocab):
    title = "冬残奥会火炬开始传递"
    lead = "北京冬残奥会火炬今天进行了火种采集和火炬传递活动。"
    later = (
        "今天上午还在北京望京街道采集“互助之火”、在八达岭古长城采集“和平之火”，随后进行火炬传递。"
    )
    assert extract(vocab, title, lead, later).district == ()
    title = "欢度多彩假日"
    lead = "国庆假期，大江南北喜庆祥和，人们在多姿多彩的活动中欢乐过假日。"
    item = "在北京城市副中心的大运河上，不仅有传统民乐表演，还有特色美食，带火节日消费。"
    assert extract(vocab, title, lead, item).district == ()

"""Facets, issue 14 round 10: the kinds the tenth round's dev draw (draw 11) showed — a visit's
stop at works named after their place, a feature column, a series' event of an earlier year, a
message of congratulation, a Games team's training, a pledge ceremony, an opening still to come.

Made-up sentences in the archive's style, one kind each; the expected values are what
``../shared/FACETS-GUIDE.md`` and tests/data/README.md's readings say.
"""

from __future__ import annotations

from tests.articles import extract

# ---------------------------------------------------------------------------------------------
# 1. A leader's visit stop: works named after their place, at the head of the visit sentence


def test_a_visit_stop_at_works_named_after_their_place_gives_its_district(vocab):
    title = "某领导强调 保障群众饮水安全"
    lead = "中共中央政治局常委某某今天在某饮料集团调研。"
    stop = "在某饮料集团控股的饮料事业部亦庄灌装厂，某某深入生产车间，详细了解企业生产经营情况。"
    assert extract(vocab, title, lead, stop).district == ("北京经济技术开发区",)
    # …not a clause naming two places, nor one that does not end on the works visited.
    stop = "在某饮料集团亦庄灌装厂和顺义物流园区，某某深入生产车间。"
    assert extract(vocab, title, lead, stop).district == ()
    stop = "在亦庄的一家企业里，某某深入生产车间。"
    assert extract(vocab, title, lead, stop).district == ()


# ---------------------------------------------------------------------------------------------
# 2. A feature column, and a series' event of an earlier year


def test_a_news_feature_column_reports_no_event(vocab):
    title = "【新闻特写】志愿者：赛场边的微笑"
    lead = "冬奥会已经落幕，志愿者们在20日晚举行的闭幕式上接受了大家的致敬。"
    assert extract(vocab, title, lead).event_type == ()


def test_a_series_event_dated_in_an_earlier_year_is_another_days(vocab):
    title = "【新思想引领新征程】推动文艺繁荣发展"
    lead = "2014年10月15日，某某主持召开文艺工作座谈会时指出，文艺工作者大有可为。十年来，文艺事业繁荣发展。"
    assert extract(vocab, title, lead, date="2024-10-15").event_type == ()
    # …but this year's meeting in a series is an event.
    lead = "10月15日，某部召开文艺工作座谈会，听取文艺工作者的意见。"
    assert extract(vocab, title, lead, date="2024-10-15").event_type == ("座谈会议",)


# ---------------------------------------------------------------------------------------------
# 3. Kinds from what was done, not from a passing word


def test_a_message_of_congratulation_is_no_event(vocab):
    title = "中共中央 国务院致某运动会中国体育代表团的贺电"
    lead = "在某运动会上，中国体育代表团表现出色。党中央、国务院向你们表示热烈的祝贺和亲切的慰问！"
    found = extract(vocab, title, lead)
    assert found.event_type == () and found.organizer == ()
    # …but one to a meeting names the meeting, which was held.
    title = "某某向某组织首脑会议致贺电"
    lead = "某某31日致电祝贺某组织首脑会议在某地召开。"
    assert extract(vocab, title, lead).event_type == ("座谈会议",)


def test_a_teams_training_before_the_games_is_a_games_day_not_a_meeting(vocab):
    title = "冬残奥各代表团适应性训练全面展开"
    lead = "随着冬残奥会开幕临近，各代表团全面进入赛前备战，竞赛场馆已全部开放适应性训练。"
    assert extract(vocab, title, lead).event_type == ("文体活动",)


def test_an_opening_still_to_come_is_no_meeting(vocab):
    title = "倒计时500天系列活动举行"
    lead = "在冬奥会开幕倒计时500天之际，北京冬奥组委举办了一系列丰富多彩的活动，宣传冬奥。"
    assert extract(vocab, title, lead).event_type == ("其他",)  # an event by a body, no kind


def test_a_pledge_ceremony_is_a_ceremony(vocab):
    title = "迎接倒计时100天 保障团队誓师"
    lead = "冬奥会倒计时100天之际，医疗保障团队举行誓师大会，200多位医护人员庄严宣誓。"
    assert extract(vocab, title, lead).event_type == ("其他",)

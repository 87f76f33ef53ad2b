"""What an article's headline and lead report: an event that was held, or something else.

FACETS-GUIDE.md gives an event type, an organizer and a venue only to the article's *main event*;
a policy, a regulation, an appointment, a statement, a statistic, a briefing's news, a trip or an
event still to come has none. The same verbs serve both (`召开会议…审议通过《条例》`,
`举行发布会。会上…表示`), so before the facet rules read a subject or a keyword, `report_kind`
says which of the two the headline and lead report. A small pure function over two strings.
"""

from __future__ import annotations

import re

EVENT = "event"

# Signs that the article reports an event at all (a policy, a statistic, a statement or a
# comment has none).
_EVENT_CUES = re.compile(
    r"举行|举办|召开|主办|承办|开展[^，。]{0,12}活动|活动|会见|会谈|会晤|磋商|谈判|考察|调研|参观|"
    r"走进|来到|观礼|开幕|闭幕|仪式|颁奖|表彰|座谈|慰问|看望|宣讲|培训|比赛|竞赛|演出|展览|展会|"
    r"发起|植树|义诊|首映|视频连线|启动仪式|(?:今天|今日|正式|日)启动|启动$|参加[^，。]{0,16}投票|约谈|"
    r"出席[^，。]{0,30}(?:会|式|典礼|活动)|"
    # …and what people did at one without a hosting verb: results announced (揭晓), a donation,
    # a concert or a match (合唱, 赛事全面展开, 测试赛), a festival kept (过大年, 迎国庆, 庙会).
    r"揭晓|捐赠|捐款|捐助|合唱|音乐会|演唱会|联欢|各项赛事|国际赛事|测试赛|彩排|上演|"
    r"(?:迎|庆|过|闹|欢度)(?:新春|春节|大年|元宵|国庆|端午|中秋|佳节)|庙会|灯会|社火"
)
# 在…发布会上表示 / 举行发布会。会上…表示 / 召开新闻发布会，公布…: the briefing is where the
# news came from (like 记者从X获悉), not the event the article reports; an interview likewise.
_BRIEFING = re.compile(
    r"(?:发布会|记者会|见面会|吹风会|新闻茶座)(?:上|。会上)?[，,]?[^。]{0,40}?"
    r"(?:表示|说|介绍|指出|透露|称|强调|回应|回答|答记者问|通报|公布)|例行记者会|"
    r"(?:召开|举行)[^，。]{0,16}(?:新闻发布会|记者会|通报会)[，,]?(?:公布|通报|发布|介绍)|"
    r"接受[^，。]{0,12}采访时?(?:表示|说|称|指出)"
)
# The lead opens with the briefing itself (4日，…举行发布会。会上 / 针对…问题，…表示).
# …or names nothing but the briefing before its first comma (举行省区市系列新闻发布会，聚焦…).
_BRIEFING_OPENING = re.compile(
    r"(?:举行|召开)[^，。]{0,30}(?:发布会|记者会|通报会|见面会)(?:$|[，,](?!并|同时|会后))"
)
# 报告显示 / 数据显示: a figure, whatever the report says was done.
_FIGURES = re.compile(r"(?:报告|数据|统计|调查|监测)显示")
# A hosting verb with a sense of completion or of being under way, in the headline or lead.
_HELD = re.compile(
    r"举行|举办|召开|开展|主办|启动|开幕|闭幕|仪式|会见|会谈|会晤|磋商|谈判|考察|调研|慰问|看望|"
    r"出席|参加|走进|来到|颁奖|表彰|植树|首映|视频连线"
)
_LOOKING_BACK = re.compile(
    r"(?:^|。)(?:[^，。]{0,16}(?:以来|多年来|年来)|近年来|近些年|这些年)，?[^。]{0,40}?"
    r"(?:多次|不断|持续|先后)"
)
# A verb saying someone held or attended something (not 开幕式, a noun).
_HOSTED = re.compile("召开|举行|举办|主持|出席|会见|会谈")
# 将于…举行 / 将在北京举办 / 召开在即 / 再过两天…将…举行: the event is still to come.
# 将 is not future in 上将 / 将军 / 将领 (晋升上将军衔仪式…举行).
_FUTURE = re.compile(
    r"(?:(?<![上中少大主名武])将(?![军领士帅])|将于|将要|即将|拟|计划|准备|预计)[^，。；]{0,24}?"
    r"(?:举行|举办|召开|启动|开幕|主办|出席|参加)|"
    r"(?:召开|举行|举办|开幕)在即|(?:决定|迎接)[^，。；]{0,24}?(?:举行|举办|召开)"
)
# 迎接党的二十大胜利召开 / 全会召开之际: a congress to come, named in passing, is no event held.
_PASSING = re.compile(r"(?:迎接|喜迎|即将|胜利)[^，。；]{0,12}?召开|召开(?:之际|前夕|在即)")
# 《百年潮·中国梦》今晚在我台播出 / 特别节目…录制完成: a programme broadcast or recorded is not an
# event (but 启播活动…举行 and 纪录片研讨会 are).
_PROGRAMME = re.compile(
    r"(?:节目|晚会|专题片|纪录片|电视剧|栏目|《[^》]{1,20}》)[^，。；]{0,24}?"
    r"(?:播出|开播|首播|录制完成|完成录制|录制|直播|并机|转播)"
)
# 国内联播快讯 / 简讯: a bundle of unrelated briefs, none of them the article's main event.
_BUNDLE = re.compile(r"(?:国内|国际)?(?:联播)?快讯|(?:新闻)?简讯")
# 人民日报评论员文章：…论学习贯彻…在…表彰大会上重要讲话 / 新华时评: a comment, whatever it
# comments on.
_COMMENTARY = re.compile("评论员文章|社论|时评|网评|短评|述评|锐评")
# 习近平回信勉励…社区工作者 / 就南极仲冬节发出慰问电: a letter is no event (a 贺信 to a congress names the congress, which is).
_REPLY = re.compile("回信|复信|慰问电|慰问信")
# …nor a message of congratulation to a team (致…体育代表团的贺电); but one to a meeting or a
# ceremony (向…纪念大会致贺电, 向…首脑会议致贺电) names the meeting, which was held.
_GREETING = re.compile("贺电")
_GATHERING = re.compile("会议|大会|峰会|论坛|典礼|开幕|召开")
_MADE_BY = re.compile(r"由[^，。]{1,40}?(?:主办|举办|联合举办|联合摄制|摄制|制作)的")
# 国务院新闻办举行…记者会 / …举行新闻发布会: a headline about a briefing.
_BRIEFING_TITLE = re.compile(
    r"(?:举行|召开)[^，。 ]{0,20}(?:发布会|记者会|见面会|吹风会|通报会)|"
    r"(?:发布会|记者会|见面会|吹风会|通报会)[^，。 ]{0,12}(?:举行|召开)"
)
# 不得举办 / 取消了…活动 / 推迟…举行 / 延期一个月举行: the event is not (or no longer) held.
_CANCELLED = re.compile(
    r"(?:不得|禁止|暂停|取消|推迟|延期|停止)[^，。；]{0,16}?(?:举行|举办|活动|赛事|比赛|演出)"
)
# A headline about a rule or an order: 条例…修订, 调整…政策, 签署命令, 划归…建制.
_POLICY = re.compile(
    r"(?:条例|办法|政策|规定|意见|通知|细则|方案|法规)[^，。 ]{0,12}?"
    r"(?:修订|修改|调整|印发|出台|发布|公布|实施|施行)|"
    r"(?:修订|修改|调整|印发|出台|发布|发出|公布|实施|施行)[^，。 ]{0,12}?"
    r"(?:条例|办法|政策|规定|意见|通知|细则|方案|法规)|签署命令|划归|建制"
)
# Appointments and dismissals: the 就任大会 or the session that voted is not the story.
_APPOINTMENT = re.compile(
    r"不再担任|任命|免去|出任|接替|辞去|卸任|履新|当选为|"
    r"(?<![主责担])任[^，。 ]{0,12}(?:书记|主任|部长|局长|厅长|主席|院长|省长|市长|总经理|董事长)"
)
# 引起强烈共鸣 / 引发热烈反响 / 积极评价: reactions to a speech or a congress, not the event.
_REACTION = re.compile(r"共鸣|反响|积极评价|高度评价|热议")
# A leader leaving or coming back: the trip, not an event held.
_TRAVEL = re.compile(r"离京|回到北京|回京|抵京")
# Statements and figures: 表示 / 指出 / 发布声明称 / 报告显示 / 通报.
_STATEMENT = re.compile(r"表示|指出|强调|呼吁|透露|声明|称|显示|通报|介绍说|认为|说[，：:]")
# …但 在…会上表示 / 在…仪式上强调: a statement made at an event is the event's.
_AT_EVENT = re.compile(
    r"在[^，。]{0,40}?(?:会|式|论坛|活动|典礼|仪式|开幕|闭幕)上|在[^，。]{0,30}?(?:参加|出席)"
)


def report_kind(title: str, lead: str) -> str:
    """'event' when the headline and lead report an event that was held; otherwise why not:
    'none' (no sign of an event), 'bundle' (国内联播快讯: briefs of unrelated news, no one main
    event), 'commentary', 'letter' (a reply, 回信), 'briefing', 'programme', 'future',
    'cancelled', 'policy', 'appointment', 'travel' or 'statement'. The headline decides before
    the lead: 全国人大常委会启动…执法检查 is an event even when its lead goes on about the law."""
    if _BUNDLE.fullmatch(title.strip()):
        return "bundle"
    if _COMMENTARY.search(title):
        return "commentary"
    if _REPLY.search(title) and not _HELD.search(_REPLY.sub("", title)):
        return "letter"
    if _GREETING.search(title) and not _GATHERING.search(title):
        return "letter"
    head = _PASSING.sub("", f"{title}\n{lead}")
    opening = re.split("[。！？]", lead, maxsplit=1)[0]
    # 由全总和央视联合举办的…特别节目…录制完成: who made the programme is no event held.
    made = _MADE_BY.sub("", opening)
    if (_PROGRAMME.search(title) or _PROGRAMME.search(opening)) and not _HOSTED.search(made):
        return "programme"
    if not _EVENT_CUES.search(head):
        return "none"
    if _BRIEFING.search(head) or _BRIEFING_OPENING.search(opening) or _BRIEFING_TITLE.search(title):
        return "briefing"
    if _FIGURES.search(opening) or _REACTION.search(head):
        return "statement"
    # 首届…博览会10月在京举行 / 博览会将于…在北京举办; but 主持召开…会议 决定…举行 reports the
    # meeting held first, the decision on a later one after it.
    for text in (title, opening):
        if (m := _FUTURE.search(text)) and not _HOSTED.search(text, 0, m.start()):
            return "future"
    held_in_title = bool(_HELD.search(title))
    # 党的十八大以来，习近平总书记多次深入京津冀考察调研: a look back over years, not one event
    # (unless the headline names one).
    if _LOOKING_BACK.search(lead, 0, 120) and not held_in_title:
        return "statement"
    for why, pattern in (
        ("cancelled", _CANCELLED),
        ("policy", _POLICY),
        ("appointment", _APPOINTMENT),
        ("travel", _TRAVEL),
    ):
        # The lead speaks only when neither headline nor lead says something was held: 座谈会
        # 在天津举行…发布多项政策 is a meeting; 刘士余接替肖钢，出任证监会主席 an appointment.
        if pattern.search(title) or (
            pattern.search(lead) and not held_in_title and not _HELD.search(lead)
        ):
            return why
    if _STATEMENT.search(head) and not _HELD.search(head) and not _AT_EVENT.search(head):
        return "statement"
    return EVENT


def reports_event(text: str) -> bool:
    """Does this headline + lead (one string, title first) report an event that was held?"""
    title, _, lead = text.partition("\n")
    return report_kind(title, lead) == EVENT

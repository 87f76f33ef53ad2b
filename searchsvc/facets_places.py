"""Districts of an article: the Beijing district where its main event took place, as the text
states it (``../shared/FACETS-GUIDE.md``, "district"): a venue phrase (在昌平区…举行, 来到北京市朝阳区
温榆河), the district in the hosting body's name (昌平区总工会), where the lead says something
happened, or a roundup's one Beijing item. Never from where an institution is known to sit, a
passing mention, another city's district of the same name, or an event still to come.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from searchsvc import bulletin
from searchsvc.facets_report import EVENT
from searchsvc.facets_venues import (
    INSTITUTION,
    blank_ignored,
    districts,  # noqa: F401  (re-exported)
    is_foreign,
    named_places,
    shared_name,
    venues,
)
from searchsvc.facets_vocab import Vocabulary

_CLAUSE = re.compile(r"[，。；！？：,;!?:\s【】\[\]〔〕]")  # as in facets: a clause's edges
_SERIES = re.compile(r"【[^】]*】")
_FEATURE = re.compile(r"【[^】]*】|[^ ：:]{2,8}[：:]")
# 在京举行 / 在北京召开: the lead names the city only; the next paragraphs may give the venue.
_IN_BEIJING = re.compile(
    r"在(?:京|北京市?)(?:隆重|正式|盛大|同时)?(?:举行|举办|召开|开幕|启动|开启|拉开帷幕)"
)
_WHEN = re.compile("今天|昨天|明天|今年|上午|下午|晚上|当天|当晚|同时|随后|此前|还|也|都")
_HELD_HERE = re.compile("举行|举办|召开|开幕|开始|启动|进行|上演|展开|鸣枪|开赛")
# 在人民大会堂举行 / 在国家体育场隆重举行: the lead gives the venue (known, not a district).
_AT_VENUE = re.compile(r"在[^，。；在]{2,24}?(?:隆重|正式|盛大)?(?:举行|举办|召开|开幕|启动)")
_SCENE_TIME = re.compile("[时上中后前间]")  # (reversed) 在…调研时 / 在…会上 / 在…期间
_INSPECTION = re.compile("考察|调研|视察|参观|走访|看望")
# 习近平在参加首都义务植树活动时强调: a headline about attending an event, whose venue the
# next paragraph gives (来到位于北京市朝阳区温榆河的植树点).
_ATTENDED = re.compile(r"参加[^，。 ]{0,12}活动")
# 各地多措并举… / 北京、浙江、陕西、福建采取多种方式… / 大江南北…: a roundup of several places' items.
_ROUNDUP = re.compile(
    r"各地|多地|各省|各地区|北京、|大江南北|天南地北|神州大地|祖国各地|全国大部分|城市乡村"
)
_ACHIEVED = re.compile("成为|增长|最多|最大|突破|位居|跃升")
_NOT_ROUNDUP = re.compile("考察|调研|视察|看望|慰问|反响|共鸣")
_MANY_PLACES = 3  # …or one whose text names this many provinces or cities (vocab "foreign")
# A campaign's stories (主题教育, 学习教育, 两学一做): features of a campaign, not one happening.
_CAMPAIGN = re.compile("主题教育|学习教育|党史学习|两学一做|群众路线|学党史")
# An activities' roundup (各地举办…活动, 闹元宵, 喜迎新学期): its items are activities held.
# Not a holiday's leisure (人们在多姿多彩的活动中…; 在北京八达岭爬长城): its scenes are a trend.
_ACTIVITIES = re.compile(
    r"(?:举办|举行|开展|推出)[^，。；]{0,12}活动|闹元宵|庆丰收|过大年|龙舟|粽子|庙会|灯会|社火|舞龙|舞狮"
)
# A standing practice (每两周举行一次, 定期), an offer (人们可以…), a figure (截至…, 降雨量…).
_STANDING = re.compile(
    r"每(?:天|周|月|年|两周|逢)[^，。；]{0,6}?(?:举行|举办|开展|一次|一场|都有|都会)|定期|常态化|"
    r"可以|能够|还能|降雨量|降水量|同比"
)
# Where an item opens: after a time (这两天，/ 新年第一天，) or 在北京，, maybe with 北京 (group bj).
_ITEM_OPENING = re.compile(r"(?:[^，。；、]{0,8}，)?(?:在?北京市?，)?(?P<bj>北京市?)?")
# 东城区夕照寺西里发生的火灾: a district named where something happened, without 在.
# The first sentence of a roundup's paragraph says it is about Beijing (not 北京时间).
_BEIJING_ITEM = re.compile(r"[^。！？]{0,12}?北京(?!时间)")
# A roundup of a market or an economic trend (各地冬季游市场火热, 外资看好中国新机遇, 各地一批重大
# 工程加快推进): its Beijing item is a scene of the trend, not a happening with a venue.
_TREND = re.compile("市场|消费|外资|文旅|旅游|工程|项目|产业|企业|新业态|投资")
# An item's sentence about a plan or the past: 所有在建项目将在3月20日前全部复工, 1937年…在卢沟桥.
_NOT_NOW = re.compile(r"将(?:于|要|会|在|可|陆续|全部)|即将|19\d\d年|\d+年前|历史上")
_SENTENCE = re.compile("[。！？]")
_MARKET = re.compile("消费|客流|销售额|营业额|营业收入")
_FOR = re.compile(r"(?:给|为)(?:北京市?)?$")
_FOR_PEOPLE = re.compile(
    r"[^，。；]{0,10}?(?:百姓|居民|群众|村民|市民|师生|职工|小朋友|老人)[^，。；]{0,4}?"
    r"(?:带来|送上|送去|献上|表演)"
)
_YEAR = re.compile(r"((?:19|20)\d\d)年")
_ITEM = re.compile("[。！？；;]")  # a roundup's items: 北京石景山区…；上海组织…；浙江…
_CAPTION = re.compile(r"图为[^。！？\n]*")
# A disaster's rescue or recovery (防汛救灾, 灾后重建): its concrete Beijing items are often in
# several districts (房山区、门头沟区…道路相继打通), each a place where something was done.
_DISASTER = re.compile(
    "防汛|抗洪|救灾|灾后|抢险|受灾|灾区|重建|洪水|洪涝|山洪|险情|"
    # …and a storm's roundup whose head names no disaster (台风“安比”北上 京津冀迎强降雨, 北京
    # 西北部遭遇暴雪): its Beijing items are the same rescue and transfers.
    "台风|暴雨|强降雨|暴雪|强降雪"
)
# …and what a roundup's item does besides: an event held or a visit made.
_ITEM_HELD = re.compile(
    "举行|举办|开幕|上演|演出|宣讲|活动|庙会|灯会|正在|火热进行|瞻仰|走进|下沉|核查|颁发|"
    "接种|复工|邀请|竣工|开园|开工|投产|开业|揭牌|上线|典礼|仪式|第一课|开学|开通|"
    "合唱|歌唱|表演|演奏|联欢|展演|音乐会"
)
# 北京西城区出台新政策，…启动…项目建设: a policy, whatever it starts.
_RULE = re.compile("出台|政策|印发|办法|措施规定")
# Kinds of article whose text names no happening of its own (facets_report.report_kind).
_NO_HAPPENING = ("briefing", "statement", "future", "bundle", "commentary", "letter")
_INSTRUCTION = re.compile("指示|批示")
# (救援站, 抢修队, 安置点, 检测点: the verb inside a name is no deed.)
_DONE = re.compile(
    "(?:修复|抢修|打通|抢通|恢复|清理|转移|救援|营救|配送|调拨|安置|消杀|救治|架设|挺进|分赴|"
    "开设|检测|排查|完成|展开|启动|开展|组织|派出|补种|改种|清淤|疏散|搜救|避险|护送|组建|配备|设置|"
    "送去|送达|运送)"
    "(?![站队点所中])"
)
# A happening with no event type: a raid, a facility accepted, put into use or opened.
_SETTLED = re.compile(
    r"端掉|捣毁|破获|查获|通过[^，。；]{0,8}验收|投入使用|投入运行|正式投运|建成投用|竣工|开园|开馆"
)
# A clause about the weather itself (遭遇大暴雨, 降雨量达…毫米), not 在暴雨中被淹的…; a warning.
_WEATHER = re.compile(
    r"遭遇|遭受|雨量|降水量|毫米|普降|降下|出现[^，。；]{0,6}[雨雪]|迎来[^，。；]{0,4}[雨雪]"
)
_WARNING = re.compile("预警")
_HAPPENED = re.compile(r"[^，。；]{0,10}?发生")
# What a visitor does at a stop (察看, 了解, 听取…).
_LOOKED = re.compile("察看|考察|视察|调研|看望|慰问|了解|听取|参观|走进|来到")
_VISIT = re.compile("来到|走进|走入|位于|前往|深入")  # where a visit went, in any paragraph


def _roundup_places(
    article: bulletin.Article, head: str, vocab: Vocabulary
) -> list[tuple[str, str]]:
    """A roundup's Beijing items (FACETS-GUIDE.md): the districts of the items that say
    something happened there — at a venue (在北京丰台区王佐镇的…乐园里，孩子们…) or as the
    sentence's subject (北京房山区霞云岭中心小学…今天…开通 / 新年第一天，北京西城区的普查员就来到…)
    — each item in one district. A district in passing (an office's name, a policy's subject)
    does not count, nor an item naming two districts (在海淀同庆街、顺义鲜花港等地), nor an item of
    a market, economy or campaign roundup (旅游市场火热, 外资看好…, 主题教育: scenes of a trend,
    no happening), a plan (将…复工), a past one (1937年…在卢沟桥), a standing practice (每两周举行
    一次) or an offer (人们可以…), nor a scene where nothing is said to happen (在八达岭长城景区，
    雪花飘落…; 在北京门头沟，各类精品民宿广受青睐)."""
    if not _is_roundup(article, head, vocab) or _CAMPAIGN.search(head):
        return []
    # An activities' roundup (各地举办…活动, 闹元宵): its items are activities held, whatever verb
    # shows them (村民们…支起80口大铁锅, 龙舟爱好者激情挥桨).
    activities = bool(_ACTIVITIES.search(head))
    found: list[tuple[str, str]] = []
    beijing = False  # the paragraph so far is about Beijing (在北京，… / 北京受灾地区…。门头沟区…)
    for p in article.paragraphs:
        text = blank_ignored(p.text, vocab)
        for sentence in _ITEM.split(text):
            beijing = beijing or _BEIJING_ITEM.match(sentence) is not None
            items = venues(sentence, vocab) + _subjects(sentence, vocab, beijing)
            items += _audience(sentence, vocab)
            if not items or len({d for d, _ in named_places([sentence], vocab)}) > 1:
                continue
            if not _not_other_time(sentence, article.date) or _MARKET.search(sentence):
                continue  # …nor a market's scene (…表演…，带火节日消费)
            if _happening(sentence) or activities:
                found += items[:1]
        beijing = False
    first: dict[str, tuple[str, str]] = {}
    for district, phrase in found:
        first.setdefault(district, (district, phrase))
    return list(first.values())


def _is_roundup(article: bulletin.Article, head: str, vocab: Vocabulary) -> bool:
    """Does the article go through several places' items (各地…, 北京、浙江…, 大江南北…, or three
    provinces or cities named in its text), rather than report one event or feature one place?
    Not a series' feature (【新思想引领新征程】…, 北京西城：…) nor a market or economy trend."""
    if _FEATURE.match(article.title) or _TREND.search(article.title):
        return False
    if _ACHIEVED.search(article.title) or _NOT_ROUNDUP.search(article.title):
        return False  # 我国成为全球森林资源增长最多的国家: a country's record, its scenes no items;
        # a leader's visit (看望慰问) goes through its stops; a reaction (反响) names places in passing
    if _ROUNDUP.search(head):
        return True
    text = "".join(p.text for p in article.paragraphs)
    return len({w for w in vocab.place_rules["foreign"] if w in text}) >= _MANY_PLACES


def _subjects(sentence: str, vocab: Vocabulary, beijing: bool) -> list[tuple[str, str]]:
    """(district, phrase) for an item that opens on its place, without 在: 北京房山区霞云岭中心小学…,
    这两天，北京东城区府学小学…; in a paragraph about Beijing any place (门头沟区组织…), else only
    with 北京 before it or a district's full name (朝阳区交通委组建…). Not 平谷区的降雪量."""
    m = _ITEM_OPENING.match(sentence)
    if not m:
        return []
    rest = sentence[m.end() :]
    place = vocab.patterns["place"].match(rest)
    if not place:
        return []
    if rest.startswith("的", place.end()) and not vocab.patterns["place"].match(
        rest, place.end() + 1
    ):
        return []  # 平谷区的降雪量; but 北京市门头沟区的龙泉镇、王平镇组织开展…
    name = place.group()
    if not (beijing or m.group("bj") or name.endswith("区")):
        return []
    if is_foreign(sentence[: m.end()], vocab) or shared_name(rest, place.span(), vocab):
        return []
    if not name.endswith("区") and INSTITUTION.match(rest, place.end()):
        return []  # 北京中关村三小开展…: a school named after its place
    return [(vocab.places[name], sentence[: m.end() + place.end()])]


def _audience(sentence: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """(district, phrase) where an item brought its show to a place's people (给…的百姓带来)."""
    for m in vocab.patterns["place"].finditer(sentence):
        before = sentence[: m.start()]
        if not _FOR.search(before) or not _FOR_PEOPLE.match(sentence, m.end()):
            continue
        if is_foreign(before, vocab) or shared_name(sentence, m.span(), vocab):
            continue
        return [(vocab.places[m.group()], sentence[_FOR.search(before).start() : m.end()])]
    return []


def _happening(sentence: str) -> bool:
    """Does a roundup's item sentence say something happened or was done, now (举行, 开幕, 灯会
    正在进行, 排查, 转移), rather than show a scene (雪花飘落, 游客人数达到), a plan or a policy?"""
    return bool(_DONE.search(sentence) or _ITEM_HELD.search(sentence)) and _not_other_time(sentence)


def _not_other_time(sentence: str, date: str | None = None) -> bool:
    """Not a plan, a past event (also one dated in an earlier year than the article: 2014年5月，
    还在海淀区民族小学读书的他…), a policy, a standing practice, an offer or a figure."""
    if earlier(sentence, date):
        return False
    return not (_NOT_NOW.search(sentence) or _RULE.search(sentence) or _STANDING.search(sentence))


def earlier(sentence: str, date: str | None) -> bool:
    """Does the sentence date itself in a year before the article's (2014年5月，…)?"""
    return bool(date) and any(y < date[:4] for y in _YEAR.findall(sentence))


def _disaster_places(
    article: bulletin.Article, head: str, vocab: Vocabulary
) -> list[tuple[str, str]] | None:
    """A disaster's rescue or recovery: every Beijing district named in a sentence that says
    something was done there (北京昌平区、门头沟区、房山区受损地区国道、省道相继打通; not a plan,
    将…). None when a district is named with nothing said done (险情告急, 暴雨橙色预警): the
    set of places is then not known; none for a leader's instruction on the disaster
    (习近平对防汛救灾工作作出重要指示). None when the article is not about a disaster."""
    if not _DISASTER.search(head):
        return None
    if _INSTRUCTION.search(article.title) or _CAMPAIGN.search(head):
        return []  # …主题教育与灾后恢复重建紧密结合: a campaign's stories, not the rescue's places
    found, named = [], set()
    for p in article.paragraphs:
        for sentence in _SENTENCE.split(p.text):
            # 北京门头沟区遭遇大暴雨: where the weather fell, neither a place where something was
            # done nor one left unknown; 怀柔、密云两区…发布暴雨橙色预警: named, nothing done.
            clauses = sentence.split("，")
            warned = [c for c in clauses if _WARNING.search(c)]
            named |= {d for d, _ in named_places(warned, vocab)}
            fell = list(named_places([c for c in clauses if _WEATHER.search(c)], vocab))
            sentence = "，".join(c for c in clauses if not _WEATHER.search(c) and c not in warned)
            here = list(named_places([sentence], vocab))
            # 平谷一些地方降下大暴雨，当地启动防汛应急响应，提前转移…村民: what was done where the
            # weather fell, when the sentence names no other place.
            if not here and len({d for d, _ in fell}) == 1:
                here = fell[:1]
            named |= {d for d, _ in here}
            if _DONE.search(sentence) and not _NOT_NOW.search(sentence):
                if earlier(sentence, article.date):
                    continue
                found += here
    if named - {d for d, _ in found}:
        return []  # 怀柔区…险情告急 / 门头沟区处于暴雨橙色预警: a district with nothing said done
    first: dict[str, tuple[str, str]] = {}
    for district, name in found:
        first.setdefault(district, (district, name))
    return list(first.values())


def _happened_places(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """东城区夕照寺西里发生的火灾 → 东城区: where the lead says something happened; and a
    happening with no event type at a stated venue (FACETS-GUIDE.md keeps its district): a raid
    (在朝阳区安慧北里一带连续端掉多个…窝点), a facility accepted or opened (位于北京怀柔科学城的…装置
    顺利通过国家验收)."""
    found = []
    for district, name in named_places([text], vocab):
        at = text.find(name)
        if m := _HAPPENED.match(text, at + len(name)):
            found.append((district, text[at : m.end()]))
    for sentence in _SENTENCE.split(text):
        if _SETTLED.search(sentence) and not _NOT_NOW.search(sentence):
            found += venues(sentence, vocab)[:1]
    return found


def _parent_places(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """朝阳区医疗卫生工会下属恒兴肿瘤医院工会开展…: the parent body's district is the event's."""
    found = []
    for unit in vocab.names["units"]:
        for part in text.split(unit)[:-1]:
            clause = _CLAUSE.split(part)[-1]
            if not clause.endswith(tuple(vocab.names["suffixes"])):
                continue  # 密云区、承德市…及两市所属5个县: places, not a parent body
            found += [(d, f"{clause}{unit}") for d, _ in named_places([clause], vocab)]
    return found


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def places_of(
    article: bulletin.Article,
    head: str,
    kind: str,
    organizer: Iterable[str],
    vocab: Vocabulary,
) -> list[tuple[str, str]]:
    """(district, phrase) for the article's main event: head is its headline and lead, kind what
    they report (facets_report.report_kind), organizer the hosting bodies found."""
    places = [(d, name) for name in organizer for d, _ in named_places([name], vocab)]
    places += _parent_places(head, vocab)
    # A venue only for an event held: a feature or a story with no sign of an event (kind
    # "none") puts its scenes 在…/位于… (在北京市海淀区的一栋写字楼里), a statement its speaker's
    # places, an event still to come has no venue yet.
    if kind == EVENT:
        # 图为2014年5月30日，习近平总书记在海淀区…: a photo's caption, another day's scene.
        places += venues(_CAPTION.sub("", head), vocab)
        # Later paragraphs only for a visit (考察, 调研) and only its stops (来到/走进/位于), never
        # 在 (anything): features and reactions name places of other days.
        # …and only a visit in Beijing: 李克强在四川考察…来到沙河镇 is Sichuan's 沙河镇.
        # A series' name is no visit: 【调结构转方式·北京科技创新调研行】 heads a feature, and so
        # does a place and a colon (北京西城：…, 【一线调研】北京：…, whose lead says 来看记者的调研).
        plain = _SERIES.sub("", head)
        visit = (_INSPECTION.search(plain) or _ATTENDED.search(article.title)) and not (
            _elsewhere(head, vocab) or _FEATURE.match(article.title)
        )
        if visit and kind != "statement":
            places += _visit_stops(article, vocab)
        # …and in an event report whose lead names no place at all (a series' feature, 【…】 or
        # 北京海淀：…, names places of many days), the venue the next paragraphs give.
        # Not after a visit: its stops are read above, and left unknown when they are.
        later = not (visit or _placed_elsewhere(head, vocab) or _FEATURE.match(article.title))
        if not places and _IN_BEIJING.search(head):
            places = _later_venue(article, vocab)
        elif not places and later and not _is_roundup(article, head, vocab):
            places = _later_venue(article, vocab, named=article.title)
    if not places and kind not in _NO_HAPPENING:
        first = head.partition("\n")[2]
        places = _disaster_places(article, head, vocab)
        if places is None:
            places = _roundup_places(article, head, vocab) or _happened_places(first, vocab)
    return places


def _elsewhere(head: str, vocab: Vocabulary) -> bool:
    """Does the headline or lead put the visit in another province or city (在四川考察)?"""
    return any(
        head.find(f"{verb}{place}") >= 0
        for place in vocab.place_rules["foreign"]
        for verb in ("在", "赴", "到")
    )


def _placed_elsewhere(head: str, vocab: Vocabulary) -> bool:
    """Does the headline or lead name a place for the event: another province or city (在上海
    举行), or a venue of its own (在人民大会堂, 在国家体育场)? Then a later paragraph's venue is
    not this event's."""
    return _elsewhere(head, vocab) or bool(_AT_VENUE.search(head))


def _names_event(sentence: str, venue: str, head: str) -> bool:
    """Is the subject before the venue (启动式 in 启动式在北京市通州区…举行) a word of the headline:
    the same event, not another one held there (nor a time: 今天上午还在…)?"""
    clause = _WHEN.sub("", re.split("[，,；]", sentence[: sentence.find(venue)])[-1])
    return any(clause[i : i + 2] in head for i in range(len(clause) - 1))


def _visit_stops(article: bulletin.Article, vocab: Vocabulary) -> list[tuple[str, str]]:
    """The stops of a visit, in the paragraphs after the lead; none when a sentence about what
    the visitor did names a district among no stop (首先来到地铁8号线南锣鼓巷站施工工地…): the set
    of places is then not known."""
    stops, seen = [], set()
    for p in article.paragraphs[1:]:
        if _VISIT.search(p.text):
            stops += _stops(p.text, vocab)
        for sentence in _SENTENCE.split(p.text):
            # …or that opens on a place (东城区隆福寺街区通过…改造。习近平察看街区风貌): a stop
            # described before the visitor is said to come.
            if _LOOKED.search(sentence) or any(named_places([sentence[:8]], vocab)):
                seen |= {d for d, _ in named_places([sentence], vocab)}
    return stops if seen <= {d for d, _ in stops} else []


def _stops(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """Where a visit went: 来到/走进/位于 a place, or a sentence that opens 在 a place and goes on
    to say the visitor came or looked (在海淀区万寿路街道…，李克强来到…)."""
    found = [(d, w) for d, w in venues(text, vocab) if _VISIT.match(w)]
    for sentence in _SENTENCE.split(text):
        if sentence.startswith("在") and _VISIT.search(sentence):
            at = [(d, w) for d, w in venues(sentence, vocab)[:1] if sentence.startswith(w)]
            found += at or _unit_stop(sentence.split("，", 1)[0], vocab)
    return found


# 在中粮集团…亦庄装瓶厂，贺国强深入生产车间: a stop at a works named after its place.
_WORKS = re.compile(r"(?:工厂|厂|办公区|厂区|园区|基地|工地|车间)$")


def _unit_stop(clause: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """The district of a visit sentence's opening clause that names the works visited after its
    place (在…事业部亦庄装瓶厂): one place, and the clause ends on the works."""
    if len(clause) > 32 or not _WORKS.search(clause):
        return []
    # A short name shared with other places (亦庄) counts here: the visit is in Beijing (a
    # visit the lead puts elsewhere has no stops read).
    text = blank_ignored(clause, vocab)
    named = [
        m
        for m in vocab.patterns["place"].finditer(text)
        if not is_foreign(text[: m.start()], vocab)
    ]
    if len({vocab.places[m.group()] for m in named}) != 1:
        return []
    return [(vocab.places[named[0].group()], clause)]


def _later_venue(
    article: bulletin.Article, vocab: Vocabulary, named: str = ""
) -> list[tuple[str, str]]:
    """启动式…在京举办。… 启动式在北京市通州区绿心公园…开始举行: the venue the next two paragraphs
    give, in a sentence that says the event was held there. With `named` (the headline and lead
    when they do not say 在京), only a sentence whose subject names the event they name (比赛在
    延庆赛区…进行, 活动安排在北京房山水头村举行), never a scene that opens on the place."""
    for p in article.paragraphs[1:3]:
        for sentence in _SENTENCE.split(p.text):
            found = venues(sentence, vocab)
            if named:  # …and one district only (not a relay through 望京街道…八达岭…)
                one = found and len({d for d, _ in named_places([sentence], vocab)}) == 1
                same = one and _names_event(sentence, found[0][1], named)
                if same and _HELD_HERE.search(sentence) and _not_other_time(sentence, article.date):
                    return found[:1]
                continue
            # …or the next paragraph opens on the scene: 在北京市西城区德胜街道，社区居民们…
            opens = found and sentence.startswith(found[0][1])
            if opens and _SCENE_TIME.match(sentence.split("，", 1)[0][::-1]):
                opens = False  # 在中关村调研时，…说: when a statement was made, not the scene
            if (
                found
                and (_HELD_HERE.search(sentence) or opens)
                and _not_other_time(sentence, article.date)
            ):
                return found[:1]
    return []

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
from searchsvc.facets_vocab import Vocabulary

_CLAUSE = re.compile(r"[，。；！？：,;!?:\s【】\[\]〔〕]")  # as in facets: a clause's edges
_REGION = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:省|市|自治区|自治州|州|盟)$")
# 将在昌平区举办 / 计划在…: a future event's venue is not where this one took place.
_FUTURE = re.compile(r"(?:将|将要|拟|计划|准备|即将)[^，。；]{0,6}$")
# 在北京市大兴区等33个试点县 / 在北京市大兴区、天津市蓟县等试点县: examples in a list of places.
_SERIES = re.compile(r"【[^】]*】")
_FEATURE = re.compile(r"【[^】]*】|[^ ：:]{2,8}[：:]")
_BEIJING = re.compile("北京|京|本市")
SHORT_NAME = 2  # gazetteer names this short need 北京 before them (see _shared_name)
_LISTED = re.compile(r"(?:、[^，。；、]{1,10})*等(?![待候])")
# 在京举行 / 在北京召开: the lead names the city only; the next paragraphs may give the venue.
_IN_BEIJING = re.compile(r"在(?:京|北京市?)(?:隆重)?(?:举行|举办|召开|开幕|启动)")
_HELD_HERE = re.compile("举行|举办|召开|开幕|开始|启动")
_YU_WORDS = set("对关由至属等善终基鉴乐忙急")  # …于 that is not 在 (位于 is)
_INSPECTION = re.compile("考察|调研|视察|参观|走访|看望")
# 习近平在参加首都义务植树活动时强调: a headline about attending an event, whose venue the
# next paragraph gives (来到位于北京市朝阳区温榆河的植树点).
_ATTENDED = re.compile(r"参加[^，。 ]{0,12}活动")
# 各地多措并举… / 北京、浙江、陕西、福建采取多种方式…: a roundup of several places' items.
_ROUNDUP = re.compile(r"各地|多地|各省|各地区|北京、")
# 东城区夕照寺西里发生的火灾: a district named where something happened, without 在.
# The first sentence of a roundup's paragraph says it is about Beijing (not 北京时间).
_BEIJING_ITEM = re.compile(r"[^。！？]{0,12}?北京(?!时间)")
# A roundup of a market or an economic trend (各地冬季游市场火热, 外资看好中国新机遇, 各地一批重大
# 工程加快推进): its Beijing item is a scene of the trend, not a happening with a venue.
_TREND = re.compile("市场|消费|外资|文旅|旅游|工程|项目|产业|企业|新业态|投资")
# An item's sentence about a plan or the past: 所有在建项目将在3月20日前全部复工, 1937年…在卢沟桥.
_NOT_NOW = re.compile(r"将(?:于|要|会|在|可|陆续|全部)|即将|19\d\d年|\d+年前|历史上")
_SENTENCE = re.compile("[。！？]")
_INSTITUTION = re.compile("实验室|大学|学院|研究院|研究所|中学|小学|医院")
_CAPTION = re.compile(r"图为[^。！？\n]*")
# A disaster's rescue or recovery (防汛救灾, 灾后重建): its concrete Beijing items are often in
# several districts (房山区、门头沟区…道路相继打通), each a place where something was done.
_DISASTER = re.compile("防汛|抗洪|救灾|灾后|抢险|受灾|灾区|重建")
# …and what a roundup's item does besides: an event held or a visit made.
_ITEM_HELD = re.compile(
    "举行|举办|开幕|上演|演出|宣讲|活动|庙会|灯会|正在|火热进行|瞻仰|走进|下沉|核查|颁发|"
    "接种|复工|邀请|竣工|开园|开工|投产|开业|揭牌|上线"
)
_NOW = re.compile(r"(?:今天|昨天|目前|近日|当前|\d{1,2}日)(?:[上下]午)?，?")
# 北京西城区出台新政策，…启动…项目建设: a policy, whatever it starts.
_RULE = re.compile("出台|政策|印发|办法|措施规定")
# Kinds of article whose text names no happening of its own (facets_report.report_kind).
_NO_HAPPENING = ("briefing", "statement", "future", "bundle", "commentary", "letter")
_INSTRUCTION = re.compile("指示|批示")
# (救援站, 抢修队, 安置点, 检测点: the verb inside a name is no deed.)
_DONE = re.compile(
    "(?:修复|抢修|打通|抢通|恢复|清理|转移|救援|营救|配送|调拨|安置|消杀|救治|架设|挺进|分赴|"
    "开设|检测|排查|完成|展开|启动|开展|组织|派出|补种|改种)(?![站队点所中])"
)
_HAPPENED = re.compile(r"[^，。；]{0,10}?发生")
# What a visitor does at a stop (察看, 了解, 听取…).
_LOOKED = re.compile("察看|考察|视察|调研|看望|慰问|了解|听取|参观|走进|来到")
_VISIT = re.compile("来到|走进|走入|位于|前往|深入")  # where a visit went, in any paragraph


def _blank_ignored(text: str, vocab: Vocabulary) -> str:
    """Blank out the phrases that look like places but are not (昌平线, 北京大学生…)."""
    return vocab.patterns["ignore"].sub(lambda m: " " * len(m.group()), text)


def is_foreign(before: str, vocab: Vocabulary) -> bool:
    """Does the text just before a district name make it another city's (长春市朝阳区,
    南通市通州区), rather than Beijing's (北京市朝阳区, 本市通州区)?"""
    tail = before[-8:]
    if tail.endswith(vocab.place_rules["foreign"]):
        return True
    if tail.endswith(vocab.place_rules["home"]):
        return False
    return bool(_REGION.search(tail))


def districts(texts: Iterable[str], vocab: Vocabulary) -> tuple[str, ...]:
    """Beijing districts named in the texts (a district, an alias or a gazetteer place), in
    first-seen order. For names of bodies (昌平区总工会); for running text see `venues`."""
    return tuple(_unique(d for d, _ in _places(texts, vocab)))


def _places(texts: Iterable[str], vocab: Vocabulary) -> Iterable[tuple[str, str]]:
    for text in texts:
        text = _blank_ignored(text, vocab)
        for m in vocab.patterns["place"].finditer(text):
            before = text[: m.start()]
            if not is_foreign(before, vocab) and not _shared_name(text, m.span(), vocab):
                yield vocab.places[m.group()], m.group()


def _shared_name(text: str, span: tuple[int, int], vocab: Vocabulary) -> bool:
    """Is this a short gazetteer name that other places share (燕山 the mountains, 南邵 in
    湖南邵怀段, 长阳 in Hubei), in a text that has not said 北京 / 京 before it or just after?
    A district's name or alias always counts."""
    place = text[span[0] : span[1]]
    return (
        len(place) <= SHORT_NAME
        and place in vocab.place_rules["gazetteer"]
        and not _BEIJING.search(text, 0, span[0])
        and not _BEIJING.search(text, span[1], span[1] + 8)  # 位于亦庄的北京经济技术开发区
    )


def venues(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """(district, phrase) for every place the text says something is at: 在昌平区…,
    来到北京市朝阳区温榆河, 位于北京市昌平区的…; not another city's, not a future event's."""
    if not vocab.patterns["place"].search(text):
        return []
    text = _blank_ignored(text, vocab)
    found = []
    for m in vocab.patterns["venue"].finditer(text):
        before = text[: m.start("place")]
        if is_foreign(before, vocab) or _FUTURE.search(text[: m.start()]):
            continue
        if _shared_name(text, m.span("place"), vocab):
            continue
        if m.group().startswith("于") and text[m.start() - 1 : m.start()] in _YU_WORDS:
            continue  # 对于北京东城区的干部来说: 对于 / 关于 / 由于 name no venue
        if _LISTED.match(text, m.end()):
            continue  # 授权国务院在北京市大兴区等33个试点县: a list of places, not a venue
        if not m.group("place").endswith("区") and _INSTITUTION.match(text, m.end()):
            continue  # 来到昌平实验室: an institution named after a place, not a stated venue
        found.append((vocab.places[m.group("place")], m.group()))
    return found


def _roundup_places(
    article: bulletin.Article, head: str, vocab: Vocabulary
) -> list[tuple[str, str]]:
    """A roundup with one Beijing item: the district its venue names (在丰台区马家堡社区的接种点),
    when one district only is named so (FACETS-GUIDE.md); a district in passing (an office's
    name, a policy's subject) does not count, nor do two districts, nor an item of a market or
    economy roundup (旅游市场火热, 外资看好…: scenes of a trend, no happening), a plan (将…复工)
    or a past one (1937年…在卢沟桥), nor a scene where nothing is said to happen (在八达岭长城
    景区，雪花飘落…; 在北京门头沟，各类精品民宿广受青睐)."""
    if not _ROUNDUP.search(head) or _FEATURE.match(article.title) or _TREND.search(article.title):
        return []  # 【新思想引领新征程】…, 党政机关：…: a feature shows places, not one happening
    # The lead too: 北方多地降雨持续…在怀柔，当地提前开展群众转移 puts the items in the lead.
    found, named = [], set()
    for p in article.paragraphs:
        for sentence in _SENTENCE.split(p.text):
            if (here := venues(sentence, vocab)) and _happening(sentence):
                found += here
                named |= {d for d, _ in _places([sentence], vocab)}
    # The Beijing item often names its district as a sentence's subject, without 在: 在北京，
    # 顺义区启动… / 北京受灾地区…。门头沟区组织…; not 平谷区的降雪量, not 截至目前，朝阳区已…
    for p in article.paragraphs[1:]:
        if _BEIJING_ITEM.match(p.text):
            text = _blank_ignored(p.text, vocab)
            for m in re.finditer(
                rf"(?:^|。|在?北京市?，)(?:{_NOW.pattern})?({vocab.patterns['place'].pattern})",
                text,
            ):
                end = text.find("。", m.end())
                sentence = text[m.start() : end if end >= 0 else len(text)]
                if not text.startswith("的", m.end()) and _happening(sentence):
                    found.append((vocab.places[m.group(1)], m.group()))
                    named.add(vocab.places[m.group(1)])
    # 在海淀同庆街、顺义鲜花港等地: two districts in the item's sentence, not one venue.
    return found[:1] if len({d for d, _ in found} | named) == 1 else []


def _happening(sentence: str) -> bool:
    """Does a roundup's item sentence say something happened or was done, now (举行, 开幕, 灯会
    正在进行, 排查, 转移), rather than show a scene (雪花飘落, 游客人数达到), a plan or a policy?"""
    return bool(_DONE.search(sentence) or _ITEM_HELD.search(sentence)) and not (
        _NOT_NOW.search(sentence) or _RULE.search(sentence)
    )


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
    if _INSTRUCTION.search(article.title):
        return []
    found, named = [], set()
    for p in article.paragraphs:
        for sentence in _SENTENCE.split(p.text):
            here = list(_places([sentence], vocab))
            named |= {d for d, _ in here}
            if _DONE.search(sentence) and not _NOT_NOW.search(sentence):
                found += here
    if named - {d for d, _ in found}:
        return []  # 怀柔区…险情告急 / 门头沟区处于暴雨橙色预警: a district with nothing said done
    first: dict[str, tuple[str, str]] = {}
    for district, name in found:
        first.setdefault(district, (district, name))
    return list(first.values())


def _happened_places(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """东城区夕照寺西里发生的火灾 → 东城区: where the lead says something happened."""
    found = []
    for district, name in _places([text], vocab):
        at = text.find(name)
        if m := _HAPPENED.match(text, at + len(name)):
            found.append((district, text[at : m.end()]))
    return found


def _parent_places(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """朝阳区医疗卫生工会下属恒兴肿瘤医院工会开展…: the parent body's district is the event's."""
    found = []
    for unit in vocab.names["units"]:
        for part in text.split(unit)[:-1]:
            clause = _CLAUSE.split(part)[-1]
            if not clause.endswith(tuple(vocab.names["suffixes"])):
                continue  # 密云区、承德市…及两市所属5个县: places, not a parent body
            found += [(d, f"{clause}{unit}") for d, _ in _places([clause], vocab)]
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
    places = [(d, name) for name in organizer for d, _ in _places([name], vocab)]
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
        if not places and kind == EVENT and _IN_BEIJING.search(head):
            places = _later_venue(article, vocab)
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
            if _LOOKED.search(sentence) or any(_places([sentence[:8]], vocab)):
                seen |= {d for d, _ in _places([sentence], vocab)}
    return stops if seen <= {d for d, _ in stops} else []


def _stops(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """Where a visit went: 来到/走进/位于 a place, or a sentence that opens 在 a place and goes on
    to say the visitor came or looked (在海淀区万寿路街道…，李克强来到…)."""
    found = [(d, w) for d, w in venues(text, vocab) if _VISIT.match(w)]
    for sentence in re.split("[。！？]", text):
        if sentence.startswith("在") and _VISIT.search(sentence):
            found += [(d, w) for d, w in venues(sentence, vocab)[:1] if sentence.startswith(w)]
    return found


def _later_venue(article: bulletin.Article, vocab: Vocabulary) -> list[tuple[str, str]]:
    """启动式…在京举办。… 启动式在北京市通州区绿心公园…开始举行: the venue the next two paragraphs
    give, in a sentence that says the event was held there."""
    for p in article.paragraphs[1:3]:
        for sentence in re.split("[。！？]", p.text):
            if _HELD_HERE.search(sentence) and (found := venues(sentence, vocab)):
                return found[:1]
    return []

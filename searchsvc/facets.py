"""Facets of an article: who organised it, in which Beijing district, what kind of event.

The rules are small pure functions over text, driven by the vocabularies in ``vocab/*.toml`` that
staff edit without touching code (see DESIGN.md, "Facets"; what the right answer is:
``../shared/FACETS-GUIDE.md``). The vocabularies are read in ``facets_vocab``. Every value comes
with its evidence, the phrase that gave it, so staff can see why and correct the vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, fields

from searchsvc import bulletin
from searchsvc.facets_places import (  # noqa: F401  (re-exported: the facets interface)
    districts,
    earlier,
    is_foreign,
    places_of,
    venues,
)
from searchsvc.facets_report import EVENT, report_kind, reports_event  # noqa: F401
from searchsvc.facets_vocab import (  # noqa: F401  (re-exported: the facets interface)
    DISTRICTS,
    EVENT_TYPES,
    OTHER,
    ROLES,
    UNKNOWN,
    Vocabulary,
)


@dataclass(frozen=True)
class Facets:
    organizer: tuple[str, ...] = ()
    host: tuple[str, ...] = ()  # 承办
    co_organizer: tuple[str, ...] = ()  # 协办
    district: tuple[str, ...] = ()
    event_type: tuple[str, ...] = ()
    # Why: (facet, value, the phrase that gave it). Not a stored facet (not in FIELDS) and not
    # part of equality: two readings that agree on the values are the same facets.
    evidence: tuple[tuple[str, str, str], ...] = field(default=(), compare=False, repr=False)

    def as_lists(self) -> dict[str, list[str]]:
        """The facet fields as the article record and the JSON faces carry them."""
        return {name: list(getattr(self, name)) for name in FIELDS}

    def why(self) -> dict[str, dict[str, str]]:
        """{facet: {value: phrase}} — what ``searchsvc parse`` shows beside each value."""
        found: dict[str, dict[str, str]] = {name: {} for name in FIELDS}
        for name, value, phrase in self.evidence:
            found[name].setdefault(value, phrase)
        return found


FIELDS = tuple(f.name for f in fields(Facets) if f.name != "evidence")  # organizer, host, …

# ---------------------------------------------------------------------------------------------
# Organisations

# Clause boundaries: a subject never reaches back over punctuation (or the spaces that separate
# the lead-in, main title and sub-title of a headline).
_CLAUSE = re.compile(r"[，。；！？：,;!?:\s【】\[\]〔〕]")
_DATE = re.compile(
    r"(?:\d{2,4}年)?(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})?[日号]?"
    r"(?:[至到—-]\d{1,2}[日号])?|\d{1,2}[日号](?:[至到—-]\d{1,2}[日号])?|\d{4}年(?:以来|初|底)?"
)  # fmt: skip
# 中央军委政治工作部1日至2日在北京召开 / 国家林草局今日(4月1日)召开
_DATE_TAIL = re.compile(rf"(?:{_DATE.pattern}|[（(](?:{_DATE.pattern})[）)])$")
# "等" ends a list (中宣部、交通部等 / …等20家台湾团体), but it also sits inside names (高等学校).
_ETC = re.compile(
    r"等(?:(?:\d+|[一二三四五六七八九十百几多数余]+)[家个所名]?[\u4e00-\u9fff]{0,4}?)?"
    r"(?:单位|部门|机构|团体|企业|高校|院校|组织)?$"
)
_QUOTED = re.compile(r"“[^“”]*”|《[^《》]*》")
# 6个中央企业, 全国18支医疗队, 新疆等8个省级人民政府: a count of units, not one unit's name.
_COUNT = re.compile(
    r"(?:^|等|全国|国内)[\d一二三四五六七八九十几多]+[个支家批名位]|(?:多|数|若干|各)[个家所支]"
)
# 英国最大护士工会——皇家护理学院: a description, then the name.
# 年会主办单位海南省潮商经济促进会: a role before the name.
_APPOSITION = re.compile(r"^.*(?:——|—|主办单位|承办单位|协办单位|会长单位)")
# 全球各地的孔子学院 / 各级的: many bodies, not one.
_DISTRIBUTIVE = re.compile(r"(?:各地|各国|各级|各省|多地|各界|世界各地)$")
_ALONGSIDE = ("联手", "携手", "会同", "联合")
_COLUMN = re.compile(r"【[^】]*】")
_SERIES_EVENT = re.compile("举行|举办|召开|开幕|闭幕|仪式|参观|展览|会见|会谈|慰问|看望|颁奖|表彰")
_MANY_PLACES = re.compile("各地|多地|多国")
# 【新闻特写】: a feature whatever it names (志愿者…在20日晚举行的闭幕式上).
_FEATURE_COLUMN = re.compile("【(?:新闻)?特写】")


def _series_event(typed: str, date: str | None) -> bool:
    """Does a series' headline or lead say an event was held, in a sentence not dated in an
    earlier year (2014年10月15日，习近平总书记主持召开文艺工作座谈会: another day's)?"""
    return any(
        _SERIES_EVENT.search(s) and not earlier(s, date) for s in re.split("[。！？]", typed)
    )


_PAREN_TAIL = re.compile(r"[（(][^（）()]*[）)]$")  # 中国长江三峡集团公司（下称“三峡集团”）


def _mask(text: str, vocab: Vocabulary) -> str:
    """Blank out keep-words (首都, 在线, 组织部…) and quoted titles (“…活动周”组委会) so that
    their characters never stop a scan."""
    text = _QUOTED.sub(lambda m: "□" * len(m.group()), text)
    return vocab.patterns["keep"].sub(lambda m: "□" * len(m.group()), text)


def _strip_head(text: str, vocab: Vocabulary) -> str:
    """Drop time words and fillers in front of a subject: 近日，/ 3月15日上午 / 据了解."""
    while True:
        before, text = text, text.lstrip("，、 \u3000")
        text = text[m.end() :] if (m := _DATE.match(text)) else text
        if not text.startswith(_NOT_FILLERS):
            text = next(
                (text[len(w) :] for w in vocab.names["fillers"] if text.startswith(w)), text
            )
        if text == before:
            return text


# 联合国世界粮食计划署: 联合 (together with) is a filler, 联合国 is a name's first word.
_NOT_FILLERS = ("联合国",)


def _strip_tail(text: str, vocab: Vocabulary) -> str:
    """Drop adverbs between subject and verb (积极, 联合, 将于…) and a closing 等."""
    while True:
        before, text = text, _DATE_TAIL.sub("", _ETC.sub("", text.rstrip("，、 \u3000")))
        text = next((text[: -len(w)] for w in vocab.names["adverbs"] if text.endswith(w)), text)
        if text == before:
            return text


def subject_before(text: str, end: int, vocab: Vocabulary) -> str:
    """The words that can be the subject of a verb starting at text[end]: back to the clause
    start, cut after the nearest word that cannot be inside a name (的 了 让 通过 …).

    After a preposition comes a venue, a time or an object, so the subject stands before it:
    X在Y举办, X为职工开展, 对Y开展巡视; but in 在2005年X主办的 the time is followed by X.
    """
    clause = _strip_tail(_CLAUSE.split(text[:end])[-1], vocab)
    if stops := list(vocab.patterns["stop"].finditer(_mask(clause, vocab))):
        stop, after = stops[-1], clause[stops[-1].end() :]
        if stop.group() == "的" and _DISTRIBUTIVE.search(clause, 0, stop.start()):
            return ""  # 全球各地的孔子学院举行: many bodies, none of them the host
        # 农业农村部组织湖北省农业农村厅召开: what follows 组织 is its object, not a subject.
        if stop.group() in vocab.names["causatives"] and after:
            return ""
        if stop.group() in vocab.names["prepositions"]:
            head = subject_before(clause, stop.start(), vocab)
            after = head if head or not _DATE.match(after) else after
        clause = after
    # 朝阳区医疗卫生工会下属恒兴肿瘤医院工会开展: the unit named after 下属 is the one acting.
    for unit in vocab.names["units"]:
        clause = clause.rsplit(unit, 1)[-1]
    return _strip_head(clause, vocab)


def is_org(name: str, vocab: Vocabulary) -> bool:
    """A specific organisation's name: ends in an organisation word, is not a bare generic
    (工会, 区总工会, 该公司, 基层工会) and holds nothing a name cannot hold."""
    words = vocab.names
    if name in words["known"]:
        return True
    if (
        not 3 <= len(name) <= 40
        or name in words["generic"]
        or name.endswith(words["non_names"])
        or name.startswith(words["generic_starts"])
        or _CLAUSE.search(name)
        or _COUNT.search(name)
        or name.count("“") != name.count("”")
        or name.count("（") != name.count("）")
        or vocab.patterns["stop"].search(_mask(name, vocab))
    ):
        return False
    # Peel organisation words off the end (医院工会 → 医院 → ""); what is left must say which.
    head = name
    while suffix := next((s for s in words["suffixes"] if head.endswith(s)), None):
        head = head[: -len(suffix)]
    return head != name and bool(head) and head not in words["generic_heads"]


def clean_org(name: str, vocab: Vocabulary) -> str | None:
    """A candidate cut to the organisation's name, or None if it is not one. A name with its
    other name in brackets stays whole (中央党校（国家行政学院）); an alias note goes (中国长江三峡
    集团公司（下称“三峡集团”））."""
    name = _strip_head(_strip_tail(_APPOSITION.sub("", name.strip()), vocab), vocab)
    if not is_org(name, vocab) and is_org(short := _PAREN_TAIL.sub("", name), vocab):
        return name if short != name and is_org(name[len(short) + 1 : -1], vocab) else short
    return name if is_org(name, vocab) else None


def _split_top(text: str, sep: str) -> list[str]:
    """Split on sep outside brackets and quotes: 北京市工业（国防）工会 stays whole."""
    parts, depth = [""], 0
    for char in text:
        depth += (char in "（(“《「") - (char in "）)”》」")
        parts[-1:] = [parts[-1], ""] if char == sep and depth <= 0 else [parts[-1] + char]
    return parts


def split_orgs(span: str, vocab: Vocabulary) -> list[str]:
    """A list of organisations → names. Split on 、 always; on 和/与/及/联合 only when both
    halves are names (中央电视台总编室和文艺报社, never 北京市人力资源和社会保障局)."""

    def joined(piece: str) -> list[str]:
        for joiner in vocab.names["joiners"]:
            for m in re.finditer(re.escape(joiner), piece):
                left, right = piece[: m.start()], piece[m.end() :]
                if (
                    clean_org(left, vocab)
                    and (rest := joined(right))
                    and all(clean_org(r, vocab) for r in rest)
                ):
                    return [left, *rest]
                # 中国驻日本大使馆近日联手中资企业: together with bodies not named, alone.
                if joiner in _ALONGSIDE and clean_org(left, vocab) and _unnamed(right, vocab):
                    return [left]
        return [piece]

    names = [clean_org(p, vocab) for part in _split_top(span, "、") for p in joined(part)]
    # 由中国文化部、意大利文化遗产与活动部、X主办: a list cut inside its first name (部、X): which
    # bodies it names is not known. (A brand inside the list, 58同城·招聘, is only left out.)
    return [] if len(names) > 1 and not names[0] else [n for n in names if n]


def _unnamed(text: str, vocab: Vocabulary) -> bool:
    """中资企业、华侨华人等: bodies of a kind, none named."""
    words = vocab.names
    return _strip_head(text, vocab).startswith((*words["generic_heads"], *words["generic_starts"]))


def _verb_subjects(
    text: str, pattern: re.Pattern[str], vocab: Vocabulary
) -> list[tuple[str, str, str]]:
    """(verb, organisation, phrase) for every verb use of a pattern's verbs in text; the
    phrase is the clause from the subject to the verb (由中国国防邮电工会主办)."""
    if not (verbs := list(pattern.finditer(text))):
        return []
    # 主办方, 组织部, 工会组织的关怀: the verb's characters used as (part of) a noun.
    # But 由中宣部和国家民委等单位联合组织的报告会: after 由 the attributive 组织的 is the verb.
    nouns = [
        m.span()
        for m in vocab.patterns["not_verb"].finditer(text)
        if not (m.group().endswith("的") and "由" in _CLAUSE.split(text[: m.start()])[-1])
    ]
    verbs = [m for m in verbs if not any(a <= m.start() < b for a, b in nouns)]
    found = []
    for m in verbs:
        clause = _CLAUSE.split(text[: m.start()])[-1] + m.group()
        if _listed_before(text, m.start() - len(clause) + len(m.group()), vocab):
            continue
        for name in split_orgs(subject_before(text, m.start(), vocab), vocab):
            found.append(
                (m.group(), name, clause[clause.find(name) :] if name in clause else clause)
            )
    return found


def _listed_before(text: str, start: int, vocab: Vocabulary) -> bool:
    """中宣部 中央文明办开展… (a headline's list, spaces between the names): the clause is the
    list's last name only; which bodies the list holds is left to the lead."""
    before = text[:start]
    if not before.endswith((" ", "\u3000")) or not (words := before.split()):
        return False
    return clean_org(words[-1], vocab) == words[-1]


Evidence = list[tuple[str, str, str]]


def roles(text: str, vocab: Vocabulary, evidence: Evidence | None = None) -> dict[str, list[str]]:
    """Explicit 由X主办，Y承办，Z协办 statements → {"organizer": [X], "host": [Y], ...}."""
    found = _verb_subjects(text, vocab.patterns["role"], vocab)
    if not found:
        return {role: [] for role in ROLES}
    by_role = {role: [(n, c) for v, n, c in found if v in vocab.verbs[role]] for role in ROLES}
    if evidence is not None:
        evidence += [(role, n, c) for role, pairs in by_role.items() for n, c in pairs]
    return {role: _unique(n for n, _ in pairs) for role, pairs in by_role.items()}


def organizers(
    text: str, vocab: Vocabulary, evidence: Evidence | None = None, held: bool = False
) -> list[str]:
    """Subjects of 举办 / 开展 / 组织 in text: 恒丰银行北京分行工会举办读书分享活动. With held (the
    article reports an event held, see facets_report), also of 举行 / 启动 / 组建 / 开设, verbs
    that policies and statements use as often as event reports."""
    found = [
        f for f in _verb_subjects(text, vocab.patterns["event"], vocab) if not _appeal(f, text)
    ]
    if held:
        found += _verb_subjects(text, vocab.patterns["held"], vocab)
        found += _region_subjects(text, vocab)
    found = [f for f in found if not _not_hosting(f, text)]
    if evidence is not None:
        evidence += [("organizer", n, c) for _, n, c in found]
    return _unique(name for _, name, _ in found)


# 发起“文明祭扫”倡议 calls on people to do something: no event, no host; but 发起…倡议，筹措物资
# 支持… is an aid initiative (tests/data/README.md), its initiator the organizer.
_APPEAL = re.compile(r"(?:发起|发出)[^，。；]{0,24}?倡议")
# 共同发出“全球潮人·同心战疫”倡议书: 发出 hosts only an appeal (发出通知 is a policy).
_PLEDGE = re.compile(r"[^，。；]{0,24}?倡议")
_AID = re.compile(r"帮扶|捐|援助|资助|救助|筹措|物资|慰问")


# 国务院还将召开…: an event to come (not 上将, 将军). 国家安全保障局正式启动。: the body is what
# was launched, not a host (启动 with no object).
_WILL = re.compile(r"(?<![上中少大主名武])将(?![军领士帅])|即将|拟")
_NO_OBJECT = re.compile(r"[，。；！？,;]|$")
# 香港特别行政区第五届政府就职典礼…举行: the body's name is part of the event's name.
_NAMED_EVENT = re.compile(r"[^在于]{0,6}?(?:典礼|仪式|大会|开幕式|闭幕式)")
# 国新办举行的政策吹风会上了解到 / 沈阳市政府新闻办…召开的发布会消息: who holds a briefing is the
# news source (tests/data/README.md), not the host of an event.
_BRIEFING = re.compile(r"[^，。；]{0,30}?(?:发布会|记者会|吹风会|通报会|新闻茶座)")


def _not_hosting(found: tuple[str, str, str], text: str) -> bool:
    verb, name, phrase = found
    if _WILL.search(phrase) or _NAMED_EVENT.match(phrase[len(name) : -len(verb)]):
        return True
    if (at := text.find(phrase)) < 0:
        return False
    end = at + len(phrase)
    return bool(_BRIEFING.match(text, end)) or (
        verb == "启动" and bool(_NO_OBJECT.match(text, end))
    )


def _appeal(found: tuple[str, str, str], text: str) -> bool:
    """Is this subject of 发起 the author of an appeal without aid (no organizer)?"""
    verb, _, phrase = found
    at = text.find(phrase)
    sentence = re.split("[。！？]", text[at:], maxsplit=1)[0] if at >= 0 else ""
    if verb == "发出" and not _PLEDGE.match(text, at + len(phrase)):
        return True  # 发出通知 / 发出警告: no event
    return verb in ("发起", "发出") and bool(_APPEAL.search(sentence)) and not _AID.search(sentence)


# 北京市组织百姓宣讲团 → 北京市: a city or province acting as a body (FACETS-GUIDE.md), but not
# 北京市持续开展…, a standing campaign rather than the event reported.
_REGION_BODY = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:市|省|自治区)")
_REGION_NEAR = re.compile("市|省|自治区")
_ONGOING = re.compile(r"持续|不断|长期|坚持|一直|常态化|多年来|以来")


def is_region(name: str, vocab: Vocabulary) -> bool:
    """A city's or province's name (北京市, 湖北省), not a generic one (全市, 各省)."""
    return bool(_REGION_BODY.fullmatch(name)) and not (
        name.startswith(vocab.names["generic_starts"]) or name[:-1] in vocab.names["generic_heads"]
    )


def _region_subjects(text: str, vocab: Vocabulary) -> list[tuple[str, str, str]]:
    """(verb, region, phrase) where a city or province is the subject of a hosting verb."""
    found = []
    for pattern in (vocab.patterns["event"], vocab.patterns["held"]):
        for m in pattern.finditer(text):
            if not _REGION_NEAR.search(text, max(0, m.start() - 14), m.start()):
                continue  # the cheap test first: no 市/省 just before the verb
            name = subject_before(text, m.start(), vocab)
            phrase = _CLAUSE.split(text[: m.start()])[-1] + m.group()
            if is_region(name, vocab) and not _ONGOING.search(phrase):
                found.append((m.group(), name, phrase[phrase.find(name) :]))
    return found


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


def _full_forms(names: Iterable[str]) -> list[str]:
    """伦敦奥运会中国代表团 … 中国代表团: a name printed again without its leading words is
    the same body, given once in its full form (FACETS-GUIDE.md); two names run together in a
    headline (中共中央国务院) are the two bodies the lead prints apart."""
    names = _unique(names)
    # 中共中央国务院举行 in a headline, 中共中央、国务院 in the lead: two bodies run together.
    names = [n for n in names if not any(a + b == n for a in names for b in names)]
    return [n for n in names if not any(o != n and (o.endswith(n) or _short(n, o)) for o in names)]


def _short(name: str, full: str) -> bool:
    """全国政协民宗委 … 全国政协民族和宗教委员会, 中宣部 … 中共中央宣传部: a short form, its characters
    in the full form's order, from its first character to its last word."""
    if not 3 <= len(name) < len(full) or full.startswith(name) or name[0] != full[0]:
        return False
    if name[-1] not in full[-3:]:
        return False
    rest = iter(full)
    return all(char in rest for char in name)


# ---------------------------------------------------------------------------------------------
# Event types


def event_types(text: str, vocab: Vocabulary) -> tuple[str, ...]:
    """Event types whose strong keywords occur in text; if none does, those with weak ones
    (走进 is a visit, unless the story says what the visitors did there: 宣讲)."""
    return tuple(kind for kind, _ in _event_evidence(text, vocab))


def _event_evidence(text: str, vocab: Vocabulary) -> list[tuple[str, str]]:
    """(type, keyword) for the types whose strong keywords occur in text, else for those with
    weak ones; a keyword inside one of its type's exclude phrases does not count. One regex
    pass over the text for all types (extraction runs over the whole archive at index time)."""
    excluded: dict[str, list[tuple[int, int]]] = {}
    for m in vocab.patterns["exclude"].finditer(text):
        for kind, strength in vocab.keyword_kinds[m.group()]:
            if strength == "exclude":
                excluded.setdefault(kind, []).append(m.span())
    found: dict[str, dict[str, str]] = {"strong": {}, "weak": {}}
    for m in vocab.patterns["keyword"].finditer(text):
        for kind, strength in vocab.keyword_kinds[m.group()]:
            spans = excluded.get(kind, ())
            if strength != "exclude" and not any(a < m.end() and m.start() < b for a, b in spans):
                found[strength].setdefault(kind, m.group())
    chosen = found["strong"] or found["weak"]
    return sorted(chosen.items(), key=lambda item: EVENT_TYPES.index(item[0]))


def lead(article: bulletin.Article) -> str:
    """The lead paragraph. Web pages often put the headline again, or a photo caption, above the
    story: a short line without a full stop among the first three is passed over."""
    paras = [p.text for p in article.paragraphs]
    story = (
        t for t in paras[:3] if t != article.title and (len(t) >= 40 or re.search("[。！？]", t))
    )
    return next(story, paras[0] if paras else "")


# ---------------------------------------------------------------------------------------------
# One article


def extract(article: bulletin.Article, vocab: Vocabulary) -> Facets:
    """All facets of one article, each value with its evidence (see FACETS-GUIDE.md)."""
    first = lead(article)
    head = f"{article.title}\n{first}"
    evidence: list[tuple[str, str, str]] = []
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    # 由X主办 is explicit wherever it stands; 举办/开展 in later paragraphs is often about plans
    # (工会将进一步开展…), so without a 主办 the subject is taken from headline and lead only.
    # One search skips the many paragraphs without a role verb.
    # A programme broadcast or recorded has no host even when 由X主办 (特别节目…录制完成).
    kind = report_kind(article.title, first)
    # 国内联播快讯: no item's host is the article's; nor has an event to come a host yet.
    whole = kind not in ("programme", "bundle", "future")
    # A policy, an appointment, a statement, a future event…: no subject of 举办/开展 is its host;
    # nor in a series' feature, unless it says an event was held (【法治中国行】…试点…一年多来).
    typed = _COLUMN.sub(lambda m: " " * len(m.group()), head)  # the series' name blanked
    feature = _FEATURE_COLUMN.match(article.title) or (
        _COLUMN.match(article.title) and not _series_event(typed, article.date)
    )
    # A roundup (各地…) or a series' feature: a later paragraph's 由X主办 is one item's host.
    texts = (article.title, *(p.text for p in article.paragraphs)) if whole else ()
    if feature or _MANY_PLACES.search(head):
        texts = texts[:1] + (first,) if whole else ()
    for text in (t for t in texts if vocab.patterns["role"].search(t)):
        for role, names in roles(text, vocab, evidence).items():
            found[role].extend(names)
    if not found["organizer"] and kind in (EVENT, "none") and not feature:
        for text in (article.title, first):
            found["organizer"] += organizers(text, vocab, evidence, held=kind == EVENT)
    organizer, host, co = (tuple(_full_forms(found[role])) for role in ROLES)

    places = places_of(article, head, kind, organizer, vocab)
    district = tuple(_unique(d for d, _ in places))
    evidence += [("district", d, phrase) for d, phrase in places]

    # 【新时代担当作为典型风采】/【…走进老区看新貌】: a series' name, not what was done; a series'
    # feature (【…“百城千县万村调研行”】…走进北京市东城区) reports no event unless it says one was held.
    kinds = _event_evidence(typed, vocab) if kind == EVENT or organizer or host else []
    if (kind not in (EVENT, "none") or feature) and not (organizer or host):
        kinds = []
    if not kinds and (organizer or host or co):
        kinds = [(OTHER, "")]  # an event, just not of a kind the taxonomy names
    evidence += [("event_type", kind, phrase) for kind, phrase in kinds]
    return Facets(organizer, host, co, district, tuple(k for k, _ in kinds), tuple(evidence))

"""Facets of an article: who organised it, in which Beijing district, what kind of event.

The rules are small pure functions over text, driven by the vocabularies in ``vocab/*.toml`` that
staff edit without touching code (see DESIGN.md, "Facets"). A vocabulary change takes effect at
the next reindex: ``Vocabulary.fingerprint`` tells the index that everything must be redone.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import NoReturn

from searchsvc import bulletin

UNKNOWN = "未注明"  # how an empty facet is shown in listings
VOCAB_DIR = Path(__file__).parent / "vocab"
USERDICT = "userdict.txt"

DISTRICTS = (
    "东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区",
    "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区", "北京经济技术开发区",
)  # fmt: skip
OTHER = "其他"
EVENT_TYPES = ("宣讲报告", "培训", "读书阅读", "志愿服务", "文体活动", "参观交流", "技能竞赛",
               "慰问帮扶", "座谈会议", "表彰评选", OTHER)  # fmt: skip
ROLES = ("organizer", "host", "co_organizer")


class VocabError(Exception):
    """A vocabulary file staff cannot have meant. str(e) == f"{path}:{line}: {reason}"."""

    def __init__(self, path: Path | str, line: int | None, reason: str):
        super().__init__(f"{path}:{line}: {reason}" if line is not None else f"{path}: {reason}")
        self.path = path
        self.line = line
        self.reason = reason


@dataclass(frozen=True)
class Facets:
    organizer: tuple[str, ...] = ()
    host: tuple[str, ...] = ()  # 承办
    co_organizer: tuple[str, ...] = ()  # 协办
    district: tuple[str, ...] = ()
    event_type: tuple[str, ...] = ()

    def as_lists(self) -> dict[str, list[str]]:
        """The facet fields as the article record and the JSON faces carry them."""
        return {name: list(getattr(self, name)) for name in FIELDS}


FIELDS = tuple(f.name for f in fields(Facets))  # organizer, host, co_organizer, …


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of the words, longest first (so 北京朝阳医院 beats 北京朝阳)."""
    words = sorted(set(words), key=lambda w: (-len(w), w))
    return re.compile("|".join(map(re.escape, words)) if words else r"(?!x)x")


def _aux():
    # Two vocabularies are equal when loaded from the same bytes: only the fingerprint takes
    # part in == and hash, which also keeps the frozen dataclass hashable despite its dicts.
    return field(compare=False, repr=False, default_factory=dict)


@dataclass(frozen=True)
class Vocabulary:
    fingerprint: str  # sha256 over every *.toml and userdict.txt in the folder, by name
    verbs: dict[str, tuple[str, ...]] = _aux()  # organizers.toml [verbs]
    names: dict[str, tuple[str, ...]] = _aux()  # organizers.toml [names]
    places: dict[str, str] = _aux()  # district, alias or gazetteer entry → district
    place_rules: dict[str, tuple[str, ...]] = _aux()  # districts.toml [places]
    keywords: dict[str, dict[str, tuple[str, ...]]] = _aux()  # type → strong / weak / exclude
    patterns: dict[str, re.Pattern[str]] = _aux()

    @classmethod
    def load(cls, folder: Path = VOCAB_DIR) -> Vocabulary:
        """Read and check the three vocabulary files; raises VocabError naming file and line."""
        org = TomlFile(Path(folder) / "organizers.toml")
        org.only(None, ("verbs", "names"))
        verbs = org.lists("verbs", (*ROLES, "event", "not_verb"), required=(*ROLES, "event"))
        # Longest first, so that 总工会 is peeled off before 工会, 将于 before 将.
        lists = org.lists("names", _NAME_KEYS, required=("suffixes",))
        names = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in lists.items()}
        if [c for c in names["stop_chars"] if len(c) != 1]:
            org.fail("stop_chars 只能是单字 / must be single characters", "names", "stop_chars")

        dis = TomlFile(Path(folder) / "districts.toml")
        rules = dis.lists("places", ("foreign", "home", "ignore"))
        places = {name: name for name in DISTRICTS}
        for district in (d for d in dis.data if d != "places"):
            if district not in DISTRICTS:
                dis.fail(
                    f"不是北京的区 / not one of Beijing's 17 districts: {district!r}", district
                )
            for key, words in dis.lists(district, ("aliases", "gazetteer")).items():
                for word in (w for w in words if places.setdefault(w, district) != district):
                    why = f"一词两区 / {word!r} is in both {places[word]} and {district}"
                    dis.fail(why, district, key)

        ev = TomlFile(Path(folder) / "event_types.toml")
        for kind in (k for k in ev.data if k not in EVENT_TYPES):
            ev.fail(f"未知的活动类型 / unknown event type {kind!r}", kind)
        keywords = {kind: ev.lists(kind, ("strong", "weak", "exclude")) for kind in ev.data}

        patterns = {
            "role": _alternation(v for role in ROLES for v in verbs[role]),
            "event": _alternation(verbs["event"]),
            "not_verb": _alternation(verbs["not_verb"]),
            "keep": _alternation(names["keep_words"]),
            "stop": _alternation([*names["stop_words"], *names["stop_chars"]]),
            "place": _alternation(places),
        }
        return cls(fingerprint(folder), verbs, names, places, rules, keywords, patterns)


_NAME_KEYS = ("suffixes", "known", "generic", "generic_heads", "generic_starts", "non_names",
              "prepositions", "stop_words", "stop_chars", "keep_words", "adverbs", "fillers",
              "units", "joiners")  # fmt: skip


def fingerprint(folder: Path = VOCAB_DIR) -> str:
    """sha256 over the vocabulary files (every *.toml and userdict.txt), names and bytes."""
    digest = hashlib.sha256()
    files = [*Path(folder).glob("*.toml"), Path(folder) / USERDICT]
    for path in sorted({p for p in files if p.is_file()}, key=lambda p: p.name):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


class TomlFile:
    """One TOML vocabulary file, read and parsed, that knows where its keys are written."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise VocabError(path, None, "缺少词表文件 / vocabulary file missing") from None
        except (OSError, UnicodeDecodeError) as err:
            raise VocabError(
                path, None, f"无法读取 / cannot read (UTF-8 expected): {err}"
            ) from None
        try:
            self.data = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as err:
            # tomllib says where only inside its message: "Invalid value (at line 3, column 9)".
            m = re.search(r"\s*\(at line (\d+), column \d+\)", str(err))
            line, detail = (int(m.group(1)), str(err).replace(m.group(0), "")) if m else (None, err)
            raise VocabError(path, line, f"{_MALFORMED}: {detail}") from None

    def line_of(self, table: str | None, key: str | None = None) -> int | None:
        """Best-effort line of `key = …` in [table], or of the [table] header itself."""
        lines, start, end = self.text.split("\n"), 0, None
        if table is not None and key is not None:
            header = re.compile(rf'\s*\[\s*["\']?{re.escape(table)}["\']?\s*\]\s*(#.*)?$')
            start = next((i for i, line in enumerate(lines) if header.match(line)), None)
            if start is None:
                return None
            ends = (i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("["))
            end = next(ends, None)
        name = key if key is not None else table
        target = re.compile(rf'\s*\[?\s*["\']?{re.escape(str(name))}["\']?\s*[=\]]')
        return next(
            (i + 1 for i in range(start, end or len(lines)) if target.match(lines[i])), None
        )

    def fail(self, reason: str, table: str | None, key: str | None = None) -> NoReturn:
        raise VocabError(self.path, self.line_of(table, key), f"{_MALFORMED}: {reason}")

    def only(self, table: str | None, known: Iterable[str]) -> dict:
        """The [table] (None: the whole file), checked to hold no unknown key (a typo)."""
        section = self.data if table is None else self.data.get(table)
        if not isinstance(section, dict):
            self.fail(f"缺少 [{table}] 表 / missing table [{table}]", table)
        for key in (k for k in section if k not in known):
            self.fail(f"未知的键 / unknown key {key!r}", table, key)
        return section

    def lists(
        self, table: str, keys: Iterable[str], required: Iterable[str] = ()
    ) -> dict[str, tuple[str, ...]]:
        """The lists of strings of one [table], each checked: strings, none empty."""
        section, found = self.only(table, keys), {}
        for key in keys:
            value = section.get(key, None if key in required else [])
            if value is None:
                self.fail(f"{table}.{key} 缺少 / missing", table, key)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                self.fail(f"{table}.{key} 应为字符串列表 / must be a list of strings", table, key)
            if any(not v.strip() for v in value):
                self.fail(f"{table}.{key} 含空关键词 / contains an empty keyword", table, key)
            if key in required and not value:
                self.fail(f"{table}.{key} 不能为空 / must not be empty", table, key)
            found[key] = tuple(v.strip() for v in value)
        return found


_MALFORMED = "词表格式错误 / malformed vocabulary"

# ---------------------------------------------------------------------------------------------
# Organisations

# Clause boundaries: a subject never reaches back over punctuation (or the spaces that separate
# the lead-in, main title and sub-title of a headline).
_CLAUSE = re.compile(r"[，。；！？：,;!?:\s【】\[\]〔〕]")
_DATE = re.compile(
    r"(?:\d{2,4}年)?(?:\d{1,2}|[一二三四五六七八九十]{1,3})月(?:\d{1,2}|[一二三四五六七八九十]{1,3})?[日号]?"
    r"(?:[至到—-]\d{1,2}[日号])?|\d{1,2}[日号](?:[至到—-]\d{1,2}[日号])?|\d{4}年(?:以来|初|底)?"
)  # fmt: skip
_DATE_TAIL = re.compile(rf"(?:{_DATE.pattern})$")  # 中央军委政治工作部1日至2日在北京召开
# "等" ends a list (中宣部、交通部等 / …等20家台湾团体), but it also sits inside names (高等学校).
_ETC = re.compile(
    r"等(?:(?:\d+|[一二三四五六七八九十百几多数余]+)[家个所名]?[\u4e00-\u9fff]{0,4}?)?"
    r"(?:单位|部门|机构|团体|企业|高校|院校|组织)?$"
)
_QUOTED = re.compile(r"“[^“”]*”|《[^《》]*》")
# 6个中央企业, 全国18支医疗队, 新疆等8个省级人民政府: a count of units, not one unit's name.
_COUNT = re.compile(r"(?:^|等|全国|国内)[\d一二三四五六七八九十几多]+[个支家批名位]")
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
        text = next((text[len(w) :] for w in vocab.names["fillers"] if text.startswith(w)), text)
        if text == before:
            return text


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
    """A candidate cut to the organisation's name, or None if it is not one."""
    name = _strip_head(_strip_tail(name.strip(), vocab), vocab)
    if not is_org(name, vocab) and is_org(short := _PAREN_TAIL.sub("", name), vocab):
        name = short
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
        return [piece]

    names = [clean_org(p, vocab) for part in _split_top(span, "、") for p in joined(part)]
    return [n for n in names if n]


def _verb_subjects(text: str, pattern: re.Pattern[str], vocab: Vocabulary) -> list[tuple[str, str]]:
    """(verb, organisation) for every verb use of a pattern's verbs in text."""
    # 主办方, 组织部, 工会组织的关怀: the verb's characters used as (part of) a noun.
    nouns = [m.span() for m in vocab.patterns["not_verb"].finditer(text)]
    verbs = [m for m in pattern.finditer(text) if not any(a <= m.start() < b for a, b in nouns)]
    return [
        (m.group(), name)
        for m in verbs
        for name in split_orgs(subject_before(text, m.start(), vocab), vocab)
    ]


def roles(text: str, vocab: Vocabulary) -> dict[str, list[str]]:
    """Explicit 由X主办，Y承办，Z协办 statements → {"organizer": [X], "host": [Y], ...}."""
    found = _verb_subjects(text, vocab.patterns["role"], vocab)
    return {role: _unique(n for v, n in found if v in vocab.verbs[role]) for role in ROLES}


def organizers(text: str, vocab: Vocabulary) -> list[str]:
    """Subjects of 举办 / 开展 / 组织 in text: 恒丰银行北京分行工会举办读书分享活动."""
    return _unique(name for _, name in _verb_subjects(text, vocab.patterns["event"], vocab))


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# ---------------------------------------------------------------------------------------------
# Districts and event types

_REGION = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:省|市|自治区|自治州|州|盟)$")


def _blank(text: str, phrases: Iterable[str]) -> str:
    for phrase in phrases:
        text = text.replace(phrase, " " * len(phrase))
    return text


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
    """Beijing districts named in the texts, or implied by a gazetteer organisation or landmark
    (北京石油化工学院 → 大兴区), first-seen order."""
    found = []
    for text in texts:
        text = _blank(text, vocab.place_rules["ignore"])
        for m in vocab.patterns["place"].finditer(text):
            if not is_foreign(text[: m.start()], vocab):
                found.append(vocab.places[m.group()])
    return tuple(_unique(found))


def event_types(text: str, vocab: Vocabulary) -> tuple[str, ...]:
    """Event types whose strong keywords occur in text; if none does, those with weak ones
    (走进 is a visit, unless the story says what the visitors did there: 宣讲)."""
    strong, weak = [], []
    for kind, words in sorted(vocab.keywords.items(), key=lambda item: EVENT_TYPES.index(item[0])):
        scan = _blank(text, words["exclude"])
        if any(k in scan for k in words["strong"]):
            strong.append(kind)
        elif any(k in scan for k in words["weak"]):
            weak.append(kind)
    return tuple(strong or weak)


def lead(article: bulletin.Article) -> str:
    """The lead paragraph. Web pages often put the headline again, or a photo caption, above the
    story: a short line without a full stop among the first three is passed over."""
    paras = [p.text for p in article.paragraphs]
    story = (
        t for t in paras[:3] if t != article.title and (len(t) >= 40 or re.search("[。！？]", t))
    )
    return next(story, paras[0] if paras else "")


def extract(article: bulletin.Article, vocab: Vocabulary) -> Facets:
    """All facets of one article (see DESIGN.md, "Facets")."""
    first = lead(article)
    found: dict[str, list[str]] = {role: [] for role in ROLES}
    # 由X主办 is explicit wherever it stands; 举办/开展 in later paragraphs is often about plans
    # (工会将进一步开展…), so without a 主办 the subject is taken from headline and lead only.
    for text in (article.title, *(p.text for p in article.paragraphs)):
        for role, names in roles(text, vocab).items():
            found[role].extend(names)
    if not found["organizer"]:
        found["organizer"] = organizers(article.title, vocab) + organizers(first, vocab)
    organizer, host, co = (tuple(_unique(found[role])) for role in ROLES)
    district = districts((article.title, first, *organizer, *host, *co), vocab)
    kinds = event_types(f"{article.title}\n{first}", vocab)
    if not kinds and (organizer or host or co):
        kinds = (OTHER,)  # an event, just not of a kind the taxonomy names
    return Facets(organizer, host, co, district, kinds)

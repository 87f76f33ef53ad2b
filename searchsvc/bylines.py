"""Bylines: who reported, corresponded and photographed, read from the byline a page prints
(`本报讯（记者 任洁 通讯员 周琼）`, a standalone `通讯员 余璨译 摄影报道`)."""

from __future__ import annotations

import re

# Common single-character surnames, and compound ones. A bare name list (no 记者/通讯员 role
# word) is only believed when every name starts with one, so that a parenthesis such as
# 央视网消息（新闻联播） is not read as a person.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞"
    "左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕"
    "屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧"
    "闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥"
    "南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支"
    "卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印"
    "逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭"
)
_COMPOUND = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙",
             "宇文", "司徒", "夏侯", "令狐", "端木", "呼延", "南宫", "西门", "独孤", "万俟")  # fmt: skip
_ROLES = ("本报记者", "首席记者", "特约记者", "见习记者", "实习记者", "摄影记者", "记者",
          "通讯员", "实习生", "摄影", "摄")  # fmt: skip
_ROLE_SPLIT = re.compile("(" + "|".join(_ROLES) + ")")
_NAME = re.compile(r"[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}[·•・][\u4e00-\u9fff]{1,8}")


def _has_surname(name: str) -> bool:
    return name[0] in _SURNAMES or name.startswith(_COMPOUND)


def _split_names(blob: str, strict: bool) -> list[str] | None:
    """Names in one separator-free run: 程景伟陈毅恩 → 程景伟, 陈毅恩. None if not names."""
    if _NAME.fullmatch(blob):
        return [blob] if _has_surname(blob) or not strict else None
    if not re.fullmatch(r"[\u4e00-\u9fff]{5,8}", blob):
        return None
    # Bylines often run two names together; try the usual 3+3, 2+3, 3+2, 2+2+... cuts and keep
    # the first where every part starts with a surname.
    for cut in (3, 2):
        head, rest = blob[:cut], blob[cut:]
        if _has_surname(head) and (tail := _split_names(rest, True)):
            return [head, *tail]
    return None


def parse_people(text: str, need_role: bool) -> dict[str, list[str]] | None:
    """`记者 曹立栋 通讯员 周琼` → {"reporters": [...], "correspondents": [...], ...}.

    A bare list (no role word) counts as reporters. None when the text is not only a name list.
    """
    people: dict[str, list[str]] = {"reporters": [], "correspondents": [], "photographers": []}
    role, found_role = "reporters", False
    for piece in _ROLE_SPLIT.split(text):
        if piece in _ROLES:
            found_role = True
            role = {"通讯员": "correspondents", "摄影": "photographers", "摄影记者": "photographers",
                    "摄": "photographers"}.get(piece, "reporters")  # fmt: skip
            continue
        for blob in re.split(r"[\s、，,。/／;；|｜]+", piece):
            if not blob:
                continue
            names = _split_names(blob, strict=not found_role or need_role)
            if names is None:
                return None
            people[role].extend(names)
    if (need_role and not found_role) or not any(people.values()):
        return None
    return people


_OUTLET = r"[\u4e00-\u9fff]{1,8}?(?:社|网|报|台|刊)"
_DATE = r"[\u4e00-\u9fff]{0,8}?(?:\d{4}年)?\d{1,2}月\d{1,2}日"
# 本报讯 / 京华时报讯, 新华社北京3月30日电, 据新华社电, 央视网消息： — the wire-service
# dateline that opens a news story, with the byline in the parenthesis right after it.
DATELINE = re.compile(
    rf"(?:据)?{_OUTLET}{_DATE}电|(?:本报|{_OUTLET})快?讯|据{_OUTLET}电"
    rf"|{_OUTLET}(?:{_DATE})?消息(?=\s*[，,（(：:])"
)
PAREN = re.compile(r"\s*[（(]([^（）()]{1,40})[）)]")
_CREDIT_TAIL = re.compile(r"\s*(?:摄影报道|摄影|摄|供图)$")
_PLACE_TAIL = re.compile(r"\s*(?:[|｜]\s*)?[\u4e00-\u9fff]{2,4}报道$")
_CREDIT_HEAD = re.compile(
    r"(?:文\s*[|｜/／])?(?:《[^》]{1,15}》|[\u4e00-\u9fff]{1,10}?(?:社|网|报|台|刊|新闻))?"
)


def standalone_byline(text: str) -> tuple[bool, dict[str, list[str]]] | None:
    """A paragraph that is only a byline or photo credit: `《中国经济周刊》记者宋明霞|北京报道`,
    `法制网记者周芬棉`, `通讯员 余璨译 摄影报道`. Returns (is_photo_credit, people) or None.

    Conservative on purpose: short, no sentence punctuation, a role word and surname-first names;
    deleting a body paragraph by mistake is worse than leaving a byline in the text.
    """
    if len(text) > 40 or re.search(r"[，。！？；：,;!?:“”]", text):
        return None
    body = text
    if photo := bool(_CREDIT_TAIL.search(body)):
        body = _CREDIT_TAIL.sub("", body)
    body = _PLACE_TAIL.sub("", body)
    # The whole line first, then without a paper's name in front; in this order always (a set
    # here gave `王可本报记者赵霞` one reporter or two by the process's string hashing).
    for head in dict.fromkeys(("", _CREDIT_HEAD.match(body).group(0))):
        people = parse_people(body[len(head) :].strip(), need_role=True)
        if people:
            if photo:
                names = [n for group in people.values() for n in group]
                people = {"reporters": [], "correspondents": [], "photographers": names}
            return photo, people
    return None

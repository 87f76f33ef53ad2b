"""Places a text names and where it puts something: Beijing's districts, their aliases and
gazetteer places (``vocab/districts.toml``), another city's district of the same name left out,
and the venue phrases (在昌平区…, 来到北京市朝阳区温榆河, 位于北京市昌平区的…). The words the
district rules of ``facets_places`` read sentences with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from searchsvc.facets_vocab import Vocabulary

_REGION = re.compile(r"[\u4e00-\u9fff]{1,6}?(?:省|市|自治区|自治州|州|盟)$")
# 将在昌平区举办 / 计划在…: a future event's venue is not where this one took place.
_FUTURE = re.compile(r"(?:将|将要|拟|计划|准备|即将)[^，。；]{0,6}$")
_BEIJING = re.compile("北京|京|本市")
SHORT_NAME = 2  # gazetteer names this short need 北京 before them (see shared_name)
# 在北京市大兴区等33个试点县 / 在北京市大兴区、天津市蓟县等试点县: examples in a list of places.
_LISTED = re.compile(r"(?:、[^，。；、]{1,10})*等(?![待候])")
_REPORTER = re.compile(r"记者[^，。；]{0,6}$")
_RANGE = re.compile(r"从[^，。；从]{1,16}$")
_YU_WORDS = set("对关由至属等善终基鉴乐忙急")  # …于 that is not 在 (位于 is)
# …and 中关村三小, 中关村第一小学: a school named after its place, no stated venue.
INSTITUTION = re.compile(
    r"(?:第?[一二三四五六七八九十\d]{1,3})?(?:实验室|大学|学院|研究院|研究所|中学|小学|医院|附中|附小)|"
    r"[一二三四五六七八九十\d]{1,3}[小中](?![心国学])|站(?![在起])"
)


def blank_ignored(text: str, vocab: Vocabulary) -> str:
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
    return tuple(_unique(d for d, _ in named_places(texts, vocab)))


def named_places(texts: Iterable[str], vocab: Vocabulary) -> Iterable[tuple[str, str]]:
    for text in texts:
        text = blank_ignored(text, vocab)
        for m in vocab.patterns["place"].finditer(text):
            before = text[: m.start()]
            if is_foreign(before, vocab) or shared_name(text, m.span(), vocab):
                continue
            if not m.group().endswith("区") and INSTITUTION.match(text, m.end()):
                continue  # 南锣鼓巷站, 中关村三小: a station or a school named after its place
            yield vocab.places[m.group()], m.group()


def shared_name(text: str, span: tuple[int, int], vocab: Vocabulary) -> bool:
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
    text = blank_ignored(text, vocab)
    found = []
    for m in vocab.patterns["venue"].finditer(text):
        before = text[: m.start("place")]
        if is_foreign(before, vocab) or _FUTURE.search(text[: m.start()]):
            continue
        if shared_name(text, m.span("place"), vocab):
            continue
        if m.group().startswith("于") and text[m.start() - 1 : m.start()] in _YU_WORDS:
            continue  # 对于北京东城区的干部来说: 对于 / 关于 / 由于 name no venue
        if _REPORTER.search(text, 0, m.start()):
            continue  # 记者走进昌平流村供电所: where the reporter went, not an event's venue
        if m.group().startswith("到") and _RANGE.search(text, 0, m.start()):
            continue  # 从安徽小岗村到北京中关村: a range of places, not a venue
        if _LISTED.match(text, m.end()):
            continue  # 授权国务院在北京市大兴区等33个试点县: a list of places, not a venue
        if not m.group("place").endswith("区") and INSTITUTION.match(text, m.end()):
            continue  # 来到昌平实验室: an institution named after a place, not a stated venue
        found.append((vocab.places[m.group("place")], m.group()))
    return found


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))

"""The facet vocabularies: the TOML files staff edit (``vocab/*.toml``), read and checked.

A vocabulary change takes effect at the next reindex: ``fingerprint`` tells the index that
everything must be redone. A malformed file raises ``VocabError`` naming file, line and reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from searchsvc.vocabulary import VOCAB_DIR, TomlFile, fingerprint

UNKNOWN = "未注明"  # how an empty facet is shown in listings

DISTRICTS = (
    "东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区",
    "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区", "北京经济技术开发区",
)  # fmt: skip
OTHER = "其他"
EVENT_TYPES = ("宣讲报告", "培训", "读书阅读", "志愿服务", "文体活动", "参观交流", "技能竞赛",
               "慰问帮扶", "座谈会议", "表彰评选", OTHER)  # fmt: skip
ROLES = ("organizer", "host", "co_organizer")


def _alternation(words: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any of the words, longest first (so 北京朝阳医院 beats 北京朝阳)."""
    words = sorted(set(words), key=lambda w: (-len(w), w))
    return re.compile("|".join(map(re.escape, words)) if words else r"(?!x)x")


def _kept(kinds: list[tuple[str, str]]) -> bool:
    """A word that is some type's keyword (not only an exclude phrase)."""
    return any(strength != "exclude" for _, strength in kinds)


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
    keyword_kinds: dict[str, list[tuple[str, str]]] = _aux()  # keyword → [(type, strength)]

    @classmethod
    def load(cls, folder: Path = VOCAB_DIR) -> Vocabulary:
        """Read and check the three vocabulary files; raises VocabError naming file and line."""
        org = TomlFile(Path(folder) / "organizers.toml")
        org.only(None, ("verbs", "names"))
        verbs = org.lists(
            "verbs", (*ROLES, "event", "held", "not_verb"), required=(*ROLES, "event")
        )
        # Longest first, so that 总工会 is peeled off before 工会, 将于 before 将.
        lists = org.lists("names", _NAME_KEYS, required=("suffixes",))
        names = {k: tuple(sorted(v, key=len, reverse=True)) for k, v in lists.items()}
        if [c for c in names["stop_chars"] if len(c) != 1]:
            org.fail("stop_chars 只能是单字 / must be single characters", "names", "stop_chars")

        dis = TomlFile(Path(folder) / "districts.toml")
        rules = dis.lists("places", ("foreign", "home", "ignore", "venue"))
        places = {name: name for name in DISTRICTS}
        gazetteer: list[str] = []
        for district in (d for d in dis.data if d != "places"):
            if district not in DISTRICTS:
                dis.fail(
                    f"不是北京的区 / not one of Beijing's 17 districts: {district!r}", district
                )
            for key, words in dis.lists(district, ("aliases", "gazetteer")).items():
                for word in (w for w in words if places.setdefault(w, district) != district):
                    why = f"一词两区 / {word!r} is in both {places[word]} and {district}"
                    dis.fail(why, district, key)
                if key == "gazetteer":
                    gazetteer += words

        rules["gazetteer"] = tuple(gazetteer)  # 燕山, 南邵: names other places share
        ev = TomlFile(Path(folder) / "event_types.toml")
        for kind in (k for k in ev.data if k not in EVENT_TYPES):
            ev.fail(f"未知的活动类型 / unknown event type {kind!r}", kind)
        keywords = {kind: ev.lists(kind, ("strong", "weak", "exclude")) for kind in ev.data}
        # One pass over a text finds every keyword of every type (see facets._event_evidence):
        # word → [(type, "strong" / "weak" / "exclude")], a word may serve several types.
        kinds: dict[str, list[tuple[str, str]]] = {}
        for kind, lists in keywords.items():
            for strength, words in lists.items():
                for word in words:
                    kinds.setdefault(word, []).append((kind, strength))

        patterns = {
            "role": _alternation(v for role in ROLES for v in verbs[role]),
            "event": _alternation(verbs["event"]),
            "held": _alternation(verbs["held"]),
            "not_verb": _alternation(verbs["not_verb"]),
            "keep": _alternation(names["keep_words"]),
            "stop": _alternation([*names["stop_words"], *names["stop_chars"]]),
            "place": _alternation(places),
            "ignore": _alternation(rules["ignore"]),
            # Keywords and exclude phrases in two passes, so that both of 结对帮扶 (excluded)
            # and 帮扶 (a keyword) are found.
            "keyword": _alternation(w for w, ks in kinds.items() if _kept(ks)),
            "exclude": _alternation(w for w, ks in kinds.items() if not _kept(ks)),
            # 在昌平区…举行, 来到北京市朝阳区温榆河, 位于北京市昌平区的…: a place where something is.
            "venue": re.compile(
                f"(?:{_alternation(rules['venue']).pattern})(?:北京市|北京|本市)?"
                f"(?P<place>{_alternation(places).pattern})"
            ),
        }
        return cls(fingerprint(folder), verbs, names, places, rules, keywords, patterns, kinds)


_NAME_KEYS = ("suffixes", "known", "generic", "generic_heads", "generic_starts", "non_names",
              "prepositions", "stop_words", "stop_chars", "keep_words", "adverbs", "fillers",
              "units", "joiners", "causatives")  # fmt: skip

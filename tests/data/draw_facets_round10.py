"""Round 10's draws for the facets set (tests/data/facets-dev.jsonl), before annotation.

    PYTHONPATH=. python tests/data/draw_facets_round10.py --archive /tmp/archive-facets > draw.jsonl

Drawn after every row drawn before (``draw_facets_dev.py``, draws up to 10) and every article
judged outside the set (``facets-outofset.jsonl``), so none of these has been read:
- draw 12 first (its own seed): a fourth held-back part, all ``held``, drawn as draw 10 —
  ``plain`` xwlb + ``plain`` web at random from the pool (工会/北京/劳模/工匠) left, then every
  article left of the pool that puts something in a Beijing district or names one
  (``PUTS_THERE`` / ``NAMES_DISTRICT``). Draws 8 and 10 took nearly all of those, so the
  plain part is made larger (``--plain``) to keep the part worth measuring;
- then draw 11 (its own seed): ``per_kind`` **dev** articles for each error kind round 9's report
  named (``DEV11_KINDS``), none of draw 12: the district kinds from every archive article that
  names a Beijing district (as draw 9), the organizer and type kinds from the pool left; then
  ``per_kind_named`` more of each district kind among articles that name one strictly
  (``_BEIJING``), as the first eight held almost none.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from draw_facets_dev import (  # noqa: E402
    _PLACE,
    _SHORT,
    DEV_SET,
    DISTRICT_NAMES,
    NAMES_DISTRICT,
    PUTS_THERE,
    SHARED,
    _text,
    held_draw,
    looked_at,
    mentions,
)

from searchsvc import bulletin  # noqa: E402

# The kinds of round 9's ten commonest errors on the held parts; each is (needs a district named,
# the words of the kind). The district kinds are drawn from the whole archive (the pool's
# district articles are the held parts'), the others from the pool left.
DEV11_KINDS = {
    "festive": (True, re.compile("春节|端午|中秋|年味|丰收节|庙会|元宵|国庆|过年|龙舟")),
    "olympic": (True, re.compile("冬奥|冬残奥")),
    "storm": (True, re.compile("暴雨|洪水|洪涝|抢险|救援|转移|汛情|山洪|灾后")),
    "epidemic": (True, re.compile("疫情防控|核酸|防疫|新冠")),
    "visit": (True, re.compile("考察|调研|来到|看望|察看|视察")),
    "trend": (True, re.compile("经济|改造|消费|市场|产业")),
    "stated": (False, re.compile("表彰|推进会|约谈|部署会|现场会|发布会|开幕|启动仪式")),
    "talks": (False, re.compile("宣讲|捐赠|捐款|捐助|报告会|慰问")),
}


# The district kinds drawn again with a stricter place (a district in full, 北京/京 + its short name,
# 亦庄, 延庆赛区): `_PLACE` let in 朝阳产业, 大兴调查研究 and other cities' 经济技术开发区, so the
# first eight of each kind held almost no Beijing district.
_BEIJING = re.compile(
    "|".join(d for d in DISTRICT_NAMES if d != "经济技术开发区")
    + rf"|北京经济技术开发区|(?:北京市?|京)(?:{_SHORT})|亦庄|延庆赛区"
)


def archive_articles(archive: Path, kinds: tuple[str, ...] = ("xwlb", "web")) -> dict:
    """Every archive article by kind, leaving out the pages the shared bulletins were cut from."""
    taken = {p.stem for p in (SHARED / "bulletins").glob("*.md")}
    out: dict[str, list] = {}
    for kind in kinds:
        out[kind] = []
        for page in sorted((archive / "archive" / kind).rglob("*.md")):
            if page.stem in taken:
                continue
            rel = page.relative_to(archive).as_posix()
            out[kind] += [(rel, a) for a in bulletin.read(page, archive).articles]
    return out


def committed() -> set[tuple[str, int]]:
    """The rows of facets-dev.jsonl drawn before round 10 (draws 11 and 12 are drawn here)."""
    rows = [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines()]
    return {(row["page"], row["ordinal"]) for row in rows if row.get("draw", 0) < 11}


def held12_draw(pools: dict, seen: set, args: argparse.Namespace) -> list[dict]:
    return held_draw(pools, seen, random.Random(args.held12_seed), args.plain, 12)


def dev11_draw(everything: dict, pools: dict, seen: set, args: argparse.Namespace) -> list[dict]:
    rng = random.Random(args.dev11_seed)
    placed = [
        (rel, a)
        for kind in ("xwlb", "web")
        for rel, a in everything[kind]
        if (rel, a.ordinal) not in seen and _PLACE.search(_text(a))
    ]
    pool = [(rel, a) for kind in ("xwlb", "web") for rel, a in pools[kind]
            if (rel, a.ordinal) not in seen]  # fmt: skip
    picked: list = []
    for needs_place, word in DEV11_KINDS.values():
        taken = {(rel, a.ordinal) for rel, a in picked}
        kind = [(rel, a) for rel, a in (placed if needs_place else pool)
                if (rel, a.ordinal) not in taken and word.search(_text(a))]  # fmt: skip
        picked += rng.sample(kind, min(args.per_kind, len(kind)))
    for needs_place, word in DEV11_KINDS.values():
        if not needs_place:
            continue
        taken = {(rel, a.ordinal) for rel, a in picked}
        kind = [(rel, a) for rel, a in placed if (rel, a.ordinal) not in taken
                and word.search(_text(a)) and _BEIJING.search(_text(a))]  # fmt: skip
        picked += rng.sample(kind, min(args.per_kind_named, len(kind)))
    return [
        {"page": rel, "ordinal": a.ordinal, "title": a.title, "split": "dev", "draw": 11}
        for rel, a in picked
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", type=Path, default=Path("/tmp/archive-facets"))
    ap.add_argument("--held12-seed", type=int, default=1212121212)
    ap.add_argument("--plain", type=int, default=30)  # per kind (xwlb, web)
    ap.add_argument("--dev11-seed", type=int, default=1111111111)
    ap.add_argument("--per-kind", type=int, default=8)
    ap.add_argument("--per-kind-named", type=int, default=6)
    ap.add_argument("--count", action="store_true", help="only say how large the pools are")
    args = ap.parse_args()
    everything = archive_articles(args.archive)
    pools = {
        kind: [(rel, a) for rel, a in rows if mentions(a)] for kind, rows in everything.items()
    }
    seen = committed() | looked_at()
    if args.count:
        for kind, rows in pools.items():
            left = [(rel, a) for rel, a in rows if (rel, a.ordinal) not in seen]
            named = [1 for _, a in left if PUTS_THERE.search(_text(a))
                     or NAMES_DISTRICT.search(_text(a))]  # fmt: skip
            print(f"{kind}: pool {len(rows)}, unread {len(left)}, naming a district {len(named)}")
        return
    out = held12_draw(pools, seen, args)
    seen |= {(row["page"], row["ordinal"]) for row in out}
    out += dev11_draw(everything, pools, seen, args)
    for row in out:
        print(json.dumps(row, ensure_ascii=False))


if __name__ == "__main__":
    main()

"""Draw the articles of the facets dev set (tests/data/facets-dev.jsonl), before annotation.

    python tests/data/draw_facets_dev.py --archive /tmp/archive-facets > /tmp/facets-draw.jsonl

The seed page, every article of the 20 shared pages, and archive articles drawn at random
(fixed seed) from those whose title or text mentions 工会, 北京, 劳模 or 工匠 — half from
``xwlb``, half from ``web`` — leaving out the archive pages the shared pages were cut from.
Each row is page path + ordinal + title; the five facet fields are then filled in by hand
(see README.md beside this file). A random fifth is marked ``held``.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

from searchsvc import bulletin

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "corpus"
WORDS = ("工会", "北京", "劳模", "工匠")
# A third, smaller draw from the same pool, restricted to articles that name a Beijing district
# and an event verb: a plain random draw holds few Beijing events, and the district facet
# would be measured on almost nothing.
DISTRICT_NAMES = (
    "东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "门头沟区", "房山区", "通州区",
    "顺义区", "昌平区", "大兴区", "怀柔区", "平谷区", "密云区", "延庆区", "经济技术开发区",
)  # fmt: skip
EVENT_VERBS = ("举办", "举行", "开展", "召开", "主办", "组织")
# The fourth draw (added later, its own seed so the rows above stay as they were): event reports,
# articles of the same pool with a hosting verb in the headline or lead. Only 22 of the first 326 rows have an
# organizer, so the first draws measured mostly "give nothing".
HOSTING_VERBS = ("举办", "举行", "开展", "召开", "主办", "组织", "启动", "发起")


def rows(page: str, doc: bulletin.Bulletin) -> list[dict]:
    return [{"page": page, "ordinal": a.ordinal, "title": a.title} for a in doc.articles]


def mentions(article: bulletin.Article) -> bool:
    text = article.title + "".join(p.text for p in article.paragraphs)
    return any(w in text for w in WORDS)


def in_district(article: bulletin.Article) -> bool:
    text = article.title + "".join(p.text for p in article.paragraphs)
    return any(d in text for d in DISTRICT_NAMES) and any(v in text for v in EVENT_VERBS)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--archive", type=Path, default=Path("/tmp/archive-facets"))
    ap.add_argument("--per-kind", type=int, default=40)
    ap.add_argument("--per-district", type=int, default=40)
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--event-xwlb", type=int, default=138)
    ap.add_argument("--event-web", type=int, default=60)  # at most the pool: 22
    ap.add_argument("--event-seed", type=int, default=1414)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    out = []
    seed = ROOT / "corpus" / "000_73d2eb0e74c950a6.txt"
    out += rows(f"seed:{seed.name}", bulletin.read(seed, seed.parent))
    shared = sorted((SHARED / "bulletins").glob("*.md"))
    for page in shared:
        out += rows(f"bulletins/{page.name}", bulletin.read(page, page.parent))
    taken = {p.stem for p in shared}
    pools = {}
    for kind in ("xwlb", "web"):
        pools[kind] = []
        for page in sorted((args.archive / "archive" / kind).rglob("*.md")):
            if page.stem in taken:
                continue
            rel = page.relative_to(args.archive).as_posix()
            doc = bulletin.read(page, args.archive)
            pools[kind] += [(rel, a) for a in doc.articles if mentions(a)]
        for rel, a in rng.sample(pools[kind], args.per_kind):
            out.append({"page": rel, "ordinal": a.ordinal, "title": a.title})
    chosen = {(row["page"], row["ordinal"]) for row in out}
    local = [
        (rel, a)
        for rel, a in pools["xwlb"] + pools["web"]
        if (rel, a.ordinal) not in chosen and in_district(a)
    ]
    for rel, a in rng.sample(local, args.per_district):
        out.append({"page": rel, "ordinal": a.ordinal, "title": a.title})
    held = set(rng.sample(range(len(out)), len(out) // 5))
    for i, row in enumerate(out):
        row["split"] = "held" if i in held else "dev"
    out += event_draw(pools, {(row["page"], row["ordinal"]) for row in out}, args)
    for row in out:
        print(json.dumps(row, ensure_ascii=False))


def hosts(article: bulletin.Article) -> bool:
    """A hosting verb in the headline or lead: the article reports an event (a verb deep in
    the text is mostly a plan or a passing mention)."""
    text = article.title + "".join(p.text for p in article.paragraphs[:1])
    return any(v in text for v in HOSTING_VERBS)


def event_draw(pools: dict[str, list], chosen: set, args: argparse.Namespace) -> list[dict]:
    """Event reports from the pool's articles with a hosting verb, none drawn before: every web
    one (the pages not cut into the shared bulletins hold only 22) and 138 xwlb, 160 in all; a
    random fifth of them held back (the earlier held part stays as it is)."""
    rng = random.Random(args.event_seed)
    new = []
    for kind, size in (("xwlb", args.event_xwlb), ("web", args.event_web)):
        pool = [(rel, a) for rel, a in pools[kind] if (rel, a.ordinal) not in chosen and hosts(a)]
        for rel, a in rng.sample(pool, min(size, len(pool))):
            new.append({"page": rel, "ordinal": a.ordinal, "title": a.title, "split": "dev"})
    for i in rng.sample(range(len(new)), len(new) // 5):
        new[i]["split"] = "held"
    return new


if __name__ == "__main__":
    main()

"""The general path: a query tree that one Typesense search cannot answer, evaluated here.

Typesense's ``q`` is an AND of tokens and phrases with exclusions: it has no OR, no field
restricted to the title or the byline inside one ``gram`` field, no literal across punctuation.
``TypesenseBackend`` sends such a query (and a relaxed one, and ``within``) here: each literal of
the tree is asked of the cluster on its own (every paragraph that holds it: the same exact
``gram`` phrase as the fast path), and the tree is evaluated on paragraph sets the way the Whoosh
backend evaluates it on posting arrays (``matching``): AND intersects, OR unites, ``-x``
subtracts, scores add. Candidates are confirmed on the stored text (and the record's title and
byline names) where the ``gram`` tokens only narrow down: a field-restricted word, a literal
across punctuation. Relaxation, the zero-result suggestion and ``within`` follow ``relax`` and
``backend.WhooshBackend._matches`` step by step, with three shortcuts that ask the cluster for
counts rather than hits: a relaxed query's words counted per article (``facet_by=aid``; the
page's hits read when it is shown, ``fill``), a suggestion's sub-queries counted (``exists``),
and ``title:`` / ``记者:`` read off the catalogue's records (``_in_field``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from searchsvc import relax
from searchsvc.analysis import normalize, unit_runs
from searchsvc.catalog import Catalog
from searchsvc.matching import Deadline
from searchsvc.query import And, Lit, Node, Not, Or
from searchsvc.typesense.client import Cluster
from searchsvc.typesense.documents import gram_tokens, literal_tokens, quoted
from searchsvc.typesense.query import EXACT, MAX_FACET_VALUES, MONTH, phrase_term, q_string

PAGE = 250
MULTI = 40  # searches in one multi_search (Typesense allows 50 by default)
# Up to this many pages a result is paged; past it, split by month (measured on a 150-page
# sample: 2,057 paragraphs paged 269 ms, by month 396 ms; 7,674: 1,752 ms and 1,017 ms).
PAGED_PAGES = 8
Para = tuple[str, int]  # (article id, paragraph number)
Hits = dict[Para, float]  # paragraph → score (Typesense's text match, summed over literals)


@dataclass
class Group:
    """One article's paragraph hits for a query."""

    best: float
    hits: list[tuple[float, int]] = field(default_factory=list)  # (score, n), best first
    coverage: int = 0  # words of a relaxed query the article holds
    words: tuple[Node, ...] | None = None  # relaxed by counts: hits not read yet (``fill``)


@dataclass(frozen=True)
class Matched:
    groups: dict[str, Group]
    relaxed: bool = False
    suggestion: str | None = None
    exact: dict[str, int] = field(default_factory=dict)  # aid → typed strings it holds

    @property
    def nbytes(self) -> int:
        return 200 + sum(120 + 40 * len(g.hits) for g in self.groups.values())


class TreeMatcher:
    def __init__(self, cluster: Cluster, collection: str, catalog: Catalog, deadline: Deadline):
        self.cluster, self.collection = cluster, collection
        self.catalog, self.deadline = catalog, deadline
        self._lits: dict[Lit, Hits] = {}

    # -- one literal, asked of the cluster

    def lit(self, lit: Lit) -> Hits:
        found = self._lits.get(lit)
        if found is None:
            found = self._lits[lit] = self._fetch_lit(lit)
        return found

    def _fetch_lit(self, lit: Lit) -> Hits:
        runs = literal_tokens(lit.text)
        if not runs:
            return {}
        if lit.field is not None:
            return self._in_field(lit, runs)
        # As ``query.needs_check``: the grams only narrow a field-restricted word or a phrase
        # that is more than one run of units (punctuation, spaces) down to candidates.
        confirm = lit.field is not None or (lit.phrase and not unit_text(lit.text))
        q = " ".join(phrase_term(tokens) for tokens in runs)
        rows = self._fetch(q, with_text=confirm and lit.field is None)
        if not confirm:
            return {(aid, n): score for aid, n, score, _ in rows}
        return {(aid, n): score for aid, n, score, text in rows if self._holds(lit, aid, text)}

    def _in_field(self, lit: Lit, runs: list[list[str]]) -> Hits:
        """``title:`` and ``记者:`` from the catalogue, with no call to the cluster: the title
        and byline names are the record's, and every paragraph document of an article carries
        them, so every paragraph of an article whose field holds the literal (as its grams
        and as a string: what the cluster's grams and the confirmation gave) matches. Asking the
        cluster for the grams of ``title:北京`` fetched every paragraph that holds 北京
        anywhere, ~10⁵ on the whole archive, to keep those of the few titles."""
        hits: Hits = {}
        for aid, record in self.catalog.articles.items():
            value = record.title if lit.field == "title" else " ".join(record.names)
            if value and lit.text in normalize(value) and _has_runs(gram_tokens(value), runs):
                hits.update(((aid, n), 0.0) for n in range(1, record.paragraphs + 1))
            self.deadline.spend(1)
        return hits

    def _holds(self, lit: Lit, aid: str, text: str) -> bool:
        record = self.catalog.articles.get(aid)
        if record is None:
            return False
        fields = {"title": record.title, "names": " ".join(record.names), "text": text}
        where = (fields[lit.field],) if lit.field else fields.values()
        return any(lit.text in normalize(value) for value in where if value)

    def _fetch(
        self, q: str, with_text: bool, filters: str = ""
    ) -> list[tuple[str, int, float, str]]:
        """Every paragraph matching ``q``: (aid, n, text match, text if asked).

        Typesense pages a result by ranking it again for every page (page k costs the top
        k × 250), so a word held by thousands of paragraphs cost seconds page by page. Past
        ``PAGED_PAGES`` pages the result is asked again split by month (the first answer counts the months: a
        facet), each month's pages in one ``multi_search``: every paragraph has one month, so
        the parts are the whole; if they do not add up (a write in between), page by page.
        """
        params = {
            **EXACT,
            "q": q,
            "query_by": "gram",
            "include_fields": "aid,n,text" if with_text else "aid,n",
            "highlight_fields": "none",
            "per_page": PAGE,
        }
        if filters:
            params["filter_by"] = filters
        self.deadline.check()
        first = self.cluster.search(
            self.collection, {**params, "facet_by": MONTH, "max_facet_values": MAX_FACET_VALUES}
        )
        if first["found"] <= PAGE:
            return self._rows([first])
        if first["found"] <= PAGE * PAGED_PAGES:
            return self._rows([first]) + self._paged(params, 2)
        counts = [(int(c["value"]), c["count"]) for f in first["facet_counts"] for c in f["counts"]]
        parts = [
            {**params, "filter_by": _both(filters, f"{MONTH}:={month}"), "page": page}
            for month, count in counts
            for page in range(1, -(-count // PAGE) + 1)
        ]
        answers = []
        for i in range(0, len(parts), MULTI):
            self.deadline.check()
            answers += self.cluster.multi_search(self.collection, parts[i : i + MULTI])
            self.deadline.spend(sum(len(a["hits"]) for a in answers[-MULTI:]) * 10)
        rows = self._rows(answers)
        if len(rows) == first["found"]:
            return rows
        return self._paged(params)

    def _paged(self, params: dict, page: int = 1) -> list[tuple[str, int, float, str]]:
        rows = []
        while True:
            self.deadline.check()
            answer = self.cluster.search(self.collection, {**params, "page": page})
            rows += self._rows([answer])
            self.deadline.spend(len(answer["hits"]) * 10)
            if page * PAGE >= answer["found"] or not answer["hits"]:
                return rows
            page += 1

    @staticmethod
    def _rows(answers: list[dict]) -> list[tuple[str, int, float, str]]:
        return [
            (
                hit["document"]["aid"],
                hit["document"]["n"],
                float(hit.get("text_match", 0)),
                hit["document"].get("text", ""),
            )
            for answer in answers
            for hit in answer["hits"]
        ]

    # -- the tree

    def node(self, node: Node) -> Hits:
        if isinstance(node, Lit):
            return self.lit(node)
        if isinstance(node, Or):
            return _union([self.node(n) for n in node.items])
        if isinstance(node, Not):
            raise ValueError("a bare exclusion has no hits of its own")
        together = self._together(node)
        if together is not None:
            return together
        positives = [n for n in node.items if not isinstance(n, Not)]
        # "(-a -b)" inside an OR: every paragraph but those.
        found = self.node(positives[0]) if positives else self._everything()
        for n in positives[1:]:
            if not found:
                return {}
            other = self.node(n)
            found = {p: s + other[p] for p, s in found.items() if p in other}
        for n in node.items:
            if isinstance(n, Not) and found:
                drop = self.node(n.item)
                found = {p: s for p, s in found.items() if p not in drop}
        return found

    def _together(self, node: And) -> Hits | None:
        """An AND that one ``q`` says exactly (``is_simple``), asked as one: the cluster
        intersects, and only the paragraphs holding every word come back — not every paragraph
        of each word (a question's strict AND held 的, 有, 什么: most of the archive). Scored by
        Typesense's text match of the whole ``q``, as the one-search path scores it."""
        if not is_simple(node):
            return None
        words = tuple(i.text for i in node.items if isinstance(i, Lit))
        exclude = tuple(i.item.text for i in node.items if isinstance(i, Not))
        q, several = q_string(words, exclude)
        if several:
            return None
        return {(aid, n): score for aid, n, score, _ in self._fetch(q, with_text=False)}

    def _everything(self) -> Hits:
        return {(aid, n): 0.0 for aid, n, _s, _t in self._fetch("*", with_text=False)}

    def groups(self, tree: Node) -> dict[str, Group]:
        return grouped(self.node(tree))

    def exists(self, tree: Node) -> bool:
        """Whether ``tree`` matches anything (each sub-query the suggestion tries): a count
        for what one ``q`` says exactly, not every paragraph of, say, one common word."""
        items = tree.items if isinstance(tree, And) else (tree,)
        if is_simple(tree):
            words = tuple(i.text for i in items if isinstance(i, Lit))
            q, several = q_string(words, tuple(i.item.text for i in items if isinstance(i, Not)))
            if not several:
                self.deadline.check()
                params = {**EXACT, "q": q, "query_by": "gram", "per_page": 0}
                return self.cluster.search(self.collection, params)["found"] > 0
        return bool(self.groups(tree))

    def relaxed(self, tree: Node, stopwords: frozenset[str]) -> dict[str, Group] | None:
        """Articles holding most of the informative words (``relax``), with ``coverage``."""
        plan = relax.informative(tree, stopwords)
        if plan is None:
            return None
        kept, exclusions, need = plan
        if not exclusions and all(_countable(n) for n in kept):
            return self._relaxed_by_counts(kept, need)
        per_word = [self.node(n) for n in kept]
        found = _union(per_word)
        for n in exclusions:
            drop = self.node(n.item)
            found = {p: s for p, s in found.items() if p not in drop}
        groups = grouped(found)
        for hits in per_word:
            for aid in {aid for aid, _n in hits}:
                if aid in groups:
                    groups[aid].coverage += 1
        return {aid: g for aid, g in groups.items() if g.coverage >= need}

    def _relaxed_by_counts(self, kept: list[Node], need: int) -> dict[str, Group]:
        """The relaxed articles from each word's count of paragraphs per article (one search a
        word, ``facet_by=aid``), not from every paragraph of each word: a question's words are
        common ones (北京, 发展: ~10⁵ paragraphs each on the whole archive, hundreds of
        searches of 250 to fetch them). An article ranks by coverage, then by how many of its
        paragraphs hold a word (``best``); the paragraph hits of the articles a page shows are
        read when it shows them (``fill``)."""
        counts: dict[str, int] = {}
        coverage: dict[str, int] = {}
        for node in kept:
            held: dict[str, int] = {}
            for lit in node.items if isinstance(node, Or) else (node,):
                for aid, count in self._per_article(lit).items():
                    held[aid] = held.get(aid, 0) + count
            for aid, count in held.items():
                counts[aid] = counts.get(aid, 0) + count
                coverage[aid] = coverage.get(aid, 0) + 1
        words = tuple(kept)
        return {
            aid: Group(float(counts[aid]), [], coverage[aid], words)
            for aid in coverage
            if coverage[aid] >= need
        }

    def _per_article(self, lit: Lit) -> dict[str, int]:
        """How many paragraphs of each article hold ``lit`` (a facet count: no hit is read)."""
        runs = literal_tokens(lit.text)
        if not runs:
            return {}
        self.deadline.check()
        answer = self.cluster.search(
            self.collection,
            {
                **EXACT,
                "q": " ".join(phrase_term(tokens) for tokens in runs),
                "query_by": "gram",
                "facet_by": "aid",
                "max_facet_values": max(1, len(self.catalog.articles)),
                "per_page": 0,
            },
        )
        self.deadline.spend(answer["found"] // 10)
        return {c["value"]: c["count"] for f in answer["facet_counts"] for c in f["counts"]}

    def fill(self, groups: list[Group], aids: list[str]) -> None:
        """The paragraph hits of relaxed-by-count articles ``aids`` (a page of them): each word
        asked within those articles only, scores added per paragraph, as ``relaxed`` adds
        them."""
        todo = [(a, g) for a, g in zip(aids, groups, strict=True) if g.words is not None]
        if not todo:
            return
        within = "aid:=[" + ",".join(quoted(a) for a, _g in todo) + "]"
        found: Hits = {}
        for node in todo[0][1].words:
            for lit in node.items if isinstance(node, Or) else (node,):
                q = " ".join(phrase_term(tokens) for tokens in literal_tokens(lit.text))
                for aid, n, score, _t in self._fetch(q, with_text=False, filters=within):
                    found[(aid, n)] = found.get((aid, n), 0.0) + score
        hits = grouped(found)
        for aid, group in todo:
            if aid in hits:
                group.hits = hits[aid].hits
            group.words = None

    def articles_with(self, text: str) -> set[str]:
        return {aid for aid, _n in self.lit(Lit(text, phrase=True))}


def _both(filters: str, more: str) -> str:
    return f"{filters} && {more}" if filters else more


def _countable(node: Node) -> bool:
    """A relaxed query's word whose paragraphs one ``q`` finds exactly (no confirmation on the
    text): a literal, or a synonym group of them."""
    lits = node.items if isinstance(node, Or) else (node,)
    return all(
        isinstance(lit, Lit) and lit.field is None and (not lit.phrase or unit_text(lit.text))
        for lit in lits
    )


def _has_runs(tokens: list[str], runs: list[list[str]]) -> bool:
    """Whether a field's ``gram`` tokens hold each run of a literal: a unit as a token, a longer
    run as its bigrams one after the other (a phrase)."""
    joined = " " + " ".join(tokens) + " "
    return all(" " + " ".join(run) + " " in joined for run in runs)


def grouped(hits: Hits) -> dict[str, Group]:
    groups: dict[str, Group] = {}
    for (aid, n), score in hits.items():
        groups.setdefault(aid, Group(score)).hits.append((score, n))
    for g in groups.values():
        g.hits.sort(key=lambda h: (-h[0], h[1]))
        g.best = g.hits[0][0]
    return groups


def _union(parts: list[Hits]) -> Hits:
    out: Hits = {}
    for part in parts:
        for p, s in part.items():
            out[p] = out.get(p, 0.0) + s
    return out


def match(
    matcher: TreeMatcher,
    tree: Node | None,
    earlier: tuple[Node, ...],
    exact: tuple[str, ...],
    stopwords: frozenset[str],
) -> Matched:
    """What ``WhooshBackend._matches`` does, on paragraph sets (see the module docstring)."""
    relaxed, hint = False, None
    if tree is None:
        groups = {aid: Group(0.0) for aid in matcher.catalog.articles}
    else:
        groups, relaxed = relax.matching(matcher, tree, stopwords)
        if not groups:
            hint = relax.suggestion(tree, matcher.exists, lambda _w: None)
    for i, t in enumerate(earlier):
        inside, _ = relax.matching(matcher, t, stopwords)
        if tree is None and i == 0:
            groups = inside
        else:
            groups = {aid: g for aid, g in groups.items() if aid in inside}
    counts = {aid: 0 for aid in groups}
    for text in exact:
        for aid in matcher.articles_with(text) & counts.keys():
            counts[aid] += 1
    return Matched(groups, relaxed, hint, counts)


def unit_text(text: str) -> bool:
    """True when the text is one run of units, nothing before or after it."""
    runs = unit_runs(text)
    return len(runs) == 1 and runs[0][0][1] == 0 and runs[0][-1][2] == len(text)


def is_simple(tree: Node | None) -> bool:
    """Whether one Typesense ``q`` says exactly what ``tree`` says: an AND of literals, none
    restricted to a field or to be confirmed on the text, and exclusions of one run each."""
    if tree is None:
        return False
    items = tree.items if isinstance(tree, And) else (tree,)
    positives = 0
    for item in items:
        lit = item.item if isinstance(item, Not) else item
        if not isinstance(lit, Lit) or lit.field is not None:
            return False
        if lit.phrase and not unit_text(lit.text):
            return False
        if isinstance(item, Not) and len(literal_tokens(lit.text)) != 1:
            return False
        positives += not isinstance(item, Not)
    return positives > 0

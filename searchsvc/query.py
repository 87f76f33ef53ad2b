"""The query language: parsing what staff type into a small tree, and compiling it for Whoosh.

Syntax (the UI's help says the same): words are ANDed; ``"quoted phrase"`` matches literally;
``-word`` excludes; ``OR`` between two parts; ``( … )`` groups; ``title:`` / ``标题:`` and
``reporter:`` / ``记者:`` restrict a word to the headline or the byline.

Matching is literal on normalised text (NFKC, lower case): a word matches a paragraph when it
occurs in the paragraph's title, body or byline names. The unit-bigram field makes that exact
for plain words (see ``analysis``); phrases that span punctuation and field-restricted words are
candidates in Whoosh and are confirmed by ``matches()`` on the stored text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from whoosh import query as wq

from searchsvc.analysis import RUN_END, gram_terms, normalize, to_simplified, unit_runs, words
from searchsvc.errors import QueryError

MAX_QUERY_CHARS = 500
MAX_TERMS = 32
MAX_DEPTH = 8  # nested parentheses; deeper is a typo or an attack on the recursive parser

FIELD_ALIASES = {
    "title": "title",
    "标题": "title",
    "reporter": "names",
    "记者": "names",
    "byline": "names",
}


# --------------------------------------------------------------------------- the tree


@dataclass(frozen=True)
class Lit:
    """A literal string (normalised) to find in a field (``None``: title, body or names)."""

    text: str
    field: str | None = None
    phrase: bool = False


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


@dataclass(frozen=True)
class Not:
    item: object


Node = Lit | And | Or | Not

# --------------------------------------------------------------------------- parsing

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<lpar>\()|(?P<rpar>\))|(?P<neg>-)(?=[^\s-])|"
    r'(?P<field>[A-Za-z\u4e00-\u9fff]+)[:：](?=\S)|"(?P<phrase>[^"]*)"|(?P<quote>")|'
    r'(?P<word>[^\s()"]+))'
)


def parse(text: str, synonyms: dict[str, tuple[str, ...]] | None = None) -> Node | None:
    """The tree of ``text``; ``None`` for an empty query. Raises ``QueryError``.

    Traditional characters are read as simplified (劳動模範 finds 劳动模范): the archive is
    simplified, staff in Hong Kong or Taiwan type traditional. A bare word, or one of its jieba
    words, that is in ``synonyms`` matches any word of its group.
    """
    if len(text) > MAX_QUERY_CHARS:
        raise QueryError(
            "query_too_long",
            f"检索式过长（{len(text)} 字），请缩短到 {MAX_QUERY_CHARS} 字以内 / query is "
            f"{len(text)} characters; shorten it to at most {MAX_QUERY_CHARS}",
        )
    text = to_simplified(_quotes(text))
    tokens = _tokenize(text)
    if not tokens:
        return None
    parser = _Parser(tokens, synonyms or {})
    node = parser.parse_or()
    if parser.pos < len(tokens):
        raise QueryError(
            "unbalanced_parentheses",
            "右括号多余：请删除多出的“)” / unbalanced parentheses: remove the extra ')'",
        )
    if node is None:
        raise QueryError(
            "no_terms",
            "检索式中没有可检索的词 / the query has no searchable words",
        )
    if not _has_positive(node):
        raise QueryError(
            "only_exclusions",
            "请至少给出一个要查找的词（不能只有排除词）/ give at least one word to find, "
            "not only words to exclude",
        )
    if len(literals(node)) > MAX_TERMS:
        raise QueryError(
            "too_many_terms",
            f"检索词过多，请减少到 {MAX_TERMS} 个以内 / too many terms; use at most {MAX_TERMS}",
        )
    return node


_CURLY_PAIR = re.compile(r"“([^“”]*)”")


def _quotes(text: str) -> str:
    """Typographic quotes as the query syntax reads them: a “pair” is a phrase, but a lone “ or
    ” is punctuation — a string pasted from an article is often cut inside a quotation
    (在共建“一带), and the page's quote is no request for a phrase. Straight quotes are syntax."""
    text = _CURLY_PAIR.sub(r'"\1"', text)
    return text.replace("“", " ").replace("”", " ").replace("＂", '"')


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m or m.end() == pos:
            break
        pos = m.end()
        kind = m.lastgroup
        if kind == "quote":
            raise QueryError(
                "unbalanced_quotes",
                '引号不成对：请补全或删除多余的引号 / unbalanced quotes: close the phrase with "',
            )
        tokens.append((kind, m.group(kind)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], synonyms: dict[str, tuple[str, ...]]):
        self.tokens = tokens
        self.synonyms = synonyms
        self.pos = 0
        self.depth = 0  # open parentheses around the current position

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse_or(self) -> Node | None:
        parts = [self.parse_and()]
        while (tok := self.peek()) and tok == ("word", "OR"):
            self.pos += 1
            parts.append(self.parse_and())
        parts = [p for p in parts if p is not None]
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node | None:
        parts: list[Node] = []
        while (tok := self.peek()) and tok[0] != "rpar" and tok != ("word", "OR"):
            node = self.parse_unary()
            if node is not None:
                parts.append(node)
        if not parts:
            return None
        flat: list[Node] = []
        for p in parts:
            flat.extend(p.items if isinstance(p, And) else (p,))
        return flat[0] if len(flat) == 1 else And(tuple(flat))

    def parse_unary(self) -> Node | None:
        kind, _value = self.peek()
        if kind == "neg":
            self.pos += 1
            if self.peek() is None:
                return None
            node = self.parse_atom()
            return Not(node) if node is not None else None
        return self.parse_atom()

    def parse_atom(self) -> Node | None:
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if kind == "lpar":
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise QueryError(
                    "too_deep",
                    f"括号嵌套过深，最多 {MAX_DEPTH} 层，请简化检索式 / parentheses nest too "
                    f"deep: use at most {MAX_DEPTH} levels",
                )
            node = self.parse_or()
            self.depth -= 1
            if self.peek() is None or self.peek()[0] != "rpar":
                raise QueryError(
                    "unbalanced_parentheses",
                    "括号不成对：请补全“)” / unbalanced parentheses: add the missing ')'",
                )
            self.pos += 1
            return node
        if kind == "rpar":
            raise QueryError(
                "unbalanced_parentheses",
                "括号不成对：请删除多余的“)” / unbalanced parentheses: remove the extra ')'",
            )
        field = None
        if kind == "field":
            alias = FIELD_ALIASES.get(value.lower())
            nxt = self.peek()
            if alias is None or nxt is None or nxt[0] not in ("word", "phrase"):
                # Not a field we know: the text (e.g. "2025年:") is just text.
                return _word_node(value, None, self.synonyms)
            field = alias
            kind, value = nxt
            self.pos += 1
        if kind == "phrase":
            norm = normalize(value).strip()
            return Lit(norm, field, phrase=True) if unit_runs(norm) else None
        return _word_node(value, field, self.synonyms)


def _word_node(text: str, field: str | None, synonyms: dict[str, tuple[str, ...]]) -> Node | None:
    """A bare word: jieba's precise-mode words of it, all required; synonyms are alternatives."""

    def variants(word: str) -> Node:
        group = synonyms.get(word)
        if not group:
            return Lit(word, field)
        return Or(tuple(Lit(w, field) for w in group))

    norm = normalize(text).strip()
    if norm in synonyms:  # the word as typed, before jieba cuts it (劳动模范 → 劳动 模范)
        return variants(norm)
    parts = [variants(w) for w in words(text, mode="query")]
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _has_positive(node: Node) -> bool:
    if isinstance(node, Lit):
        return True
    if isinstance(node, Not):
        return False
    return any(_has_positive(n) for n in node.items)


def literals(node: Node | None, positive: bool = True) -> list[Lit]:
    """The literals of the tree; by default only those not under a ``Not`` (for highlighting)."""
    if node is None:
        return []
    if isinstance(node, Lit):
        return [node]
    if isinstance(node, Not):
        return [] if positive else literals(node.item, positive)
    return [lit for n in node.items for lit in literals(n, positive)]


# --------------------------------------------------------------------------- compiling


def needs_check(node: Node) -> bool:
    """Whether Whoosh's answer is only a candidate set for this tree (see module docstring)."""
    if isinstance(node, Lit):
        return node.field is not None or (node.phrase and not _is_unit_text(node.text))
    if isinstance(node, Not):
        return needs_check(node.item)
    return any(needs_check(n) for n in node.items)


def holders_matched(node: Node | None) -> bool:
    """Whether every paragraph holding one of the query's typed strings (``typed_strings``)
    is among those the tree matches: no word left out (``-word``), none looked for in one
    field — a paragraph holding the string holds each of its words. (A relaxed match too
    holds them, but an article there is not asked for every word.)"""
    return (
        node is not None
        and not needs_check(node)
        and len(literals(node)) == len(literals(node, positive=False))
    )


def _is_unit_text(text: str) -> bool:
    """True when the text is units only (no space or punctuation inside)."""
    runs = unit_runs(text)
    return len(runs) == 1 and runs[0][0][1] == 0 and runs[0][-1][2] == len(text)


def gram_query(text: str) -> wq.Query:
    """Paragraphs in which ``text`` (normalised) may occur literally, from the unit bigrams."""
    parts: list[wq.Query] = []
    for run in unit_runs(text):
        if len(run) == 1:
            # One unit: it begins some bigram, or ends a run ("x$").
            parts.append(wq.Prefix("gram", run[0][0]))
        else:
            grams = gram_terms(run)[:-1]  # the run's own bigrams; its end may continue in the text
            parts.append(wq.Term("gram", grams[0]) if len(grams) == 1 else wq.Phrase("gram", grams))
    return parts[0] if len(parts) == 1 else wq.And(parts)


def gram_chain(text: str) -> list[tuple[int, str]]:
    """What a paragraph holding ``text`` (normalised) holds in the ``gram`` field, as
    ``(position offset, term)``: each run's bigrams one after another, the end mark (``x$``) of
    a run that punctuation follows inside ``text``, and one position of gap between runs (how
    ``analysis.UnitBigramTokenizer`` numbers them). A run at either end of ``text`` may go on in
    the paragraph, so its end is no term. A necessary condition: candidates are confirmed on
    the text all the same."""
    links: list[tuple[int, str]] = []
    pos = 0
    for run in unit_runs(text):
        links += [(pos + j, run[j][0] + run[j + 1][0]) for j in range(len(run) - 1)]
        if run[-1][2] < len(text):
            links.append((pos + len(run) - 1, run[-1][0] + RUN_END))
        pos += len(run) + 1
    return links


def compile_lit(lit: Lit) -> wq.Query:
    recall = gram_query(lit.text)
    if lit.phrase or lit.field is not None:
        return recall
    # A plain word scores on the word fields (BM25F, title boosted) and is found by the grams.
    # Whoosh scores a phrase of bigrams as the sum of its bigrams, so unweighted the grams
    # would outvote the words, and a long word outvote a short one (劳模工匠: 3 bigrams, 宣讲:
    # 1). Averaged, they are worth one word: the evidence of a word jieba cut otherwise.
    grams = sum(len(run) - 1 for run in unit_runs(lit.text))
    if grams > 1:
        recall = recall.with_boost(1 / grams)
    return wq.Or(
        [wq.Term("text", lit.text), wq.Term("title", lit.text), wq.Term("names", lit.text), recall]
    )


def to_whoosh(node: Node) -> wq.Query:
    if isinstance(node, Lit):
        return compile_lit(node)
    if isinstance(node, Or):
        return wq.Or([to_whoosh(n) for n in node.items])
    if isinstance(node, Not):
        return wq.Not(to_whoosh(node.item))
    positives = [to_whoosh(n) for n in node.items if not isinstance(n, Not)]
    negatives = [to_whoosh(n.item) for n in node.items if isinstance(n, Not)]
    if not positives:
        q = wq.Every()  # "(-a -b)" inside an OR: everything but
    else:
        q = positives[0] if len(positives) == 1 else wq.And(positives)
    if negatives:
        q = wq.AndNot(q, negatives[0] if len(negatives) == 1 else wq.Or(negatives))
    return q


def matches(node: Node, fields: dict[str, str], holds=None) -> bool:
    """Evaluate the tree literally on normalised ``{"title", "text", "names"}`` strings; with
    ``holds(value, literal)``, on the strings as stored, ``holds`` saying whether a value's
    normalised form holds a literal."""
    if isinstance(node, Lit):
        where = (fields.get(node.field, ""),) if node.field else fields.values()
        if holds is not None:
            return any(holds(value, node.text) for value in where)
        return any(node.text in value for value in where)
    if isinstance(node, Not):
        return not matches(node.item, fields, holds)
    if isinstance(node, Or):
        return any(matches(n, fields, holds) for n in node.items)
    return all(matches(n, fields, holds) for n in node.items)


def describe(node: Node | None) -> str:
    """The normalised query, echoed back in responses."""
    if node is None:
        return ""
    if isinstance(node, Lit):
        prefix = {"title": "title:", "names": "记者:"}.get(node.field or "", "")
        return prefix + (f'"{node.text}"' if node.phrase else node.text)
    if isinstance(node, Not):
        return "-" + describe(node.item)
    if isinstance(node, Or):
        return "(" + " OR ".join(describe(n) for n in node.items) + ")"
    return " ".join(describe(n) for n in node.items)


def typed_strings(text: str) -> tuple[str, ...]:
    """The bare words of a query that jieba cuts into several words (坚持和发展 → 坚持 和 发展),
    or that hold punctuation (，以及“), normalised: an article holding one of them as typed
    ranks above one with its words apart.
    Excluded and field-restricted words, and phrases (already literal), are not among them."""
    # A lone typographic quote stays a character here: pasted from an article, it is part of
    # the string (，以及“), not a request for a phrase, nor nothing.
    text = to_simplified(_CURLY_PAIR.sub(r'"\1"', text).replace("＂", '"'))
    try:
        tokens = _tokenize(text)
    except QueryError:
        return ()
    found: list[str] = []
    skip = False
    for kind, value in tokens:
        if skip or kind in ("neg", "field"):
            skip = kind in ("neg", "field")
            continue
        if kind == "word" and value != "OR":
            norm = normalize(value).strip()
            # Several words (坚持和发展), or one with punctuation typed around it (，以及“):
            # what was typed, as typed, is what staff look for first.
            several = len(words(value, mode="query")) > 1
            if unit_runs(norm) and (several or not _is_unit_text(norm)):
                found.append(norm)
    return tuple(dict.fromkeys(found))

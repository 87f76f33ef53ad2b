"""Matching: a query tree → the articles it matches, grouped, under the request's deadline.

Each literal of the tree is evaluated per segment on posting arrays (``postings``): a plain word
is the union of its word terms (body, title, byline names, BM25F-scored) and its unit-bigram
recall (a phrase of bigrams, checked on positions); AND intersects, OR unites (scores add, as in
Whoosh's matchers), ``-word`` subtracts. Paragraph hits become article groups through the
snapshot's ``doc_article`` array: every matching article is counted, none of its stored fields
read. Only trees Whoosh answers with candidates (field-restricted words, phrases across
punctuation) have their candidate paragraphs confirmed on the stored text.

A relaxed query (too few articles with every word) is the OR of its informative words, each
article's ``coverage`` counted from the words' own hit arrays; the zero-result suggestion tries a
bounded number of sub-queries. All of it spends the same ``Deadline``.
"""

from __future__ import annotations

import threading
import time
from bisect import bisect_right

import numpy as np

from searchsvc import flatpostings, postings, relax
from searchsvc.analysis import gram_terms, normalize, unit_runs
from searchsvc.errors import SearchTimeout
from searchsvc.groups import Groups
from searchsvc.holds import holds as _holds
from searchsvc.query import Lit, Node, Not, Or, matches, needs_check
from searchsvc.snapshot import Snapshot

CHECK_EVERY = 20_000  # units of work (postings, stored reads × 50) between two looks at the clock
EXACT_CHECK_MAX = 30_000  # candidate paragraphs read to confirm a typed string with punctuation
CANDIDATES_READ = 300  # at most this many candidates: a single unit is looked for in their text
# … or this many, when the segment has no ``unit`` field and the unit was not expanded yet: its
# bigram expansion costs ~0.3 ms a term, thousands of terms for a common character.
CANDIDATES_READ_NO_UNIT = 6_000
COVERAGE_STEPS = 4  # a relaxed article's rank: its words' idf summed, in quarters
DENSE_RATIO = 16  # a union of more than 1/16 of a segment's documents is added up densely
SKIP_TO_MAX = 64  # candidates looked up in a posting list one by one; more: the list is read


class Deadline:
    """The request's time budget, looked at after every ``CHECK_EVERY`` units of work: a query
    that does little never pays for the clock, a broad one stops soon after its budget."""

    def __init__(self, budget: float, started: float | None = None):
        self.budget = budget
        self.at = (time.perf_counter() if started is None else started) + budget
        self._work = 0

    def spend(self, units: int) -> None:
        self._work += units
        if self._work >= CHECK_EVERY:
            self._work = 0
            self.check()

    def check(self) -> None:
        if time.perf_counter() > self.at:
            b = self.budget
            raise SearchTimeout(
                f"检索超时（超过 {b:g} 秒），请加词、加引号或筛选缩小范围 / the query took longer "
                f"than {b:g} s: add words, quote a phrase or filter to narrow it down"
            )


Hits = postings.Hits
NO_HITS: Hits = (postings.EMPTY_DOCS, postings.EMPTY_SCORES)


def union(parts: list[Hits], size: int = 0) -> Hits:
    """The documents of any part, scores added. ``size``: the segment's document count — many
    hits are added up in an array of that size rather than sorted."""
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return NO_HITS
    if len(parts) == 1:
        return parts[0]
    total = sum(len(p[0]) for p in parts)
    if size and total * DENSE_RATIO >= size:
        acc = np.zeros(size)
        held = np.zeros(size, dtype=bool)
        for docs, scores in parts:  # a part's documents are distinct: += is exact
            acc[docs] += scores
            held[docs] = True
        uniq = np.flatnonzero(held)
        return uniq.astype(np.int32), acc[uniq]
    docs = np.concatenate([p[0] for p in parts])
    uniq, inverse = np.unique(docs, return_inverse=True)
    scores = np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]))
    return uniq.astype(np.int32), scores


def intersect(a: Hits, b: Hits) -> Hits:
    """The documents of both (sorted, distinct), scores added: the shorter list looked up in
    the longer one."""
    small, large = (a, b) if len(a[0]) <= len(b[0]) else (b, a)
    if not len(small[0]) or not len(large[0]):
        return NO_HITS
    at = np.searchsorted(large[0], small[0])
    at[at == len(large[0])] = 0
    found = large[0][at] == small[0]
    at = at[found]
    return small[0][found].astype(np.int32), small[1][found] + large[1][at]


def minus(a: Hits, b: Hits) -> Hits:
    keep = np.isin(a[0], b[0], assume_unique=True, invert=True)
    return a[0][keep], a[1][keep]


class SegmentEval:
    """Evaluates tree nodes on one segment (its docnums local to it). Every read of Whoosh's
    files is made under ``reading`` (the searcher is shared by the server's threads); a
    literal is read once per request, however often the tree (and its relaxation) asks."""

    def __init__(self, searcher, sub, lengths: postings.FieldLengths, deadline: Deadline,
                 reading=None, units: postings.UnitPostings | None = None,
                 snapshot: Snapshot | None = None, base: int = 0,
                 flats: flatpostings.Opened | None = None):  # fmt: skip
        self.top, self.sub, self.reader = searcher, sub, sub.reader()
        self.size = self.reader.doc_count_all()
        # The segment's flat postings (``flatpostings``), if it has them: read without the lock.
        self.flat = flats.get(self.reader) if flats is not None else None
        self.flats = flats
        self.snapshot, self.base = snapshot, base  # for the fields of a candidate paragraph
        self.lengths, self.deadline = lengths, deadline
        self.reading = reading if reading is not None else threading.RLock()
        self.units = units if units is not None else postings.UnitPostings()
        self._lits: dict[Lit, Hits] = {}
        self._texts: dict[int, str | None] = {}

    def term(self, fieldname: str, text: str) -> Hits:
        flat = self.flat
        if flat is not None and flat.has(fieldname):
            docs, weights = flat.postings(fieldname, text)
            if not len(docs):
                return NO_HITS
        with self.reading:
            if flat is None or not flat.has(fieldname):
                docs, weights = postings.term_postings(self.reader, fieldname, text)
                if not len(docs):
                    return NO_HITS
            lengths = self.lengths.get(self.reader, fieldname)
            idf = flatpostings.idf(self.top, self.flats, fieldname, text)
            avgfl = self.top.avg_field_length(fieldname) or 1
        self.deadline.spend(len(docs))
        return docs, postings.bm25(weights, lengths[docs], idf, avgfl)

    def phrase(self, grams: list[str], known: np.ndarray | None = None) -> Hits:
        """Paragraphs holding the bigrams ``grams`` one after the other (a run of units), scored
        as Whoosh scores its ``Phrase`` (the sum of the bigrams). ``known``: paragraphs known to
        hold the run (its word terms) — only the other candidates' positions are read."""
        terms = [self.term("gram", g) for g in grams]
        found = terms[0]
        for t in terms[1:]:
            found = intersect(found, t)
            if not len(found[0]):
                return NO_HITS
        docs = found[0]
        check = np.ones(len(docs), dtype=bool)
        if known is not None and len(known):
            check = np.isin(docs, known, invert=True)
        keep = ~check
        keep[check] = self.adjacent(grams, docs[check])
        return docs[keep], found[1][keep]

    def adjacent(self, grams: list[str], docs: np.ndarray) -> np.ndarray:
        """A mask over ``docs`` (each holding every bigram): those where the bigrams stand at
        consecutive positions. Only the blocks of these paragraphs are read (Whoosh's span
        matcher walked every candidate in Python: seconds for 习近平 on 500 pages)."""
        out = np.zeros(len(docs), dtype=bool)
        if not len(docs):
            return out
        if self.flat is not None and self.flat.has("gram"):
            return self._adjacent_flat(grams, docs)
        self.deadline.spend(len(docs) * 10 * len(grams))
        with self.reading:
            ms = [postings.raw_matcher(self.reader, "gram", g) for g in grams]
            for i, d in enumerate(docs.tolist()):
                spots = []
                for m in ms:
                    if m.id() < d:
                        m.skip_to(d)
                    spots.append(m.value_as("positions"))
                later = [set(p) for p in spots[1:]]
                out[i] = any(
                    all(p + j in later[j - 1] for j in range(1, len(grams))) for p in spots[0]
                )
        return out

    def _adjacent_flat(self, grams: list[str], docs: np.ndarray) -> np.ndarray:
        """``adjacent`` on the flat postings: every occurrence of a bigram is a key
        ``docnum << 32 | position``; the run stands where the first bigram's key, shifted by
        ``j``, is a key of the ``j``-th."""
        flat = self.flat
        keys = flat.doc_positions("gram", grams[0])
        keys = keys[np.isin(keys >> 32, docs)]
        self.deadline.spend(len(keys) * len(grams))
        for j, g in enumerate(grams[1:], 1):
            if not len(keys):
                break
            later = flat.doc_positions("gram", g)
            keys = keys[np.isin(keys + j, later, assume_unique=True)]
        return np.isin(docs, keys >> 32)

    def unit(self, unit: str) -> Hits:
        """Paragraphs holding one unit (score 1, as Whoosh's ``Prefix`` on the bigrams): the
        ``unit`` field's posting list, or the bigrams it begins (see ``postings.UnitPostings``)."""
        if self.flat is not None and self.flat.has("unit"):
            docs, _ = self.flat.postings("unit", unit)
            self.deadline.spend(len(docs))
            return docs, np.ones(len(docs))
        with self.reading:
            docs = self.units.get(self.reader, unit, self.deadline.spend)
        return docs, np.ones(len(docs))

    def has_unit_field(self) -> bool:
        """Whether this segment was written with the ``unit`` field (in its flat file, or in
        Whoosh's files)."""
        return (self.flat is not None and self.flat.has("unit")) or self.units.has_field(
            self.reader
        )

    def term_within(self, fieldname: str, text: str, docs: np.ndarray) -> Hits:
        """``term`` restricted to ``docs`` (sorted): for a few, only the blocks holding them are
        read (``skip_to`` scans a block in Python); for more, the whole list, on arrays."""
        if len(docs) > SKIP_TO_MAX or (self.flat is not None and self.flat.has(fieldname)):
            found = self.term(fieldname, text)
            keep = np.isin(found[0], docs, assume_unique=True)
            return found[0][keep], found[1][keep]
        with self.reading:
            m = postings.raw_matcher(self.reader, fieldname, text)
            if m is None:
                return NO_HITS
            found, weights = [], []
            for d in docs.tolist():
                if m.is_active() and m.id() < d:
                    m.skip_to(d)
                if not m.is_active():
                    break
                if m.id() == d:
                    found.append(d)
                    weights.append(m.weight())
            if not found:
                return NO_HITS
            lengths = self.lengths.get(self.reader, fieldname)
            idf = flatpostings.idf(self.top, self.flats, fieldname, text)
            avgfl = self.top.avg_field_length(fieldname) or 1
        docs = np.asarray(found, dtype=np.int32)
        self.deadline.spend(len(docs) * 50)
        return docs, postings.bm25(np.asarray(weights), lengths[docs], idf, avgfl)

    def holding(self, unit: str, docs: np.ndarray, known: np.ndarray | None = None) -> np.ndarray:
        """A mask over the candidate paragraphs ``docs``: those whose recall field (title, body,
        byline names) holds ``unit`` — what ``unit()`` answers, read from the stored text, except
        for the ``known`` ones (the unit is a word term of theirs)."""
        exact = self.has_unit_field()
        out = np.zeros(len(docs), dtype=bool)
        if known is not None and len(known):
            out = np.isin(docs, known, assume_unique=True)
        self.deadline.spend(int((~out).sum()) * 50)
        for i in np.flatnonzero(~out).tolist():
            text = self._recall_text(int(docs[i]))
            out[i] = text is not None and _holds(text, unit, exact)
        return out

    def _recall_text(self, docnum: int) -> str | None:
        """The title, body and names of a live paragraph as stored (None: not one), read once
        per request; ``_holds`` normalises it only when the raw text does not settle it."""
        found = self._texts.get(docnum, "")
        if found != "":
            return found
        art = self.snapshot.doc_article[self.base + docnum]
        if art < 0:
            found = None  # not a live paragraph: dropped later anyway
        else:
            stored = self.text(docnum)
            record = self.snapshot.articles[art]
            found = "\n".join((record.title, stored, " ".join(record.names)))
        self._texts[docnum] = found
        return found

    def text(self, docnum: int) -> str:
        """A document's stored paragraph text: from the flat file, or from Whoosh's store."""
        if self.flat is not None and self.flat.has_texts:
            return self.flat.text(docnum)
        with self.reading:
            return self.reader.stored_fields(docnum).get("text", "")

    def few(self, found: Hits, unit: str) -> bool:
        """Whether ``found`` is few enough to look for ``unit`` in its paragraphs' text rather
        than read the unit's postings."""
        if self.snapshot is None:
            return False
        cheap = self.has_unit_field() or self.units.known(self.reader, unit)
        return len(found[0]) <= (CANDIDATES_READ if cheap else CANDIDATES_READ_NO_UNIT)

    def lit_within(self, lit: Lit, docs: np.ndarray) -> Hits:
        """A single-unit literal's hits among the candidates ``docs``: the same paragraphs and
        scores ``lit()`` gives them, without reading the unit's thousands of postings."""
        if lit.phrase or lit.field is not None:
            mask = self.holding(lit.text, docs)
            return docs[mask], np.ones(int(mask.sum()))
        words = [self.term_within(f, lit.text, docs) for f in ("text", "title", "names")]
        known = union(words, self.size)[0]
        mask = self.holding(lit.text, docs, known)
        return union([*words, (docs[mask], np.ones(int(mask.sum())))], self.size)

    def grams(self, text: str, known: np.ndarray | None = None) -> Hits:
        """Paragraphs whose recall field holds ``text``'s runs; ``known``: ones known to hold
        ``text`` (its word terms), whose positions need not be read."""
        found: Hits | None = None
        # Single units last: the longest posting lists, skipped once the rest match nothing.
        for run in sorted(unit_runs(text), key=lambda r: len(r) == 1):
            if len(run) == 1 and found is not None and self.few(found, run[0][0]):
                keep = self.holding(run[0][0], found[0])
                found = found[0][keep], found[1][keep] + 1.0  # a unit's recall scores 1
            else:
                if len(run) == 1:
                    part = self.unit(run[0][0])
                else:
                    grams = gram_terms(run)[:-1]
                    one = len(grams) == 1
                    part = self.term("gram", grams[0]) if one else self.phrase(grams, known)
                found = part if found is None else intersect(found, part)
            if not len(found[0]):
                return NO_HITS
        return found if found is not None else NO_HITS

    def lit(self, lit: Lit) -> Hits:
        found = self._lits.get(lit)
        if found is None:
            found = self._lits[lit] = self._lit(lit)
        return found

    def _lit(self, lit: Lit) -> Hits:
        if lit.phrase or lit.field is not None:
            return self.grams(lit.text)
        words = [self.term(f, lit.text) for f in ("text", "title", "names")]
        # A paragraph with the word as a term holds it literally (a jieba word is a substring
        # of the normalised text): its bigram positions need no reading.
        known = union(words, self.size)[0]
        recall = self.grams(lit.text, known)
        grams = sum(len(run) - 1 for run in unit_runs(lit.text))
        if grams > 1:
            recall = (recall[0], recall[1] * (1 / grams))
        return union([*words, recall], self.size)

    def node(self, node: Node) -> Hits:
        if isinstance(node, Lit):
            return self.lit(node)
        if isinstance(node, Or):
            return union([self.node(n) for n in node.items], self.size)
        if isinstance(node, Not):
            raise ValueError("a bare exclusion has no hits of its own")
        # Single characters last (the longest posting lists): an AND that is already empty
        # (a question's words rarely all meet) never reads them.
        positives = sorted(
            (n for n in node.items if not isinstance(n, Not)), key=lambda n: _cost_rank(n)
        )
        if not positives:
            raise ValueError("an AND of exclusions only")
        found = self.node(positives[0])
        for n in positives[1:]:
            if not len(found[0]):
                return NO_HITS
            if _cost_rank(n) and self.few(found, n.text):
                found = intersect(found, self.lit_within(n, found[0]))
            else:
                found = intersect(found, self.node(n))
        for n in node.items:
            if isinstance(n, Not) and len(found[0]):
                found = minus(found, self.node(n.item))
        return found


def _cost_rank(node: Node) -> int:
    """0 for most nodes; 1 for a single unit (a character: thousands of bigrams or postings)."""
    return int(isinstance(node, Lit) and len(unit_runs(node.text)) == 1
               and len(unit_runs(node.text)[0]) == 1)  # fmt: skip


class Matcher:
    """Finds a tree's paragraph hits over every segment of one snapshot's searcher."""

    def __init__(self, searcher, snapshot: Snapshot, lengths, deadline: Deadline,
                 reading=None, units: postings.UnitPostings | None = None,
                 flats: flatpostings.Opened | None = None):  # fmt: skip
        self.searcher, self.snapshot, self.deadline = searcher, snapshot, deadline
        self.reading = reading if reading is not None else threading.RLock()
        units = units if units is not None else postings.UnitPostings()
        subs = searcher.subsearchers or [(searcher, 0)]
        self.segments = [
            (
                SegmentEval(
                    searcher, s, lengths, deadline, self.reading, units, snapshot, base, flats
                ),
                base,
            )  # fmt: skip
            for s, base in subs
        ]
        self._bases = [base for _, base in self.segments]
        self._heads: dict[int, tuple[str, str]] = {}  # article → normalised title, names

    def hits(self, tree: Node) -> Hits:
        """Global docnums (live paragraphs only) and scores; candidates confirmed on the text."""
        parts = []
        for seg, base in self.segments:
            if seg.reader.doc_count_all() == 0:
                continue
            docs, scores = seg.node(tree)
            parts.append((docs + base, scores))
        docs = np.concatenate([p[0] for p in parts]) if parts else postings.EMPTY_DOCS
        scores = np.concatenate([p[1] for p in parts]) if parts else postings.EMPTY_SCORES
        live = self.snapshot.doc_article[docs] >= 0 if len(docs) else np.zeros(0, bool)
        # + 1: the stock query was ANDed with ``kind:para``, an ID term that scores 1; kept so
        # that scores, and the proximity rerank's factors on them, stay what they were.
        docs, scores = docs[live].astype(np.int32), scores[live] + 1.0
        if needs_check(tree):
            keep = np.array([self._confirm(tree, int(d)) for d in docs], dtype=bool)
            docs, scores = docs[keep], scores[keep] if len(keep) else scores
        return docs, scores

    def _confirm(self, tree: Node, docnum: int) -> bool:
        self.deadline.spend(50)
        heads = self._heads_of(int(self.snapshot.doc_article[docnum]))
        fields = {
            "title": heads[0],
            "names": heads[1],
            "text": normalize(self._stored_text(docnum)),
        }
        return matches(tree, fields)

    def _heads_of(self, art: int) -> tuple[str, str]:
        """An article's title and bylines, normalised once per request (its paragraphs are
        confirmed one after another)."""
        heads = self._heads.get(art)
        if heads is None:
            record = self.snapshot.articles[art]
            heads = self._heads[art] = (normalize(record.title), normalize(" ".join(record.names)))
        return heads

    def _stored_text(self, docnum: int) -> str:
        i = bisect_right(self._bases, docnum) - 1
        seg, base = self.segments[i]
        return seg.text(docnum - base)

    def groups(self, tree: Node) -> Groups:
        return Groups.of(self.hits(tree), self.snapshot.doc_article)

    def relaxed(self, tree: Node, stopwords: frozenset[str]) -> Groups | None:
        """Articles holding most of the informative words (``relax``), with ``coverage``."""
        plan = relax.informative(tree, stopwords)
        if plan is None:
            return None
        kept, exclusions, need = plan
        per_word = [self.hits(n) for n in kept]
        found = union(per_word, len(self.snapshot.doc_article))
        for n in exclusions:
            found = minus(found, self.hits(n.item))
        groups = Groups.of(found, self.snapshot.doc_article)
        # Words held (the threshold), and the same weighed by rarity (the ranking): an article
        # with the question's two rare words above one with a rare and a common one.
        held = np.zeros(self.snapshot.size, dtype=np.int16)
        weight = np.zeros(self.snapshot.size, dtype=np.float64)
        for docs, _ in per_word:
            arts = np.unique(self.snapshot.doc_article[docs])
            held[arts] += 1
            weight[arts] += np.log(1 + self.snapshot.size / (1 + len(arts)))
        groups.coverage = np.round(weight[groups.arts] * COVERAGE_STEPS).astype(np.int32)
        return groups.take(held[groups.arts] >= need)

    def articles_with(self, text: str) -> np.ndarray:
        """Articles (snapshot indices) holding ``text`` (normalised) literally."""
        lit = Lit(text, phrase=True)
        docs, _ = self._raw(lit)
        if not len(docs):
            return postings.EMPTY_DOCS
        arts = self.snapshot.doc_article[docs]
        if not needs_check(lit):
            return np.unique(arts)
        # Punctuation inside: the candidates' text says. An article is read until one of its
        # paragraphs (or its title or bylines) holds the string.
        held: set[int] = set()
        for d, art in zip(docs[:EXACT_CHECK_MAX].tolist(), arts.tolist(), strict=False):
            if art in held:
                continue
            self.deadline.spend(50)
            heads = self._heads_of(art)
            if text in heads[0] or text in heads[1] or text in normalize(self._stored_text(d)):
                held.add(art)
        return np.array(sorted(held), dtype=np.int32)

    def _raw(self, tree: Node) -> Hits:
        parts = [(seg.node(tree)[0] + base,) for seg, base in self.segments
                 if seg.reader.doc_count_all()]  # fmt: skip
        docs = np.concatenate([p[0] for p in parts]) if parts else postings.EMPTY_DOCS
        docs = docs[self.snapshot.doc_article[docs] >= 0] if len(docs) else docs
        return docs.astype(np.int32), postings.EMPTY_SCORES

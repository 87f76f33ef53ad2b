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
from bisect import bisect_right

import numpy as np

from searchsvc import flatpostings, narrowing, postings, relax
from searchsvc.analysis import gram_terms
from searchsvc.deadline import Deadline
from searchsvc.groups import Groups
from searchsvc.hitsets import NO_HITS, intersect, minus, union, united_docs
from searchsvc.holds import StoredFields, holds_string
from searchsvc.holds import holds as _holds
from searchsvc.query import Lit, Node, Not, Or, gram_chain, matches, needs_check
from searchsvc.snapshot import Snapshot

EXACT_CHECK_MAX = 30_000  # candidate paragraphs read to confirm a typed string with punctuation
CANDIDATES_READ = 300  # at most this many candidates: a single unit is looked for in their text
# … or this many, when the segment has no ``unit`` field and the unit was not expanded yet: its
# bigram expansion costs ~0.3 ms a term, thousands of terms for a common character.
CANDIDATES_READ_NO_UNIT = 6_000
# A paragraph's text read and looked in (~8 µs) costs what ~2,000 postings of a flat list do.
POSTINGS_PER_TEXT = 2_000
SKIP_TO_MAX = 64  # candidates looked up in a posting list one by one; more: the list is read


Hits = postings.Hits


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
        self.snapshot, self.base = snapshot, base  # for the fields of a candidate paragraph
        self.lengths, self.deadline = lengths, deadline
        self.reading = reading if reading is not None else threading.RLock()
        self.units = units if units is not None else postings.UnitPostings()
        self.lits_read: dict[Lit, Hits] = {}
        self._texts: dict[int, str | None] = {}
        self._field_lengths: dict[str, np.ndarray] = {}
        self._terms: dict[tuple[str, str], Hits] = {}  # read once per request
        self._postings: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}
        self.stats = None  # (field, text) → (idf, average length): the Matcher's, shared

    def term(self, fieldname: str, text: str) -> Hits:
        found = self._terms.get((fieldname, text))
        if found is None:
            found = self._terms[fieldname, text] = self._term(fieldname, text)
        return found

    def _term(self, fieldname: str, text: str) -> Hits:
        flat = self.flat
        if flat is not None and flat.has(fieldname):
            docs, weights = self.flat_postings(fieldname, text)
            if not len(docs):
                return NO_HITS
        else:
            with self.reading:
                docs, weights = postings.term_postings(self.reader, fieldname, text)
            if not len(docs):
                return NO_HITS
        idf, avgfl = self.stats(fieldname, text)
        self.deadline.spend(len(docs))
        return docs, postings.bm25(weights, self._lengths(fieldname)[docs], idf, avgfl)

    def flat_postings(self, fieldname: str, text: str) -> tuple[np.ndarray, np.ndarray]:
        """A term's documents and weights from the flat file, read once per request (an item
        read within a few paragraphs may be read in full by the relaxed query after it)."""
        found = self._postings.get((fieldname, text))
        if found is None:
            found = self._postings[fieldname, text] = self.flat.postings(fieldname, text)
        return found

    def _lengths(self, fieldname: str) -> np.ndarray:
        found = self._field_lengths.get(fieldname)
        if found is None:
            with self.reading:
                found = self._field_lengths[fieldname] = self.lengths.get(self.reader, fieldname)
        return found

    def phrase(self, grams: list[str], known: np.ndarray | None = None,
               within: np.ndarray | None = None) -> Hits:  # fmt: skip
        """Paragraphs holding the bigrams ``grams`` one after the other (a run of units), scored
        as Whoosh scores its ``Phrase`` (the sum of the bigrams). ``known``: paragraphs known to
        hold the run (its word terms) — only the other candidates' positions are read;
        ``within``: only among these paragraphs (sorted)."""
        if within is None:
            found = self.term("gram", grams[0])
        else:
            found = self.term_within("gram", grams[0], within)
        for g in grams[1:]:  # read one after another: an empty intersection reads no more
            if not len(found[0]):
                return NO_HITS
            if within is None:
                found = intersect(found, self.term("gram", g))
            else:
                found = intersect(found, self.term_within("gram", g, found[0]))
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
        ``j``, is a key of the ``j``-th (``FlatSegment.chained``)."""
        held = self.flat.chained("gram", list(enumerate(grams)), docs, self.deadline.spend)
        return np.isin(docs, held, assume_unique=True)

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
        read (``skip_to`` scans a block in Python); for more, the whole list, on arrays; from a
        flat file, the list's documents looked up and only those among ``docs`` scored."""
        if self.flat is not None and self.flat.has(fieldname):
            if (fieldname, text) in self._terms:
                return narrowing.restrict(self.term(fieldname, text), docs)
            every, weights = self.flat_postings(fieldname, text)
            keep = narrowing.member(every, docs)
            if not keep.any():
                return NO_HITS
            found, weights = every[keep], weights[keep]
            idf, avgfl = self.stats(fieldname, text)
            self.deadline.spend(len(every) // 4 + len(found))
            lengths = self._lengths(fieldname)[found]
            return found, postings.bm25(weights, lengths, idf, avgfl)
        if len(docs) > SKIP_TO_MAX:
            return narrowing.restrict(self.term(fieldname, text), docs)
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
        idf, avgfl = self.stats(fieldname, text)
        docs = np.asarray(found, dtype=np.int32)
        self.deadline.spend(len(docs) * 50)
        return docs, postings.bm25(np.asarray(weights), self._lengths(fieldname)[docs], idf, avgfl)

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
        n = len(found[0])
        if self.flat is not None and self.flat.has("unit"):
            # A flat posting list costs little per posting: the text wins only when it is
            # much shorter than the list.
            return n <= CANDIDATES_READ and n * POSTINGS_PER_TEXT <= self.flat.doc_frequency(
                "unit", unit
            )
        cheap = self.has_unit_field() or self.units.known(self.reader, unit)
        return n <= (CANDIDATES_READ if cheap else CANDIDATES_READ_NO_UNIT)

    def grams(self, text: str, known: np.ndarray | None = None,
              within: np.ndarray | None = None) -> Hits:  # fmt: skip
        """Paragraphs whose recall field holds ``text``'s runs; ``known``: ones known to hold
        ``text`` (its word terms), whose positions need not be read; ``within``: only among
        these paragraphs (sorted; scores then left out)."""
        found: Hits | None = None if within is None else (within, np.zeros(len(within)))
        # Single units last: the longest posting lists, skipped once the rest match nothing.
        for run in sorted(narrowing.runs(text), key=lambda r: len(r) == 1):
            if len(run) == 1 and found is not None and self.few(found, run[0][0]):
                keep = self.holding(run[0][0], found[0], known)
                found = found[0][keep], found[1][keep] + 1.0  # a unit's recall scores 1
            else:
                if len(run) == 1:
                    part = self.unit(run[0][0])
                else:
                    grams = gram_terms(run)[:-1]
                    one = len(grams) == 1
                    narrow = None if within is None else found[0]
                    if one and narrow is not None:
                        part = self.term_within("gram", grams[0], narrow)
                    else:
                        part = (
                            self.term("gram", grams[0])
                            if one
                            else self.phrase(grams, known, narrow)
                        )
                found = part if found is None else intersect(found, part)
            if not len(found[0]):
                return NO_HITS
        return found if found is not None else NO_HITS

    def lit(self, lit: Lit) -> Hits:
        found = self.lits_read.get(lit)
        if found is None:
            found = self.lits_read[lit] = self._lit(lit)
        return found

    def _lit(self, lit: Lit) -> Hits:
        if lit.phrase or lit.field is not None:
            return self.literal(lit)
        return self.word(lit)

    def word(self, lit: Lit, within: np.ndarray | None = None) -> Hits:
        """A plain word's hits: its body, title and byline terms, and its bigram recall;
        ``within``: only among these paragraphs (sorted), scored as in full."""
        if within is None:
            words = [self.term(f, lit.text) for f in ("text", "title", "names")]
        else:
            words = [self.term_within(f, lit.text, within) for f in ("text", "title", "names")]
        # A paragraph with the word as a term holds it literally (a jieba word is a substring
        # of the normalised text): its bigram positions need no reading.
        known = united_docs(words, self.size)
        recall = self.grams(lit.text, known, within)
        grams = sum(len(run) - 1 for run in narrowing.runs(lit.text))
        if grams > 1:
            recall = (recall[0], recall[1] * (1 / grams))
        return union([*words, recall], self.size)

    def literal(self, lit: Lit, within: np.ndarray | None = None) -> Hits:
        """A phrase's or field-restricted literal's candidate paragraphs (the bigrams' runs,
        chained across punctuation); ``within``: only among these (sorted)."""
        found = self.grams(lit.text, within=within)
        if len(found[0]) and needs_check(lit) and self.flat is not None and self.flat.has("gram"):
            # Punctuation inside: its runs' ends and gaps narrow the candidates first.
            links = gram_chain(lit.text)
            if links:
                held = self.flat.chained("gram", links, found[0])
                self.deadline.spend(len(found[0]) * len(links))
                keep = np.isin(found[0], held, assume_unique=True)
                found = found[0][keep], found[1][keep]
        return found

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
            (n for n in node.items if not isinstance(n, Not)),
            key=narrowing.single_unit,
        )
        if not positives:
            raise ValueError("an AND of exclusions only")
        found = narrowing.conjunction(self, positives)
        for n in node.items:
            if isinstance(n, Not) and len(found[0]):
                found = minus(found, self.node(n.item))
        return found


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
        self._stats: dict[tuple[str, str], tuple[float, float]] = {}
        for seg, _ in self.segments:
            seg.stats = self.stats

    def stats(self, fieldname: str, text: str) -> tuple[float, float]:
        """A term's idf and its field's average length, as Whoosh's BM25F reads them
        (``log(N / (df + 1)) + 1`` over every document, deleted ones included), once per
        request (``flatpostings.idf``: the document frequency from the segments' flat files)."""
        key = (fieldname, text)
        found = self._stats.get(key)
        if found is None:
            files = [seg.flat for seg, _ in self.segments]
            with self.reading:
                avgfl = self.searcher.avg_field_length(fieldname) or 1
                idf = flatpostings.idf(self.searcher, files, fieldname, text)
            found = self._stats[key] = (idf, avgfl)
        return found

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
        art = int(self.snapshot.doc_article[docnum])
        fields = StoredFields(lambda: self._stored_text(docnum), lambda: self._heads_of(art))
        return matches(tree, fields, holds_string)

    def _heads_of(self, art: int) -> tuple[str, str]:
        """An article's title and bylines as stored."""
        record = self.snapshot.articles[art]
        return record.title, " ".join(record.names)

    def _stored_text(self, docnum: int) -> str:
        i = bisect_right(self._bases, docnum) - 1
        seg, base = self.segments[i]
        return seg.text(docnum - base)

    def groups(self, tree: Node) -> Groups:
        return Groups.of(self.hits(tree), self.snapshot.doc_article)

    def relaxed(self, tree: Node, stopwords: frozenset[str]) -> Groups | None:
        """Articles holding most of the informative words (``relax.relaxed_groups``)."""
        return relax.relaxed_groups(self, tree, stopwords)

    def articles_with(self, text: str, within: np.ndarray | None = None) -> np.ndarray:
        """Articles (snapshot indices) holding ``text`` (normalised) literally; ``within``:
        only looked for in these paragraphs (global docnums, sorted) — those a query of the
        string's words matched hold every paragraph holding the string."""
        lit = Lit(text, phrase=True)
        docs = self._raw(lit, within)
        if not len(docs):
            return postings.EMPTY_DOCS
        arts = self.snapshot.doc_article[docs]
        if not needs_check(lit):
            return np.unique(arts)
        # Punctuation inside: the candidates' text says. An article is read until one of its
        # paragraphs (or its title or bylines) holds the string.
        held: set[int] = set()
        heads: dict[int, bool] = {}  # article → its title or bylines hold the string
        for d, art in zip(docs[:EXACT_CHECK_MAX].tolist(), arts.tolist(), strict=False):
            if art in held:
                continue
            self.deadline.spend(10)
            if holds_string(self._stored_text(d), text):
                held.add(art)
                continue
            if art not in heads:
                heads[art] = any(holds_string(h, text) for h in self._heads_of(art))
            if heads[art]:
                held.add(art)
        return np.array(sorted(held), dtype=np.int32)

    def _raw(self, lit: Lit, within: np.ndarray | None = None) -> np.ndarray:
        """A literal's candidate paragraphs (global docnums), live ones only."""
        parts = []
        for seg, base in self.segments:
            if not seg.size:
                continue
            if within is None:
                parts.append(seg.literal(lit)[0] + base)
                continue
            lo, hi = np.searchsorted(within, (base, base + seg.size))
            if hi > lo:
                parts.append(seg.literal(lit, within[lo:hi] - base)[0] + base)
        docs = np.concatenate(parts) if parts else postings.EMPTY_DOCS
        docs = docs[self.snapshot.doc_article[docs] >= 0] if len(docs) else docs
        return docs.astype(np.int32)

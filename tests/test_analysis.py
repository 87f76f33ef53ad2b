from searchsvc.analysis import (
    gram_analyzer,
    normalize,
    normalize_map,
    unit_runs,
    word_analyzer,
    words,
)


def test_normalize_folds_full_width_and_case_one_to_one():
    text = "控制器（ＰＥＵ）２０２５年Ｘ实验室"
    norm, origin = normalize_map(text)
    assert norm == "控制器(peu)2025年x实验室"
    assert origin[: len(text)] == list(range(len(text)))


def test_normalize_map_tracks_expansions():
    text = "第㈠条ﬁ"  # ㈠ → (一), ﬁ → fi: lengths change
    norm, origin = normalize_map(text)
    assert norm == "第(一)条fi"
    assert text[origin[norm.index("条")]] == "条"
    assert origin[-1] == len(text)


def test_word_positions_count_words_not_characters():
    # Whoosh reuses one Token object: read each as it comes
    tokens = [
        (t.text, t.pos)
        for t in word_analyzer()("北汽福田自主重型高压集成控制器", positions=True, mode="index")
    ]
    by_text = dict(tokens)
    # search-mode sub-words sit at the position of the word that holds them
    assert by_text["北汽"] == by_text["北汽福田"] == 0
    assert by_text["控制"] == by_text["控制器"]
    assert max(pos for _text, pos in tokens) == 5


def test_query_mode_is_precise_and_keeps_domain_words_whole():
    assert words("北京市总工会女职工部", mode="query")[0] == "北京市总工会"
    assert "劳模工匠" in words("巾帼劳模工匠宣讲活动", mode="query")
    assert words("北京市教育工会", mode="query") == ["北京市教育工会"]


def test_latin_is_lower_cased_and_punctuation_dropped():
    assert words("（ＰＥＵ）集成，PEU！", mode="query") == ["peu", "集成", "peu"]


def test_unit_bigrams_do_not_cross_punctuation():
    grams = [t.text for t in gram_analyzer()("马克思，203所工会")]
    assert grams == ["马克", "克思", "思$", "203所", "所工", "工会", "会$"]
    runs = unit_runs(normalize("自主重型高压集成控制器(PEU)"))
    assert [u[0] for u in runs[1]] == ["peu"]


def test_gram_positions_leave_a_gap_between_runs():
    tokens = [(t.text, t.pos) for t in gram_analyzer()("工会，活动", positions=True)]
    assert tokens == [("工会", 0), ("会$", 1), ("活动", 3), ("动$", 4)]


def test_an_edited_user_dictionary_is_used_without_restarting(tmp_path):
    from searchsvc.analysis import words
    from searchsvc.vocabulary import USERDICT_PATH as USERDICT

    userdict = tmp_path / "userdict.txt"
    userdict.write_text(USERDICT.read_text(encoding="utf-8"), encoding="utf-8")
    text = "巧手压花定格芳华"
    before = words(text, userdict=str(userdict))
    assert "定格芳华" not in before
    with userdict.open("a", encoding="utf-8") as out:
        out.write("\n定格芳华 10 n\n")
    assert "定格芳华" in words(text, userdict=str(userdict))


def _reference_word_tokens(norm: str, mode: str) -> list[tuple]:
    """What the tokenizer did with Python jieba before the switch to jieba-rs (rjieba)."""
    import jieba

    from searchsvc.analysis import _UNIT_RE
    from searchsvc.vocabulary import USERDICT_PATH as USERDICT

    tk = _reference_jieba(str(USERDICT))
    out, pos = [], -1
    for word, start, end in tk.tokenize(norm, mode="default", HMM=True):
        if not _UNIT_RE.search(word):
            continue
        pos += 1
        out.append((word, pos, start, end))
        if mode == "index" and len(word) > 2:
            for n in range(2, len(word)):
                for i in range(len(word) - n + 1):
                    if tk.FREQ.get(word[i : i + n]):
                        out.append((word[i : i + n], pos, start + i, start + i + n))
    assert isinstance(tk, jieba.Tokenizer)
    return out


_REFERENCE = {}


def _reference_jieba(userdict: str):
    import jieba

    if userdict not in _REFERENCE:
        tk = jieba.Tokenizer()
        tk.initialize()
        tk.load_userdict(userdict)
        _REFERENCE[userdict] = tk
    return _REFERENCE[userdict]


def test_rjieba_cuts_real_pages_as_jieba_does():
    """jieba-rs replaced jieba for speed; on real pages (the seed and the shared bulletins:
    Han text, the user dictionary's domain words, Latin, digits, hyphens, percentages) every
    token, sub-word and position must be the same in index and query mode."""
    from searchsvc.analysis import word_tokens
    from searchsvc.vocabulary import USERDICT_PATH as USERDICT

    from .conftest import SEED, shared_bulletins

    texts = []
    for path in [SEED, *shared_bulletins()]:
        texts += [normalize(p) for p in path.read_text(encoding="utf-8").split("\n\n") if p]
    userdict_words = [
        line.split()[0] for line in USERDICT.read_text(encoding="utf-8").split("\n") if line
    ]
    texts += [normalize(f"本次{w}活动，F-22和CP-300型号占比3.5%；第1-8名") for w in userdict_words]
    assert len(texts) > 2000
    for mode in ("index", "query"):
        differing = [
            t for t in texts if list(word_tokens(t, mode)) != _reference_word_tokens(t, mode)
        ]
        assert differing == [], differing[:3]


def test_the_bulk_writers_columns_are_the_index_tokens_of_real_pages():
    """``index_columns`` (what the bulk writer indexes: a cache of each word's sub-words, Han
    runs cut without a regex per unit) gives every analyzer's index-mode terms and positions,
    and the same whether the tokenizer is pinned for a batch or not."""
    from searchsvc import analysis

    from .conftest import SEED, shared_bulletins

    texts = []
    for path in [SEED, *shared_bulletins()]:
        texts += [normalize(p) for p in path.read_text(encoding="utf-8").split("\n") if p]
    texts += [normalize("F-22和CP-300型号占比3.5%；第1-8名，哈哈哈哈，ＡＢＣ１２３北京市总工会")]
    assert len(texts) > 2000
    for ana in (analysis.word_analyzer(), analysis.gram_analyzer(), analysis.unit_analyzer()):
        for t in texts:
            want = [(term, pos) for term, pos, _s, _e in ana.terms(t, "index")]
            assert list(zip(*ana.index_columns(t), strict=True)) == want, (type(ana).__name__, t)
        with analysis.tokenizers_pinned():
            assert [ana.index_columns(t) for t in texts[:300]] == [
                ana.index_columns(t) for t in texts[:300]
            ]


def test_unit_codes_are_the_gram_and_unit_tokens_of_real_pages():
    """``unitcodes.rows`` (the bulk writer's gram and unit rows: many texts at once, units as
    code points) gives, text by text, the ``gram`` analyzer's terms and positions and the
    ``unit`` analyzer's units — Latin and digit runs, full-width forms, runs cut by
    punctuation, empty texts, a text of one unit."""
    import numpy as np

    from searchsvc import analysis, unitcodes

    from .conftest import SEED, shared_bulletins

    texts = []
    for path in [SEED, *shared_bulletins()]:
        texts += [normalize(p) for p in path.read_text(encoding="utf-8").split("\n") if p]
    texts += [normalize("F-22和CP-300型号占比3.5%；第1-8名，哈哈哈哈，ＡＢＣ１２３北京市总工会")]
    texts += ["", "a", "，", "ab", "中", "\n中\n", "x_y", "ⅷ①²", "\ud800中"]
    assert len(texts) > 2000
    units = unitcodes.Units()
    gram, unit = analysis.gram_analyzer(), analysis.unit_analyzer()
    for start in range(0, len(texts), 700):  # in chunks, as the builder cuts them
        chunk = texts[start : start + 700]
        rows = unitcodes.rows(chunk, units)
        bounds = np.concatenate(([0], np.cumsum(rows.counts))).tolist()
        assert rows.texts.tolist() == sorted(rows.texts.tolist())
        for i, text in enumerate(chunk):
            a, b = bounds[i], bounds[i + 1]
            terms, poss = gram.index_columns(text)
            assert [units.term(c) for c in rows.grams[a:b].tolist()] == terms, text
            assert rows.positions[a:b].tolist() == poss, text
            assert [units.term(c) for c in rows.units[a:b].tolist()] == unit.index_columns(text)[0]
    assert len(units.texts) > 100  # longer units (Latin words, numbers) were met


def test_normalize_lines_is_normalize_on_real_pages_and_tricky_lines():
    """``normalize_lines`` (the bulk writer's normalisation of ``gram``'s joined title, text
    and bylines, from the lines' remembered forms) equals ``normalize`` — also when one line
    changes length (then it is done whole), a final sigma, and a combining mark after a newline."""
    from searchsvc.analysis import normalize_lines

    from .conftest import SEED, shared_bulletins

    lines = []
    for path in [SEED, *shared_bulletins()]:
        lines += [p for p in path.read_text(encoding="utf-8").split("\n") if p]
    tricky = ["第㈠条ﬁ", "ΟΔΟΣ", "ΟΔΟΣ ΑΒ", "\u0301开头", "e\u0301", "İstanbul", "ＡＢＣ１２３", ""]
    known: dict = {}
    texts = ["\n".join(lines[i : i + 3]) for i in range(0, len(lines), 2)]
    texts += ["\n".join((a, b)) for a in tricky for b in tricky]
    assert len(texts) > 1000
    for text in texts:
        assert normalize_lines(text, known) == normalize(text), text
    assert any(form is None for form in known.values())  # a line done whole was met

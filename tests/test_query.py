import pytest

from searchsvc.query import (
    MAX_QUERY_CHARS,
    And,
    Lit,
    Not,
    Or,
    QueryError,
    describe,
    literals,
    matches,
    needs_check,
    parse,
)


def test_words_are_anded_and_phrases_kept_whole():
    tree = parse('劳模工匠 "北京市总工会"')
    assert tree == And((Lit("劳模工匠"), Lit("北京市总工会", phrase=True)))
    assert describe(tree) == '劳模工匠 "北京市总工会"'


def test_chinese_quotes_count_as_quotes():
    assert parse("“劳模工匠助企行”") == Lit("劳模工匠助企行", phrase=True)


def test_exclusion_or_and_fields():
    tree = parse("读书 -恒丰 OR 标题:巧手")
    assert tree == Or((And((Lit("读书"), Not(Lit("恒丰")))), Lit("巧手", "title")))
    assert needs_check(tree)
    assert not needs_check(parse("读书 分享"))


def test_unknown_field_prefix_is_text():
    assert parse("2025年:巾帼") == And((Lit("2025"), Lit("年"), Lit("巾帼")))


@pytest.mark.parametrize(
    "text, code",
    [
        ('"北京市总工会', "unbalanced_quotes"),
        ("(劳模 OR 工匠", "unbalanced_parentheses"),
        ("劳模)", "unbalanced_parentheses"),
        ("-劳模", "only_exclusions"),
        ("，。！", "no_terms"),
        ("劳" * (MAX_QUERY_CHARS + 1), "query_too_long"),
    ],
)
def test_bad_queries_raise_clear_errors(text, code):
    with pytest.raises(QueryError) as err:
        parse(text)
    assert err.value.code == code
    assert "/" in err.value.message  # Chinese / English


def test_empty_query_is_none():
    assert parse("   ") is None


def test_literal_matching_respects_fields():
    fields = {"title": "巧手生花", "text": "航天科工203所工会举办压花活动。", "names": "余璨译"}
    assert matches(parse('"203所工会" 巧手'), fields)
    assert matches(parse("记者:余璨译"), fields)
    assert not matches(parse("标题:压花"), fields)
    assert not matches(parse("压花 -巧手"), fields)


def test_a_lone_typographic_quote_is_punctuation_not_a_phrase():
    # A string pasted from an article, cut inside a quotation: no 400, the words are found.
    assert literals(parse("在共建“一带")) == [Lit("在"), Lit("共建"), Lit("一带")]
    assert parse("“一带一路”倡议").items[0] == Lit("一带一路", phrase=True)
    with pytest.raises(QueryError):
        parse('"劳模')  # a straight quote is syntax: unbalanced, it is a typo to point out

"""The token scanner: what counts as code, what is hidden inside literals and comments."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from smolwf.script.lexer import Token, iter_tokens


def kinds_and_texts(source: str) -> list[tuple[str, str]]:
    return [(token.kind, token.text) for token in iter_tokens(source)]


def idents(source: str) -> list[str]:
    return [token.text for token in iter_tokens(source) if token.kind == "ident"]


def test_comments_and_whitespace_are_skipped() -> None:
    source = "a // line comment return\n/* block\n import */ b"
    assert kinds_and_texts(source) == [("ident", "a"), ("ident", "b")]


def test_tokens_carry_offsets_and_one_based_lines() -> None:
    source = "one\n  two\n\nthree"
    tokens = list(iter_tokens(source))
    assert [(t.text, t.line) for t in tokens] == [("one", 1), ("two", 2), ("three", 4)]
    assert all(source[t.start : t.end] == t.text for t in tokens)


def test_strings_with_escapes_are_single_tokens() -> None:
    source = r"""x = 'it\'s // not a comment' + "say \"hi\" /* no */";"""
    strings = [text for kind, text in kinds_and_texts(source) if kind == "string"]
    assert strings == [r"'it\'s // not a comment'", r'"say \"hi\" /* no */"']


def test_template_literal_without_substitution_is_one_token() -> None:
    assert kinds_and_texts("`return import('x')`") == [("template", "`return import('x')`")]


def test_template_substitutions_are_code_and_nested_braces_balance() -> None:
    source = "`a ${ {b: 1}['b'] + `in${'ner'}` } return`; after"
    tokens = kinds_and_texts(source)
    assert tokens[0] == ("template_head", "`a ${")
    assert ("template_tail", "}`") in tokens
    assert ("template_tail", "} return`") in tokens
    assert tokens[-1] == ("ident", "after")
    assert "return" not in idents(source)


def test_template_middle_splits_multiple_substitutions() -> None:
    kinds = [kind for kind, _ in kinds_and_texts("`${a}-${b}`")]
    assert kinds == ["template_head", "ident", "template_middle", "ident", "template_tail"]


def test_regex_literal_may_contain_slashes_and_quotes() -> None:
    source = """const r = /"it's\\/\\/x"[/']/g; y"""
    tokens = kinds_and_texts(source)
    assert ("regex", """/"it's\\/\\/x"[/']/g""") in tokens
    assert tokens[-1] == ("ident", "y")


def test_slash_after_a_value_is_division() -> None:
    source = "a / b / c; f(x) / 2; arr[0] / 3; 4 / 5"
    assert not [kind for kind, _ in kinds_and_texts(source) if kind == "regex"]


def test_slash_after_keywords_starts_a_regex() -> None:
    source = "return /a'b/; typeof /x/; case /y/:"
    regexes = [text for kind, text in kinds_and_texts(source) if kind == "regex"]
    assert regexes == ["/a'b/", "/x/", "/y/"]


def test_keyword_used_as_property_name_before_slash_divides() -> None:
    tokens = kinds_and_texts("obj.return / 2 / x")
    assert ("punct", "/") in tokens
    assert not [kind for kind, _ in tokens if kind == "regex"]


def test_regex_at_start_of_source() -> None:
    assert kinds_and_texts("/ab+c/i.test(s)")[0] == ("regex", "/ab+c/i")


def test_depth_counts_open_brackets_and_pairs_share_a_depth() -> None:
    tokens = list(iter_tokens("a(b[c{d}])e"))
    assert [(t.text, t.depth) for t in tokens] == [
        ("a", 0),
        ("(", 0),
        ("b", 1),
        ("[", 1),
        ("c", 2),
        ("{", 2),
        ("d", 3),
        ("}", 2),
        ("]", 1),
        (")", 0),
        ("e", 0),
    ]


def test_template_substitution_counts_as_one_level() -> None:
    tokens = list(iter_tokens("`${ x }` y"))
    depth = {t.text: t.depth for t in tokens}
    assert depth["x"] == 1
    assert depth["y"] == 0


def test_unbalanced_closers_never_make_depth_negative() -> None:
    tokens = list(iter_tokens(")) } x"))
    assert tokens[-1].depth == 0


def test_numbers_including_hex_exponent_and_separators() -> None:
    numbers = [
        text for kind, text in kinds_and_texts("0x1F 1e-3 1_000 .5 10n 1.25") if kind == "number"
    ]
    assert numbers == ["0x1F", "1e-3", "1_000", ".5", "10n", "1.25"]


def test_multi_character_punctuators_are_longest_match() -> None:
    texts = [text for _, text in kinds_and_texts("a >>>= b ?. c ... d === e ??= f => g")]
    assert texts[1::2] == [">>>=", "?.", "...", "===", "??=", "=>"]


def test_optional_chaining_is_not_confused_with_conditional_decimal() -> None:
    texts = [text for _, text in kinds_and_texts("x?.5:1")]
    assert texts == ["x", "?", ".5", ":", "1"]


def test_private_names_and_unicode_identifiers() -> None:
    assert idents("this.#secret + café_$1") == ["this", "#secret", "café_$1"]


def test_hashbang_line_is_skipped() -> None:
    assert idents("#!/usr/bin/env smol-wf\nreturn 1") == ["return"]


def test_unterminated_string_ends_at_eof() -> None:
    tokens = list(iter_tokens("a = 'never closed\nreturn 1"))
    assert tokens[-1] == Token("string", "'never closed\nreturn 1", 4, 26, 1, 0)


def test_unterminated_comment_and_template_end_at_eof() -> None:
    assert kinds_and_texts("a /* open") == [("ident", "a")]
    assert kinds_and_texts("b `open ${ c")[-1] == ("ident", "c")
    assert kinds_and_texts("b `open")[-1] == ("template", "`open")


def test_unterminated_regex_falls_back_to_division() -> None:
    tokens = kinds_and_texts("x = / 2\ny")
    assert tokens[2] == ("punct", "/")
    assert tokens[-1] == ("ident", "y")


_JS_SOUP = st.lists(
    st.sampled_from([*"ab1 \n\t'\"`\\/*${}()[];,.=+-?:#!<>", "return", "import"]),
    max_size=80,
).map("".join)


@given(source=_JS_SOUP)
def test_any_text_scans_into_ordered_exact_tokens(source: str) -> None:
    end = 0
    for token in iter_tokens(source):
        assert token.start >= end
        assert token.end > token.start
        assert source[token.start : token.end] == token.text
        assert token.line == source.count("\n", 0, token.start) + 1
        assert token.depth >= 0
        end = token.end

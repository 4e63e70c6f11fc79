"""Static metadata extraction: the reference runtime's rules plus its deliberate fixes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smolwf.jsontypes import JSON
from smolwf.script.meta import PhaseMeta, WorkflowMeta, extract_meta


def meta_of(literal: str) -> WorkflowMeta | None:
    return extract_meta(f"export const meta = {literal};\nexport default 1;\n")


def raw_of(literal: str) -> JSON:
    meta = meta_of(literal)
    assert meta is not None
    return meta.raw


# ------------------------------------------------------------ ported reference tests


def test_reads_exported_pure_literal_metadata() -> None:
    source = """
export const meta = {
  name: "review",
  description: "Review a change",
  whenToUse: "After every commit",
  phases: [
    { title: "Plan", detail: "think first", model: "opus", provider: "claude" },
    { title: "Build", model: "sonnet", provider: "codex" },
  ],
};
export default 1;
"""
    meta = extract_meta(source)
    assert meta == WorkflowMeta(
        name="review",
        description="Review a change",
        when_to_use="After every commit",
        phases=(
            PhaseMeta("Plan", "think first", "opus", "claude"),
            PhaseMeta("Build", None, "sonnet", "codex"),
        ),
        raw=json.loads(
            '{"name":"review","description":"Review a change","whenToUse":"After every commit",'
            '"phases":[{"title":"Plan","detail":"think first","model":"opus","provider":"claude"},'
            '{"title":"Build","model":"sonnet","provider":"codex"}]}'
        ),
    )


def test_supports_comments_quoted_keys_and_nested_braces_in_strings() -> None:
    source = """
// export const meta = { name: "commented out" }
export /* a */ const // b
  meta /* c */ = /* d */ {
  "name": 'braces { } [ ] inside',
  'description': "slashes // and /* not comments */",
  // a comment between entries
  phases: [ /* x */ { title: "}" } ],
};
"""
    meta = extract_meta(source)
    assert meta is not None
    assert meta.name == "braces { } [ ] inside"
    assert meta.description == "slashes // and /* not comments */"
    assert meta.phases == (PhaseMeta("}"),)


def test_returns_none_when_required_fields_are_missing() -> None:
    assert meta_of('{ name: "x" }') is None
    assert meta_of('{ description: "x" }') is None


def test_rejects_non_literal_metadata() -> None:
    assert meta_of('{ name: "x", description: "y", provider }') is None
    assert extract_meta("export const meta = makeMeta();") is None


def test_ignores_non_exported_metadata() -> None:
    assert extract_meta('const meta = { name: "x", description: "y" };') is None


# ------------------------------------------------------------ required and optional fields


def test_required_fields_must_be_strings() -> None:
    assert meta_of('{ name: 1, description: "y" }') is None
    assert meta_of('{ name: "x", description: null }') is None


def test_meta_must_be_an_object() -> None:
    assert meta_of('["name", "description"]') is None


def test_when_to_use_is_ignored_unless_a_string() -> None:
    meta = meta_of('{ name: "x", description: "y", whenToUse: 3 }')
    assert meta is not None
    assert meta.when_to_use is None


def test_phases_without_a_string_title_are_dropped() -> None:
    meta = meta_of(
        '{ name: "x", description: "y", phases: [{ title: 1 }, {}, "a", { title: "ok" }] }'
    )
    assert meta is not None
    assert meta.phases == (PhaseMeta("ok"),)


def test_phase_detail_model_and_provider_only_taken_when_strings() -> None:
    meta = meta_of(
        '{ name: "x", description: "y", phases: [{ title: "t", detail: 1, model: null }] }'
    )
    assert meta is not None
    assert meta.phases == (PhaseMeta("t"),)


def test_phases_that_is_not_an_array_gives_no_phases() -> None:
    meta = meta_of('{ name: "x", description: "y", phases: { title: "t" } }')
    assert meta is not None
    assert meta.phases == ()


def test_unknown_keys_are_kept_in_raw() -> None:
    meta = meta_of('{ name: "x", description: "y", budget: { tokens: 1000 } }')
    assert meta is not None
    assert meta.raw["budget"] == {"tokens": 1000}


def test_phase_lookup_by_exact_title() -> None:
    meta = meta_of('{ name: "x", description: "y", phases: [{ title: "Plan", model: "m" }] }')
    assert meta is not None
    assert meta.phase("Plan") == PhaseMeta("Plan", model="m")
    assert meta.phase("plan") is None


def test_to_json_omits_absent_fields_and_empty_phases() -> None:
    bare = meta_of('{ name: "x", description: "y", phases: [] }')
    assert bare is not None
    assert bare.to_json() == {"name": "x", "description": "y"}
    full = meta_of(
        '{ name: "x", description: "y", whenToUse: "w", phases: [{ title: "t", provider: "p" }] }'
    )
    assert full is not None
    assert full.to_json() == {
        "name": "x",
        "description": "y",
        "whenToUse": "w",
        "phases": [{"title": "t", "provider": "p"}],
    }


# ------------------------------------------------------------ literal grammar


@pytest.mark.parametrize(
    "literal",
    [
        '{ name: "x", description: "y", ...extra }',
        '{ name: "x", description: "y", [key]: 1 }',
        '{ name: "x", description: "y", tags: [1, , 2] }',
        '{ name: "x", description: `y ${z}` }',
        '{ name: "x", description: "y", n: Infinity }',
        '{ name: "x", description: "y", n: -Infinity }',
        '{ name: "x", description: "y", n: NaN }',
        '{ name: "x", description: "y", n: 10n }',
        '{ name: "x", description: "y", n: 1e999 }',
        '{ name: "x", description: "y", n: undefined }',
        '{ name: "x", description: "y", f() {} }',
        '{ name: "x", description: "y", f: () => 1 }',
        '{ name: "x", description: "y" ',
        '{ name: "x" description: "y" }',
        '{ name: "x", description: "unterminated',
        '{ name: "x", description: "bad \\u12" }',
    ],
)
def test_non_literal_or_malformed_meta_is_rejected(literal: str) -> None:
    assert meta_of(literal) is None


def test_trailing_commas_are_allowed() -> None:
    assert raw_of('{ name: "x", description: "y", tags: ["a", "b",], }') == {
        "name": "x",
        "description": "y",
        "tags": ["a", "b"],
    }


def test_numeric_keys_become_javascript_property_names() -> None:
    raw = raw_of(
        '{ name: "x", description: "y", map: { 1: "a", 0x10: "b", 1.50: "c", 1e21: "d" } }'
    )
    assert isinstance(raw, dict)
    assert raw["map"] == {"1": "a", "16": "b", "1.5": "c", "1e+21": "d"}


def test_numbers_keep_ints_as_int_and_others_as_float() -> None:
    raw = raw_of('{ name: "x", description: "y", n: [1, -2, +3, 1.5, 1e3, -0.25, 0xff, 1_000] }')
    assert isinstance(raw, dict)
    assert raw["n"] == [1, -2, 3, 1.5, 1000.0, -0.25, 255, 1000]
    assert [type(value) for value in raw["n"]] == [int, int, int, float, float, float, int, int]


def test_keywords_true_false_null() -> None:
    raw = raw_of('{ name: "x", description: "y", a: true, b: false, c: null }')
    assert isinstance(raw, dict)
    assert (raw["a"], raw["b"], raw["c"]) == (True, False, None)


def test_only_the_first_exported_meta_is_considered() -> None:
    source = """
export const meta = makeMeta();
export const meta = { name: "second", description: "y" };
"""
    assert extract_meta(source) is None


def test_meta_declaration_inside_a_string_or_comment_is_not_found() -> None:
    source = """
const s = 'export const meta = { name: "fake", description: "y" }';
/* export const meta = { name: "fake", description: "y" } */
export const meta = { name: "real", description: "y" };
"""
    meta = extract_meta(source)
    assert meta is not None
    assert meta.name == "real"


def test_meta_word_boundaries_are_enforced() -> None:
    assert extract_meta('export const metadata = { name: "x", description: "y" };') is None


# ------------------------------------------------------------ string decoding


def test_meta_decodes_non_ascii_strings() -> None:
    meta = meta_of('{ name: "→ café 😀", description: "ünïcödé" }')
    assert meta is not None
    assert meta.name == "→ café 😀"
    assert meta.description == "ünïcödé"


def test_surrogate_pair_escape_combines_into_one_character() -> None:
    meta = meta_of(r'{ name: "\uD83D\uDE00", description: "y" }')
    assert meta is not None
    assert meta.name == "😀"


def test_lone_surrogate_becomes_replacement_character() -> None:
    meta = meta_of(r'{ name: "a\uD800b", description: "\uDC00" }')
    assert meta is not None
    assert meta.name == "a\ufffdb"
    assert meta.description == "\ufffd"


def test_code_point_escape() -> None:
    meta = meta_of(r'{ name: "\u{1F600}\u{41}", description: "y" }')
    assert meta is not None
    assert meta.name == "😀A"


def test_standard_escapes() -> None:
    meta = meta_of(r"""{ name: "\" \' \\ \/ \b \f \n \r \t \v \0 \x41 \q", description: 'y' }""")
    assert meta is not None
    assert meta.name == "\" ' \\ / \b \f \n \r \t \v \0 A q"


def test_line_continuation_in_string_adds_nothing() -> None:
    meta = meta_of('{ name: "a\\\nb", description: "y" }')
    assert meta is not None
    assert meta.name == "ab"


def test_raw_line_break_in_quoted_string_is_rejected() -> None:
    assert meta_of('{ name: "a\nb", description: "y" }') is None


def test_template_literal_without_substitution_is_a_string() -> None:
    meta = meta_of("{ name: `multi\r\nline \\u0041`, description: `y`, [`k`]: 1 }")
    assert meta is None  # computed key still rejected
    meta = meta_of("{ name: `multi\r\nline \\u0041`, description: `dollar $ {not} sub` }")
    assert meta is not None
    assert meta.name == "multi\nline A"
    assert meta.description == "dollar $ {not} sub"


# ------------------------------------------------------------ property test

_json_scalars = (
    st.none() | st.booleans() | st.integers(min_value=-(2**53), max_value=2**53) | st.text()
)
_json_values = st.recursive(
    _json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4)
    ),
    max_leaves=20,
)


@given(
    extra=st.dictionaries(st.text(), _json_values, max_size=6),
    name=st.text(),
    description=st.text(),
    ensure_ascii=st.booleans(),
)
def test_json_object_literals_round_trip_into_raw(
    extra: dict[str, JSON], name: str, description: str, ensure_ascii: bool
) -> None:
    data: dict[str, JSON] = {**extra, "name": name, "description": description}
    meta = extract_meta("export const meta = " + json.dumps(data, ensure_ascii=ensure_ascii))
    assert meta is not None
    assert meta.raw == data
    assert (meta.name, meta.description) == (name, description)


@given(number=st.floats(allow_nan=False, allow_infinity=False))
def test_finite_floats_round_trip(number: float) -> None:
    raw = raw_of(f'{{ name: "x", description: "y", n: {number!r} }}')
    assert isinstance(raw, dict)
    value = raw["n"]
    assert isinstance(value, float)
    assert value == number

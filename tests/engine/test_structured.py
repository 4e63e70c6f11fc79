"""Structured output: schema checks, error formatting, the correction prompt and caching."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smolwf.engine import structured
from smolwf.engine.structured import (
    correction_prompt,
    mismatch_message,
    schema_problem,
    validation_errors,
)
from smolwf.engine.validation import all_unique
from smolwf.jsontypes import JSON
from smolwf.providers.debug_schema import instance_for_schema

SUMMARY: JSON = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
    "additionalProperties": False,
}


def test_valid_output_has_no_errors() -> None:
    assert validation_errors({"summary": "ok"}, SUMMARY) == []


def test_missing_key_is_reported_at_the_root_as_a_required_property() -> None:
    errors = validation_errors({}, SUMMARY)
    assert errors == ["/ 'summary' is a required property"]
    assert "required property" in errors[0]


def test_nested_errors_use_json_pointers() -> None:
    schema: JSON = {"type": "object", "properties": {"items": {"items": {"type": "string"}}}}
    assert validation_errors({"items": [1, "ok"]}, schema) == ["/items/0 1 is not of type 'string'"]


def test_pointer_segments_escape_tilde_and_slash() -> None:
    schema: JSON = {"additionalProperties": {"type": "integer"}}
    assert validation_errors({"a/b~c": "x"}, schema) == ["/a~1b~0c 'x' is not of type 'integer'"]


def test_root_type_mismatch_uses_slash() -> None:
    assert validation_errors("text", SUMMARY) == ["/ 'text' is not of type 'object'"]


def test_errors_are_sorted_by_path_then_message() -> None:
    schema: JSON = {
        "type": "object",
        "required": ["z", "a"],
        "properties": {"list": {"items": {"type": "integer"}}},
    }
    output: JSON = {"list": ["x"] * 11}
    errors = validation_errors(output, schema)
    assert errors[:2] == ["/ 'a' is a required property", "/ 'z' is a required property"]
    assert errors[2].startswith("/list/0 ")
    assert errors[3].startswith("/list/1 ")
    assert errors[-1].startswith("/list/10 ")


def test_format_is_not_asserted() -> None:
    assert validation_errors("not an email", {"type": "string", "format": "email"}) == []


def test_valid_schema_has_no_problem() -> None:
    assert schema_problem(SUMMARY) is None
    assert schema_problem(True) is None
    assert schema_problem({}) is None


@pytest.mark.parametrize(
    "schema",
    [{"type": "nope"}, {"required": "summary"}, 5, {"minimum": "1"}, {"pattern": "["}],
)
def test_invalid_schema_is_one_root_error(schema: JSON) -> None:
    problem = schema_problem(schema)
    assert problem is not None
    assert problem.startswith("/ schema is invalid: ")
    assert validation_errors({}, schema) == [problem]


def test_invalid_schema_message_names_the_problem() -> None:
    assert schema_problem({"type": "nope"}) == (
        "/ schema is invalid: 'nope' is not valid under any of the given schemas"
    )


def test_unresolvable_ref_is_reported_as_an_invalid_schema() -> None:
    errors = validation_errors({}, {"$ref": "#/$defs/missing"})
    assert len(errors) == 1
    assert errors[0].startswith("/ schema is invalid: ")


def test_default_draft_is_2020_12() -> None:
    schema: JSON = {"prefixItems": [{"type": "integer"}]}
    assert validation_errors(["x"], schema) == ["/0 'x' is not of type 'integer'"]


def test_draft_07_schema_keyword_is_honoured() -> None:
    draft7: JSON = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "items": [{"type": "integer"}],
    }
    # Tuple-form items is draft-07 only; 2020-12 would reject this schema.
    assert schema_problem(draft7) is None
    assert validation_errors(["x"], draft7) == ["/0 'x' is not of type 'integer'"]
    assert schema_problem({"items": [{"type": "integer"}]}) is not None


def test_draft_04_boolean_exclusive_minimum_is_honoured() -> None:
    draft4: JSON = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "minimum": 5,
        "exclusiveMinimum": True,
    }
    assert schema_problem(draft4) is None
    assert validation_errors(5, draft4) != []
    assert validation_errors(6, draft4) == []


def test_unknown_schema_uri_falls_back_to_2020_12() -> None:
    schema: JSON = {"$schema": "https://example.com/custom", "type": "integer"}
    assert schema_problem(schema) is None
    assert validation_errors("x", schema) == ["/ 'x' is not of type 'integer'"]


def test_correction_prompt_matches_the_reference_text() -> None:
    errors = ["/ 'summary' is a required property", "/items/0 1 is not of type 'string'"]
    assert correction_prompt("Summarise.", errors) == (
        "Summarise.\n"
        "\n"
        "Previous structured output failed JSON Schema validation.\n"
        "Return a corrected structured output that satisfies the original JSON Schema.\n"
        "Validation errors:\n"
        "- / 'summary' is a required property\n"
        "- /items/0 1 is not of type 'string'"
    )


def test_mismatch_message_joins_errors_with_semicolons() -> None:
    assert mismatch_message(["/ a", "/b c"]) == (
        "Structured output did not match JSON Schema: / a; /b c"
    )


def test_validators_are_compiled_once_per_schema() -> None:
    structured._compile.cache_clear()
    schema: dict[str, JSON] = {"type": "object", "properties": {"n": {"type": "integer"}}}
    for n in range(100):
        assert validation_errors({"n": n}, dict(schema)) == []
    info = structured._compile.cache_info()
    assert info.misses == 1
    assert info.hits == 99


def test_key_order_does_not_change_the_cache_key() -> None:
    structured._compile.cache_clear()
    schema_problem({"type": "string", "minLength": 1})
    schema_problem({"minLength": 1, "type": "string"})
    assert structured._compile.cache_info().misses == 1


def test_jsonschema_is_not_imported_by_the_module_itself() -> None:
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(structured))
    top_level = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    names = {
        alias.name if isinstance(node, ast.Import) else node.module or ""
        for node in top_level
        for alias in node.names
    }
    assert not any(name.startswith(("jsonschema", "referencing")) for name in names)


_simple_schema = st.recursive(
    st.sampled_from(
        [
            {"type": "string"},
            {"type": "integer", "minimum": 3},
            {"type": "number", "exclusiveMinimum": 1.5},
            {"type": "boolean"},
            {"enum": ["a", "b"]},
            {"type": "string", "format": "date-time"},
        ]
    ),
    lambda children: st.builds(
        lambda props: {"type": "object", "properties": props, "required": sorted(props)},
        st.dictionaries(st.text(alphabet="xyz", min_size=1, max_size=3), children, max_size=3),
    ),
    max_leaves=8,
)


@given(_simple_schema)
def test_debug_instances_pass_engine_validation(schema: JSON) -> None:
    assert schema_problem(schema) is None
    assert validation_errors(instance_for_schema(schema), schema) == []


@pytest.mark.parametrize(
    ("items", "unique"),
    [
        ([1, 1.0], False),
        ([True, 1], True),
        ([{"a": 1, "b": 2}, {"b": 2, "a": 1}], False),
        ([[1, {"x": 2.0}], [1, {"x": 2}]], False),
        (["1", 1], True),
        ([None, False, 0, "", [], {}], True),
    ],
    ids=["int-float", "bool-int", "key-order", "nested-float", "string-number", "falsy-mix"],
)
def test_unique_items_compares_as_json_schema_does(items: list[JSON], unique: bool) -> None:
    assert all_unique(items) is unique
    errors = validation_errors(items, {"type": "array", "uniqueItems": True})
    assert (errors == []) is unique

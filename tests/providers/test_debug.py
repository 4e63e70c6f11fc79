"""The debug provider: echo output, schema-generated output and the reference usage estimate."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import anyio
import jsonschema
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult
from smolwf.providers.debug import DebugProvider
from smolwf.providers.debug_schema import MAX_DEPTH, instance_for_schema


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _request(
    prompt: str, schema: JSON = None, *, has_schema: bool = False, **kw: Any
) -> AgentRequest:
    return AgentRequest(
        prompt=prompt,
        cwd=Path(),
        step_id="step_1",
        has_schema=has_schema,
        schema=schema,
        **kw,
    )


def _run(request: AgentRequest) -> AgentResult:
    events: list[JSON] = []

    async def main() -> AgentResult:
        return await DebugProvider().run(request, events.append)

    result = anyio.run(main)
    assert events == []
    return result


def test_debug_provider_echoes_text_when_schema_is_omitted() -> None:
    result = _run(_request("hello"))
    assert result.output == "echo: hello"
    assert result.usage is not None
    assert result.usage.input_tokens == 2
    assert result.usage.output_tokens >= 1
    assert DebugProvider.name == "debug"


def test_debug_provider_has_no_session_raw_events_or_cost() -> None:
    result = _run(_request("hello"))
    assert result.session_id is None
    assert result.raw == []
    assert result.usage is not None
    assert result.usage.cost_usd == 0.0


def test_hello_world_costs_three_five_eight_tokens() -> None:
    usage = _run(_request("hello world")).usage
    assert usage is not None
    assert usage.report_json() == {"inputTokens": 3, "outputTokens": 5, "totalTokens": 8}


def test_detail_prompt_costs_four_output_tokens() -> None:
    usage = _run(_request("detail")).usage
    assert usage is not None
    assert usage.output_tokens == 4  # '"echo: detail"' is 14 bytes


def test_empty_prompt_still_costs_one_input_token() -> None:
    usage = _run(_request("")).usage
    assert usage is not None
    assert usage.input_tokens == 1


def test_token_estimate_counts_utf8_bytes_not_characters() -> None:
    # "héllo" is 6 bytes → 2 tokens; "日本語" is 9 bytes → 3 tokens.
    usage = _run(_request("日本語")).usage
    assert usage is not None
    assert usage.input_tokens == 3
    # '"echo: 日本語"' = 2 quotes + 6 + 9 bytes = 17 bytes → 5 tokens (no \u escapes).
    assert usage.output_tokens == 5
    assert usage.total_tokens == 8


def test_output_tokens_count_compact_json_of_structured_output() -> None:
    # {"summary":"debug-string"} is 26 bytes → 7 tokens.
    schema: JSON = {"type": "object", "properties": {"summary": {"type": "string"}}}
    result = _run(_request("x", schema, has_schema=True))
    assert result.output == {"summary": "debug-string"}
    assert result.usage is not None
    assert result.usage.output_tokens == 7


def test_model_is_passed_through_from_request() -> None:
    assert _run(_request("hi", model="debug/test-model")).model == "debug/test-model"
    assert _run(_request("hi")).model is None


def test_null_schema_flag_generates_from_null_schema() -> None:
    # has_schema decides, not the schema value: a null schema is not a "true"/"false" schema.
    assert _run(_request("hi", None, has_schema=True)).output == "debug"


@pytest.mark.anyio
async def test_debug_provider_runs_under_the_anyio_plugin() -> None:
    result = await DebugProvider().run(_request("plugin"), lambda _event: None)
    assert result.output == "echo: plugin"


def test_schema_fixture_generates_debug_string_summary() -> None:
    schema: JSON = {
        "type": "object",
        "properties": {"summary": {"type": "string"}},
        "required": ["summary"],
        "additionalProperties": False,
    }
    assert instance_for_schema(schema) == {"summary": "debug-string"}


def test_generates_structured_output_by_type() -> None:
    schema: JSON = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "count": {"type": "integer"},
            "score": {"type": "number"},
            "ok": {"type": "boolean"},
            "nothing": {"type": "null"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "nested": {"type": "object", "properties": {"level": {"enum": ["low", "high"]}}},
        },
    }
    output = instance_for_schema(schema)
    assert output == {
        "name": "debug-string",
        "count": 0,
        "score": 0,
        "ok": True,
        "nothing": None,
        "tags": ["debug-string"],
        "nested": {"level": "low"},
    }
    assert isinstance(output, dict)
    assert type(output["score"]) is int


def test_handles_const_formats_tuples_and_all_of() -> None:
    schema: JSON = {
        "type": "object",
        "properties": {
            "kind": {"const": "fixed"},
            "email": {"type": "string", "format": "email"},
            "pair": {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}]},
            "merged": {
                "allOf": [
                    {"type": "object", "properties": {"a": {"type": "string"}}},
                    {"type": "object", "properties": {"b": {"type": "boolean"}}},
                ]
            },
        },
    }
    assert instance_for_schema(schema) == {
        "kind": "fixed",
        "email": "debug@example.com",
        "pair": [0, "debug-string"],
        "merged": {"a": "debug-string", "b": True},
    }


def test_true_schema_is_debug_and_false_schema_is_null() -> None:
    assert instance_for_schema(True) == "debug"
    assert instance_for_schema(False) is None


def test_non_schema_values_generate_debug() -> None:
    assert instance_for_schema("not a schema") == "debug"
    assert instance_for_schema(None) == "debug"


def test_const_wins_over_enum_and_type() -> None:
    assert instance_for_schema({"const": [1, 2], "enum": ["x"], "type": "string"}) == [1, 2]
    assert instance_for_schema({"const": None}) is None


def test_const_value_is_a_copy_not_the_schema_itself() -> None:
    schema: dict[str, JSON] = {"const": {"a": [1]}}
    output = instance_for_schema(schema)
    assert isinstance(output, dict)
    output["a"] = []
    assert schema == {"const": {"a": [1]}}


def test_enum_takes_first_entry_and_empty_enum_falls_through() -> None:
    assert instance_for_schema({"enum": [3, 4]}) == 3
    assert instance_for_schema({"enum": [], "type": "boolean"}) is True


def test_one_of_and_any_of_take_the_first_branch() -> None:
    assert instance_for_schema({"oneOf": [{"type": "integer"}, {"type": "string"}]}) == 0
    assert instance_for_schema({"anyOf": [{"type": "null"}, {"type": "string"}]}) is None
    assert instance_for_schema({"oneOf": [], "type": "string"}) == "debug-string"


def test_all_of_with_a_non_object_takes_the_last_value() -> None:
    assert instance_for_schema({"allOf": [{"type": "object"}, {"type": "string"}]}) == (
        "debug-string"
    )
    assert instance_for_schema({"allOf": []}) == {}


def test_type_list_uses_the_first_type() -> None:
    assert instance_for_schema({"type": ["string", "null"]}) == "debug-string"
    assert instance_for_schema({"type": ["null", "string"]}) is None


def test_unknown_type_generates_an_object() -> None:
    assert instance_for_schema({"type": "mystery", "required": ["x"]}) == {"x": "debug"}


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"properties": {"a": {"type": "null"}}}, {"a": None}),
        ({"required": ["a"]}, {"a": "debug"}),
        ({"additionalProperties": False}, {}),
        ({"items": {"type": "boolean"}}, [True]),
        ({"prefixItems": [{"const": 1}]}, [1]),
        ({"minimum": 5}, 5),
        ({"maximum": 5}, 0),
        ({"multipleOf": 3}, 0),
        ({"minLength": 2}, "debug-string"),
        ({"pattern": "^x"}, "x"),
        ({"format": "date"}, "2000-01-01"),
        ({}, {}),
    ],
)
def test_type_is_inferred_from_keywords(schema: JSON, expected: JSON) -> None:
    assert instance_for_schema(schema) == expected


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("email", "debug@example.com"),
        ("uri", "https://example.com/debug"),
        ("url", "https://example.com/debug"),
        ("date-time", "2000-01-01T00:00:00.000Z"),
        ("date", "2000-01-01"),
        ("uuid", "debug-string"),
    ],
)
def test_string_formats(fmt: str, expected: str) -> None:
    assert instance_for_schema({"type": "string", "format": fmt}) == expected


@pytest.mark.parametrize(
    ("schema", "expected"),
    [
        ({"type": "integer"}, 0),
        ({"type": "integer", "minimum": 2.5}, 3),
        ({"type": "integer", "minimum": -4}, -4),
        ({"type": "integer", "exclusiveMinimum": 4}, 5),
        ({"type": "integer", "minimum": 10, "exclusiveMinimum": 4}, 10),
        ({"type": "integer", "exclusiveMinimum": -5}, 0),
        ({"type": "number"}, 0),
        ({"type": "number", "minimum": 1.5}, 1.5),
        ({"type": "number", "minimum": 2.0}, 2),
        ({"type": "number", "exclusiveMinimum": -3.0}, 0),
    ],
)
def test_numbers_follow_minimum_and_exclusive_minimum(schema: JSON, expected: JSON) -> None:
    value = instance_for_schema(schema)
    assert value == expected
    assert type(value) is type(expected)


def test_number_exclusive_minimum_moves_just_above_the_bound() -> None:
    value = instance_for_schema({"type": "number", "exclusiveMinimum": 0})
    assert isinstance(value, float)
    assert 0 < value < 1e-9


def test_number_exclusive_minimum_stays_valid_for_large_bounds() -> None:
    schema: JSON = {"type": "number", "exclusiveMinimum": 1e20}
    value = instance_for_schema(schema)
    assert isinstance(value, int | float)
    assert value > 1e20


def test_draft4_boolean_exclusive_minimum_is_ignored_like_the_reference() -> None:
    assert instance_for_schema({"type": "integer", "minimum": 3, "exclusiveMinimum": True}) == 3


def test_whole_number_minimum_is_emitted_as_int() -> None:
    value = instance_for_schema({"properties": {"score": {"type": "number"}}})
    assert value == {"score": 0}
    assert isinstance(value, dict)
    assert type(value["score"]) is int


def test_items_true_generates_one_debug_item_and_missing_items_is_empty() -> None:
    assert instance_for_schema({"type": "array", "items": True}) == ["debug"]
    assert instance_for_schema({"type": "array"}) == []
    assert instance_for_schema({"type": "array", "prefixItems": []}) == []


def test_required_keys_missing_from_properties_get_debug() -> None:
    schema: JSON = {"properties": {"a": {"type": "integer"}}, "required": ["a", "b", 7]}
    assert instance_for_schema(schema) == {"a": 0, "b": "debug"}


def test_property_with_false_schema_generates_null() -> None:
    assert instance_for_schema({"properties": {"gone": False}}) == {"gone": None}


def test_ref_is_not_followed() -> None:
    assert instance_for_schema({"$ref": "#/$defs/x", "$defs": {"x": {"type": "string"}}}) == {}


def test_deep_nesting_is_cut_off_at_the_depth_cap() -> None:
    schema: JSON = {"type": "string"}
    for _ in range(MAX_DEPTH + 10):
        schema = {"type": "array", "items": schema}
    value = instance_for_schema(schema)
    depth = 0
    while isinstance(value, list):
        value = value[0]
        depth += 1
    assert value is None
    assert depth == MAX_DEPTH + 1


_leaf = st.one_of(
    st.just({"type": "string"}),
    st.just({"type": "boolean"}),
    st.just({"type": "null"}),
    st.just(True),
    st.builds(lambda n: {"type": "integer", "minimum": n}, st.integers(-1000, 1000)),
    st.builds(lambda n: {"type": "integer", "exclusiveMinimum": n}, st.integers(-1000, 1000)),
    st.builds(
        lambda n: {"type": "number", "minimum": n},
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    ),
    st.builds(
        lambda n: {"type": "number", "exclusiveMinimum": n},
        st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
    ),
    st.builds(lambda values: {"enum": values}, st.lists(st.integers(), min_size=1, max_size=3)),
    st.builds(lambda value: {"const": value}, st.text(max_size=5)),
    st.sampled_from(
        [{"type": "string", "format": f} for f in ("email", "uri", "date-time", "date")]
    ),
)

_names = st.text(alphabet="abcdefgh", min_size=1, max_size=4)


def _extend(children: st.SearchStrategy[JSON]) -> st.SearchStrategy[JSON]:
    return st.one_of(
        st.builds(lambda items: {"type": "array", "items": items}, children),
        st.builds(lambda items: {"prefixItems": items}, st.lists(children, min_size=1, max_size=3)),
        st.builds(
            lambda props, extra: {"type": "object", "properties": props, "required": extra},
            st.dictionaries(_names, children, max_size=3),
            st.lists(_names, max_size=2, unique=True),
        ),
        st.builds(lambda branches: {"anyOf": branches}, st.lists(children, min_size=1)),
    )


@given(st.recursive(_leaf, _extend, max_leaves=12))
def test_generated_instance_validates_against_its_schema(schema: JSON) -> None:
    instance = instance_for_schema(schema)
    assert isinstance(schema, dict | bool)
    jsonschema.validate(instance, schema, cls=jsonschema.Draft202012Validator)

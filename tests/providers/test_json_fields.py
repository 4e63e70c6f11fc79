"""Reading loosely typed CLI JSON: what is missing or of another type reads as empty."""

from __future__ import annotations

import pytest

from smolwf.jsontypes import JSON
from smolwf.providers.json_fields import as_list, as_object, count, json_answer, number, of_type


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        pytest.param("42", (True, 42), id="scalar"),
        pytest.param('"quoted"', (True, "quoted"), id="string"),
        pytest.param('```json\n{"a": 1}\n```', (True, {"a": 1}), id="one-json-fence"),
        pytest.param("not json", (False, None), id="text"),
        pytest.param('Here it is: {"a": 1}', (False, None), id="prose-around-json"),
    ],
)
def test_json_answer_is_json_or_one_fence_never_sliced_prose(
    text: str, answer: tuple[bool, JSON]
) -> None:
    assert json_answer(text) == answer


@pytest.mark.parametrize(
    ("value", "whole", "real"),
    [
        pytest.param(12, 12, 12.0, id="int"),
        pytest.param(2.5, 2, 2.5, id="float"),
        pytest.param(True, 0, 0.0, id="bool-is-not-a-number"),
        pytest.param("7", 0, 0.0, id="string"),
        pytest.param(None, 0, 0.0, id="missing"),
    ],
)
def test_numbers_that_are_not_numbers_read_as_zero(value: JSON, whole: int, real: float) -> None:
    assert (count(value), number(value)) == (whole, real)


def test_objects_lists_and_typed_events_read_empty_when_absent() -> None:
    assert (as_object([1]), as_object({"a": 1})) == ({}, {"a": 1})
    assert (as_list({"a": 1}), as_list([1])) == ([], [1])
    events: list[JSON] = [{"type": "a", "n": 1}, "noise", {"type": "b"}, {"type": "a", "n": 2}]
    assert of_type(events, "a") == [{"type": "a", "n": 1}, {"type": "a", "n": 2}]

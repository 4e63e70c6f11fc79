"""Compact JSON text: the encoders behind events, step rows and checkpoint keys."""

from __future__ import annotations

import json

import pytest

from smolwf.jsontext import compact, object_text
from smolwf.jsontypes import JSONObject

USAGE: JSONObject = {"inputTokens": 2, "outputTokens": 4, "costUsd": 0.0, "costSource": "x"}


@pytest.mark.parametrize(
    "value",
    [
        pytest.param({"sessionId": None, "model": "m", "usage": USAGE}, id="event-data"),
        pytest.param({"output": {"k": [1, 2.5, None]}, "usage": USAGE}, id="stored-result"),
        pytest.param({'quote"key': 'line\nbreak "é" \u2028', "n": True}, id="escapes"),
        pytest.param({}, id="empty"),
    ],
)
def test_object_text_is_the_compact_text(value: JSONObject) -> None:
    rendered = {"usage": compact(USAGE)} if "usage" in value else {}
    assert object_text(value, rendered) == compact(value)
    assert json.loads(object_text(value, rendered)) == value


def test_object_text_takes_a_rendered_value_as_given() -> None:
    assert object_text({"a": 1, "b": 2}, {"b": '"two"'}) == '{"a":1,"b":"two"}'

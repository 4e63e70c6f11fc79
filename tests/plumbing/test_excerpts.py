"""Excerpts a one-line message quotes, and the compact JSON smol-wf writes."""

from __future__ import annotations

import pytest

from smolwf.excerpts import cut_to_bytes, one_line
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON


def test_one_line_makes_every_whitespace_run_one_space() -> None:
    assert one_line("  boom:\n\tsomething\r\n broke  ") == "boom: something broke"


@pytest.mark.parametrize(
    ("text", "limit", "cut"),
    [
        pytest.param("short", 10, "short", id="fits"),
        pytest.param("abcdef", 3, "abc…", id="cut"),
        pytest.param("héllo", 2, "h…", id="never-inside-a-character"),
    ],
)
def test_cut_to_bytes_keeps_at_most_the_limit(text: str, limit: int, cut: str) -> None:
    assert cut_to_bytes(text, limit) == cut


@pytest.mark.parametrize(
    ("value", "text"),
    [
        pytest.param({"a": [1, 2], "b": None}, '{"a":[1,2],"b":null}', id="no-spaces"),
        pytest.param({"é": "ü"}, '{"é":"ü"}', id="non-ascii-kept"),
    ],
)
def test_compact_text_has_no_spaces_and_keeps_non_ascii(value: JSON, text: str) -> None:
    assert compact(value) == text

"""JSON value type aliases shared by every layer (values cross the JS boundary as JSON)."""

from __future__ import annotations

import re
from typing import TypeAlias

JSON: TypeAlias = dict[str, "JSON"] | list["JSON"] | str | int | float | bool | None
JSONObject: TypeAlias = dict[str, JSON]


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def without_lone_surrogates(value: JSON) -> JSON:
    """Replace lone surrogates (valid in JS strings, unencodable in UTF-8) by U+FFFD.

    Values from the sandbox and from providers pass through here before they are
    stored or printed. Recursion depth is bounded by the callers' nesting limits.
    """
    if isinstance(value, str):
        return _LONE_SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_lone_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {
            _LONE_SURROGATE.sub("\ufffd", key): without_lone_surrogates(item)
            for key, item in value.items()
        }
    return value


def clean_text(text: str) -> str:
    """``without_lone_surrogates`` for one string."""
    return _LONE_SURROGATE.sub("\ufffd", text)

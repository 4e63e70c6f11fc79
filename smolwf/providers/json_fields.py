"""Reading the JSON a CLI prints, whose fields may be missing or of another type than its
docs say (every CLI adds, renames and drops fields between versions): each reader here
turns what is not there into an empty value instead of an exception."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from smolwf.jsontypes import JSON, JSONObject

_JSON_FENCE = re.compile(r"^\s*```(?:json)?\s*\n(.*?)\n\s*```\s*$", re.DOTALL)


def as_object(value: JSON) -> JSONObject:
    """``value`` when it is an object, else ``{}``."""
    return value if isinstance(value, dict) else {}


def as_list(value: JSON) -> list[JSON]:
    """``value`` when it is an array, else ``[]``."""
    return value if isinstance(value, list) else []


def as_text(value: JSON) -> str:
    """``value`` when it is a string, else ``""``."""
    return value if isinstance(value, str) else ""


def is_number(value: JSON) -> bool:
    """Whether ``value`` is a JSON number (``true`` is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def number(value: JSON) -> float:
    """``value`` when it is a number, else ``0``."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def count(value: JSON) -> int:
    """``value`` as a whole number (of tokens), ``0`` when it is not a number."""
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def of_type(events: Iterable[JSON], kind: str) -> list[JSONObject]:
    """The events whose ``type`` is ``kind``, in order."""
    return [event for event in events if isinstance(event, dict) and event.get("type") == kind]


def json_answer(text: str) -> tuple[bool, JSON]:
    """``(ok, value)``: ``text`` parsed as JSON, or the JSON inside a text that is exactly
    one ```json fence. Prose around a JSON value is not an answer (slicing out braces
    could pick the wrong ones)."""
    fenced = _JSON_FENCE.match(text)
    try:
        value: JSON = json.loads(fenced.group(1) if fenced else text)
    except ValueError:
        return False, None
    return True, value

"""Deterministic sample values for a JSON Schema, so the debug provider can answer schema calls."""

from __future__ import annotations

import copy
import math
import sys

from smolwf.jsontypes import JSON, JSONObject
from smolwf.providers.debug_pattern import matches, pattern_sample

MAX_DEPTH = 32
"""Deeper schemas generate ``None``; JSON is a tree, so this only bounds pathological nesting."""

_OBJECT_HINTS = ("properties", "required", "additionalProperties")
_ARRAY_HINTS = ("items", "prefixItems")
_NUMBER_HINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
_STRING_HINTS = ("minLength", "maxLength", "pattern", "format")

_FORMAT_SAMPLES = {
    "email": "debug@example.com",
    "uri": "https://example.com/debug",
    "url": "https://example.com/debug",
    "date-time": "2000-01-01T00:00:00.000Z",
    "date": "2000-01-01",
}


def instance_for_schema(schema: JSON) -> JSON:
    """A value for ``schema``, built exactly like the reference debug provider builds it."""
    return _generate(schema, 0)


def _generate(schema: JSON, depth: int) -> JSON:
    if depth > MAX_DEPTH:
        return None
    if schema is True:
        return "debug"
    if schema is False:
        return None
    if not isinstance(schema, dict):
        return "debug"
    return _generate_object_schema(schema, depth)


def _generate_object_schema(schema: JSONObject, depth: int) -> JSON:
    if "const" in schema:
        return copy.deepcopy(schema["const"])
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return copy.deepcopy(enum[0])
    for key in ("oneOf", "anyOf"):
        branches = schema.get(key)
        if isinstance(branches, list) and branches:
            return _generate(branches[0], depth + 1)
    all_of = schema.get("allOf")
    if isinstance(all_of, list):
        return _merge_all_of(all_of, depth)
    kind = _declared_type(schema.get("type")) or _inferred_type(schema)
    if kind == "null":
        return None
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "string":
        return _string(schema)
    if kind == "array":
        return _array(schema, depth)
    return _object(schema, depth)


def _merge_all_of(branches: list[JSON], depth: int) -> JSON:
    values = [_generate(branch, depth + 1) for branch in branches]
    if all(isinstance(value, dict) for value in values):
        merged: JSONObject = {}
        for value in values:
            assert isinstance(value, dict)
            merged.update(value)
        return merged
    return values[-1]


def _declared_type(value: JSON) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], str):
        return value[0]
    return None


def _inferred_type(schema: JSONObject) -> str:
    for kind, hints in (
        ("object", _OBJECT_HINTS),
        ("array", _ARRAY_HINTS),
        ("number", _NUMBER_HINTS),
        ("string", _STRING_HINTS),
    ):
        if any(hint in schema for hint in hints):
            return kind
    return "object"


def _as_number(value: JSON) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _number(schema: JSONObject, *, integer: bool) -> int | float:
    """The smallest value the bounds allow, starting from 0 (or from the minimum)."""
    value = _as_number(schema.get("minimum"))
    if value is None:
        value = 0.0
    exclusive = _as_number(schema.get("exclusiveMinimum"))
    if exclusive is not None:
        value = max(value, _above(exclusive, integer=integer))
    top = _as_number(schema.get("maximum"))
    exclusive_top = _as_number(schema.get("exclusiveMaximum"))
    if exclusive_top is not None:
        below = _below(exclusive_top, integer=integer)
        top = below if top is None else min(top, below)
    if top is not None and value > top:
        value = float(math.floor(top)) if integer else top
    step = _as_number(schema.get("multipleOf"))
    if step is not None and step > 0 and math.isfinite(value):
        value = math.ceil(value / step) * step
    if not math.isfinite(value):
        return 0
    if integer or value.is_integer():
        return math.ceil(value)
    return value


def _above(bound: float, *, integer: bool) -> float:
    above = bound + (1.0 if integer else sys.float_info.epsilon)
    return above if above > bound else math.nextafter(bound, math.inf)


def _below(bound: float, *, integer: bool) -> float:
    below = bound - (1.0 if integer else sys.float_info.epsilon)
    return below if below < bound else math.nextafter(bound, -math.inf)


def _length(schema: JSONObject, key: str) -> int | None:
    value = schema.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value


def _string(schema: JSONObject) -> str:
    """A format sample or ``debug-string``, fitted to the length bounds; when that does not
    meet the ``pattern``, a string made from the pattern (simple cases)."""
    shortest = _length(schema, "minLength") or 0
    longest = _length(schema, "maxLength")
    fmt = schema.get("format")
    text = _FORMAT_SAMPLES.get(fmt, "debug-string") if isinstance(fmt, str) else "debug-string"
    if len(text) < shortest:
        text += "x" * (shortest - len(text))
    if longest is not None:
        text = text[:longest]
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not matches(pattern, text):
        return pattern_sample(pattern, shortest, longest) or text
    return text


def _array(schema: JSONObject, depth: int) -> list[JSON]:
    """The prefix items, then items from ``items``: one, or as many as ``minItems`` asks,
    never more than ``maxItems``."""
    prefix = schema.get("prefixItems")
    out = [_generate(item, depth + 1) for item in prefix] if isinstance(prefix, list) else []
    items = schema.get("items")
    wanted = len(out) if out else (1 if isinstance(items, dict | bool) else 0)
    wanted = max(wanted, _length(schema, "minItems") or 0)
    longest = _length(schema, "maxItems")
    if longest is not None:
        wanted = min(wanted, longest)
    while len(out) < wanted:
        out.append(_generate(items, depth + 1) if isinstance(items, dict | bool) else "debug")
    return out[:wanted]


def _object(schema: JSONObject, depth: int) -> JSONObject:
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    output: JSONObject = {key: _generate(sub, depth + 1) for key, sub in properties.items()}
    required = schema.get("required")
    if isinstance(required, list):
        for key in required:
            if isinstance(key, str) and key not in output:
                output[key] = "debug"
    return output

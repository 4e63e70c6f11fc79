"""Deterministic sample values for a JSON Schema, so the debug provider can answer schema calls."""

from __future__ import annotations

import copy
import math
import sys

from smolwf.jsontypes import JSON, JSONObject

MAX_DEPTH = 32
"""Deeper schemas generate ``None``; JSON is a tree, so this only bounds pathological nesting."""

_OBJECT_HINTS = ("properties", "required", "additionalProperties")
_ARRAY_HINTS = ("items", "prefixItems")
_NUMBER_HINTS = ("minimum", "maximum", "multipleOf")
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
    value = _as_number(schema.get("minimum"))
    if value is None:
        value = 0.0
    exclusive = _as_number(schema.get("exclusiveMinimum"))
    if exclusive is not None:
        above = exclusive + (1.0 if integer else sys.float_info.epsilon)
        if above <= exclusive:  # epsilon vanished next to a large bound
            above = math.nextafter(exclusive, math.inf)
        value = max(value, above)
    if not math.isfinite(value):
        return 0
    if integer or value.is_integer():
        return math.ceil(value)
    return value


def _string(schema: JSONObject) -> str:
    fmt = schema.get("format")
    if isinstance(fmt, str):
        return _FORMAT_SAMPLES.get(fmt, "debug-string")
    return "debug-string"


def _array(schema: JSONObject, depth: int) -> list[JSON]:
    prefix = schema.get("prefixItems")
    if isinstance(prefix, list) and prefix:
        return [_generate(item, depth + 1) for item in prefix]
    items = schema.get("items")
    if isinstance(items, dict | bool):
        return [_generate(items, depth + 1)]
    return []


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

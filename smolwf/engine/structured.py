"""JSON Schema checks for ``agent(prompt, {schema})`` output, and the correction prompt."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from smolwf.jsontext import canonical
from smolwf.jsontypes import JSON

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

_INVALID_SCHEMA = "/ schema is invalid: "

_CORRECTION_HEADER = (
    "Previous structured output failed JSON Schema validation.\n"
    "Return a corrected structured output that satisfies the original JSON Schema.\n"
    "Validation errors:"
)


def schema_problem(schema: JSON) -> str | None:
    """None for a usable schema, else the single error ``"/ schema is invalid: <msg>"``."""
    return _compile(canonical(schema))[1]


def validation_errors(output: JSON, schema: JSON) -> list[str]:
    """Every way ``output`` breaks ``schema``, as ``"<JSON pointer> <message>"``, sorted."""
    validator, problem = _compile(canonical(schema))
    if validator is None:
        return [problem or f"{_INVALID_SCHEMA}unknown error"]
    from referencing.exceptions import Unresolvable

    try:
        found = [
            (list(error.absolute_path), error.message) for error in validator.iter_errors(output)
        ]
    except Unresolvable as exc:  # a $ref that points nowhere only fails when it is followed
        return [f"{_INVALID_SCHEMA}{exc}"]
    found.sort(key=lambda item: (_path_key(item[0]), item[1]))
    return [f"{_pointer(path)} {message}" for path, message in found]


def correction_prompt(prompt: str, errors: Sequence[str]) -> str:
    """The prompt for the one corrective call after invalid structured output."""
    lines = [prompt, "", _CORRECTION_HEADER, *(f"- {error}" for error in errors)]
    return "\n".join(lines)


def mismatch_message(errors: Sequence[str]) -> str:
    """The rejection message once the corrective call is invalid too."""
    return "Structured output did not match JSON Schema: " + "; ".join(errors)


@functools.lru_cache(maxsize=256)
def _compile(canonical: str) -> tuple[Validator | None, str | None]:
    """A validator for the schema text, or the reason there is none; cached per schema."""
    from jsonschema import validators
    from jsonschema.exceptions import SchemaError

    schema = json.loads(canonical)
    default: type[Validator] = validators.Draft202012Validator
    cls = default
    if isinstance(schema, dict) and isinstance(schema.get("$schema"), str):
        cls = validators.validator_for(schema, default=default)
    try:
        cls.check_schema(schema)
    except SchemaError as exc:
        return None, f"{_INVALID_SCHEMA}{exc.message}"
    return cls(schema), None


def _pointer(path: Iterable[str | int]) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "/" + "/".join(parts)


def _path_key(path: Iterable[str | int]) -> tuple[tuple[int, int, str], ...]:
    """Array indexes sort numerically, keys alphabetically, so ``/2`` comes before ``/10``."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)

"""JSON Schema checks for ``agent(prompt, {schema})`` output, and the correction prompt.

Validation runs on a worker thread under a deadline (see ``validation``): a model's
output can make it costly, and the run must stay responsive to a cancel meanwhile.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import anyio

from smolwf import defaults
from smolwf.engine.validation import Deadline, TooCostly, bounded, run_within
from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontext import canonical
from smolwf.jsontypes import JSON

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

_INVALID_SCHEMA = "/ schema is invalid: "
_CYCLE = (
    "its $ref references form a cycle that never reaches a value (like { $ref: '#' }); "
    "a schema that refers to itself must go through properties or items"
)

_CORRECTION_HEADER = (
    "Previous structured output failed JSON Schema validation.\n"
    "Return a corrected structured output that satisfies the original JSON Schema.\n"
    "Validation errors:"
)


def schema_problem(schema: JSON) -> str | None:
    """None for a usable schema, else the single error ``"/ schema is invalid: <msg>"``."""
    return _compile(canonical(schema))[1]


async def output_errors(output: JSON, schema: JSON, *, who: str) -> list[str]:
    """``validation_errors`` off the event loop, within ``SCHEMA_VALIDATION_LIMIT_S``.

    An output too costly to validate (or too deeply nested) fails the call as
    ``invalid-output`` without a correction round; a cancel stops the validation."""
    deadline = Deadline.after(defaults.SCHEMA_VALIDATION_LIMIT_S)
    try:
        errors: list[str] = await anyio.to_thread.run_sync(
            run_within, deadline, lambda: validation_errors(output, schema), abandon_on_cancel=True
        )
        return errors
    except TooCostly as error:
        limit = f"{defaults.SCHEMA_VALIDATION_LIMIT_S:g} s"
        message = (
            f"structured output of {who} could not be validated within {limit} "
            f"(stopped at {error.where}): simplify the schema or ask for a smaller output"
        )
    except RecursionError:
        message = f"structured output of {who} is nested too deeply to validate against its schema"
    finally:
        deadline.stop()
    raise ProviderError(message, kind=FailureKind.INVALID_OUTPUT)


def errors_within(value: JSON, schema: JSON, *, what: str) -> list[str]:
    """``validation_errors`` on this thread within ``SCHEMA_VALIDATION_LIMIT_S`` (for a
    caller with no event loop, like a signal's sender): a value too costly to validate, or
    nested too deeply, is one error saying so."""
    deadline = Deadline.after(defaults.SCHEMA_VALIDATION_LIMIT_S)
    try:
        errors: list[str] = run_within(deadline, lambda: validation_errors(value, schema))
        return errors
    except TooCostly as error:
        limit = f"{defaults.SCHEMA_VALIDATION_LIMIT_S:g} s"
        return [f"{what} could not be validated within {limit} (stopped at {error.where})"]
    except RecursionError:
        return [f"{what} is nested too deeply to validate"]


def validation_errors(output: JSON, schema: JSON) -> list[str]:
    """Every way ``output`` breaks ``schema``, as ``"<JSON pointer> <message>"``, sorted.

    Bounded only when run under a deadline (``validation.run_within``)."""
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
    from referencing.exceptions import Unresolvable

    validator = bounded(cls)(schema)
    try:
        validator.is_valid(None)  # a $ref cycle recurses whatever the output is
    except RecursionError:
        return None, f"{_INVALID_SCHEMA}{_CYCLE}"
    except Unresolvable:
        pass  # a $ref that points nowhere fails when it is followed (validation_errors)
    return validator, None


def _pointer(path: Iterable[str | int]) -> str:
    parts = [str(part).replace("~", "~0").replace("/", "~1") for part in path]
    return "/" + "/".join(parts)


def _path_key(path: Iterable[str | int]) -> tuple[tuple[int, int, str], ...]:
    """Array indexes sort numerically, keys alphabetically, so ``/2`` comes before ``/10``."""
    return tuple((0, part, "") if isinstance(part, int) else (1, 0, part) for part in path)

"""Where a literal ``schema`` breaks the JSON Schema meta-schema, for SW304.

The verdict is the engine's (``schema_problem``: the same validator choice and meta-schema
the run uses); jsonschema is asked again only for the path of the offending keyword, so
the diagnostic points at it. Imported only when a script has a literal schema.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from smolwf.engine.structured import schema_problem
from smolwf.jsontypes import JSON

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

_PREFIX = "/ schema is invalid: "


def schema_error(schema: JSON) -> tuple[list[str | int], str] | None:
    """None for a schema the run accepts, else (JSON path of the problem, message)."""
    problem = schema_problem(schema)
    if problem is None:
        return None
    return _path(schema), problem.removeprefix(_PREFIX)


def _path(schema: JSON) -> list[str | int]:
    from jsonschema import validators
    from jsonschema.exceptions import SchemaError

    document: Any = schema  # what jsonschema calls a schema is wider than our JSON alias
    cls: type[Validator] = validators.Draft202012Validator
    if isinstance(schema, dict) and isinstance(schema.get("$schema"), str):
        cls = validators.validator_for(document, default=cls)
    try:
        cls.check_schema(document)
    except SchemaError as error:
        return list(error.absolute_path)
    return []

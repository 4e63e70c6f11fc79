"""The JSON Schema a model API is given for a call's ``schema``.

Both vendors take an object at the root only; any other schema is wrapped as the one
property ``value`` of an object and the answer unwrapped again, so a script's schema
reaches the engine's validation unchanged.
"""

from __future__ import annotations

from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record

WRAPPED_KEY = "value"


@record
class SchemaEnvelope:
    """The schema sent to the API, and whether answers must be unwrapped."""

    schema: JSONObject
    wrapped: bool

    @classmethod
    def of(cls, schema: JSON) -> SchemaEnvelope:
        if isinstance(schema, dict) and (
            schema.get("type") == "object" or ("type" not in schema and "properties" in schema)
        ):
            return cls(schema, False)
        wrapper: JSONObject = {
            "type": "object",
            "properties": {WRAPPED_KEY: schema if isinstance(schema, dict) else {}},
            "required": [WRAPPED_KEY],
        }
        return cls(wrapper, True)

    def unwrap(self, answer: JSON) -> JSON:
        """The script's value: the answer itself, or its ``value`` when it was wrapped (an
        answer without one is left whole, for validation to say what is wrong)."""
        if self.wrapped and isinstance(answer, dict) and WRAPPED_KEY in answer:
            return answer[WRAPPED_KEY]
        return answer

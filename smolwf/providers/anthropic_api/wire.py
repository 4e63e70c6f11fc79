"""The Messages API as the ``anthropic`` provider speaks it: the request body, and the
stream (``message_start``, ``content_block_*``, ``message_delta``, ``message_stop``,
``error``) folded into a result.

Structured output: by default a ``StructuredOutput`` tool whose input schema is the
call's schema, which the model is made to call (``tool_choice``), so it works on every
model and gateway; ``structured_output=output_config`` asks for the API's JSON-schema
output format instead (constrained decoding, on models that have it).

Usage: ``message_start`` carries the input counts (``input_tokens`` already excludes
cache reads and writes), ``message_delta`` the cumulative output count and any input
count the API revised; each count is taken from the last event that had it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from httpx_sse import ServerSentEvent

from smolwf.errors import FailureKind
from smolwf.jsontypes import JSON, JSONObject
from smolwf.providers.base import AgentRequest, AgentResult
from smolwf.providers.json_fields import as_object, count
from smolwf.providers.model_api.answers import CUT_SHORT, AnswerFold
from smolwf.providers.model_api.failures import stream_error
from smolwf.providers.model_api.provider import json_event
from smolwf.providers.model_api.schemas import SchemaEnvelope
from smolwf.usage import Usage

TOOL_NAME = "StructuredOutput"
TOOL_DESCRIPTION = "Give your final answer by calling this tool with it as the input."
STRUCTURED_MODES = ("tool", "output_config")
_USAGE_KEYS = {
    "input_tokens": "input",
    "output_tokens": "output",
    "cache_read_input_tokens": "cache_read",
    "cache_creation_input_tokens": "cache_write",
}
"""The API's counts, by the names ``_count`` gives them."""


def message_body(
    request: AgentRequest, model: str, max_tokens: int, structured: str, schema: SchemaEnvelope
) -> JSONObject:
    """The ``POST /v1/messages`` body: one user turn, streamed, and the schema's way."""
    body: JSONObject = {
        "model": model,
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": request.prompt}],
        "stream": True,
    }
    if not request.has_schema:
        return body
    if structured == "output_config":
        body["output_config"] = {"format": {"type": "json_schema", "schema": schema.schema}}
    else:
        tool: JSONObject = {
            "name": TOOL_NAME,
            "description": TOOL_DESCRIPTION,
            "input_schema": schema.schema,
        }
        body["tools"] = [tool]
        body["tool_choice"] = {"type": "tool", "name": TOOL_NAME}
    return body


@dataclass(slots=True)
class _Block:
    type: str
    name: str | None = None
    text: str = ""
    """Text of a ``text`` block, or the input JSON of a ``tool_use`` block."""


@dataclass(slots=True)
class MessageFold(AnswerFold):
    """One streamed message, read event by event (a ``StreamFold``)."""

    structured: str = STRUCTURED_MODES[0]
    stop_reason: str | None = None
    stopped: bool = False
    counts: dict[str, int] = field(default_factory=dict)
    blocks: dict[int, _Block] = field(default_factory=dict)

    def take(self, event: ServerSentEvent) -> JSON:
        data = json_event(self.config, event)
        item = as_object(data)
        kind = item.get("type")
        if kind == "message_start":
            message = as_object(item.get("message"))
            self.identify(message.get("id"), message.get("model"))
            self._count(message.get("usage"))
        elif kind == "content_block_start":
            block = as_object(item.get("content_block"))
            self.blocks[count(item.get("index"))] = _Block(
                str(block.get("type")), _text(block.get("name")), _text(block.get("text")) or ""
            )
        elif kind == "content_block_delta":
            self._delta(count(item.get("index")), as_object(item.get("delta")))
        elif kind == "message_delta":
            self.stop_reason = _text(as_object(item.get("delta")).get("stop_reason"))
            self._count(item.get("usage"))
        elif kind == "message_stop":
            self.stopped = True
        elif kind == "error":
            raise stream_error(self.config, data)
        return data

    def _delta(self, index: int, delta: JSONObject) -> None:
        block = self.blocks.setdefault(index, _Block("text"))
        piece = delta.get("text") if delta.get("type") == "text_delta" else None
        if delta.get("type") == "input_json_delta":
            piece = delta.get("partial_json")
        if isinstance(piece, str):
            block.text += piece

    def _count(self, usage: JSON) -> None:
        for key, name in _USAGE_KEYS.items():
            value = as_object(usage).get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                self.counts[name] = value
        if self.counts:
            count = self.counts.get
            self.usage = Usage(
                input_tokens=count("input", 0),
                output_tokens=count("output", 0),
                cache_read_tokens=count("cache_read", 0),
                cache_write_tokens=count("cache_write", 0),
            )

    def result(self) -> AgentResult:
        if not self.stopped:
            raise self.failure("stream ended before message_stop", FailureKind.TRANSIENT)
        stop = self.stop_reason if self.stop_reason in (*CUT_SHORT, "refusal") else None
        if not self.request.has_schema or self.structured == "output_config" or stop:
            return self.finish(self._joined("text"), stop)
        calls = [b for b in self.blocks.values() if b.type == "tool_use" and b.name == TOOL_NAME]
        if not calls:
            raise self.failure(
                f"answered without calling the {TOOL_NAME} tool", FailureKind.INVALID_OUTPUT
            )
        try:
            value = json.loads(calls[-1].text or "{}")
        except ValueError:
            raise self.failure(
                f"called {TOOL_NAME} with input that is not JSON", FailureKind.INVALID_OUTPUT
            ) from None
        return self.answered(self.schema.unwrap(value))

    def _joined(self, kind: str) -> str:
        return "".join(block.text for _, block in sorted(self.blocks.items()) if block.type == kind)


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) and value else None

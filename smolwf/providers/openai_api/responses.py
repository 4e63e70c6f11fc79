"""The Responses API (``POST /responses``): the request body, and the stream
(``response.created``, ``response.output_text.delta``, ``response.completed``,
``response.incomplete``, ``response.failed``, ``error``) folded into a result.

The answer is read from the completed response's message items (the deltas are the
fallback); structured output is ``text.format`` of type ``json_schema``, not strict, since
a script's schema need not meet strict mode's rules (the engine validates the answer).
Requests are sent with ``store: false``: smol-wf keeps its own record.
"""

from __future__ import annotations

from dataclasses import dataclass

from httpx_sse import ServerSentEvent

from smolwf.errors import FailureKind
from smolwf.jsontypes import JSON, JSONObject
from smolwf.providers.base import AgentRequest, AgentResult
from smolwf.providers.json_fields import as_list, as_object, as_text
from smolwf.providers.model_api.answers import AnswerFold
from smolwf.providers.model_api.failures import stream_error
from smolwf.providers.model_api.provider import json_event
from smolwf.providers.model_api.schemas import SchemaEnvelope
from smolwf.providers.openai_api.usage import RESPONSES_USAGE, openai_usage

SCHEMA_NAME = "smolwf_output"
_RESPONSE_EVENTS = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
    }
)


def response_body(
    request: AgentRequest,
    model: str,
    max_tokens: int | None,
    effort: str | None,
    schema: SchemaEnvelope,
) -> JSONObject:
    body: JSONObject = {"model": model, "input": request.prompt, "stream": True, "store": False}
    if max_tokens is not None:
        body["max_output_tokens"] = max_tokens
    if effort is not None:
        body["reasoning"] = {"effort": effort}
    if request.has_schema:
        body["text"] = {
            "format": {
                "type": "json_schema",
                "name": SCHEMA_NAME,
                "schema": schema.schema,
                "strict": False,
            }
        }
    return body


@dataclass(slots=True)
class ResponseFold(AnswerFold):
    """One streamed response, read event by event (a ``StreamFold``)."""

    deltas: str = ""
    final: JSONObject | None = None

    def take(self, event: ServerSentEvent) -> JSON:
        data = json_event(self.config, event)
        item = as_object(data)
        kind = item.get("type")
        if kind in _RESPONSE_EVENTS:
            self._response(str(kind), as_object(item.get("response")))
        elif kind == "response.output_text.delta":
            self.deltas += as_text(item.get("delta"))
        elif kind == "response.refusal.delta":
            self.refusal += as_text(item.get("delta"))
        elif kind == "error":
            raise stream_error(self.config, data)
        return data

    def _response(self, kind: str, response: JSONObject) -> None:
        self.identify(response.get("id"), response.get("model"))
        self.usage = openai_usage(response.get("usage"), RESPONSES_USAGE) or self.usage
        if kind == "response.failed":
            raise stream_error(self.config, response)
        if kind in ("response.completed", "response.incomplete"):
            self.final = response

    def result(self) -> AgentResult:
        final = self.final
        if final is None:
            raise self.failure("stream ended before response.completed", FailureKind.TRANSIENT)
        stop = None
        if final.get("status") == "incomplete":
            reason = as_object(final.get("incomplete_details")).get("reason")
            stop = reason if isinstance(reason, str) and reason else "incomplete"
        texts, refusals = _message_parts(final)
        self.refusal = self.refusal or refusals
        return self.finish(texts if texts or not self.deltas else self.deltas, stop)


def _message_parts(response: JSONObject) -> tuple[str, str]:
    """The ``output_text`` and the ``refusal`` text of a response's message items."""
    texts, refusals = [], []
    for output in as_list(response.get("output")):
        item = as_object(output)
        if item.get("type") != "message":
            continue
        for part in as_list(item.get("content")):
            content = as_object(part)
            if content.get("type") == "output_text":
                texts.append(as_text(content.get("text")))
            elif content.get("type") == "refusal":
                refusals.append(as_text(content.get("refusal")))
    return "".join(texts), "".join(refusals)

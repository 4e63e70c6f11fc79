"""Chat Completions (``POST /chat/completions``), the API OpenAI-compatible servers speak
(vLLM, Ollama, LM Studio, OpenRouter…): the request body, and the stream of
``chat.completion.chunk`` objects up to ``[DONE]`` folded into a result.

Usage comes in a last chunk when the request asks for it (``stream_options``); a server
that ignores that reports none, and the call then has no usage. Structured output is
``response_format`` of type ``json_schema``, not strict.
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
from smolwf.providers.openai_api.responses import SCHEMA_NAME
from smolwf.providers.openai_api.usage import CHAT_USAGE, openai_usage

DONE = "[DONE]"


def chat_body(
    request: AgentRequest,
    model: str,
    max_tokens: int | None,
    effort: str | None,
    schema: SchemaEnvelope,
) -> JSONObject:
    body: JSONObject = {
        "model": model,
        "messages": [{"role": "user", "content": request.prompt}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    if max_tokens is not None:
        body["max_tokens"] = max_tokens
    if effort is not None:
        body["reasoning_effort"] = effort
    if request.has_schema:
        body["response_format"] = {
            "type": "json_schema",
            "json_schema": {"name": SCHEMA_NAME, "schema": schema.schema, "strict": False},
        }
    return body


@dataclass(slots=True)
class ChatFold(AnswerFold):
    """One streamed chat completion, read chunk by chunk (a ``StreamFold``)."""

    text: str = ""
    finish_reason: str | None = None
    done: bool = False

    def take(self, event: ServerSentEvent) -> JSON:
        if event.data.strip() == DONE:
            self.done = True
            return None
        data = json_event(self.config, event)
        chunk = as_object(data)
        if chunk.get("error") is not None:
            raise stream_error(self.config, data)
        self.identify(chunk.get("id"), chunk.get("model"))
        for choice in as_list(chunk.get("choices")):
            self._choice(as_object(choice))
        self.usage = openai_usage(chunk.get("usage"), CHAT_USAGE) or self.usage
        return data

    def _choice(self, choice: JSONObject) -> None:
        delta = as_object(choice.get("delta"))
        self.text += as_text(delta.get("content"))
        self.refusal += as_text(delta.get("refusal"))
        reason = choice.get("finish_reason")
        if isinstance(reason, str) and reason:
            self.finish_reason = reason

    def result(self) -> AgentResult:
        reason = self.finish_reason
        if reason is None:
            raise self.failure("stream ended before a finish_reason", FailureKind.TRANSIENT)
        return self.finish(self.text, None if reason in ("stop", "tool_calls") else reason)

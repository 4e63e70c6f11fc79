"""What opencode's server API is sent and answers, for the server transport: the session
and message bodies (the call's permission rules, model, variant and schema), the
structured value of an answer, the usage and tool parts of a session, its event bus.

Usage is summed over every assistant message of the session (one per model call), as
the CLI transport sums its steps (see ``wire``).
"""

from __future__ import annotations

import json

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import Refusal
from smolwf.providers.base import AgentRequest, AgentResult
from smolwf.providers.json_fields import as_list, as_object
from smolwf.providers.opencode.permissions import session_rules
from smolwf.providers.opencode.wire import (
    CAPABILITIES,
    DISPLAY_NAME,
    describe_error,
    failure,
    sum_usage,
)

SESSION_TITLE = "smol-wf agent call"
STRUCTURED_RETRIES = 2
"""``format.retryCount``: how often opencode itself re-asks for a valid structured value."""
NO_STRUCTURED = "OpenCode structured-output response did not include a structured value"


def split_model(model: str | None) -> JSONObject | None:
    """``{providerID, modelID}`` for ``provider/model``; a bare id is a configuration error."""
    if not model:
        return None
    provider, slash, model_id = model.partition("/")
    if not slash or not provider or not model_id:
        raise ProviderError(
            f"OpenCode model must use provider/model form for structured output, got: {model}",
            kind=FailureKind.CONFIG,
        )
    return {"providerID": provider, "modelID": model_id}


def session_body(request: AgentRequest, dirs: tuple[str, ...] = ()) -> JSONObject:
    """The ``POST /session`` body, with the call's permission rules (``dirs``: opencode's
    own pre-approved directories)."""
    body: JSONObject = {"title": SESSION_TITLE}
    if request.agent_type:
        body["agent"] = request.agent_type
    body["permission"] = session_rules(request.permissions, dirs)
    return body


def message_body(request: AgentRequest) -> JSONObject:
    """The ``POST /session/{id}/message`` body: the prompt, its options and the schema."""
    body: JSONObject = {"parts": [{"type": "text", "text": request.prompt}]}
    model = split_model(request.model)
    if model is not None:
        body["model"] = model
    variant = CAPABILITIES.effort.flag_value(request.effort)
    if variant:
        body["variant"] = variant
    if request.agent_type:
        body["agent"] = request.agent_type
    body["format"] = {
        "type": "json_schema",
        "schema": request.schema,
        "retryCount": STRUCTURED_RETRIES,
    }
    return body


def structured_value(response: JSON) -> tuple[bool, JSON]:
    """``(found, value)``: ``info.structured``, else a completed ``StructuredOutput`` tool
    part's input."""
    info = as_object(as_object(response).get("info"))
    if "structured" in info:
        return True, info["structured"]
    parts = as_object(response).get("parts")
    for part in reversed(parts if isinstance(parts, list) else []):
        part = as_object(part)
        state = as_object(part.get("state"))
        if (
            part.get("tool") == "StructuredOutput"
            and state.get("status") == "completed"
            and "input" in state
        ):
            return True, state["input"]
    return False, None


def assistant_infos(messages: JSON) -> list[JSONObject]:
    """The ``info`` of every assistant message in a ``GET /session/{id}/message`` list."""
    infos = [as_object(as_object(item).get("info")) for item in as_list(messages)]
    return [info for info in infos if info.get("role") == "assistant"]


def bus_tool_part(event: JSONObject) -> JSONObject | None:
    """The tool part a ``message.part.updated`` bus event carries, else ``None``."""
    part = as_object(as_object(event.get("properties")).get("part"))
    if event.get("type") == "message.part.updated" and part.get("type") == "tool":
        return part
    return None


def bus_tool_parts(events: list[JSON]) -> list[JSONObject]:
    """The latest state of every tool part reported on the bus, in order of appearance."""
    latest: dict[str, JSONObject] = {}
    for event in events:
        part = bus_tool_part(as_object(event))
        if part is not None:
            latest[str(part.get("id"))] = part
    return list(latest.values())


def tool_parts(messages: JSON) -> list[JSONObject]:
    """Every tool part of a message list (or of one message, ``{info, parts}``)."""
    listed = as_list(messages) if isinstance(messages, list) else [messages]
    parts = [as_object(part) for item in listed for part in as_list(as_object(item).get("parts"))]
    return [part for part in parts if part.get("type") == "tool"]


def reported_model(response: JSON) -> str | None:
    """``provider/model`` of the answering message."""
    info = as_object(as_object(response).get("info"))
    provider, model = info.get("providerID"), info.get("modelID")
    if isinstance(model, str) and model:
        return f"{provider}/{model}" if isinstance(provider, str) and provider else model
    return None


def parse_response(
    session: JSON,
    response: JSON,
    usage_records: list[JSONObject],
    requested_model: str | None,
    refused: list[str] | None = None,
    refusals: tuple[Refusal, ...] = (),
) -> AgentResult:
    """The result of a structured call, or the ``ProviderError`` it ended with.

    ``usage_records`` are the assistant message infos to sum (every model call of the
    session); ``refused`` the permission requests that were turned down, for the message;
    ``refusals`` every refused tool use, carried by the result or the error.
    """
    session_id = as_object(session).get("id")
    session_id = session_id if isinstance(session_id, str) and session_id else None
    info = as_object(as_object(response).get("info"))
    usage = sum_usage(usage_records or [info])
    if info.get("error") is not None:
        message, kind, retry_after = describe_error(info.get("error"))
        raise failure(message, kind, usage, session_id, retry_after, refusals)
    if session_id is None:
        message = f"{DISPLAY_NAME} provider response did not include a session id"
        raise failure(message, FailureKind.CRASH, usage, None, None, refusals)
    found, value = structured_value(response)
    if not found:
        message = NO_STRUCTURED
        if refused:
            message += f" (a permission request was refused: {refused[-1]})"
        raise failure(message, FailureKind.INVALID_OUTPUT, usage, session_id, None, refusals)
    return AgentResult(
        output=value,
        session_id=session_id,
        model=reported_model(response) or requested_model,
        usage=usage,
        raw=[session, response],
        refusals=refusals,
    )


def sse_data(line: str) -> JSONObject | None:
    """The JSON object of an SSE ``data:`` line, else ``None``."""
    if not line.startswith("data:"):
        return None
    try:
        value = json.loads(line[5:].strip())
    except ValueError:
        return None
    return value if isinstance(value, dict) else None

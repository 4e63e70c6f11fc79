"""The ``pi`` provider: runs the pi coding agent headless and reads its JSON event stream.

pi is driven as ``pi [--extension <asset>] --print --mode json [--model M] [--thinking T]``
with the prompt on stdin (an ``@file`` argument would wrap it in ``<file name=...>``).
pi has no schema option, so structured output comes from a bundled extension
(``pi_structured_output.ts``) that registers a ``smol_wf_structured_output`` tool whose
parameters are the schema; the answer is that tool's arguments. pi exits 0 on model
errors in json mode, so failures are read from the stream (an assistant message whose
``stopReason`` is ``error``/``aborted``, or ``auto_retry_end`` without success).

Permissions: pi has no permission prompts and no sandbox; a level is the set of tools pi
registers, passed as a ``--tools`` allowlist (``read-only``: read, grep, find, ls; ``edit``:
also bash, edit, write; ``full``: no allowlist, every built-in and extension tool), plus a
bundled extension (``pi_permissions.ts``) that turns every registered tool on right before
the agent starts, so a user extension cannot silently run the call with fewer. A tool the
model calls that is not active is answered by pi with the error result ``Tool <name> not
found``: each such call is a ``Refusal``.

Usage convention: every assistant ``message_end`` is one model call and carries its own
``usage {input, output, cacheRead, cacheWrite, totalTokens, cost.total}``; pi's ``input``
already excludes cache reads, so it is ``input_tokens`` as is. The usage of a run is the
SUM over all its model calls (the reference kept only the last one).
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

from smolwf.errors import FailureKind, ProviderError
from smolwf.excerpts import one_line
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import DEFAULT_PERMISSIONS, PermissionLevel, Refusal, preview
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink, ProviderSettings
from smolwf.providers.binaries import find_binary
from smolwf.providers.capabilities import Capabilities, EffortLevels, SchemaMode
from smolwf.providers.failures import kind_for_status, kind_for_text, retry_after_seconds
from smolwf.providers.json_fields import count, number
from smolwf.providers.process import CliCommand, CliOutcome, run_agent_cli
from smolwf.records import record
from smolwf.usage import Usage

DISPLAY_NAME = "Pi"
TOOL_NAME = "smol_wf_structured_output"
"""The extension's tool; its arguments are the structured output."""
SCHEMA_ENV = "SMOL_WF_OUTPUT_SCHEMA"
"""How the extension learns the tool's parameter schema."""
EXTENSION_PATH = Path(__file__).with_name("pi_structured_output.ts")
PERMISSIONS_EXTENSION_PATH = Path(__file__).with_name("pi_permissions.ts")
"""Turns on every tool the ``--tools`` allowlist let pi register (see the module docstring)."""
READ_TOOLS = ("read", "grep", "find", "ls")
"""pi's built-in tools that only read (pi 0.73.1)."""
EDIT_TOOLS = ("bash", "edit", "write")
"""pi's built-in tools that change things; pi's bash is not confined to the cwd."""
LEVEL_TOOLS: dict[PermissionLevel, tuple[str, ...] | None] = {
    "read-only": READ_TOOLS,
    "edit": ("read", "bash", "edit", "write", "grep", "find", "ls"),
    "full": None,
}
"""The ``--tools`` allowlist of each level; ``None``: no allowlist, every tool pi has."""
_NOT_FOUND = re.compile(r"^Tool (.+) not found$")
BLOCKED_TEXT = "Tool execution was blocked"
"""pi's result for a call an extension's ``tool_call`` handler blocked without a reason."""
_FAILED_STOPS = ("error", "aborted")
_STATUS_PREFIX = re.compile(r"^\s*(\d{3})\b")
_SCHEMA_INSTRUCTIONS = (
    f"Call the {TOOL_NAME} tool exactly once, as your final action, "
    "with the answer as its arguments.\n"
    f"Do not write any assistant message after calling {TOOL_NAME}."
)


@record
class OutputMode:
    """What the run must produce: text, or the tool's arguments (``wrapped`` in ``{value}``)."""

    structured: bool = False
    wrapped: bool = False


class PiProvider:
    """Answers ``agent()`` calls with the ``pi`` CLI."""

    name = "pi"
    capabilities = Capabilities(
        display_name=DISPLAY_NAME,
        schema_mode=SchemaMode.TOOL,
        # What pi --thinking accepts (pi 0.73.1).
        effort=EffortLevels(
            accepted=("off", "minimal", "low", "medium", "high", "xhigh"), aliases={"max": "xhigh"}
        ),
    )

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        binary = find_binary(self.name, self.settings.binaries)
        env = dict(self.settings.env)
        mode = OutputMode()
        if request.has_schema:
            parameters, wrapped = tool_parameters(request.schema)
            env[SCHEMA_ENV] = json.dumps(parameters)
            mode = OutputMode(structured=True, wrapped=wrapped)
        argv = build_argv(binary, request)
        prompt = build_prompt(request)
        command = CliCommand.for_request(DISPLAY_NAME, argv, request, env=env, prompt=prompt)
        outcome = await run_agent_cli(
            command, events, session_id_of=session_id_of, final=is_final, usage_of=sum_usage
        )
        return parse_outcome(outcome, mode, request.model, request.permissions)


def is_final(event: JSON) -> bool:
    """``agent_end`` ends a pi run in json mode."""
    return isinstance(event, dict) and event.get("type") == "agent_end"


def build_argv(binary: str, request: AgentRequest) -> list[str]:
    """The command line; the prompt is not in it (it goes on stdin)."""
    argv = [binary, "--extension", str(PERMISSIONS_EXTENSION_PATH)]
    if request.has_schema:
        argv += ["--extension", str(EXTENSION_PATH)]
    tools = tool_allowlist(request.permissions, request.has_schema)
    if tools is not None:
        argv += ["--tools", ",".join(tools)]
    argv += ["--print", "--mode", "json"]
    if request.model:
        argv += ["--model", request.model]
    level = PiProvider.capabilities.effort.flag_value(request.effort)
    if level is not None:
        argv += ["--thinking", level]
    return argv


def tool_allowlist(level: PermissionLevel, has_schema: bool) -> list[str] | None:
    """pi's ``--tools`` for a level; ``None`` for no allowlist (``full``). The structured
    output tool is kept when a schema is asked."""
    tools = LEVEL_TOOLS[level]
    if tools is None:
        return None
    return [*tools, TOOL_NAME] if has_schema else list(tools)


def build_prompt(request: AgentRequest) -> str:
    """The prompt sent on stdin, with the tool instructions when a schema is set."""
    if not request.has_schema:
        return request.prompt
    return f"{request.prompt}\n\n{_SCHEMA_INSTRUCTIONS}"


def tool_parameters(schema: JSON) -> tuple[JSONObject, bool]:
    """The tool's parameter schema, and whether ``schema`` had to be wrapped as ``{value}``.

    Tool parameters must be an object schema; any other schema becomes the ``value``
    property, with its ``$defs``/``definitions`` lifted so ``#/$defs/...`` refs still resolve.
    """
    if isinstance(schema, dict) and schema.get("type") == "object":
        return schema, False
    inner: JSON = schema if schema is not None else {}
    lifted: JSONObject = {}
    if isinstance(inner, dict):
        inner = dict(inner)
        for key in ("$defs", "definitions"):
            if key in inner:
                lifted[key] = inner.pop(key)
    wrapper: JSONObject = {
        "type": "object",
        "properties": {"value": inner},
        "required": ["value"],
        "additionalProperties": False,
    }
    return {**wrapper, **lifted}, True


def session_id_of(event: JSON) -> str | None:
    """The session id, when ``event`` is pi's ``{"type": "session"}`` header line."""
    if isinstance(event, dict) and event.get("type") == "session":
        value = event.get("id")
        return value if isinstance(value, str) and value else None
    return None


def assistant_messages(events: list[JSON]) -> list[JSONObject]:
    """The assistant message of every ``message_end``: one per model call."""
    messages: list[JSONObject] = []
    for event in events:
        if not isinstance(event, dict) or event.get("type") != "message_end":
            continue
        message = event.get("message")
        if isinstance(message, dict) and message.get("role") == "assistant":
            messages.append(message)
    return messages


def sum_usage(events: list[JSON]) -> Usage | None:
    """The SUM of every model call's usage; ``None`` when no call reported any."""
    usages = [m["usage"] for m in assistant_messages(events) if isinstance(m.get("usage"), dict)]
    if not usages:
        return None
    totals = {key: 0 for key in ("input", "output", "cacheRead", "cacheWrite", "totalTokens")}
    cost: float | None = None
    all_totals = True
    for usage in usages:
        assert isinstance(usage, dict)
        for key in totals:
            totals[key] += count(usage.get(key))
        all_totals = all_totals and isinstance(usage.get("totalTokens"), int | float)
        spent = usage.get("cost")
        if isinstance(spent, dict) and isinstance(spent.get("total"), int | float):
            cost = (cost or 0.0) + number(spent.get("total"))
    return Usage(
        input_tokens=totals["input"],
        output_tokens=totals["output"],
        cache_read_tokens=totals["cacheRead"],
        cache_write_tokens=totals["cacheWrite"],
        total_tokens=totals["totalTokens"] if all_totals else None,
        cost_usd=cost,
    )


def message_text(message: JSONObject) -> str:
    """The text parts of an assistant message, joined by newlines (thinking is skipped)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return ""
    parts = [
        part["text"]
        for part in content
        if isinstance(part, dict)
        and part.get("type") == "text"
        and isinstance(part.get("text"), str)
    ]
    return "\n".join(str(part) for part in parts)


def stream_error(events: list[JSON]) -> str | None:
    """The model error that ended the run, if any.

    That is the last assistant message when it stopped with ``error``/``aborted`` (even
    after earlier text), else a final ``auto_retry_end`` that gave up.
    """
    messages = assistant_messages(events)
    if messages and messages[-1].get("stopReason") in _FAILED_STOPS:
        last = messages[-1]
        error = last.get("errorMessage")
        if isinstance(error, str) and error.strip():
            return error
        return f"the model call ended with stopReason {last.get('stopReason')}"
    retries = [e for e in events if isinstance(e, dict) and e.get("type") == "auto_retry_end"]
    if retries and retries[-1].get("success") is False:
        final = retries[-1].get("finalError")
        return final if isinstance(final, str) and final.strip() else "automatic retries failed"
    return None


def error_kind(text: str) -> FailureKind:
    """The kind of a pi error: its leading HTTP status (``401 fakellm: ...``), else its words."""
    match = _STATUS_PREFIX.match(text)
    if match is not None:
        kind = kind_for_status(int(match.group(1)))
        if kind is not FailureKind.CRASH:
            return kind
    return kind_for_text(text)


def _failure(
    message: str, kind: FailureKind, events: list[JSON], session: str | None
) -> ProviderError:
    retry_after = retry_after_seconds(message) if kind is FailureKind.QUOTA else None
    return ProviderError(
        message, kind=kind, usage=sum_usage(events), session_id=session, retry_after_s=retry_after
    )


def structured_output(events: list[JSON]) -> tuple[bool, JSON, str | None]:
    """``(called, value, error)`` for the structured-output tool: the last successful call's
    arguments, else the error text of the last failed call."""
    called, value, error = False, None, None
    found = False
    for event in events:
        if not isinstance(event, dict) or event.get("type") != "tool_execution_end":
            continue
        if event.get("toolName") != TOOL_NAME:
            continue
        called = True
        result = event.get("result")
        details = result.get("details") if isinstance(result, dict) else None
        if event.get("isError") is False and isinstance(details, dict) and "structured" in details:
            found, value = True, details["structured"]
        elif not found:
            text = message_text(result) if isinstance(result, dict) else ""
            error = one_line(text) or "the tool call failed"
    return called, value, None if found else error


def reported_model(events: list[JSON]) -> str | None:
    """``provider/model`` of the last model call, as pi reports it."""
    for message in reversed(assistant_messages(events)):
        model, provider = message.get("model"), message.get("provider")
        if isinstance(model, str) and model:
            return f"{provider}/{model}" if isinstance(provider, str) and provider else model
    return None


def _final_text(events: list[JSON], session: str) -> str:
    messages = assistant_messages(events)
    if not messages:
        raise _failure(
            "Pi provider did not return an assistant message",
            FailureKind.INVALID_OUTPUT,
            events,
            session,
        )
    text = message_text(messages[-1])
    if not text:
        stop = messages[-1].get("stopReason")
        raise _failure(
            f"Pi provider's final assistant message has no text (stopReason {stop})",
            FailureKind.INVALID_OUTPUT,
            events,
            session,
        )
    return text


def _structured(events: list[JSON], mode: OutputMode, session: str) -> JSON:
    called, value, error = structured_output(events)
    problem: str | None = None
    if not called:
        problem = f"Pi provider did not call {TOOL_NAME} for schema output"
    elif error is not None:
        problem = f"Pi provider {TOOL_NAME} tool failed: {error}"
    elif mode.wrapped:
        if isinstance(value, dict) and "value" in value:
            return value["value"]
        problem = f"Pi provider {TOOL_NAME} arguments have no `value`"
    if problem is not None:
        raise _failure(problem, FailureKind.INVALID_OUTPUT, events, session)
    return value


def needed_level(tool: str, level: PermissionLevel) -> PermissionLevel | None:
    """The level whose tool set has ``tool``, for a call refused at ``level``.

    bash/edit/write need ``edit``; a tool that is not one of pi's built-ins can only be an
    extension's, which only ``full`` turns on (if the model did not make it up). ``None``
    when the tool should have been active at ``level`` already."""
    if level == "full" or tool in READ_TOOLS:
        return None
    if tool in EDIT_TOOLS:
        return "edit" if level == "read-only" else None
    return "full"


def attempted(arguments: JSON) -> str:
    """A short form of a tool call's arguments: its command or path, else compact JSON."""
    if isinstance(arguments, dict):
        for key in ("command", "path", "file_path"):
            value = arguments.get(key)
            if isinstance(value, str) and value:
                return preview(value)
    if arguments is None or arguments == {}:
        return ""
    return preview(compact(arguments))


def refusals(events: list[JSON], level: PermissionLevel) -> tuple[Refusal, ...]:
    """Every tool call pi refused: an inactive tool (``Tool <name> not found``), or a call
    an extension blocked without giving a reason (no level allows that one)."""
    arguments: dict[str, JSON] = {}
    found: list[Refusal] = []
    for event in events:
        if not isinstance(event, dict):
            continue
        kind, call = event.get("type"), str(event.get("toolCallId"))
        if kind == "tool_execution_start":
            arguments[call] = event.get("args")
        if kind != "tool_execution_end" or event.get("isError") is not True:
            continue
        tool, result = event.get("toolName"), event.get("result")
        text = message_text(result).strip() if isinstance(result, dict) else ""
        if not isinstance(tool, str):
            continue
        missing = _NOT_FOUND.match(text)
        if missing is not None and missing.group(1) == tool:
            needs = needed_level(tool, level)
        elif text == BLOCKED_TEXT:
            needs = None
        else:
            continue
        found.append(Refusal(tool, attempted(arguments.get(call)), needs))
    return tuple(found)


def parse_outcome(
    outcome: CliOutcome,
    mode: OutputMode,
    requested_model: str | None,
    permissions: PermissionLevel = DEFAULT_PERMISSIONS,
) -> AgentResult:
    """The result of a finished pi run, or the ``ProviderError`` it ended with; either
    carries the tool calls pi refused at ``permissions``."""
    refused = refusals(outcome.events, permissions)
    try:
        result = _parse(outcome, mode, requested_model)
    except ProviderError as error:
        error.refusals = refused
        raise
    return replace(result, refusals=refused)


def _parse(outcome: CliOutcome, mode: OutputMode, requested_model: str | None) -> AgentResult:
    events = outcome.events
    session = next((found for found in map(session_id_of, events) if found), None)
    error = stream_error(events)
    if error is not None:
        message = f"Pi provider model call failed: {one_line(error)}"
        raise _failure(message, error_kind(error), events, session)
    if outcome.returncode != 0:
        text = outcome.failure_text()
        message = f"Pi provider exited with code {outcome.returncode}: {one_line(text)}"
        raise _failure(message, kind_for_text(text), events, session)
    if session is None:
        raise _failure(
            "Pi provider response did not include a session id", FailureKind.CRASH, events, None
        )
    output = _structured(events, mode, session) if mode.structured else _final_text(events, session)
    return AgentResult(
        output=output,
        session_id=session,
        model=reported_model(events) or requested_model,
        usage=sum_usage(events),
        raw=list(events),
    )

"""The ``opencode`` provider: runs opencode headless and reads what it reports.

Without a schema it runs ``opencode run --format json [--model P/M] [--variant E]
[--agent A]`` with the prompt on stdin (a positional prompt with spaces reaches the model
wrapped in double quotes, and one starting with ``-`` would read as a flag) and parses
the JSON line stream. ``opencode run`` has no structured output, so with a schema the
call goes through opencode's server API instead (``opencode_server``).

Usage convention: every ``step_finish`` is one model call with its own
``tokens {input, output, reasoning, cache {read, write}, total}`` and USD ``cost``.
opencode's ``input`` excludes cache reads and writes, so it is ``input_tokens`` as is;
``reasoning`` is billed as output, so ``output_tokens`` = output + reasoning. The usage
of a run is the SUM over its steps; ``total_tokens`` is the sum of the reported totals
(``None`` when a step reports none).

Permissions: the call's level is put over the user's opencode config through the
environment (``opencode_permissions``), ``full`` also runs with ``--auto``; every
``tool_use`` opencode refused, and every permission request it auto-rejected, is a
``Refusal`` on the result or on the error.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import DEFAULT_PERMISSIONS, PermissionLevel, Refusal
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink, ProviderSettings
from smolwf.providers.binaries import find_binary
from smolwf.providers.failures import kind_for_status, kind_for_text, retry_after_seconds
from smolwf.providers.opencode_permissions import (
    FULL_FLAGS,
    asked_in,
    collect_refusals,
    is_refusal_error,
    opencode_dirs,
    permission_env,
    without_ansi,
)
from smolwf.providers.process import CliCommand, CliOutcome, Limits, run_agent_cli
from smolwf.usage import Usage

DISPLAY_NAME = "OpenCode"
NO_ANSWER = "OpenCode provider returned no answer"
_ERROR_NAME_KINDS = {
    "ProviderAuthError": FailureKind.AUTH,
    "StructuredOutputError": FailureKind.INVALID_OUTPUT,
}
"""opencode error names whose kind their message may not show."""
_PERMISSION = re.compile(r"permission|rejected|denied|prevents you from using", re.IGNORECASE)


class OpenCodeProvider:
    """Answers ``agent()`` calls with the ``opencode`` CLI."""

    name = "opencode"

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        binary = find_binary(self.name, self.settings.binaries)
        if request.has_schema:
            # Imported here: only structured calls need the HTTP client.
            from smolwf.providers.opencode_server import run_structured

            return await run_structured(binary, request, self.settings.env, events)
        env = build_env(request, self.settings.env)
        command = CliCommand(
            DISPLAY_NAME,
            build_argv(binary, request),
            request.cwd,
            stdin=request.prompt.encode("utf-8"),
            env=env,
        )
        outcome = await run_agent_cli(
            command,
            Limits(request.timeout_s, request.idle_timeout_s),
            events,
            session_id_of=session_id_of,
            usage_of=lambda seen: sum_usage(step_finishes(seen)),
        )
        dirs = opencode_dirs({**os.environ, **env})
        return parse_outcome(outcome, request.model, request.permissions, dirs)


def build_env(request: AgentRequest, env: Mapping[str, str]) -> dict[str, str]:
    """The environment added to opencode's: ``env`` (``ProviderSettings.env``) with the
    call's permission rules over the user's opencode config."""
    inherited = {**os.environ, **env}
    return {**env, **permission_env(request.permissions, request.agent_type, inherited)}


def build_argv(binary: str, request: AgentRequest) -> list[str]:
    """The ``opencode run`` command line; the prompt is not in it (it goes on stdin)."""
    argv = [binary, "run", "--format", "json"]
    if request.permissions == "full":
        argv += FULL_FLAGS
    if request.model:
        argv += ["--model", request.model]
    if request.effort:
        argv += ["--variant", request.effort]
    if request.agent_type:
        argv += ["--agent", request.agent_type]
    return argv


def session_id_of(event: JSON) -> str | None:
    """The ``sessionID`` every opencode line carries."""
    if isinstance(event, dict):
        value = event.get("sessionID")
        return value if isinstance(value, str) and value else None
    return None


def _typed(events: Sequence[JSON], kind: str) -> list[JSONObject]:
    return [e for e in events if isinstance(e, dict) and e.get("type") == kind]


def _part(event: JSONObject) -> JSONObject:
    part = event.get("part")
    return part if isinstance(part, dict) else {}


def step_finishes(events: list[JSON]) -> list[JSONObject]:
    """The ``part`` of every ``step_finish`` line: one per model call."""
    return [_part(event) for event in _typed(events, "step_finish")]


def _count(value: JSON) -> int:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def sum_usage(records: list[JSONObject]) -> Usage | None:
    """The SUM of the ``tokens``/``cost`` of step-finish parts or assistant message infos;
    ``None`` when none reports tokens."""
    reports = [(r["tokens"], r.get("cost")) for r in records if isinstance(r.get("tokens"), dict)]
    if not reports:
        return None
    usage = Usage(total_tokens=0)
    all_totals = True
    cost: float | None = None
    for tokens, spent in reports:
        assert isinstance(tokens, dict)
        cache = tokens.get("cache")
        cache = cache if isinstance(cache, dict) else {}
        all_totals = all_totals and isinstance(tokens.get("total"), int | float)
        if isinstance(spent, int | float) and not isinstance(spent, bool):
            cost = (cost or 0.0) + float(spent)
        usage = usage + Usage(
            input_tokens=_count(tokens.get("input")),
            output_tokens=_count(tokens.get("output")) + _count(tokens.get("reasoning")),
            cache_read_tokens=_count(cache.get("read")),
            cache_write_tokens=_count(cache.get("write")),
            total_tokens=_count(tokens.get("total")),
        )
    return Usage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        cache_read_tokens=usage.cache_read_tokens,
        cache_write_tokens=usage.cache_write_tokens,
        total_tokens=usage.total_tokens if all_totals else None,
        cost_usd=cost,
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _retry_after(data: JSONObject, message: str) -> float | None:
    headers = data.get("responseHeaders")
    header = headers.get("retry-after") if isinstance(headers, dict) else None
    if isinstance(header, str):
        try:
            return max(0.0, float(header))
        except ValueError:
            pass
    return retry_after_seconds(message)


def describe_error(error: JSON) -> tuple[str, FailureKind, float | None]:
    """``(message, kind, retry_after_s)`` for an opencode error object: v1
    ``{name, data {message, statusCode, ...}}``, v2 ``{type, message}``, or a string."""
    if not isinstance(error, dict):
        text = _one_line(str(error)) if error is not None else "unknown error"
        return f"{DISPLAY_NAME} provider error: {text}", kind_for_text(text), None
    data = error.get("data")
    data = data if isinstance(data, dict) else {}
    found_name = error.get("name") or error.get("type")
    name = found_name if isinstance(found_name, str) and found_name else "Error"
    found_text = data.get("message") or error.get("message")
    text = _one_line(found_text) if isinstance(found_text, str) else ""
    text = text or "(no message)"
    status = data.get("statusCode")
    kind = FailureKind.CRASH
    label = name
    if isinstance(status, int) and not isinstance(status, bool):
        label = f"{name}, HTTP {status}"
        kind = kind_for_status(status)
    if kind is FailureKind.CRASH:
        kind = _ERROR_NAME_KINDS.get(name) or kind_for_text(f"{name}: {text}")
    if kind is FailureKind.CRASH and data.get("isRetryable") is True:
        kind = FailureKind.TRANSIENT
    retry_after = _retry_after(data, text) if kind is FailureKind.QUOTA else None
    return f"{DISPLAY_NAME} provider error ({label}): {text}", kind, retry_after


def failure(
    message: str,
    kind: FailureKind,
    usage: Usage | None,
    session: str | None,
    retry_after_s: float | None = None,
    refusals: tuple[Refusal, ...] = (),
) -> ProviderError:
    """A ``ProviderError`` carrying what the failed attempt spent and had refused."""
    return ProviderError(
        message,
        kind=kind,
        usage=usage,
        session_id=session,
        retry_after_s=retry_after_s,
        refusals=refusals,
    )


def last_step(events: list[JSON]) -> list[JSONObject]:
    """The lines of the last model step: everything after the last ``step_start``."""
    objects = [e for e in events if isinstance(e, dict)]
    starts = [i for i, e in enumerate(objects) if e.get("type") == "step_start"]
    return objects[starts[-1] + 1 :] if starts else objects


def tool_parts(events: Sequence[JSON]) -> list[JSONObject]:
    """The ``part`` of every ``tool_use`` line: one per finished tool call."""
    return [_part(event) for event in _typed(events, "tool_use")]


def rejected_tool(step: list[JSONObject]) -> str | None:
    """``tool: error`` of a tool call refused for lack of permission in ``step``, if any."""
    for part in tool_parts(step):
        state = part.get("state")
        error = state.get("error") if isinstance(state, dict) else None
        if isinstance(state, dict) and state.get("status") == "error" and is_refusal_error(error):
            return f"{part.get('tool') or 'tool'}: {_one_line(str(error))}"
    return None


def final_text(events: list[JSON]) -> str | None:
    """The answer: the text parts of the last step (not reasoning), joined; ``None`` when
    there is none or the step was cut short by a refused permission."""
    step = last_step(events)
    if rejected_tool(step) is not None:
        return None
    texts = [_part(e).get("text") for e in _typed(step, "text")]
    answer = "\n".join(t for t in texts if isinstance(t, str) and t.strip())
    return answer or None


def no_answer_message(events: list[JSON], stderr: str) -> str:
    """``NO_ANSWER`` with its likely cause: a refused permission, or how the last step ended."""
    rejected = rejected_tool(last_step(events))
    if rejected is not None:
        return f"{NO_ANSWER}: a tool call was refused ({rejected})"
    lines = without_ansi(stderr).splitlines()
    notes = [line.strip() for line in lines if _PERMISSION.search(line)]
    if notes:
        return f"{NO_ANSWER}: {_one_line(notes[-1])}"
    finishes = step_finishes(events)
    reason = finishes[-1].get("reason") if finishes else None
    if isinstance(reason, str) and reason != "stop":
        return f"{NO_ANSWER} (its last step ended with reason {reason})"
    return NO_ANSWER


def parse_outcome(
    outcome: CliOutcome,
    requested_model: str | None,
    permissions: PermissionLevel = DEFAULT_PERMISSIONS,
    dirs: Sequence[str] = (),
) -> AgentResult:
    """The result of a finished ``opencode run``, or the ``ProviderError`` it ended with;
    either carries the tool uses refused at level ``permissions`` (``dirs``: opencode's
    own pre-approved directories, for what a refusal needs)."""
    events = outcome.events
    session = next((found for found in map(session_id_of, events) if found), None)
    usage = sum_usage(step_finishes(events))
    asked = asked_in(outcome.stderr)
    refusals = collect_refusals(tool_parts(events), asked, permissions, dirs)
    errors = _typed(events, "error")
    if errors:
        message, kind, retry_after = describe_error(errors[-1].get("error"))
        raise failure(message, kind, usage, session, retry_after, refusals)
    if outcome.returncode != 0:
        text = outcome.failure_text()
        message = f"{DISPLAY_NAME} provider exited with code {outcome.returncode}: {text}"
        raise failure(_one_line(message), kind_for_text(text), usage, session, None, refusals)
    if session is None:
        message = f"{DISPLAY_NAME} provider response did not include a session id"
        raise failure(message, FailureKind.CRASH, usage, None, None, refusals)
    answer = final_text(events)
    if answer is None:
        message = no_answer_message(events, outcome.stderr + "\n" + "\n".join(outcome.other_lines))
        raise failure(message, FailureKind.INVALID_OUTPUT, usage, session, None, refusals)
    return AgentResult(
        output=answer,
        session_id=session,
        model=requested_model,
        usage=usage,
        raw=list(events),
        refusals=refusals,
    )

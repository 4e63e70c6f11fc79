"""opencode's CLI transport: ``opencode run --format json`` and its JSON line stream.

It runs ``opencode run --format json [--model P/M] [--variant E] [--agent A]`` with the
prompt on stdin (a positional prompt with spaces reaches the model wrapped in double
quotes, and one starting with ``-`` would read as a flag). The call's permission level is
put over the user's opencode config through the environment (``permissions``); ``full``
also runs with ``--auto``. Every ``tool_use`` opencode refused, and every permission
request it auto-rejected, is a ``Refusal`` on the result or on the error. Usage is summed
over the ``step_finish`` lines (see ``wire``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence

from smolwf.errors import FailureKind
from smolwf.excerpts import one_line
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import DEFAULT_PERMISSIONS, PermissionLevel
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.providers.failures import kind_for_text
from smolwf.providers.json_fields import as_object, of_type
from smolwf.providers.opencode.permissions import (
    FULL_FLAGS,
    asked_in,
    collect_refusals,
    is_refusal_error,
    opencode_dirs,
    permission_env,
    without_ansi,
)
from smolwf.providers.opencode.wire import (
    CAPABILITIES,
    DISPLAY_NAME,
    describe_error,
    failure,
    sum_usage,
)
from smolwf.providers.process import CliCommand, CliOutcome, run_agent_cli

NO_ANSWER = "OpenCode provider returned no answer"
_PERMISSION = re.compile(r"permission|rejected|denied|prevents you from using", re.IGNORECASE)


async def run_cli_call(
    binary: str, request: AgentRequest, env: Mapping[str, str], events: ProviderEventSink
) -> AgentResult:
    """Answer ``request`` (which has no schema) with ``opencode run``; ``env`` is
    ``ProviderSettings.env``."""
    call_env = build_env(request, env)
    command = CliCommand.for_request(
        DISPLAY_NAME, build_argv(binary, request), request, env=call_env
    )
    outcome = await run_agent_cli(
        command,
        events,
        session_id_of=session_id_of,
        final=is_final,
        usage_of=lambda seen: sum_usage(step_finishes(seen)),
    )
    dirs = opencode_dirs({**os.environ, **call_env})
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
    variant = CAPABILITIES.effort.flag_value(request.effort)
    if variant:
        argv += ["--variant", variant]
    if request.agent_type:
        argv += ["--agent", request.agent_type]
    return argv


def is_final(event: JSON) -> bool:
    """The ``step_finish`` whose reason is ``stop``: the model's last step (a ``tool-calls``
    step is followed by another)."""
    if not isinstance(event, dict) or event.get("type") != "step_finish":
        return False
    part = event.get("part")
    return isinstance(part, dict) and part.get("reason") == "stop"


def session_id_of(event: JSON) -> str | None:
    """The ``sessionID`` every opencode line carries."""
    if isinstance(event, dict):
        value = event.get("sessionID")
        return value if isinstance(value, str) and value else None
    return None


def _part(event: JSONObject) -> JSONObject:
    return as_object(event.get("part"))


def step_finishes(events: list[JSON]) -> list[JSONObject]:
    """The ``part`` of every ``step_finish`` line: one per model call."""
    return [_part(event) for event in of_type(events, "step_finish")]


def last_step(events: list[JSON]) -> list[JSONObject]:
    """The lines of the last model step: everything after the last ``step_start``."""
    objects = [e for e in events if isinstance(e, dict)]
    starts = [i for i, e in enumerate(objects) if e.get("type") == "step_start"]
    return objects[starts[-1] + 1 :] if starts else objects


def tool_parts(events: Sequence[JSON]) -> list[JSONObject]:
    """The ``part`` of every ``tool_use`` line: one per finished tool call."""
    return [_part(event) for event in of_type(events, "tool_use")]


def rejected_tool(step: list[JSONObject]) -> str | None:
    """``tool: error`` of a tool call refused for lack of permission in ``step``, if any."""
    for part in tool_parts(step):
        state = part.get("state")
        error = state.get("error") if isinstance(state, dict) else None
        if isinstance(state, dict) and state.get("status") == "error" and is_refusal_error(error):
            return f"{part.get('tool') or 'tool'}: {one_line(str(error))}"
    return None


def final_text(events: list[JSON]) -> str | None:
    """The answer: the text parts of the last step (not reasoning), joined; ``None`` when
    there is none or the step was cut short by a refused permission."""
    step = last_step(events)
    if rejected_tool(step) is not None:
        return None
    texts = [_part(e).get("text") for e in of_type(step, "text")]
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
        return f"{NO_ANSWER}: {one_line(notes[-1])}"
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
    errors = of_type(events, "error")
    if errors:
        message, kind, retry_after = describe_error(errors[-1].get("error"))
        raise failure(message, kind, usage, session, retry_after, refusals)
    if outcome.returncode != 0:
        text = outcome.failure_text()
        message = f"{DISPLAY_NAME} provider exited with code {outcome.returncode}: {text}"
        raise failure(one_line(message), kind_for_text(text), usage, session, None, refusals)
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

"""The ``claude-code`` provider: runs Claude Code headless and reads its stream-json events.

Claude Code is driven as ``claude [--model M] [--effort E] [--agent A] <permission flags>
--output-format stream-json --verbose --input-format text [--json-schema S] --print`` with
the prompt on stdin (the reference runtime's tested argv, plus the flags of the call's
permission level: see ``claude_permissions``). The outcome is the last ``result`` line:
``is_error``/``subtype`` say whether the run failed (claude reports API errors as
``subtype: success`` with ``is_error: true`` and ``api_error_status``), ``result`` is the
final text and ``structured_output`` the answer to ``--json-schema``; its
``permission_denials`` are the tool uses claude refused (reported, whatever the outcome),
and ``system/init.permissionMode`` must be the mode the level asked for.

Usage convention: only the ``result`` line is read; assistant lines carry per-message
snapshots (``output_tokens: 1``) that must not be summed. ``result.usage`` is cumulative
over the main conversation and its ``input_tokens`` already EXCLUDE cache reads and
writes, so it maps as is (``cache_read_input_tokens`` -> cache read,
``cache_creation_input_tokens`` -> cache write). ``result.modelUsage`` holds the same
counts per model for the whole process, sub-agents and side calls on other models
included (the same source as ``total_cost_usd``); when its sums exceed ``usage`` (a
multi-model session) the per-model sums are used, so cost and tokens agree. Cost is
``total_cost_usd`` (USD). Claude Code reports no total, so ``total_tokens`` is ``None``.
"""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime
from pathlib import Path

from smolwf.errors import FailureKind, ProviderError
from smolwf.excerpts import one_line
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import DEFAULT_PERMISSIONS, PermissionLevel, Refusal
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink, ProviderSettings
from smolwf.providers.binaries import find_binary
from smolwf.providers.capabilities import (
    EFFORT_LEVELS,
    Capabilities,
    EffortLevels,
    ModelRules,
    SchemaMode,
)
from smolwf.providers.claude_permissions import (
    MODES,
    ROOT_REFUSAL_TEXT,
    full_as_root,
    permission_flags,
    refusals_of,
    root_refusal,
    shell_may_write,
)
from smolwf.providers.failures import kind_for_status, kind_for_text, retry_after_seconds
from smolwf.providers.json_fields import count, json_answer
from smolwf.providers.process import CliCommand, CliOutcome, run_agent_cli
from smolwf.records import record
from smolwf.usage import Usage

DISPLAY_NAME = "Claude Code"
_ASSISTANT_ERROR_KINDS = {
    "authentication_failed": FailureKind.AUTH,
    "billing_error": FailureKind.QUOTA,
    "rate_limit": FailureKind.QUOTA,
    "server_error": FailureKind.TRANSIENT,
    "overloaded": FailureKind.TRANSIENT,
    "invalid_request": FailureKind.CRASH,
}
"""The ``error`` field of claude's synthetic assistant message, when no status says more."""
_SUBTYPE_KINDS = {"error_max_structured_output_retries": FailureKind.INVALID_OUTPUT}
_RESET_EPOCH = re.compile(r"\|(\d{9,11})\s*$")
"""``Claude AI usage limit reached|1767225600``: the reset time in Unix seconds."""


class ClaudeCodeProvider:
    """Answers ``agent()`` calls with the ``claude`` CLI (Claude Code)."""

    name = "claude-code"
    capabilities = Capabilities(
        display_name=DISPLAY_NAME,
        schema_mode=SchemaMode.FLAG,
        model=ModelRules(model_provider="rejected"),
        # claude --effort (2.1.197) takes exactly the option's levels; a selector's
        # ``thinking=minimal`` has a near neighbour, other values are dropped.
        effort=EffortLevels(accepted=EFFORT_LEVELS, aliases={"minimal": "low"}),
    )

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        binary = find_binary(self.name, self.settings.binaries)
        env = {**os.environ, **self.settings.env}
        if request.permissions == "full" and (refused := root_refusal(env)) is not None:
            raise ProviderError(refused, kind=FailureKind.CONFIG)
        strict = request.permissions == "read-only" and bool(
            shell_may_write(request.cwd, env, request.agent_type)
        )
        argv = build_argv(binary, request, strict_shell=strict)
        command = CliCommand.for_request(DISPLAY_NAME, argv, request, env=self.settings.env)
        # No usage on failure: claude reports it only in the final result line.
        outcome = await run_agent_cli(
            command, events, session_id_of=_event_session_id, final=is_final
        )
        return parse_outcome(
            outcome,
            structured=request.has_schema,
            model=request.model,
            permissions=request.permissions,
            cwd=request.cwd,
        )


def build_argv(binary: str, request: AgentRequest, *, strict_shell: bool = False) -> list[str]:
    """The reference's argv order, with the level's flags before the output flags (so
    the variadic ``--allowedTools`` ends at ``--output-format``); the prompt goes on stdin."""
    argv = [binary]
    if request.model:
        argv += ["--model", request.model]
    effort = ClaudeCodeProvider.capabilities.effort.flag_value(request.effort)
    if effort is not None:
        argv += ["--effort", effort]
    if request.agent_type:
        argv += ["--agent", request.agent_type]
    argv += permission_flags(request.permissions, strict_shell=strict_shell)
    argv += ["--output-format", "stream-json", "--verbose", "--input-format", "text"]
    if request.has_schema:
        argv += ["--json-schema", compact(request.schema)]
    argv.append("--print")
    return argv


@record
class _Run:
    """What the stream says about one run, before success or failure is decided."""

    session_id: str | None
    usage: Usage | None
    model: str | None
    refusals: tuple[Refusal, ...] = ()

    def failure(self, message: str, kind: FailureKind) -> ProviderError:
        """The run's failure, carrying what it spent, its session and its refusals."""
        return ProviderError(
            f"{DISPLAY_NAME} provider {message}",
            kind=kind,
            usage=self.usage,
            session_id=self.session_id,
            refusals=self.refusals,
        )


def parse_outcome(
    outcome: CliOutcome,
    *,
    structured: bool,
    model: str | None,
    permissions: PermissionLevel = DEFAULT_PERMISSIONS,
    cwd: Path | None = None,
) -> AgentResult:
    """The result of a finished run, or the ``ProviderError`` its stream describes.

    ``permissions`` is the level the run was started at and ``cwd`` its working
    directory: they say which refused tool use a higher level would allow.
    """
    events = outcome.events
    result = _last_result(events)
    run = _Run(
        session_id=session_id_of(events),
        usage=usage_of(result) if result is not None else None,
        model=model_of(events) or model,
        refusals=refusals_of(events, permissions, cwd or Path.cwd()),
    )
    if result is None:
        raise _no_result_error(outcome, run, permissions)
    _check_mode(outcome, run, permissions)
    if result.get("is_error") is True or result.get("subtype", "success") != "success":
        raise result_error(result, events, run.usage, run.session_id, run.refusals)
    if run.session_id is None:
        raise ProviderError(
            f"{DISPLAY_NAME} provider response did not include a session id",
            usage=run.usage,
            refusals=run.refusals,
        )
    output = _structured_output(result, run) if structured else _text_output(result, run)
    return AgentResult(
        output=output,
        session_id=run.session_id,
        model=run.model,
        usage=run.usage,
        raw=events,
        refusals=run.refusals,
    )


def _check_mode(outcome: CliOutcome, run: _Run, permissions: PermissionLevel) -> None:
    """A run claude started in another mode than the level's is not the call that was
    asked for: it fails, never a silent downgrade or upgrade (a settings or policy file
    can turn bypassPermissions off, and claude then runs in ``default`` saying nothing)."""
    mode = mode_of(outcome.events)
    wanted = MODES[permissions]
    if mode is None or mode == wanted:
        return
    said = one_line(outcome.stderr)
    raise run.failure(
        f"ran in permission mode {mode!r}, not {wanted!r} as permissions '{permissions}' "
        "needs; a settings or policy file may have overridden it" + (f": {said}" if said else ""),
        FailureKind.CONFIG,
    )


def is_final(event: JSON) -> bool:
    """The ``result`` line ends a run: claude has nothing more to say."""
    return isinstance(event, dict) and event.get("type") == "result"


def _last_result(events: list[JSON]) -> JSONObject | None:
    for event in reversed(events):
        if isinstance(event, dict) and event.get("type") == "result":
            return event
    return None


def _event_session_id(event: JSON) -> str | None:
    if isinstance(event, dict):
        value = event.get("session_id")
        if isinstance(value, str) and value:
            return value
    return None


def session_id_of(events: list[JSON]) -> str | None:
    """The ``system/init`` session id, else the ``result`` one, else any line's."""
    init = next((event for event in events if _is_init(event)), None)
    result = _last_result(events)
    for event in (init, result, *events):
        found = _event_session_id(event)
        if found is not None:
            return found
    return None


def _is_init(event: JSON) -> bool:
    return (
        isinstance(event, dict) and event.get("type") == "system" and event.get("subtype") == "init"
    )


def mode_of(events: list[JSON]) -> str | None:
    """The permission mode claude says it runs in (``system/init.permissionMode``)."""
    for event in events:
        if isinstance(event, dict) and _is_init(event):
            mode = event.get("permissionMode")
            return mode if isinstance(mode, str) else None
    return None


def model_of(events: list[JSON]) -> str | None:
    """The model ``system/init`` names, else the only (or first) ``modelUsage`` key."""
    for event in events:
        if isinstance(event, dict) and _is_init(event):
            value = event.get("model")
            if isinstance(value, str) and value:
                return value
    result = _last_result(events)
    per_model = result.get("modelUsage") if result is not None else None
    if isinstance(per_model, dict) and per_model:
        return next(iter(per_model))
    return None


def usage_of(result: JSONObject) -> Usage | None:
    """Tokens and cost of the run from its ``result`` line (see the module docstring)."""
    cost = result.get("total_cost_usd")
    cost_usd = float(cost) if isinstance(cost, int | float) and not isinstance(cost, bool) else None
    usage = result.get("usage")
    main = _usage_counts(usage) if isinstance(usage, dict) else None
    per_model = _model_usage_counts(result.get("modelUsage"))
    counts = main
    if per_model is not None and (main is None or sum(per_model) > sum(main)):
        counts = per_model
    if counts is None:
        return None if cost_usd is None else Usage(cost_usd=cost_usd)
    return Usage(*counts, cost_usd=cost_usd)


def _usage_counts(usage: JSONObject) -> tuple[int, int, int, int]:
    return (
        count(usage.get("input_tokens")),
        count(usage.get("output_tokens")),
        count(usage.get("cache_read_input_tokens")),
        count(usage.get("cache_creation_input_tokens")),
    )


def _model_usage_counts(per_model: JSON) -> tuple[int, int, int, int] | None:
    """The sums over ``modelUsage`` entries (camelCase keys), ``None`` when there are none."""
    if not isinstance(per_model, dict):
        return None
    entries = [entry for entry in per_model.values() if isinstance(entry, dict)]
    if not entries:
        return None
    keys = ("inputTokens", "outputTokens", "cacheReadInputTokens", "cacheCreationInputTokens")
    input_, output, read, write = (sum(count(entry.get(key)) for entry in entries) for key in keys)
    return input_, output, read, write


def _text_output(result: JSONObject, run: _Run) -> JSON:
    text = result.get("result")
    if not isinstance(text, str):
        raise run.failure("returned no final message", FailureKind.INVALID_OUTPUT)
    return text.rstrip()


def _structured_output(result: JSONObject, run: _Run) -> JSON:
    """``structured_output``, else the final text parsed as JSON (optionally fenced)."""
    if "structured_output" in result and result["structured_output"] is not None:
        return result["structured_output"]
    text = result.get("result")
    if isinstance(text, str):
        ok, value = json_answer(text)
        if ok:
            return value
    raise run.failure("did not return valid JSON for schema output", FailureKind.INVALID_OUTPUT)


def result_error(
    result: JSONObject,
    events: list[JSON],
    usage: Usage | None,
    session_id: str | None,
    refusals: tuple[Refusal, ...] = (),
) -> ProviderError:
    """The failure a ``result`` line with ``is_error`` or an error subtype reports."""
    text = _result_text(result)
    kind = _result_kind(result, events, text)
    retry_after = None
    if kind is FailureKind.QUOTA:
        text, retry_after = _reset_time(text, events)
    status = _status(result)
    cause = f" (HTTP {status})" if status is not None else ""
    return ProviderError(
        f"{DISPLAY_NAME} provider failed{cause}: {one_line(text)}",
        kind=kind,
        usage=usage,
        session_id=session_id,
        retry_after_s=retry_after,
        refusals=refusals,
    )


def _result_text(result: JSONObject) -> str:
    """The error text: ``result``, else the ``errors`` list, else the subtype."""
    text = result.get("result")
    if isinstance(text, str) and text.strip():
        return text.strip()
    errors = result.get("errors")
    if isinstance(errors, list):
        joined = "; ".join(str(item).strip() for item in errors if str(item).strip())
        if joined:
            return joined
    return f"run ended with {result.get('subtype', 'an error')}"


def _result_kind(result: JSONObject, events: list[JSON], text: str) -> FailureKind:
    """HTTP status first, then the subtype, then the text (defaulting to the synthetic
    assistant message's ``error``)."""
    status = _status(result)
    if status is not None and kind_for_status(status) is not FailureKind.CRASH:
        return kind_for_status(status)
    subtype = result.get("subtype")
    if isinstance(subtype, str) and subtype not in ("success", "error_during_execution"):
        # error_max_turns, error_max_budget_usd...: the run hit a limit of its own; its
        # text ("limit reached") must not read as a quota.
        return _SUBTYPE_KINDS.get(subtype, FailureKind.CRASH)
    return kind_for_text(text, default=_assistant_error_kind(events) or FailureKind.CRASH)


def _status(result: JSONObject) -> int | None:
    status = result.get("api_error_status")
    return status if isinstance(status, int) and not isinstance(status, bool) else None


def _assistant_error_kind(events: list[JSON]) -> FailureKind | None:
    """The kind of the last synthetic assistant message's ``error`` field, if any."""
    for event in reversed(events):
        if isinstance(event, dict) and event.get("type") == "assistant":
            error = event.get("error")
            if isinstance(error, str) and error:
                return _ASSISTANT_ERROR_KINDS.get(error, kind_for_text(error))
    return None


def _reset_time(
    text: str, events: list[JSON], now: float | None = None
) -> tuple[str, float | None]:
    """The text without a ``|<epoch>`` suffix, and the seconds until the quota resets."""
    current = time.time() if now is None else now
    match = _RESET_EPOCH.search(text)
    if match is not None:
        reset = int(match.group(1))
        stamp = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = f"{text[: match.start()].rstrip()} (resets at {stamp})"
        return text, max(0.0, reset - current)
    after = retry_after_seconds(text, now=current)
    if after is None:
        after = _rate_limit_event_reset(events, current)
    return text, after


def _rate_limit_event_reset(events: list[JSON], now: float) -> float | None:
    """Seconds until ``resetsAt`` of the last rejected ``rate_limit_event``."""
    for event in reversed(events):
        if isinstance(event, dict) and event.get("type") == "rate_limit_event":
            info = event.get("rate_limit_info")
            if isinstance(info, dict) and info.get("status") == "rejected":
                resets = info.get("resetsAt")
                if isinstance(resets, int | float) and not isinstance(resets, bool):
                    return max(0.0, float(resets) - now)
    return None


def _no_result_error(outcome: CliOutcome, run: _Run, permissions: PermissionLevel) -> ProviderError:
    """A run that printed no ``result`` line: the exit code and stderr are all there is."""
    if outcome.returncode == 0:
        return ProviderError(
            f"{DISPLAY_NAME} provider ended without a result line", session_id=run.session_id
        )
    text = outcome.failure_text()
    if permissions == "full" and ROOT_REFUSAL_TEXT in text:
        return ProviderError(full_as_root(), kind=FailureKind.CONFIG)
    default = _assistant_error_kind(outcome.events) or FailureKind.CRASH
    kind = kind_for_text(text, default=default)
    retry_after = None
    if kind is FailureKind.QUOTA:
        text, retry_after = _reset_time(text, outcome.events)
    return ProviderError(
        f"{DISPLAY_NAME} provider exited with code {outcome.returncode}: {one_line(text)}",
        kind=kind,
        session_id=run.session_id,
        retry_after_s=retry_after,
    )

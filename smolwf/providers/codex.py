"""The ``codex`` provider: runs OpenAI's Codex CLI headless and reads its JSONL event stream.

codex is driven as ``codex exec --skip-git-repo-check <permission flags> [--model M] [-c
model_reasoning_effort="E"] --json --output-last-message <tmp>/last-message.txt
[--output-schema <tmp>/schema.json] -`` with the prompt on stdin. The permission flags
put the call at its level whatever the user's config says (``--sandbox read-only`` or
``workspace-write`` with approvals off, or ``--dangerously-bypass-approvals-and-sandbox``
for ``full``); what the sandbox refused is read from codex's session rollout afterwards
(see ``smolwf.providers.codex_sandbox``). The two files live in a
``smol-wf-codex-*`` temporary directory that is always removed. Success is read from the
stream: ``turn.failed`` or a top-level ``error`` line (other than a ``Reconnecting...``
retry notice, which only marks the failure as transient) is a failure even when codex later
exits 0; a non-zero exit without a ``turn.completed`` is one too. An ``item.completed``
whose item is an ``error`` is only a warning (e.g. unknown model metadata).

Usage convention: codex reports no cost, and its ``turn.completed.usage`` counts input
INCLUDING cached input (OpenAI semantics). So ``input_tokens`` here is ``input_tokens -
cached_input_tokens - cache_write_input_tokens`` (the input neither read from nor written to
the cache, as Claude Code reports it, so that ``Usage.total`` does not count cache writes
twice), ``cache_read_tokens`` is ``cached_input_tokens`` and ``cache_write_tokens`` is
``cache_write_input_tokens``. ``output_tokens`` is codex's ``output_tokens``, which already
includes ``reasoning_output_tokens`` (a sub-count: codex's own ``blended_total`` is uncached
input + output, without adding reasoning). A run's usage is the SUM over its
``turn.completed`` lines (one per ``codex exec``, already covering every model call of the
turn, e.g. both calls of a tool round; the reference merged right-wins); codex reports no
total, so ``total_tokens`` is ``None``.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from datetime import datetime
from pathlib import Path

from smolwf.errors import FailureKind, ProviderError
from smolwf.excerpts import one_line
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import Refusal
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink, ProviderSettings
from smolwf.providers.binaries import find_binary
from smolwf.providers.capabilities import Capabilities, EffortLevels, ModelRules, SchemaMode
from smolwf.providers.codex_sandbox import SandboxAudit, audit_session, permission_args
from smolwf.providers.failures import kind_for_status, kind_for_text, retry_after_seconds
from smolwf.providers.json_fields import count, json_answer, of_type
from smolwf.providers.process import CliCommand, CliOutcome, run_agent_cli
from smolwf.usage import Usage

DISPLAY_NAME = "Codex"
TEMP_PREFIX = "smol-wf-codex-"
LAST_MESSAGE_FILE = "last-message.txt"
SCHEMA_FILE = "schema.json"
_RECONNECTING = re.compile(r"^\s*Reconnecting\.\.\.")
_STATUS = re.compile(r"\bstatus:? (\d{3})\b")
_TRY_AGAIN_AT = re.compile(
    r"try again at (?:(?P<month>[A-Z][a-z]{2}) (?P<day>\d{1,2})(?:st|nd|rd|th), (?P<year>\d{4}) )?"
    r"(?P<hour>\d{1,2}):(?P<minute>\d\d) ?(?P<half>[AP]M)",
    re.IGNORECASE,
)
"""codex's usage-limit reset, in local time: ``Try again at 3:05 PM.`` (today) or
``try again at Nov 23rd, 2026 3:05 PM.``"""
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties", "dependentSchemas")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = (
    "items",
    "not",
    "if",
    "then",
    "else",
    "contains",
    "propertyNames",
    "additionalItems",
    "unevaluatedItems",
)


class CodexProvider:
    """Answers ``agent()`` calls with the ``codex`` CLI (``codex exec``)."""

    name = "codex"
    capabilities = Capabilities(
        display_name=DISPLAY_NAME,
        schema_mode=SchemaMode.FLAG,
        model=ModelRules(model_provider="rejected", thinking=False),
        # The OpenAI reasoning efforts: codex-cli 0.169.0 passes model_reasoning_effort
        # to the API unchecked, so anything else is dropped here rather than failing there.
        effort=EffortLevels(
            accepted=("none", "minimal", "low", "medium", "high", "xhigh"),
            aliases={"max": "xhigh", "off": "none"},
        ),
    )

    def __init__(self, settings: ProviderSettings) -> None:
        self.settings = settings

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        binary = find_binary(self.name, self.settings.binaries)
        with tempfile.TemporaryDirectory(prefix=TEMP_PREFIX) as tmp:
            tmp_dir = Path(tmp)
            if request.has_schema:
                write_schema(tmp_dir / SCHEMA_FILE, request.schema)
            argv = build_argv(binary, request, tmp_dir)
            command = CliCommand.for_request(DISPLAY_NAME, argv, request, env=self.settings.env)
            try:
                outcome = await run_agent_cli(
                    command,
                    events,
                    session_id_of=session_id_of,
                    final=is_final,
                    usage_of=sum_usage,
                )
            except ProviderError as error:  # a watchdog: what was refused until then
                error.refusals = (
                    error.refusals or self._audit(request, [], error.session_id).refusals
                )
                raise
            last_message = read_last_message(tmp_dir / LAST_MESSAGE_FILE)
        audit = self._audit(request, outcome.events, first_session_id(outcome.events))
        return parse_outcome(outcome, last_message, request.has_schema, request.model, audit)

    def _audit(
        self, request: AgentRequest, events: list[JSON], session: str | None
    ) -> SandboxAudit:
        env = {**os.environ, **self.settings.env}
        return audit_session(events, session, request.permissions, request.cwd, env)


def is_final(event: JSON) -> bool:
    """``turn.completed`` ends a ``codex exec`` run (its last message is written by then)."""
    return isinstance(event, dict) and event.get("type") == "turn.completed"


def build_argv(binary: str, request: AgentRequest, tmp_dir: Path) -> list[str]:
    """The command line; ``-`` makes codex read the prompt from stdin."""
    argv = [binary, "exec", "--skip-git-repo-check", *permission_args(request.permissions)]
    if request.model:
        argv += ["--model", request.model]
    level = CodexProvider.capabilities.effort.flag_value(request.effort)
    if level is not None:
        argv += ["-c", f'model_reasoning_effort="{level}"']
    argv += ["--json", "--output-last-message", str(tmp_dir / LAST_MESSAGE_FILE)]
    if request.has_schema:
        argv += ["--output-schema", str(tmp_dir / SCHEMA_FILE)]
    argv.append("-")
    return argv


def _is_object_schema(schema: JSONObject) -> bool:
    kind = schema.get("type")
    return (
        kind == "object"
        or (isinstance(kind, list) and "object" in kind)
        or ("properties" in schema)
    )


def strict_schema(schema: JSON) -> JSON:
    """``schema`` rewritten towards OpenAI strict mode, recursively through its subschemas.

    Every object schema gets ``properties`` (``{}`` when absent), ``required`` (the
    caller's array, else ``[]``) and ``additionalProperties: false``. Strict mode also
    wants EVERY property in ``required``, but, as the reference does, optional properties
    stay optional: listing them would force the model to invent values the caller made
    optional. The OpenAI API may then reject the schema (an HTTP 400 naming the missing
    key), which fails the call with the server's own words; a caller who wants codex to
    honour an optional field lists it in ``required`` with a nullable type.
    """
    if isinstance(schema, list):
        return [strict_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: JSONObject = dict(schema)
    for key in _SCHEMA_MAPS:
        value = out.get(key)
        if isinstance(value, dict):
            out[key] = {name: strict_schema(sub) for name, sub in value.items()}
    for key in (*_SCHEMA_LISTS, *_SCHEMA_VALUES):
        if isinstance(out.get(key), dict | list):
            out[key] = strict_schema(out[key])
    if _is_object_schema(schema):
        if not isinstance(out.get("properties"), dict):
            out["properties"] = {}
        required = schema.get("required")
        out["required"] = required if isinstance(required, list) else []
        out["additionalProperties"] = False
    return out


def write_schema(path: Path, schema: JSON) -> None:
    """Write ``schema``, made strict, for ``--output-schema`` (pretty-printed)."""
    text = json.dumps(strict_schema(schema), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")


def read_last_message(path: Path) -> str | None:
    """The ``--output-last-message`` file's text; ``None`` when missing, unreadable or blank
    (the stream's last ``agent_message`` is then the answer)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return text if text.strip() else None


def session_id_of(event: JSON) -> str | None:
    """The session id, when ``event`` is ``thread.started`` (or an older ``session_meta``)."""
    if not isinstance(event, dict):
        return None
    value: JSON = None
    if event.get("type") == "thread.started":
        value = event.get("thread_id")
    elif event.get("type") == "session_meta" and isinstance(event.get("payload"), dict):
        payload = event["payload"]
        assert isinstance(payload, dict)
        value = payload.get("id")
    return value if isinstance(value, str) and value else None


def first_session_id(events: list[JSON]) -> str | None:
    return next((found for found in map(session_id_of, events) if found), None)


def sum_usage(events: list[JSON]) -> Usage | None:
    """The SUM of every ``turn.completed.usage``; ``None`` when no turn completed."""
    usages = [e.get("usage") for e in of_type(events, "turn.completed")]
    counts = [u for u in usages if isinstance(u, dict)]
    if not counts:
        return None
    cached = sum(count(u.get("cached_input_tokens")) for u in counts)
    written = sum(count(u.get("cache_write_input_tokens")) for u in counts)
    return Usage(
        input_tokens=max(0, sum(count(u.get("input_tokens")) for u in counts) - cached - written),
        output_tokens=sum(count(u.get("output_tokens")) for u in counts),
        cache_read_tokens=cached,
        cache_write_tokens=written,
    )


def _message(value: JSON) -> str | None:
    if isinstance(value, dict):
        value = value.get("message")
    return value if isinstance(value, str) and value.strip() else None


def is_retry_notice(text: str) -> bool:
    """Whether an ``error`` line is codex announcing a retry (``Reconnecting... 1/5 (...)``)."""
    return _RECONNECTING.match(text) is not None


def stream_error(events: list[JSON]) -> str | None:
    """The error that failed the run: the last ``turn.failed`` message, else the last
    top-level ``error`` line that is not a retry notice."""
    for event in reversed(of_type(events, "turn.failed")):
        text = _message(event.get("error"))
        if text is not None:
            return text
    if of_type(events, "turn.failed"):
        return "the turn failed without an error message"
    errors = [_message(e) for e in of_type(events, "error")]
    final = [text for text in errors if text is not None and not is_retry_notice(text)]
    return final[-1] if final else None


def _retried(events: list[JSON]) -> bool:
    return any(
        (text := _message(e)) is not None and is_retry_notice(text)
        for e in of_type(events, "error")
    )


def error_kind(text: str, *, retried: bool = False) -> FailureKind:
    """The kind of a codex error: its HTTP status (``unexpected status 401 ...``), else its
    words; an unrecognised error that codex had been retrying is transient."""
    match = _STATUS.search(text)
    if match is not None:
        kind = kind_for_status(int(match.group(1)))
        if kind is not FailureKind.CRASH:
            return kind
    return kind_for_text(text, FailureKind.TRANSIENT if retried else FailureKind.CRASH)


def reset_seconds(text: str, *, now: float | None = None) -> float | None:
    """Seconds until a usage limit resets: ``try again in 20s`` or a reset timestamp, else
    codex's local-time ``try again at 3:05 PM`` / ``try again at Nov 23rd, 2026 3:05 PM``."""
    found = retry_after_seconds(text, now=now)
    if found is not None:
        return found
    match = _TRY_AGAIN_AT.search(text)
    if match is None:
        return None
    current = time.time() if now is None else now
    moment = datetime.fromtimestamp(current)
    hour = int(match["hour"]) % 12 + (12 if match["half"].upper() == "PM" else 0)
    try:
        if match["year"] is not None:
            day = datetime.strptime(f"{match['month']} {match['day']} {match['year']}", "%b %d %Y")
            moment = moment.replace(year=day.year, month=day.month, day=day.day)
        moment = moment.replace(hour=hour, minute=int(match["minute"]), second=0, microsecond=0)
    except ValueError:
        return None
    return max(0.0, moment.timestamp() - current)


def _failure(
    message: str,
    kind: FailureKind,
    events: list[JSON],
    session: str | None,
    refusals: tuple[Refusal, ...] = (),
) -> ProviderError:
    retry_after = reset_seconds(message) if kind is FailureKind.QUOTA else None
    return ProviderError(
        message,
        kind=kind,
        usage=sum_usage(events),
        session_id=session,
        retry_after_s=retry_after,
        refusals=refusals,
    )


def final_text(events: list[JSON], last_message: str | None) -> str | None:
    """The answer: the last-message file when it has text, else the last ``agent_message``."""
    if last_message is not None and last_message.strip():
        return last_message
    for event in reversed(of_type(events, "item.completed")):
        item = event.get("item")
        if isinstance(item, dict) and item.get("type") == "agent_message":
            text = item.get("text")
            if isinstance(text, str) and text.strip():
                return text
    return None


def _failed_run(outcome: CliOutcome, session: str | None) -> ProviderError | None:
    """The failure the stream reports, or a non-zero exit without a completed turn."""
    events = outcome.events
    error = stream_error(events)
    if error is not None:
        kind = error_kind(error, retried=_retried(events))
        return _failure(
            f"{DISPLAY_NAME} provider turn failed: {one_line(error)}", kind, events, session
        )
    if outcome.returncode != 0 and not of_type(events, "turn.completed"):
        text = outcome.failure_text()
        default = FailureKind.TRANSIENT if _retried(events) else FailureKind.CRASH
        message = f"{DISPLAY_NAME} provider exited with code {outcome.returncode}: {one_line(text)}"
        return _failure(message, kind_for_text(text, default), events, session)
    return None


def parse_outcome(
    outcome: CliOutcome,
    last_message: str | None,
    structured: bool,
    requested_model: str | None,
    audit: SandboxAudit | None = None,
) -> AgentResult:
    """The result of a finished ``codex exec``, or the ``ProviderError`` it ended with.

    ``audit`` is what its sandbox refused; a call codex did not run at the level asked
    for fails (kind ``config``), whatever it answered.
    """
    audit = audit or SandboxAudit()
    events = outcome.events
    session = first_session_id(events)
    failure = _failed_run(outcome, session)
    if failure is not None:
        failure.refusals = audit.refusals
        raise failure
    if audit.problem is not None:
        message = f"{DISPLAY_NAME} provider {audit.problem}"
        raise _failure(message, FailureKind.CONFIG, events, session, audit.refusals)
    if session is None:
        message = f"{DISPLAY_NAME} provider response did not include a session id"
        raise _failure(message, FailureKind.CRASH, events, None)
    text = final_text(events, last_message)
    if text is None:
        message = f"{DISPLAY_NAME} provider did not return a final assistant message"
        raise _failure(message, FailureKind.INVALID_OUTPUT, events, session, audit.refusals)
    output: JSON = text.rstrip()
    if structured:
        ok, output = json_answer(text)
        if not ok:
            message = f"{DISPLAY_NAME} provider did not return valid JSON for schema output"
            raise _failure(message, FailureKind.INVALID_OUTPUT, events, session, audit.refusals)
    return AgentResult(
        output=output,
        session_id=session,
        model=requested_model,
        usage=sum_usage(events),
        raw=list(events),
        refusals=audit.refusals,
    )

"""The typed vocabulary of what a script asks of the host, parsed defensively from JSON.

The outbox is written by sandboxed code, so it is untrusted input: every entry is
checked here before the engine acts on it.
"""

from __future__ import annotations

from typing import TypeAlias

from smolwf.defaults import SLEEP_MAX_MS
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record


class HostProtocolError(Exception):
    """An outbox entry does not have the shape the prelude writes."""


@record
class AgentCall:
    """``agent(prompt, options)`` (or ``agentRun``): one call to a provider."""

    id: int
    prompt: str
    options: JSONObject
    detailed: bool = False
    """Made by ``agentRun()``: settle with the call's whole record, not only its output."""


@record
class WorkflowCall:
    """``workflow(nameOrRef, args)``: run a child workflow and settle with its result."""

    id: int
    ref: str | JSONObject
    args: JSON
    args_given: bool = True
    """False when ``workflow(ref)`` passed no args (``args`` is then null)."""


@record
class SleepCall:
    """``sleep(ms)`` of ``workflow:extra``: a checkpointed wait."""

    id: int
    ms: int


@record
class ExecCall:
    """``exec(profile, request)`` of ``workflow:sandbox``: a command in a sandbox."""

    id: int
    profile: str
    request: JSONObject


@record
class ApprovalCall:
    """``requestApproval(message, {label, timeout, onTimeout})`` of ``workflow:human``."""

    id: int
    message: str
    label: str | None
    timeout_ms: int | None
    approve_on_timeout: bool


@record
class SignalCall:
    """``waitForSignal(name, {schema, timeout})`` of ``workflow:human``."""

    id: int
    name: str
    schema: JSONObject | None
    timeout_ms: int | None


@record
class PhaseEvent:
    """``phase(name, options)``: later calls belong to this phase."""

    name: str
    options: JSON
    has_options: bool


@record
class LogEvent:
    """``log(...)`` or ``console.*``: one progress line."""

    message: str


@record
class WarningEvent:
    """A slot of ``parallel``/``pipeline`` (``source``) failed and became null."""

    source: str
    index: int
    message: str


JsRequest: TypeAlias = (
    AgentCall
    | WorkflowCall
    | SleepCall
    | ExecCall
    | ApprovalCall
    | SignalCall
    | PhaseEvent
    | LogEvent
    | WarningEvent
)


def _field(entry: JSONObject, key: str, kind: type | tuple[type, ...]) -> JSON:
    value = entry.get(key)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise HostProtocolError(f"{entry.get('kind')!r} request has a bad {key!r}")
    return value


def _request_id(entry: JSONObject) -> int:
    value = _field(entry, "id", int)
    assert isinstance(value, int)
    if value < 1:
        raise HostProtocolError(f"{entry.get('kind')!r} request has a bad 'id'")
    return value


def _parse_one(entry: JSON) -> JsRequest:
    if not isinstance(entry, dict):
        raise HostProtocolError("outbox entry is not an object")
    kind = entry.get("kind")
    if kind == "agent":
        request_id, prompt, options = entry.get("id"), entry.get("prompt"), entry.get("options")
        if (
            type(request_id) is int
            and request_id > 0
            and type(prompt) is str
            and type(options) is dict
        ):
            # the common, well-formed case (a fan-out sends thousands); else the checks below
            return AgentCall(request_id, prompt, options, detailed=entry.get("detailed") is True)
        prompt, options = _field(entry, "prompt", str), _field(entry, "options", dict)
        return AgentCall(
            _request_id(entry),
            str(prompt),
            options if isinstance(options, dict) else {},
            detailed=entry.get("detailed") is True,
        )
    if kind == "log":
        return LogEvent(str(_field(entry, "message", str)))
    if kind == "phase":
        has = "options" in entry
        return PhaseEvent(str(_field(entry, "name", str)), entry.get("options"), has)
    if kind == "warning":
        index = _field(entry, "index", int)
        source, message = _field(entry, "source", str), _field(entry, "message", str)
        return WarningEvent(str(source), int(index) if isinstance(index, int) else 0, str(message))
    if kind == "sleep":
        ms = _field(entry, "ms", int)
        assert isinstance(ms, int)
        if not 0 <= ms <= SLEEP_MAX_MS:  # the prelude checks this; never sleep forever
            raise HostProtocolError("'sleep' request has a bad 'ms'")
        return SleepCall(_request_id(entry), ms)
    if kind == "workflow":
        ref = _field(entry, "ref", (str, dict))
        return WorkflowCall(
            _request_id(entry),
            ref if isinstance(ref, str | dict) else "",
            entry.get("args"),
            args_given=entry.get("argsGiven") is not False,
        )
    if kind == "exec":
        profile, request = _field(entry, "profile", str), _field(entry, "request", dict)
        return ExecCall(
            _request_id(entry), str(profile), request if isinstance(request, dict) else {}
        )
    if kind == "approval":
        return _approval(entry)
    if kind == "signal":
        return _signal(entry)
    raise HostProtocolError(f"unknown request kind {kind!r}")


def _timeout(entry: JSONObject) -> int | None:
    """A request's ``timeoutMs``: null, or whole milliseconds a sleep could last."""
    value = entry.get("timeoutMs")
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= SLEEP_MAX_MS:
        raise HostProtocolError(f"{entry.get('kind')!r} request has a bad 'timeoutMs'")
    return value


def _optional_text(entry: JSONObject, key: str) -> str | None:
    value = entry.get(key)
    if value is not None and type(value) is not str:
        raise HostProtocolError(f"{entry.get('kind')!r} request has a bad {key!r}")
    return value


def _approval(entry: JSONObject) -> ApprovalCall:
    message = _field(entry, "message", str)
    on_timeout = entry.get("onTimeout")
    if on_timeout not in ("approve", "deny"):
        raise HostProtocolError("'approval' request has a bad 'onTimeout'")
    return ApprovalCall(
        _request_id(entry),
        str(message),
        _optional_text(entry, "label"),
        _timeout(entry),
        on_timeout == "approve",
    )


def _signal(entry: JSONObject) -> SignalCall:
    name = _field(entry, "name", str)
    schema = entry.get("schema")
    if schema is not None and type(schema) is not dict:
        raise HostProtocolError("'signal' request has a bad 'schema'")
    return SignalCall(_request_id(entry), str(name), schema, _timeout(entry))


def parse_requests(entries: JSON) -> list[JsRequest]:
    """Parse a drained outbox, in the order the script made the calls."""
    if not isinstance(entries, list):
        raise HostProtocolError("outbox is not a list")
    return [_parse_one(entry) for entry in entries]

"""The words and graphs the TUI shows about one event or the whole run: plain text, no widgets.

Everything about the run comes from its ``RunState`` (the fold the live view reads too);
this module only words it. Kept apart from the app so the wording is tested without a
terminal.
"""

from __future__ import annotations

import json
from enum import StrEnum

from smolwf.events.run_state import RunState
from smolwf.events.sinks import HUMAN, human_line
from smolwf.events.types import Event, EventType
from smolwf.jsontypes import JSON
from smolwf.tui.timeline import collect_texts, find_usage, provider_label

RATE_CELLS = 12
BARS = "▁▂▃▄▅▆▇█"
METADATA_KEYS = ("workflowDepth", "parentStepId", "stepId", "provider", "sessionId")


class Outcome(StrEnum):
    """How a run ended, as far as its events tell."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


def outcome(state: RunState) -> Outcome:
    """The root's terminal event decides; a cancelled run ends with a specific error."""
    return Outcome(state.status.upper())


def rate_graph(state: RunState) -> str:
    """Events per 10-second bin over the last 12 bins, as block characters."""
    bins = state.activity
    if not bins:
        return ""
    last = max(bins)
    counts = [bins.get(key, 0) for key in range(max(0, last - RATE_CELLS + 1), last + 1)]
    peak = max(counts)
    return "".join(BARS[(count * (len(BARS) - 1)) // peak] if count else " " for count in counts)


def pretty(event: Event, time_text: str) -> str:
    """The readable view of one event: its gist first, JSON only where it is the content."""
    data = event.fields
    kind = event.type
    if kind == EventType.STARTED:
        return f"started: {data.get('startTime')}"
    if kind == EventType.PHASE:
        options = f"\n\noptions: {_json(data['options'])}" if "options" in data else ""
        return f"phase: {data.get('name')}{options}"
    if kind in (EventType.LOG, EventType.WARNING):
        word = "log" if kind == EventType.LOG else "warning"
        return f"{word} {time_text}\n\n{data.get('message')}"
    if kind == EventType.AGENT_FAILED:
        return f"agent failed: {data.get('message')}"
    if kind == EventType.ERROR:
        return f"error: {data.get('message')}"
    if kind == EventType.AGENT_EVENT:
        return _pretty_agent_event(event)
    if kind in HUMAN:
        return _pretty_request(event)
    titles: dict[str, str] = {
        EventType.AGENT_STARTED: "agent started:",
        EventType.AGENT_COMPLETED: "agent completed:",
        EventType.RESULT: "result:",
    }
    return f"{titles.get(kind, kind + ':')}\n{_json(event.data)}"


def _pretty_agent_event(event: Event) -> str:
    provider = event.fields.get("provider") or event.meta("provider") or "agent"
    provider_event = event.fields.get("providerEvent")
    lines = [f"{provider} event: {provider_label(event)}"]
    usage = find_usage(provider_event)
    if usage:
        lines.append(f"usage: {usage}")
    texts = collect_texts(provider_event, 8)
    if texts:
        lines.append("text:")
        lines.extend(texts)
    else:
        lines.append(_json(provider_event))
    return "\n".join(lines)


def _pretty_request(event: Event) -> str:
    """What a person is asked (and how to answer), or how it was answered."""
    data = event.fields
    lines = [human_line(event, commands=False)]
    if event.type == EventType.APPROVAL_REQUESTED:
        lines += ["", str(data.get("message")), "", "a approves, d denies (or from a terminal):"]
    if "schema" in data:
        lines += ["", f"payload schema: {_json(data['schema'])}"]
    commands = data.get("commands")
    if isinstance(commands, list):
        lines += [f"  {command}" for command in commands]
    if isinstance(data.get("deadline"), str):
        lines += ["", f"deadline: {data['deadline']}"]
    return "\n".join(lines)


def raw(event: Event) -> str:
    """The whole envelope, pretty-printed."""
    return _json(event.raw())


def metadata_text(event: Event, time_text: str) -> str:
    lines = [f"type: {event.type}", f"time: {time_text}"]
    for key in METADATA_KEYS:
        value = event.metadata.get(key)
        lines.append(f"{key}: {'-' if value is None else value}")
    return "\n".join(lines)


def _json(value: JSON) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)

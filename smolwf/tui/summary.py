"""What the header and details pane say about the events: pure text, no widgets.

Kept apart from the app so the wording is tested without a terminal.
"""

from __future__ import annotations

import json
from enum import StrEnum

from smolwf.events.types import EventType
from smolwf.jsontypes import JSON
from smolwf.tui.stream import TuiEvent
from smolwf.tui.timeline import collect_texts, find_usage, provider_label

RATE_BIN_NS = 10 * 1_000_000_000
RATE_CELLS = 12
BARS = "▁▂▃▄▅▆▇█"
CANCELLED_MESSAGE = "workflow cancelled"
METADATA_KEYS = ("workflowDepth", "parentStepId", "stepId", "provider", "sessionId")


class Outcome(StrEnum):
    """How a run ended, as far as its events tell."""

    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


def outcome(events: list[TuiEvent]) -> Outcome:
    """The root's terminal event decides; a cancelled run ends with a specific error."""
    for event in reversed(events):
        if event.depth != 0:
            continue
        if event.type == EventType.RESULT:
            return Outcome.COMPLETED
        if event.type == EventType.ERROR:
            fields = event.fields
            cancelled = (
                fields.get("status") == "cancelled" or fields.get("message") == CANCELLED_MESSAGE
            )
            return Outcome.CANCELLED if cancelled else Outcome.FAILED
    return Outcome.RUNNING


def run_id(events: list[TuiEvent]) -> str:
    return next((v for e in events if (v := e.meta("runId")) is not None), "-")


def last_error(events: list[TuiEvent]) -> str | None:
    for event in reversed(events):
        if event.type == EventType.ERROR and event.depth == 0:
            return str(event.fields.get("message", ""))
    return None


def token_usage(events: list[TuiEvent]) -> tuple[int, int]:
    """(input, output): the root result's total, else the last usage of each agent call."""
    for event in reversed(events):
        if event.type == EventType.RESULT and event.depth == 0:
            usage = event.fields.get("tokenUsage")
            if isinstance(usage, dict):
                return _int(usage.get("inputTokens")), _int(usage.get("outputTokens"))
    per_step: dict[str, tuple[int, int]] = {}
    for event in events:
        usage = event.fields.get("usage")
        if event.type == EventType.AGENT_COMPLETED and isinstance(usage, dict):
            key = event.meta("stepId") or f"#{event.index}"
            per_step[key] = (_int(usage.get("inputTokens")), _int(usage.get("outputTokens")))
    return sum(i for i, _ in per_step.values()), sum(o for _, o in per_step.values())


def _int(value: JSON) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def rate_graph(events: list[TuiEvent]) -> str:
    """Events per 10-second bin over the last 12 bins, as block characters."""
    if not events:
        return ""
    bins: dict[int, int] = {}
    for event in events:
        key = (event.elapsed_ns or 0) // RATE_BIN_NS
        bins[key] = bins.get(key, 0) + 1
    last = max(bins)
    counts = [bins.get(key, 0) for key in range(max(0, last - RATE_CELLS + 1), last + 1)]
    peak = max(counts)
    return "".join(BARS[(count * (len(BARS) - 1)) // peak] if count else " " for count in counts)


def warning_count(events: list[TuiEvent]) -> int:
    return sum(1 for e in events if e.type == EventType.WARNING)


def pretty(event: TuiEvent, time_text: str) -> str:
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
    titles: dict[str, str] = {
        EventType.AGENT_STARTED: "agent started:",
        EventType.AGENT_COMPLETED: "agent completed:",
        EventType.RESULT: "result:",
    }
    return f"{titles.get(kind, kind + ':')}\n{_json(event.data)}"


def _pretty_agent_event(event: TuiEvent) -> str:
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


def raw(event: TuiEvent) -> str:
    """The whole envelope, pretty-printed."""
    return _json(event.raw)


def metadata_text(event: TuiEvent, time_text: str) -> str:
    lines = [f"type: {event.type}", f"time: {time_text}"]
    for key in METADATA_KEYS:
        value = event.metadata.get(key)
        lines.append(f"{key}: {'-' if value is None else value}")
    return "\n".join(lines)


def _json(value: JSON) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)

"""Where events go. Every sink receives the same event object and its rendered text."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Sequence
from typing import Protocol, TextIO, runtime_checkable

from smolwf.clock import rfc3339_now
from smolwf.events.types import Event, EventType, render
from smolwf.jsontypes import JSON, JSONObject


class EventSink(Protocol):
    def emit(self, event: Event, text: str) -> None: ...

    def flush(self) -> None: ...


@runtime_checkable
class SelectiveSink(Protocol):
    """A sink that reads only some event types: the others are never built for it."""

    kinds: frozenset[str]

    def emit(self, event: Event, text: str) -> None: ...

    def flush(self) -> None: ...


def wanted_kinds(sinks: Sequence[EventSink]) -> frozenset[str] | None:
    """The event types some sink reads, or None when one reads them all."""
    kinds: frozenset[str] = frozenset()
    for sink in sinks:
        if not isinstance(sink, SelectiveSink):
            return None
        kinds |= sink.kinds
    return kinds


class JsonlSink:
    """The ``--events`` stream: one compact JSON object per line. A closed pipe goes quiet."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._open = True

    def emit(self, event: Event, text: str) -> None:
        if self._open:
            self._guard(lambda: self._stream.write(text + "\n"))

    def flush(self) -> None:
        if self._open:
            self._guard(self._stream.flush)

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except (BrokenPipeError, ValueError):
            self._open = False


def write_unstarted_failure(stream: TextIO, message: str) -> None:
    """The stream of a run that failed before it was recorded: ``workflow.started``, then
    ``workflow.error``, so an ``--events`` consumer always sees a terminal event."""
    sink = JsonlSink(stream)
    meta: JSONObject = {"workflowDepth": 0}
    ends: tuple[tuple[str, JSONObject, int | None], ...] = (
        (EventType.STARTED, {"startTime": rfc3339_now()}, None),
        (EventType.ERROR, {"message": message, "status": "failed"}, 0),
    )
    for seq, (kind, data, elapsed) in enumerate(ends, start=1):
        text = render(kind, data, meta, elapsed)
        sink.emit(Event(kind, data, meta, elapsed, seq, text), text)
    sink.flush()


class PlainProgressSink:
    """The reference's stderr lines: ``[phase] …``, ``[log] …``, plus our ``[warn] …``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.kinds = PRINTED

    def emit(self, event: Event, text: str) -> None:
        if event.type not in PRINTED:
            return
        line = progress_line(event)
        if line is not None:
            with contextlib.suppress(BrokenPipeError, ValueError):
                self._stream.write(line + "\n")

    def flush(self) -> None:
        with contextlib.suppress(BrokenPipeError, ValueError):
            self._stream.flush()


HUMAN = frozenset(
    {
        EventType.APPROVAL_REQUESTED,
        EventType.APPROVAL_RESOLVED,
        EventType.SIGNAL_WAITING,
        EventType.SIGNAL_RECEIVED,
    }
)
"""A workflow's requests to a person, and their answers."""
PRINTED = frozenset({EventType.PHASE, EventType.LOG, EventType.WARNING}) | HUMAN
"""The only event types with a plain progress line."""


def progress_line(event: Event) -> str | None:
    """The plain line for an event, or None for events that print nothing."""
    data = event.fields
    if event.type == EventType.PHASE:
        name = str(data.get("name"))
        if "options" not in data:
            return f"[phase] {name}"
        options = data["options"]
        shown = options if isinstance(options, str) else json.dumps(options, separators=(",", ":"))
        return f"[phase] {name} {shown}"
    if event.type == EventType.LOG:
        return f"[log] {data.get('message')}"
    if event.type == EventType.WARNING:
        return f"[warn] {data.get('message')}"
    if event.type in HUMAN:
        return human_line(event)
    return None


def human_line(event: Event, *, commands: bool = True) -> str:
    """``[approval] …`` or ``[signal] …``: what is asked and (unless ``commands`` is false)
    the commands that answer it, or how it was answered."""
    data = event.fields
    replayed = " (replayed)" if data.get("replayed") is True else ""
    answer = _answer_with(data) if commands else ""
    title = data.get("label") or data.get("requestId")
    if event.type == EventType.APPROVAL_REQUESTED:
        return f"[approval] {title}: {_first_line(data.get('message'))}{answer}"
    if event.type == EventType.SIGNAL_WAITING:
        return f"[signal] waiting for '{data.get('name')}'{answer}"
    if event.type == EventType.APPROVAL_RESOLVED:
        word = "approved" if data.get("approved") is True else "denied"
        note = f": {data.get('note')}" if isinstance(data.get("note"), str) else ""
        return f"[approval] {title} {word} by {data.get('by')}{note}{replayed}"
    if data.get("timedOut") is True:
        return f"[signal] '{data.get('name')}' timed out"
    return f"[signal] '{data.get('name')}' received from {data.get('by')}{replayed}"


def _first_line(text: JSON) -> str:
    """A message's first line, `…` marking that more follows (the inbox shows it all)."""
    lines = str(text).splitlines() or [""]
    return lines[0] + (" …" if len(lines) > 1 else "")


def _answer_with(data: JSONObject) -> str:
    commands = data.get("commands")
    if not isinstance(commands, list) or not commands:
        return ""
    return " — answer: " + " | ".join(str(command) for command in commands)

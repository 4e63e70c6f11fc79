"""Where events go. Every sink receives the same event object and its rendered text."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Protocol, TextIO

from smolwf.clock import rfc3339_now
from smolwf.events.types import Event, EventType, render
from smolwf.jsontypes import JSONObject


class EventSink(Protocol):
    def emit(self, event: Event, text: str) -> None: ...

    def flush(self) -> None: ...


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


PRINTED = frozenset({EventType.PHASE, EventType.LOG, EventType.WARNING})
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
    return None

"""Live mode's plumbing: the sink the engine writes to and where a save goes.

The workflow runs on the app's own event loop, so the sink only queues the committed
events themselves (no text to parse back); the app drains the queue on its tick, a
bounded batch at a time.
"""

from __future__ import annotations

import re
from collections import deque
from pathlib import Path

from smolwf.events.types import Event

MAX_DRAIN_PER_TICK = 256


class LiveFeed:
    """An ``EventSink`` that hands each committed event to the TUI."""

    def __init__(self) -> None:
        self.events: deque[Event] = deque()

    def emit(self, event: Event, text: str) -> None:
        self.events.append(event)

    def flush(self) -> None:
        """Nothing is buffered beyond the queue the app drains."""

    def drain(self, limit: int = MAX_DRAIN_PER_TICK) -> list[Event]:
        return [self.events.popleft() for _ in range(min(limit, len(self.events)))]


def save_path(directory: Path, run_id: str | None) -> Path:
    """``<dir>/<run id>.jsonl``, the id reduced to file-name-safe characters."""
    name = re.sub(r"[^A-Za-z0-9._-]", "_", run_id or "").strip(".")
    return directory / (f"{name}.jsonl" if name else "workflow-events.jsonl")

"""Replay pacing: when each recorded event is revealed.

The player never reads a clock itself; the app passes ``now`` in, so tests drive
time by hand and the pacing is exact rather than sleep-dependent.
"""

from __future__ import annotations

import math
import re

from smolwf.errors import UsageError
from smolwf.events.types import Event

DEFAULT_MAX_DELAY = "50ms"
MAX_REVEAL_PER_TICK = 512
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 64.0)
"""Playback speeds ``+``/``-`` step through; 1x plays at the recorded pace."""

_DURATION = re.compile(r"^(?:(?P<ms>\d+)ms|(?P<s>\d+(?:\.\d+)?|\.\d+)s|(?P<bare>\d+))$")


def parse_duration(text: str) -> float:
    """``NNms``, ``N.Ns`` or bare milliseconds, as seconds; anything else is a usage error."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise UsageError(
            f"--max-delay must be a duration like 50ms, 1.5s or 200 (milliseconds), got: {text!r}"
        )
    if match["s"] is not None:
        seconds = float(match["s"])
        if not math.isfinite(seconds):
            raise UsageError(f"--max-delay must be finite, got: {text!r}")
        return seconds
    return int(match["ms"] or match["bare"]) / 1000


class ReplayPlayer:
    """Reveals events at the recorded pace, each gap capped at ``max_delay`` seconds."""

    def __init__(self, events: list[Event], max_delay: float) -> None:
        self.events = events
        self.max_delay = max_delay
        self.revealed = 0
        self.playing = False
        self._speed_index = SPEEDS.index(1.0)
        self._due: float | None = None

    @property
    def done(self) -> bool:
        return self.revealed >= len(self.events)

    @property
    def speed(self) -> float:
        return SPEEDS[self._speed_index]

    def gap(self, index: int) -> float:
        """Seconds to wait before revealing event ``index`` at the current speed."""
        if index == 0 or index >= len(self.events):
            return 0.0
        before, after = self.events[index - 1].elapsed_ns, self.events[index].elapsed_ns
        if before is None and index == 1:
            before = 0  # the root workflow.started is the clock's zero
        if before is None or after is None:
            return 0.0
        return min(max(after - before, 0) / 1e9, self.max_delay) / self.speed

    def toggle(self, now: float) -> None:
        """Play or pause; resuming waits the next event's gap from now."""
        if self.done:
            return
        self.playing = not self.playing
        self._due = now + self.gap(self.revealed) if self.playing else None

    def step(self) -> bool:
        """Reveal exactly one event (pausing playback); False when none are left."""
        self.playing = False
        self._due = None
        if self.done:
            return False
        self.revealed += 1
        return True

    def faster(self) -> None:
        self._speed_index = min(self._speed_index + 1, len(SPEEDS) - 1)

    def slower(self) -> None:
        self._speed_index = max(self._speed_index - 1, 0)

    def advance(self, now: float) -> int:
        """Reveal every event due by ``now`` (at most a tick's worth); how many were revealed."""
        count = 0
        while self.playing and self._due is not None and self._due <= now:
            if self.done or count >= MAX_REVEAL_PER_TICK:
                break
            self.revealed += 1
            count += 1
            self._due += self.gap(self.revealed)
        if self.done:
            self.playing = False
            self._due = None
        return count

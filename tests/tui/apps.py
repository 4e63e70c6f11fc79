"""Building watch apps for pilot tests: a hand-driven clock and no automatic ticks."""

from __future__ import annotations

import json

from smolwf.events.stream import parse_lines
from smolwf.jsontypes import JSONObject
from smolwf.tui.app import ReplaySource, WatchApp

NEVER = 3600.0
"""Tick interval for tests: the app's own timer never fires, the test calls ``tick()``."""


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def replay_app(events: list[JSONObject], clock: FakeClock | None = None) -> WatchApp:
    parsed = parse_lines([json.dumps(e) for e in events])
    return WatchApp(
        ReplaySource(parsed, 0.05, "events.jsonl"), clock=clock or FakeClock(), tick_s=NEVER
    )

"""While a run's turns run, the youngest generation is collected less often; after the
run, the process has the thresholds it had."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from smolwf.engine.loop import YOUNG_GC_THRESHOLD
from smolwf.engine.report import RunReport
from smolwf.events.types import Event, EventType

Write = Callable[..., Path]
Run = Callable[..., RunReport]


def test_turns_raise_the_young_threshold_and_the_run_puts_it_back(
    write_script: Write, run: Run
) -> None:
    during: dict[str, tuple[int, int, int]] = {}

    def note(event: Event) -> None:
        during[event.type] = gc.get_threshold()

    original = gc.get_threshold()
    before = (650, 9, 11)
    gc.set_threshold(*before)
    try:
        script = write_script("export default await agent('hi')\n")
        assert run(script, on_event=note).result == "echo: hi"
        assert during[EventType.AGENT_COMPLETED] == (YOUNG_GC_THRESHOLD, 9, 11)
        assert gc.get_threshold() == before
    finally:
        gc.set_threshold(*original)

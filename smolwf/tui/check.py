"""``tui replay --check``: validate a recorded stream and summarize it without a UI.

The output format and warning texts are the reference's, so scripts that grep them
keep working; unlike the reference, a malformed line exits 1 (see ``events.stream``).
"""

from __future__ import annotations

from smolwf.events.run_state import fold
from smolwf.events.types import Event, EventType


def warnings(events: list[Event]) -> list[str]:
    """The reference's consistency checks; a missing depth counts as the root's."""
    found: list[str] = []
    root_started = sum(1 for e in events if e.type == EventType.STARTED and e.depth == 0)
    if root_started == 0:
        found.append("no root workflow.started event")
    elif root_started > 1:
        found.append(f"multiple root workflow.started events: {root_started}")
    terminal = (EventType.RESULT, EventType.ERROR)
    if not any(e.type in terminal and e.depth == 0 for e in events):
        found.append("no terminal root workflow.result or workflow.error event")
    previous = 0
    for number, event in enumerate(events, start=1):
        if event.data is None:
            found.append(f"event {number} has null data")
        if event.elapsed_ns is not None:
            if event.elapsed_ns < previous:
                found.append(f"event {number} elapsedNanos decreases")
            previous = event.elapsed_ns
        if event.depth > 0 and event.meta("parentStepId") is None:
            found.append(f"nested event {number} is missing parentStepId")
    return found


def summary(source: str, events: list[Event]) -> str:
    """The ``--check`` report, lines joined, without a trailing newline."""
    root_results = sum(
        1 for e in events if e.type == EventType.RESULT and e.has_explicit_depth and e.depth == 0
    )
    state = fold(events)
    tabs = 1 + sum(1 for key in state.scopes if key is not None)
    found = warnings(events)
    lines = [
        f"events: {source}",
        f"total: {len(events)}",
        f"tabs: {tabs}",
        f"agentEvents: {sum(1 for e in events if e.type == EventType.AGENT_EVENT)}",
        f"rootResults: {root_results}",
        f"warnings: {len(found)}",
        *(f"- {warning}" for warning in found),
    ]
    return "\n".join(lines)

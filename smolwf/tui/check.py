"""``tui replay --check``: validate a recorded stream and summarize it without a UI.

The output format and warning texts are the reference's, so scripts that grep them
keep working; unlike the reference, a malformed line exits 1 (see ``stream``).
"""

from __future__ import annotations

from smolwf.events.types import EventType
from smolwf.tui.stream import TuiEvent


def child_scopes(events: list[TuiEvent]) -> list[tuple[int, str | None]]:
    """Distinct child workflows, in the order their ``workflow.started`` appears."""
    scopes: list[tuple[int, str | None]] = []
    for event in events:
        if event.type == EventType.STARTED and event.depth > 0 and event.scope not in scopes:
            scopes.append(event.scope)
    return scopes


def warnings(events: list[TuiEvent]) -> list[str]:
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


def summary(source: str, events: list[TuiEvent]) -> str:
    """The ``--check`` report, lines joined, without a trailing newline."""
    root_results = sum(
        1 for e in events if e.type == EventType.RESULT and e.has_explicit_depth and e.depth == 0
    )
    found = warnings(events)
    lines = [
        f"events: {source}",
        f"total: {len(events)}",
        f"tabs: {1 + len(child_scopes(events))}",
        f"agentEvents: {sum(1 for e in events if e.type == EventType.AGENT_EVENT)}",
        f"rootResults: {root_results}",
        f"warnings: {len(found)}",
        *(f"- {warning}" for warning in found),
    ]
    return "\n".join(lines)

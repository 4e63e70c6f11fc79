"""The header's texts: the status line, the workflow tabs and the run's figures.

Plain functions of the run's ``RunState`` and the app's mode, so the words are tested
without a terminal. The status words are the reference TUI's (``LIVE DONE``,
``REPLAY DONE``); the mark before them tells how the run ended.
"""

from __future__ import annotations

from rich.text import Text

from smolwf.events.run_parts import RequestState
from smolwf.events.run_state import RunState
from smolwf.events.types import ScopeKey
from smolwf.tui import summary
from smolwf.tui.replay import ReplayPlayer
from smolwf.tui.summary import Outcome
from smolwf.tui.timeline import tab_label

TABS_WIDTH = 32
"""What the tab box holds: the header's left column less the box's border."""
MARKS = {
    Outcome.RUNNING: "●",
    Outcome.COMPLETED: "✓",
    Outcome.FAILED: "✗",
    Outcome.CANCELLED: "■",
}
LIVE_WORDS = {
    Outcome.RUNNING: "RUNNING",
    Outcome.COMPLETED: "DONE",
    Outcome.FAILED: "FAILED",
    Outcome.CANCELLED: "CANCELLED",
}


def replay_status(player: ReplayPlayer, state: RunState) -> str:
    """``• REPLAY PAUSED 1x 3/9``, ``▶ REPLAY PLAYING …``, then ``✓ REPLAY DONE 9/9`` (``✗``
    when the recorded run failed)."""
    progress = f"{player.revealed}/{len(player.events)}"
    if player.done:
        ended = summary.outcome(state)
        mark = MARKS[Outcome.COMPLETED if ended is Outcome.RUNNING else ended]
        return f"{mark} REPLAY DONE {progress}"
    playing = "▶ REPLAY PLAYING" if player.playing else "• REPLAY PAUSED"
    return f"{playing} {player.speed:g}x {progress}"


def live_status(
    outcome: Outcome, cancelling: bool, elapsed_s: int, waiting: list[RequestState]
) -> str:
    """``● LIVE RUNNING +00:01:05``, ``● LIVE CANCELLING …``, ``● LIVE WAITING (a approves,
    d denies) …`` while a person is asked, then ``✓ LIVE DONE …``, ``✗ LIVE FAILED …`` or
    ``■ LIVE CANCELLED …``."""
    clock = f"+{elapsed_s // 3600:02d}:{elapsed_s // 60 % 60:02d}:{elapsed_s % 60:02d}"
    word = LIVE_WORDS[outcome]
    if outcome is Outcome.RUNNING and cancelling:
        word = "CANCELLING"
    elif outcome is Outcome.RUNNING and waiting:
        approvals = any(request.kind == "approval" for request in waiting)
        word = "WAITING (a approves, d denies)" if approvals else "WAITING"
    return f"{MARKS[outcome]} LIVE {word} {clock}"


def tabs_text(state: RunState, tabs: list[ScopeKey], current: int) -> Text:
    """As many tabs as fit, the current one among them (reversed); ``‹N``/``+N`` count
    the tabs left out before and after."""
    labels = [tab_label(state, scope) for scope in tabs]
    start, end = _window(labels, current)
    text = Text()
    if start:
        text.append(f"‹{start} ", style="dim")
    for number in range(start, end):
        text.append(f" {labels[number]} ", style="reverse bold" if number == current else "")
    if end < len(labels):
        text.append(f"+{len(labels) - end}", style="dim")
    return text


def _window(labels: list[str], current: int) -> tuple[int, int]:
    """The widest run of tabs around ``current`` that fits ``TABS_WIDTH``, most after it."""
    start, end = current, current + 1
    while True:
        grown = False
        for first, last in ((start, end + 1), (start - 1, end)):
            if first >= 0 and last <= len(labels) and _width(labels, first, last) <= TABS_WIDTH:
                start, end, grown = first, last, True
                break
        if not grown:
            return start, end


def _width(labels: list[str], start: int, end: int) -> int:
    before = len(f"‹{start} ") if start else 0
    after = len(f"+{len(labels) - end}") if end < len(labels) else 0
    return before + after + sum(len(label) + 2 for label in labels[start:end])


def info_text(state: RunState, event_count: int, file_text: str) -> Text:
    """Run id, warnings and error; the event rate and count; token usage; the event file."""
    usage = state.shown_usage
    text = Text()
    text.append("workflow run  ", style="bold")
    text.append(state.run_id or "-")
    if state.warnings:
        text.append(f"  warnings {len(state.warnings)}", style="yellow")
    if state.error:
        text.append(f"  {state.error[:48]}", style="red")
    text.append("\nevents        ", style="bold")
    text.append(f"{summary.rate_graph(state)} {event_count}")
    text.append("\ntoken usages  ", style="bold")
    text.append(f"+in {usage.input_tokens} +out {usage.output_tokens}")
    text.append("\nfile          ", style="bold")
    text.append(file_text)
    return text

"""What the live view leaves on screen when the run ends: one line of totals, a line per
phase, and what failed. The run's own error is left to the CLI's ``error: …`` line."""

from __future__ import annotations

from collections.abc import Iterable

from rich.console import Group, RenderableType
from rich.text import Text

from smolwf.cli.live_figures import first_line, format_cost, format_duration, format_tokens
from smolwf.cli.live_frame import (
    SHOWN_PHASES,
    STATUS_MARK,
    STATUS_STYLE,
    TITLE_WIDTH,
    plural,
    tokens_text,
)
from smolwf.events.run_parts import PhaseState
from smolwf.events.run_state import RunState

SUMMARY_FAILED = 5


def render_summary(state: RunState, elapsed_ns: int) -> Group:
    """Status, run time, sizes, totals, then a line per phase and the failures.

    ``elapsed_ns`` is the run's time as the user waited for it (the engine's event times
    leave out what the terminal took to show the last events).
    """
    status = state.status if state.finished else "stopped"
    head = Text.assemble(
        (f"{STATUS_MARK.get(status, '■')} {status}", STATUS_STYLE.get(status, "bold yellow")),
        (f" in {format_duration(elapsed_ns)}", "bold"),
        f" · {plural(len(state.phases), 'phase')}",
        f" · {plural(state.counts.total, 'agent')}",
    )
    head.append_text(_agent_notes(state))
    if state.task_errors:
        head.append(f" · {plural(state.task_errors, 'task error')}", style="red")
    head.append(" · ")
    head.append_text(tokens_text(state.token_usage or state.usage))
    if state.cost_usd is not None:
        head.append(f" · {format_cost(state.cost_usd, state.usage.estimated)}")
    lines: list[RenderableType] = [head]
    lines.extend(_phase_lines(state.phases))
    lines.extend(_failure_lines(state))
    if state.run_id is not None:
        lines.append(Text(f"  run {state.run_id}", style="dim"))
    return Group(*lines)


def _agent_notes(state: RunState) -> Text:
    """`` (1 failed, 2 unfinished, 1 replayed)``, or nothing when there is nothing to note."""
    counts = state.counts
    notes = [
        (counts.failed, "failed", "red"),
        (counts.unfinished, "unfinished", "yellow"),
        (counts.replayed, "replayed", "cyan"),
    ]
    shown = [(f"{count:,} {word}", style) for count, word, style in notes if count]
    text = Text()
    if not shown:
        return text
    text.append(" (")
    for number, (words, style) in enumerate(shown):
        text.append(", " if number else "")
        text.append(words, style=style)
    text.append(")")
    return text


def _phase_lines(phases: list[PhaseState]) -> Iterable[Text]:
    """One line per phase (the last ``SHOWN_PHASES``): agents, failures, tokens."""
    if len(phases) > SHOWN_PHASES:
        yield Text(f"  … {len(phases) - SHOWN_PHASES} earlier phases", style="dim")
    for phase in phases[-SHOWN_PHASES:]:
        line = Text(f"  {phase.name if phase.name is not None else '(no phase)'}", style="bold")
        line.append(f"  {plural(phase.counts.total, 'agent')}", style="dim")
        if phase.counts.failed:
            line.append(f" · {phase.counts.failed} failed", style="red")
        if phase.usage.total:
            line.append(f" · {format_tokens(phase.usage.total)} tok", style="dim")
        yield line


def _failure_lines(state: RunState) -> Iterable[Text]:
    """The first failed agents, then the tasks that threw for another reason."""
    failed = [
        state.agents[step_id]
        for phase in state.phases
        for step_id in phase.failed_ids[:SUMMARY_FAILED]
    ][:SUMMARY_FAILED]
    errors = {agent.error for agent in failed}
    for agent in failed:
        message = first_line(agent.error or "failed", 80)
        yield Text(f"  ✗ {first_line(agent.title, TITLE_WIDTH)}: {message}", style="red")
    if state.counts.failed > len(failed):
        yield Text(f"  … {state.counts.failed - len(failed)} more failed agents", style="red")
    thrown = [m for m in state.task_warnings() if m.message.partition(": ")[2] not in errors]
    for warning in thrown[:SUMMARY_FAILED]:
        yield Text(f"  ✗ {first_line(warning.message, 100)}", style="red")
    if len(thrown) > SUMMARY_FAILED:
        yield Text(f"  … {len(thrown) - SUMMARY_FAILED} more task errors", style="red")

"""The live view's frame: phases as a tree with their agents and sleeps, the requests to
a person the run waits for, and a footer.

Everything shown comes from the run's ``RunState``; this module only lays it out, so
the frame of any moment can be drawn into a recording console and read back in tests.
"""

from __future__ import annotations

import json
from itertools import islice

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from smolwf.cli.live_figures import first_line, format_cost, format_duration, format_tokens
from smolwf.events.run_parts import AgentState, PhaseState, SleepState
from smolwf.events.run_state import RunState
from smolwf.usage import Usage

FULL_PHASE_AGENTS = 12
"""A phase with at most this many agents lists them all; larger ones collapse."""
SHOWN_RUNNING = 8
SHOWN_QUEUED = 2
SHOWN_FAILED = 3
SHOWN_PHASES = 12
"""Phases beyond this many, all agents done, fold into one line."""
TITLE_WIDTH = 48

STATUS_STYLE = {
    "running": "bold cyan",
    "completed": "bold green",
    "failed": "bold red",
    "cancelled": "bold yellow",
}
STATUS_MARK = {"running": "●", "completed": "✓", "failed": "✗", "cancelled": "■"}
QUEUED_MARK = "◌"
SLEEP_MARK = "⏾"


def render_frame(
    state: RunState, now_ns: int, spinner: RenderableType, budget_total: int | None
) -> Group:
    return Group(
        render_tree(state, now_ns, spinner),
        *render_waiting(state),
        render_footer(state, now_ns, budget_total),
    )


# ---- the tree ---------------------------------------------------------------


def render_tree(state: RunState, now_ns: int, spinner: RenderableType) -> Tree:
    """Phases in first-seen order, each with its agents and sleeps; old finished ones fold."""
    status = state.status
    root = Tree(
        Text.assemble(
            (f"{STATUS_MARK[status]} {status}", STATUS_STYLE[status]),
            (f"  {state.run_id or ''}", "dim"),
        ),
        guide_style="dim",
    )
    hidden = _hidden_phases(state)
    if hidden:
        agents = sum(phase.counts.total for phase in hidden)
        root.add(Text(f"… {len(hidden):,} earlier phases done ({agents:,} agents)", style="dim"))
    hidden_ids = {id(phase) for phase in hidden}
    for phase in state.phases:
        if id(phase) in hidden_ids:
            continue
        node = root.add(phase_header(state, phase))
        rows = agent_rows(state, phase, now_ns, spinner)
        if rows is not None:
            node.add(rows)
        for sleep in state.sleeps_in(phase):
            node.add(sleep_row(sleep, now_ns))
    return root


def _hidden_phases(state: RunState) -> list[PhaseState]:
    """Finished phases before the last ``SHOWN_PHASES``: listing them would only scroll."""
    phases = state.phases
    if len(phases) <= SHOWN_PHASES:
        return []
    older = phases[: len(phases) - SHOWN_PHASES]
    return [
        phase
        for phase in older
        if not phase.counts.unfinished and not phase.counts.failed and not state.sleeps_in(phase)
    ]


def phase_header(state: RunState, phase: PhaseState) -> Text:
    """``Draft  2/5 done · 1 running · 2 queued · 48 tok``; a child's phases name the child.

    While the phase's workflow may still call more agents and none is waiting, the count
    says ``2 done``: ``2/2 done`` would claim the phase is over.
    """
    text = Text()
    if phase.parent_step_id is not None:
        indent = "  " * max(0, phase.depth - 1)
        text.append(f"{indent}↳ {state.scope_label(phase.parent_step_id)} ", style="magenta")
    text.append(phase.name if phase.name is not None else "(no phase)", style="bold")
    if phase.has_options:
        options = phase.options
        shown = options if isinstance(options, str) else json.dumps(options, separators=(",", ":"))
        text.append(f" {shown}", style="dim")
    counts = phase.counts
    if counts.total:
        known = counts.unfinished or not state.phase_open(phase)
        done = f"{counts.done:,}/{counts.total:,}" if known else f"{counts.done:,}"
        text.append(f"  {done} done", style="dim")
    if counts.running:
        text.append(f" · {counts.running:,} running", style="cyan")
    if counts.queued:
        text.append(f" · {counts.queued:,} queued", style="blue")
    if counts.failed:
        text.append(f" · {counts.failed:,} failed", style="red")
    if phase.usage.total:
        text.append(f" · {format_tokens(phase.usage.total)} tok", style="dim")
    return text


def agent_rows(
    state: RunState, phase: PhaseState, now_ns: int, spinner: RenderableType
) -> RenderableType | None:
    """One aligned row per shown agent; a long phase shows its failed, running and first
    queued agents only, and counts the rest."""
    if not phase.agent_ids:
        return None
    table = Table.grid(padding=(0, 1))
    table.add_column(width=1)
    table.add_column(max_width=TITLE_WIDTH, no_wrap=True, overflow="ellipsis")
    for _ in range(4):
        table.add_column(no_wrap=True, justify="right")
    shown = _shown_agents(state, phase)
    for agent in shown:
        table.add_row(*agent_cells(agent, now_ns, spinner))
    left_out = phase.counts.total - len(shown)
    if left_out <= 0:
        return table
    return Group(table, Text(f"  … {left_out:,} more ({_left_out_text(phase, shown)})", "dim"))


def _shown_agents(state: RunState, phase: PhaseState) -> list[AgentState]:
    if len(phase.agent_ids) <= FULL_PHASE_AGENTS:
        return state.agents_in(phase)
    running = islice(phase.running_ids, SHOWN_RUNNING)
    queued = islice(phase.queued_ids, SHOWN_QUEUED)
    failed = phase.failed_ids[-SHOWN_FAILED:]
    return [state.agents[step_id] for step_id in (*failed, *running, *queued)]


def _left_out_text(phase: PhaseState, shown: list[AgentState]) -> str:
    counts = phase.counts
    parts = [f"{counts.completed:,} completed"]
    for status in ("running", "queued", "failed"):
        left = getattr(counts, status) - sum(agent.status == status for agent in shown)
        if left:
            parts.append(f"{left:,} {status}")
    return ", ".join(parts)


def agent_cells(agent: AgentState, now_ns: int, spinner: RenderableType) -> list[RenderableType]:
    """Mark, title, provider/model, elapsed, tokens, cost; a failure is red with its message,
    a queued call dim with how long it has waited."""
    where = agent.provider or ""
    if agent.model:
        where += f"/{agent.model}"
    if agent.status == "queued":
        waited = now_ns - (agent.queued_ns or agent.started_ns)
        return [
            Text(QUEUED_MARK, style="blue"),
            Text(agent.title, style="dim"),
            Text(where, style="dim"),
            Text(format_duration(max(0, waited)), style="dim"),
            Text("queued", style="blue"),
            Text(""),
        ]
    mark: RenderableType
    if agent.status == "running":
        mark = spinner
    elif agent.status == "failed":
        mark = Text("✗", style="bold red")
    else:
        mark = Text("↺" if agent.replayed else "✓", style="green")
    title = Text(agent.title, style="red" if agent.status == "failed" else "")
    if agent.replayed:
        title.append(" (cached)" if agent.cached else " (replayed)", style="dim cyan")
    spent = agent.spent or agent.usage
    detail = Text(_usage_text(spent), style="dim")
    if agent.status == "failed":
        detail = Text(first_line(agent.error or "failed", 60), style="red")
    return [
        mark,
        title,
        Text(where, style="dim"),
        Text(format_duration(agent.elapsed_ns(now_ns) or 0)),
        detail,
        Text(format_cost(spent.cost_usd, spent.estimated) if spent else "", style="dim"),
    ]


def sleep_row(sleep: SleepState, now_ns: int) -> Text:
    """``⏾ sleep 5m00s · 4m12s left``."""
    duration = format_duration(sleep.duration_ms * 1_000_000)
    left = format_duration(sleep.left_ns(now_ns))
    return Text.assemble((f"{SLEEP_MARK} sleep {duration}", "magenta"), (f" · {left} left", "dim"))


def render_waiting(state: RunState) -> list[Text]:
    """One line per unanswered request to a person, with the command that answers it."""
    lines = []
    for request in state.waiting_for:
        line = Text(f"⏸ {request.kind} {request.title}", style="bold magenta")
        if request.commands:
            line.append(f"  {request.commands[0]}", style="magenta")
        lines.append(line)
    return lines


def _usage_text(usage: Usage | None) -> str:
    return "" if usage is None else f"{format_tokens(usage.total)} tok"


# ---- the footer -------------------------------------------------------------------


def render_footer(state: RunState, now_ns: int, budget_total: int | None) -> Text:
    """Totals on one line: elapsed, agents by status, task errors, tokens, cost, budget."""
    counts = state.counts
    text = Text(format_duration(now_ns), style="bold")
    text.append(" │ agents ", style="dim")
    text.append(f"{counts.done:,} done", style="green")
    text.append(f" · {counts.running:,} running", style="cyan")
    if counts.queued:
        text.append(f" · {counts.queued:,} queued", style="blue")
    text.append(f" · {counts.failed:,} failed", style="bold red" if counts.failed else "dim")
    if counts.replayed:
        text.append(f" · {counts.replayed:,} replayed", style="cyan")
    if state.sleeping:
        text.append(f" · {len(state.sleeping):,} sleeping", style="magenta")
    if state.task_errors:
        text.append(f" │ {plural(state.task_errors, 'task error')}", style="bold red")
    text.append(" │ ", style="dim")
    text.append_text(tokens_text(state.usage))
    if state.cost_usd is not None:
        text.append(f" │ {format_cost(state.cost_usd, state.usage.estimated)}")
    if budget_total is not None:
        text.append(" │ ", style="dim")
        text.append_text(budget_text(state.usage.output_tokens, budget_total))
    return text


def tokens_text(usage: Usage) -> Text:
    text = Text(f"{format_tokens(usage.total)} tok", style="bold")
    parts = [f"in {format_tokens(usage.input_tokens)}", f"out {format_tokens(usage.output_tokens)}"]
    cache = usage.cache_read_tokens + usage.cache_write_tokens
    if cache:
        parts.append(f"cache {format_tokens(cache)}")
    text.append(f" ({' · '.join(parts)})", style="dim")
    return text


def budget_text(spent: int, total: int) -> Text:
    """Output tokens against ``--budget-allowance``: yellow past 80%, red past the total."""
    style = "green"
    if spent > total:
        style = "bold red"
    elif spent * 5 > total * 4:
        style = "yellow"
    return Text(f"budget {format_tokens(spent)}/{format_tokens(total)} out", style=style)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count:,} {noun}s"

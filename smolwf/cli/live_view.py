"""Live progress of ``smol-wf run`` on an interactive terminal.

A rich ``Live`` area on stderr shows phases as a tree with their agents, and a footer
of totals; ``log()`` lines and warnings scroll above it. Closing replaces the area with
a compact summary. The plain ``[phase]/[log]/[warn]`` lines remain the default for pipes.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable
from itertools import islice

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.spinner import Spinner
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from smolwf.events.run_state import AgentState, PhaseState, RunState
from smolwf.events.sinks import HUMAN, human_line
from smolwf.events.types import Event, EventType
from smolwf.usage import Usage

REFRESH_PER_SECOND = 8.0
FULL_PHASE_AGENTS = 12
"""A phase with at most this many agents lists them all; larger ones collapse."""
SHOWN_RUNNING = 8
SHOWN_FAILED = 3
SHOWN_PHASES = 12
"""Phases beyond this many, all agents done, fold into one line."""
SUMMARY_FAILED = 5
TITLE_WIDTH = 48

STATUS_STYLE = {
    "running": "bold cyan",
    "completed": "bold green",
    "failed": "bold red",
    "cancelled": "bold yellow",
}
STATUS_MARK = {"running": "●", "completed": "✓", "failed": "✗", "cancelled": "■"}


class LiveProgressSink:
    """An ``EventSink`` drawing the run live; call ``close()`` once the run ends, however.

    Events arrive on the engine's thread while rich's refresh thread renders, so the
    state is only touched under one lock, and each frame is built from it there.
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        budget_total: int | None = None,
        refresh_per_second: float = REFRESH_PER_SECOND,
        auto_refresh: bool = True,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.state = RunState()
        self.console = console or Console(stderr=True)
        self.budget_total = budget_total
        self._clock = clock
        self._base_ns: int | None = None
        self._lock = threading.Lock()
        self._spinner = Spinner("dots", style="cyan")
        self._closed = False
        self._live = Live(
            console=self.console,
            get_renderable=self.renderable,
            refresh_per_second=refresh_per_second,
            auto_refresh=auto_refresh,
            transient=True,
            redirect_stdout=False,
        )

    def emit(self, event: Event, text: str) -> None:
        if self._closed:
            return
        with self._lock:
            if self._base_ns is None:
                self._base_ns = self._clock() - (event.elapsed_ns or 0)
            self.state.apply(event)
        line = message_line(event)
        with contextlib.suppress(BrokenPipeError, ValueError, OSError):
            self._live.start()
            if line is not None:  # the terminal wraps a command, so it copies in one piece
                self.console.print(line, soft_wrap=event.type in HUMAN)

    def flush(self) -> None:
        """Without the refresh thread (tests, dumb terminals) each batch redraws once."""
        if not self._closed and not self._live.auto_refresh and self._base_ns is not None:
            with contextlib.suppress(BrokenPipeError, ValueError, OSError):
                self._live.refresh()

    def close(self) -> None:
        """Stop the live area and print the summary. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(BrokenPipeError, ValueError, OSError):
            self._live.stop()
            if self._base_ns is not None:
                with self._lock:
                    summary = render_summary(self.state)
                self.console.print(summary)

    def renderable(self) -> RenderableType:
        """The current frame: the phase tree and the footer."""
        with self._lock:
            now = self._now_ns()
            frame = self._spinner.render(self.console.get_time())
            return Group(
                render_tree(self.state, now, frame),
                *render_waiting(self.state),
                render_footer(self.state, now, self.budget_total),
            )

    def _now_ns(self) -> int:
        if self._base_ns is None or self.state.finished:
            return self.state.elapsed_ns
        return max(self.state.elapsed_ns, self._clock() - self._base_ns)


# ---- lines above the live area --------------------------------------------


def message_line(event: Event) -> Text | None:
    """``[log] …``, ``[warn] …``, ``[approval] …`` and ``[signal] …`` as the plain sink
    prints them, styled, never as markup."""
    message = str(event.fields.get("message"))
    if event.type == EventType.LOG:
        return Text.assemble(("[log] ", "dim"), message)
    if event.type == EventType.WARNING:
        return Text.assemble(("[warn] ", "bold yellow"), (message, "yellow"))
    if event.type in HUMAN:
        return Text(human_line(event), style="magenta")
    return None


def render_waiting(state: RunState) -> list[Text]:
    """One line per unanswered request to a person, with the command that answers it."""
    lines = []
    for request in state.waiting_for:
        line = Text(f"⏸ {request.kind} {request.title}", style="bold magenta")
        if request.commands:
            line.append(f"  {request.commands[0]}", style="magenta")
        lines.append(line)
    return lines


# ---- the tree ---------------------------------------------------------------


def render_tree(state: RunState, now_ns: int, spinner: RenderableType) -> Tree:
    """Phases in first-seen order, each with its agents; old finished phases fold."""
    status = state.status
    root = Tree(
        Text.assemble(
            (f"{STATUS_MARK[status]} {status}", STATUS_STYLE[status]),
            (f"  {state.run_id or ''}", "dim"),
        ),
        guide_style="dim",
    )
    hidden = _hidden_phases(state.phases)
    if hidden:
        agents = sum(phase.counts.total for phase in hidden)
        root.add(Text(f"… {len(hidden):,} earlier phases done ({agents:,} agents)", style="dim"))
    hidden_ids = {id(phase) for phase in hidden}
    shown = (phase for phase in state.phases if id(phase) not in hidden_ids)
    for phase in shown:
        node = root.add(phase_header(phase))
        rows = agent_rows(state, phase, now_ns, spinner)
        if rows is not None:
            node.add(rows)
    return root


def _hidden_phases(phases: list[PhaseState]) -> list[PhaseState]:
    """Finished phases before the last ``SHOWN_PHASES``: listing them would only scroll."""
    if len(phases) <= SHOWN_PHASES:
        return []
    older = phases[: len(phases) - SHOWN_PHASES]
    return [phase for phase in older if phase.counts.running == 0 and phase.counts.failed == 0]


def phase_header(phase: PhaseState) -> Text:
    """``Draft  2/3 done · 1 running · 48 tok``; child-workflow phases name their parent."""
    text = Text()
    if phase.parent_step_id is not None:
        short = phase.parent_step_id.removeprefix("step_")[:8]
        text.append(f"{'  ' * max(0, phase.depth - 1)}↳ child {short} ", style="magenta")
    text.append(phase.name if phase.name is not None else "(no phase)", style="bold")
    if phase.has_options:
        options = phase.options
        shown = options if isinstance(options, str) else json.dumps(options, separators=(",", ":"))
        text.append(f" {shown}", style="dim")
    counts = phase.counts
    if counts.total:
        text.append(f"  {counts.done:,}/{counts.total:,} done", style="dim")
    if counts.running:
        text.append(f" · {counts.running:,} running", style="cyan")
    if counts.failed:
        text.append(f" · {counts.failed:,} failed", style="red")
    if phase.usage.total:
        text.append(f" · {format_tokens(phase.usage.total)} tok", style="dim")
    return text


def agent_rows(
    state: RunState, phase: PhaseState, now_ns: int, spinner: RenderableType
) -> RenderableType | None:
    """One aligned row per shown agent; a long phase shows running and failed ones only."""
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
    failed = phase.failed_ids[-SHOWN_FAILED:]
    return [state.agents[step_id] for step_id in (*failed, *running)]


def _left_out_text(phase: PhaseState, shown: list[AgentState]) -> str:
    counts = phase.counts
    running = counts.running - sum(agent.status == "running" for agent in shown)
    failed = counts.failed - sum(agent.status == "failed" for agent in shown)
    parts = [f"{counts.completed:,} completed"]
    if running:
        parts.append(f"{running:,} running")
    if failed:
        parts.append(f"{failed:,} failed")
    return ", ".join(parts)


def agent_cells(agent: AgentState, now_ns: int, spinner: RenderableType) -> list[RenderableType]:
    """Mark, title, provider/model, elapsed, tokens, cost; a failure is red with its message."""
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
    where = agent.provider or ""
    if agent.model:
        where += f"/{agent.model}"
    spent = agent.spent or agent.usage
    detail = Text(_usage_text(spent), style="dim")
    if agent.status == "failed":
        detail = Text(_first_line(agent.error or "failed", 60), style="red")
    elapsed = agent.elapsed_ns(now_ns)
    return [
        mark,
        title,
        Text(where, style="dim"),
        Text(format_duration(elapsed or 0)),
        detail,
        Text(format_cost(spent.cost_usd, spent.estimated) if spent else "", style="dim"),
    ]


def _usage_text(usage: Usage | None) -> str:
    return "" if usage is None else f"{format_tokens(usage.total)} tok"


def _first_line(text: str, width: int) -> str:
    line = text.split("\n", 1)[0]
    return line if len(line) <= width else line[: width - 1] + "…"


# ---- footer and summary ---------------------------------------------------------


def render_footer(state: RunState, now_ns: int, budget_total: int | None) -> Text:
    """Totals on one line: elapsed, agents by status, tokens, cost, budget."""
    counts = state.counts
    text = Text(format_duration(now_ns), style="bold")
    text.append(" │ agents ", style="dim")
    text.append(f"{counts.done:,} done", style="green")
    text.append(f" · {counts.running:,} running", style="cyan")
    text.append(f" · {counts.failed:,} failed", style="bold red" if counts.failed else "dim")
    if counts.replayed:
        text.append(f" · {counts.replayed:,} replayed", style="cyan")
    text.append(" │ ", style="dim")
    text.append_text(_tokens_text(state.usage))
    if state.cost_usd is not None:
        text.append(f" │ {format_cost(state.cost_usd, state.usage.estimated)}")
    if budget_total is not None:
        text.append(" │ ", style="dim")
        text.append_text(budget_text(state.usage.output_tokens, budget_total))
    return text


def _tokens_text(usage: Usage) -> Text:
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


def render_summary(state: RunState) -> Group:
    """What stays on screen after the run: status, sizes, totals, and any failures.

    The run's own error is left to the CLI's ``error: …`` line, printed right after.
    """
    status = state.status if state.finished else "stopped"
    style = STATUS_STYLE.get(status, "bold yellow")
    head = Text.assemble(
        (f"{STATUS_MARK.get(status, '■')} {status}", style),
        (f" in {format_duration(state.elapsed_ns)}", "bold"),
        f" · {_plural(len(state.phases), 'phase')}",
        f" · {_plural(state.counts.total, 'agent')}",
    )
    counts = state.counts
    if counts.failed:
        head.append(f" ({counts.failed:,} failed)", style="red")
    if counts.running:
        head.append(f" ({counts.running:,} unfinished)", style="yellow")
    if counts.replayed:
        head.append(f" ({counts.replayed:,} replayed)", style="cyan")
    head.append(" · ")
    head.append_text(_tokens_text(state.token_usage or state.usage))
    if state.cost_usd is not None:
        head.append(f" · {format_cost(state.cost_usd, state.usage.estimated)}")
    lines: list[RenderableType] = [head]
    lines.extend(_phase_lines(state.phases))
    lines.extend(_failure_lines(state))
    if state.run_id is not None:
        lines.append(Text(f"  run {state.run_id}", style="dim"))
    return Group(*lines)


def _phase_lines(phases: list[PhaseState]) -> Iterable[Text]:
    """One line per phase (the last ``SHOWN_PHASES``): agents, failures, tokens."""
    if len(phases) > SHOWN_PHASES:
        yield Text(f"  … {len(phases) - SHOWN_PHASES} earlier phases", style="dim")
    for phase in phases[-SHOWN_PHASES:]:
        line = Text(f"  {phase.name if phase.name is not None else '(no phase)'}", style="bold")
        line.append(f"  {_plural(phase.counts.total, 'agent')}", style="dim")
        if phase.counts.failed:
            line.append(f" · {phase.counts.failed} failed", style="red")
        if phase.usage.total:
            line.append(f" · {format_tokens(phase.usage.total)} tok", style="dim")
        yield line


def _failure_lines(state: RunState) -> Iterable[Text]:
    failed = [
        state.agents[step_id]
        for phase in state.phases
        for step_id in phase.failed_ids[:SUMMARY_FAILED]
    ][:SUMMARY_FAILED]
    for agent in failed:
        message = _first_line(agent.error or "failed", 80)
        yield Text(f"  ✗ {_first_line(agent.title, TITLE_WIDTH)}: {message}", style="red")
    if state.counts.failed > len(failed):
        yield Text(f"  … {state.counts.failed - len(failed)} more failed agents", style="red")


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count:,} {noun}s"


def format_tokens(count: int) -> str:
    """``987``, ``12,345``, ``123.4k``, ``1.2M``: exact while small, compact when large."""
    if count < 100_000:
        return f"{count:,}"
    if count < 1_000_000:
        return f"{count / 1000:.1f}k"
    return f"{count / 1_000_000:.1f}M"


def format_cost(cost: float | None, estimated: bool = False) -> str:
    """``$0.0123``, ``$12.30``; ``~`` before a cost that is (partly) estimated."""
    if cost is None:
        return ""
    shown = f"${cost:.4f}" if cost < 1 else f"${cost:,.2f}"
    return "~" + shown if estimated else shown


def format_duration(ns: int) -> str:
    """``0.4s``, ``12.3s``, ``4m05s``, ``1h02m``."""
    seconds = ns / 1e9
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"

"""How history looks on a terminal: a rich table on a TTY, aligned plain text otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime

from smolwf.clock import iso
from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import Refusal
from smolwf.store.history import RunDetail, RunSummary, StepView, UsageTotals

__all__ = ["print_run_detail", "print_run_list"]

LIST_HEADERS = (
    "RUN ID",
    "STATE",
    "WORKFLOW",
    "CREATED",
    "ATTEMPTS",
    "STEPS",
    "TOTAL TOKENS",
    "COST",
)
STATE_STYLES = {
    "completed": "green",
    "failed": "red",
    "cancelled": "yellow",
    "running": "cyan",
    "waiting": "magenta",
}


def plain_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Borderless columns separated by two spaces, each padded to its widest cell."""
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [headers, *rows]
    ]
    return "\n".join(lines)


def ago(timestamp: str | None, now: float | None = None) -> str:
    """``12s ago``, ``5m ago``, ``3h ago``, ``2d ago``, ``4mo ago``, ``1y ago``."""
    if not timestamp:
        return "-"
    then = datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp()
    seconds = max(0, int((now if now is not None else time.time()) - then))
    for unit, size in (
        ("y", 31_536_000),
        ("mo", 2_592_000),
        ("d", 86_400),
        ("h", 3_600),
        ("m", 60),
    ):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def cost(value: JSON) -> str:
    return f"${value:.4f}" if isinstance(value, int | float) else "-"


def print_run_list(runs: list[RunSummary]) -> None:
    rows = [
        (
            run.run_id,
            run.state,
            run.name,
            ago(iso(run.created_at)),
            str(run.attempts),
            str(run.completed_steps),
            str(run.total_tokens),
            cost(round(run.cost_usd, 6) if run.cost_usd is not None else None),
        )
        for run in runs
    ]
    if sys.stdout.isatty():
        _rich_table(LIST_HEADERS, rows)
    else:
        print(plain_table(LIST_HEADERS, rows))


def print_run_detail(
    detail: RunDetail, resume_command: str, waiting_for: Sequence[str] = ()
) -> None:
    """The run, its usage, attempts and steps; ``waiting_for``: its unanswered requests, as
    the inbox shows them."""
    steps = detail.steps
    completed = sum(1 for step in steps if step.state == "completed")
    failed = sum(1 for step in steps if step.state == "failed")
    print(f"Run:       {detail.run_id}")
    print(f"State:     {detail.state}")
    print(f"Workflow:  {detail.name}")
    print(f"Script:    {detail.script_path}")
    if detail.fork is not None:
        source, rerun = detail.fork
        again = f" (rerun: {', '.join(rerun)})" if rerun else ""
        print(f"Forked:    from {source}{again}")
    print(f"Created:   {iso(detail.created_at)}")
    print(f"Attempts:  {len(detail.attempts)}")
    print(f"Steps:     {completed} completed, {failed} failed")
    budget = _budget_line(detail.params, detail.usage)
    if budget:
        print(f"Budget:    {budget}")
    if detail.failure is not None:
        failure = detail.failure
        print(f"Error:     {failure.get('message') if isinstance(failure, dict) else None}")
    if detail.has_result:
        print(f"Result:    {_short(detail.result)}")
    print()
    _print_usage(detail)
    _print_attempts(detail)
    _print_steps(steps)
    if waiting_for:
        print("Waiting for")
        print("\n".join(waiting_for))
        print()
    print(f"Resume:    {resume_command}")


def _print_usage(detail: RunDetail) -> None:
    """The spend by phase, then by provider, each ending in the run's total."""
    print("Token Usage")
    for title, groups in (("PHASE", detail.usage_by_phase), ("PROVIDER", detail.usage_by_provider)):
        headers = (title, "INPUT", "CACHE READ", "OUTPUT", "CACHE WRITE", "TOTAL", "COST", "SOURCE")
        rows = [(name, *_usage_cells(sums)) for name, sums in groups.items()]
        rows.append(("(all)", *_usage_cells(detail.usage)))
        print(plain_table(headers, rows))
        print()


def _print_attempts(detail: RunDetail) -> None:
    headers = ("ATTEMPT", "STATE", "STARTED", "COMPLETED", "WORKER")
    rows = [
        (
            str(a.number),
            a.state,
            str(iso(a.started_at)),
            str(iso(a.finished_at) or "-"),
            f"pid {a.pid} on {a.host}",
        )
        for a in detail.attempts
    ]
    print("Attempts")
    print(plain_table(headers, rows))
    print()


def _print_steps(steps: list[StepView]) -> None:
    headers = (
        "KIND",
        "STATE",
        "PHASE",
        "PROVIDER",
        "MODEL",
        "CALLS",
        "INPUT",
        "CACHE READ",
        "OUTPUT",
        "TOTAL",
        "COST",
        "SOURCE",
        "DURATION",
        "SESSION",
        "LABEL / PROMPT",
    )
    rows: list[tuple[str, ...]] = []
    for step in steps:
        usage = step.usage
        duration = step.duration_ms
        rows.append(
            (
                step.kind,
                step.state,
                _dash(step.phase),
                _dash(step.provider),
                _dash(step.model),
                str(step.calls),
                str(usage.input_tokens),
                str(usage.cache_read_tokens),
                str(usage.output_tokens),
                str(usage.total_tokens),
                cost(usage.cost_usd),
                _dash(usage.cost_source),
                f"{duration} ms" if duration is not None else "-",
                _dash(step.session_id),
                _short(step.label or step.prompt_preview, 40),
            )
        )
        if step.error:
            rows.append(("", "  error:", _short(step.error, 100), *[""] * 12))
    print("Steps")
    print(plain_table(headers, rows))
    print()
    _print_reused(steps)
    _print_refusals(steps)


def _print_reused(steps: list[StepView]) -> None:
    """Answers the run took without calling a provider: from a fork source, the cache or a
    cassette, and where exactly."""
    rows = [
        (_short(step.label or step.step_id, 40), step.origin.source, step.origin.where)
        for step in steps
        if step.origin is not None
    ]
    if rows:
        print("Reused answers")
        print(plain_table(("STEP", "SOURCE", "FROM"), rows))
        print()


def _print_refusals(steps: list[StepView]) -> None:
    """Tool uses the CLIs refused, per step: what was tried and the level that allows it."""
    rows: list[tuple[str, ...]] = []
    for step in steps:
        who = _short(step.label or step.step_id, 40)
        for item in _list(step.refusals):
            refusal = Refusal.from_json(item)
            if refusal is not None:
                needs = refusal.needs or "no level"
                rows.append((who, refusal.tool, _short(refusal.attempted, 60), needs))
    if rows:
        print("Refused tool uses")
        print(plain_table(("STEP", "TOOL", "ATTEMPTED", "NEEDS"), rows))
        print()


def _budget_line(params: JSONObject, usage: UsageTotals) -> str:
    """Allowance and hard caps next to what was spent against them, or '' when none is set."""
    parts = []
    spent_out, spent_total = usage.output_tokens, usage.total_tokens
    if params.get("budgetAllowance") is not None:
        parts.append(f"allowance {spent_out}/{params['budgetAllowance']} output tokens (soft)")
    if params.get("maxOutputTokens") is not None:
        parts.append(f"cap {spent_out}/{params['maxOutputTokens']} output tokens")
    if params.get("maxTotalTokens") is not None:
        parts.append(f"cap {spent_total}/{params['maxTotalTokens']} total tokens")
    if params.get("maxCostUsd") is not None:
        parts.append(f"cap {cost(usage.cost_usd)}/${params['maxCostUsd']}")
    return "; ".join(parts)


def _usage_cells(usage: UsageTotals) -> tuple[str, ...]:
    return (
        str(usage.input_tokens),
        str(usage.cache_read_tokens),
        str(usage.output_tokens),
        str(usage.cache_write_tokens),
        str(usage.total_tokens),
        cost(usage.cost_usd),
        _dash(usage.cost_source),
    )


def _rich_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(box=None, header_style="bold")
    for header in headers:
        table.add_column(
            header,
            justify="right" if header in ("ATTEMPTS", "STEPS", "TOTAL TOKENS", "COST") else "left",
        )
    for row in rows:
        style = STATE_STYLES.get(row[1])
        table.add_row(*row[:1], f"[{style}]{row[1]}[/]" if style else row[1], *row[2:])
    Console().print(table)


def _short(value: JSON, width: int = 80) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _dash(value: JSON) -> str:
    return "-" if value is None else str(value)


def _list(value: JSON) -> list[JSON]:
    return value if isinstance(value, list) else []

"""How history looks on a terminal: a rich table on a TTY, aligned plain text otherwise."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from datetime import datetime

from smolwf.jsontypes import JSON, JSONObject
from smolwf.permissions import Refusal

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
STATE_STYLES = {"completed": "green", "failed": "red", "cancelled": "yellow", "running": "cyan"}


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


def print_run_list(runs: list[JSONObject]) -> None:
    rows = [
        (
            str(run["runID"]),
            str(run["state"]),
            str(_meta_name(run)),
            ago(_text(run["createdAt"])),
            str(run["attempts"]),
            str(run["completedSteps"]),
            str(run["totalTokens"]),
            cost(run.get("costUsd")),
        )
        for run in runs
    ]
    if sys.stdout.isatty():
        _rich_table(LIST_HEADERS, rows)
    else:
        print(plain_table(LIST_HEADERS, rows))


def print_run_detail(detail: JSONObject) -> None:
    run = _obj(detail["workflowRun"])
    steps = [_obj(step) for step in _list(detail["steps"])]
    completed = sum(1 for step in steps if step["state"] == "completed")
    failed = sum(1 for step in steps if step["state"] == "failed")
    print(f"Run:       {run['runID']}")
    print(f"State:     {run['state']}")
    print(f"Workflow:  {_meta_name(run)}")
    print(f"Script:    {run['scriptPath']}")
    print(f"Created:   {run['createdAt']}")
    print(f"Attempts:  {len(_list(detail['attempts']))}")
    print(f"Steps:     {completed} completed, {failed} failed")
    budget = _budget_line(_obj(run.get("params")), _obj(detail["tokenUsage"]))
    if budget:
        print(f"Budget:    {budget}")
    if "failureReason" in run:
        print(f"Error:     {_obj(run['failureReason']).get('message')}")
    if "results" in detail:
        print(f"Result:    {_short(detail['results'])}")
    print()
    _print_usage(_obj(detail["tokenUsage"]))
    _print_attempts([_obj(item) for item in _list(detail["attempts"])])
    _print_steps(steps)
    print(f"Resume:    {detail.get('resumeCommand')}")


def _print_usage(usage: JSONObject) -> None:
    headers = ("PHASE", "INPUT", "CACHE READ", "OUTPUT", "CACHE WRITE", "TOTAL", "COST")
    rows = [
        (phase, *_usage_cells(_obj(numbers))) for phase, numbers in _obj(usage["byPhase"]).items()
    ]
    rows.append(("(all)", *_usage_cells(usage)))
    print("Token Usage")
    print(plain_table(headers, rows))
    print()


def _print_attempts(attempts: list[JSONObject]) -> None:
    headers = ("ATTEMPT", "STATE", "STARTED", "COMPLETED", "WORKER")
    rows = [
        (
            str(a["attempt"]),
            str(a["state"]),
            str(a["startedAt"]),
            str(a["completedAt"] or "-"),
            str(a["workerId"]),
        )
        for a in attempts
    ]
    print("Attempts")
    print(plain_table(headers, rows))
    print()


def _print_steps(steps: list[JSONObject]) -> None:
    headers = (
        "KIND",
        "STATE",
        "PHASE",
        "PROVIDER",
        "MODEL",
        "ATTEMPTS",
        "INPUT",
        "CACHE READ",
        "OUTPUT",
        "TOTAL",
        "COST",
        "DURATION",
        "SESSION",
        "LABEL / PROMPT",
    )
    rows: list[tuple[str, ...]] = []
    for step in steps:
        agent = _obj(step["agent"])
        usage = _obj(step["tokenUsage"])
        duration = step.get("durationMs")
        rows.append(
            (
                str(step["stepKind"]),
                str(step["state"]),
                _dash(agent["phase"]),
                _dash(agent["provider"]),
                _dash(agent["model"]),
                str(step["attempts"]),
                str(usage["inputTokens"]),
                str(usage["cacheReadTokens"]),
                str(usage["outputTokens"]),
                str(usage["totalTokens"]),
                cost(usage.get("costUsd")),
                f"{duration} ms" if isinstance(duration, int) else "-",
                _dash(agent["sessionId"]),
                _short(agent["label"] or agent["promptPreview"], 40),
            )
        )
        if step.get("error"):
            rows.append(("", "  error:", _short(step["error"], 100), *[""] * 11))
    print("Steps")
    print(plain_table(headers, rows))
    print()
    _print_refusals(steps)


def _print_refusals(steps: list[JSONObject]) -> None:
    """Tool uses the CLIs refused, per step: what was tried and the level that allows it."""
    rows: list[tuple[str, ...]] = []
    for step in steps:
        agent = _obj(step["agent"])
        who = _short(agent["label"] or step["stepId"], 40)
        for item in _list(step.get("refusals")):
            refusal = Refusal.from_json(item)
            if refusal is not None:
                needs = refusal.needs or "no level"
                rows.append((who, refusal.tool, _short(refusal.attempted, 60), needs))
    if rows:
        print("Refused tool uses")
        print(plain_table(("STEP", "TOOL", "ATTEMPTED", "NEEDS"), rows))
        print()


def _budget_line(params: JSONObject, usage: JSONObject) -> str:
    """Allowance and hard caps next to what was spent against them, or '' when none is set."""
    parts = []
    spent_out, spent_total = usage.get("outputTokens", 0), usage.get("totalTokens", 0)
    if params.get("budgetAllowance") is not None:
        parts.append(f"allowance {spent_out}/{params['budgetAllowance']} output tokens (soft)")
    if params.get("maxOutputTokens") is not None:
        parts.append(f"cap {spent_out}/{params['maxOutputTokens']} output tokens")
    if params.get("maxTotalTokens") is not None:
        parts.append(f"cap {spent_total}/{params['maxTotalTokens']} total tokens")
    if params.get("maxCostUsd") is not None:
        parts.append(f"cap {cost(usage.get('costUsd'))}/${params['maxCostUsd']}")
    return "; ".join(parts)


def _usage_cells(usage: JSONObject) -> tuple[str, ...]:
    keys = ("inputTokens", "cacheReadTokens", "outputTokens", "cacheWriteTokens", "totalTokens")
    return (*(str(usage.get(key, 0)) for key in keys), cost(usage.get("costUsd")))


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


def _meta_name(run: JSONObject) -> str:
    meta = run.get("metadata")
    return str(meta.get("name", "-")) if isinstance(meta, dict) else "-"


def _short(value: JSON, width: int = 80) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def _dash(value: JSON) -> str:
    return "-" if value is None else str(value)


def _text(value: JSON) -> str | None:
    return value if isinstance(value, str) else None


def _obj(value: JSON) -> JSONObject:
    return value if isinstance(value, dict) else {}


def _list(value: JSON) -> list[JSON]:
    return value if isinstance(value, list) else []

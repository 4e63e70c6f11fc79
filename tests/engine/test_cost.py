"""A cost for every call: reported by the CLI, else estimated from tokens and model prices.

Runs use fake providers named like the real ones (codex reports no cost, claude-code
does) through the Python API; what a user reads comes from the real ``smol-wf history``.
"""

from __future__ import annotations

import io
import json
import subprocess
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from genai_prices import Usage as PriceUsage
from genai_prices import calc_price

from smolwf import RunReport
from smolwf.errors import FailureKind
from smolwf.events.run_state import RunState, fold
from smolwf.events.stream import parse_lines
from smolwf.usage import Usage
from tests.fakes import FailingProvider, FlakyProvider, RecordingProvider

Write = Callable[..., Path]
Run = Callable[..., RunReport]
Cli = Callable[..., subprocess.CompletedProcess[str]]

CODEX_USAGE = Usage(input_tokens=1000, cache_read_tokens=500, output_tokens=100)
"""What a codex call reports: tokens, no cost (1,000 uncached input, 500 read from cache)."""


def _codex(**options: Any) -> RecordingProvider:
    return RecordingProvider(name="codex", usage=CODEX_USAGE, **options)


def _events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _completed_usage(stream: io.StringIO) -> list[dict[str, Any]]:
    return [e["data"]["usage"] for e in _events(stream) if e["type"] == "workflow.agent_completed"]


def _history(cli: Cli, db: Path, run_id: str) -> dict[str, Any]:
    shown = cli("history", run_id, "--db", db, "-o", "json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)  # type: ignore[no-any-return]


def test_a_call_without_a_reported_cost_is_priced_with_cached_input_cheaper(
    write_script: Write, run: Run
) -> None:
    script = write_script("export default await agent('hi', { provider: 'codex', model: 'gpt-5' })")
    events = io.StringIO()
    run(script, providers={"codex": _codex()}, events_stream=events)
    [usage] = _completed_usage(events)
    # The price database counts cached input inside input; smol-wf counts it apart.
    cached = calc_price(
        PriceUsage(input_tokens=1500, cache_read_tokens=500, output_tokens=100), "gpt-5"
    )
    uncached = calc_price(PriceUsage(input_tokens=1500, output_tokens=100), "gpt-5")
    assert usage["costSource"] == "estimated"
    assert usage["costUsd"] == float(cached.total_price)
    assert usage["costUsd"] < float(uncached.total_price)


def test_a_reported_cost_is_never_replaced(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('hi', { provider: 'codex', model: 'gpt-5' })")
    reported = RecordingProvider(name="codex", usage=Usage(input_tokens=1000, cost_usd=0.5))
    events = io.StringIO()
    run(script, providers={"codex": reported}, events_stream=events)
    [usage] = _completed_usage(events)
    assert (usage["costUsd"], usage["costSource"]) == (0.5, "provider")


def test_an_unknown_model_costs_null_and_warns_once_per_run_naming_it(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "const o = { provider: 'codex', model: 'gpt-from-the-future' }\n"
        "export default await parallel([() => agent('a', o), () => agent('b', o)])"
    )
    events = io.StringIO()
    run(script, providers={"codex": _codex()}, events_stream=events)
    usages = _completed_usage(events)
    assert [("costUsd" in u, "costSource" in u) for u in usages] == [(False, False)] * 2
    warnings = [e["data"] for e in _events(events) if e["type"] == "workflow.warning"]
    assert warnings == [
        {
            "message": "the codex provider's calls to model 'gpt-from-the-future' have no known "
            "cost (null, not $0): the provider reports none and the price database does not "
            "know the model",
            "source": "cost",
        }
    ]


def test_history_marks_each_calls_cost_source(
    write_script: Write, run: Run, cli: Cli, db: Path
) -> None:
    script = write_script(
        "await agent('estimated', { provider: 'codex', model: 'gpt-5', label: 'e' })\n"
        "await agent('reported', { provider: 'claude-code', label: 'r' })\n"
        "await agent('unknown', { provider: 'codex', model: 'nope-1', label: 'u' })\n"
        "export default 1"
    )
    claude = RecordingProvider(name="claude-code", usage=Usage(input_tokens=5, cost_usd=0.25))
    report = run(script, providers={"codex": _codex(), "claude-code": claude})
    steps = _history(cli, db, report.run_id)["steps"]
    sources = {s["agent"]["label"]: s["tokenUsage"].get("costSource") for s in steps}
    assert sources == {"e": "estimated", "r": "provider", "u": None}
    table = cli("history", report.run_id, "--db", db).stdout
    assert "estimated" in table and "provider" in table


def _ledger_sum(detail: dict[str, Any], key: str) -> Decimal:
    groups = detail["tokenUsage"][key].values()
    return sum((Decimal(str(g.get("costUsd", 0))) for g in groups), Decimal(0))


def test_totals_per_run_phase_and_provider_add_up_in_history_and_the_run_state(
    write_script: Write, run: Run, cli: Cli, db: Path
) -> None:
    """Every provider call counts once: retries, a fallback, a failure and a child's calls."""
    write_script(
        "phase('Inner')\nexport default await agent('in child', { provider: 'codex', model: 'gpt-5' })",
        "child.mjs",
    )
    script = write_script(
        "phase('Fan')\n"
        "await parallel([1, 2, 3].map((i) => () => agent('fan ' + i, { provider: 'codex', model: 'gpt-5' })))\n"
        "phase('Retry')\n"
        "await agent('flaky', { provider: 'flaky', retry: { maxAttempts: 2 } })\n"
        "await agent('fallback', { provider: ['claude-code', 'codex'], model: 'gpt-5' })\n"
        "try { await agent('doomed', { provider: 'claude-code' }) } catch (e) {}\n"
        "await workflow({ scriptPath: './child.mjs' })\n"
        "export default 1"
    )
    flaky = FlakyProvider(name="flaky", usage=Usage(input_tokens=3, cost_usd=0.001))
    claude = FailingProvider(name="claude-code", kind=FailureKind.QUOTA)
    report = run(script, providers={"codex": _codex(), "flaky": flaky, "claude-code": claude})
    detail = _history(cli, db, report.run_id)
    total = Decimal(str(detail["tokenUsage"]["costUsd"]))
    assert _ledger_sum(detail, "byPhase") == total
    assert _ledger_sum(detail, "byProvider") == total
    assert set(detail["tokenUsage"]["byProvider"]) == {"codex", "flaky", "claude-code"}
    stream = cli("history", report.run_id, "--db", db, "--events").stdout
    state: RunState = fold(parse_lines(stream.splitlines()))
    assert state.cost_usd == detail["tokenUsage"]["costUsd"]
    assert state.usage.total == detail["tokenUsage"]["totalTokens"]
    by_provider = {name: tally.cost_usd for name, tally in state.providers.items()}
    assert by_provider == {
        name: sums.get("costUsd") for name, sums in detail["tokenUsage"]["byProvider"].items()
    }
    assert sum(p.spend.cost_nanos or 0 for p in state.phases) == state.spend.cost_nanos

"""Hard budget caps: a sticky latch that stops new agents and fails the run, naming the metric."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport, WorkflowFailed
from smolwf.usage import Usage
from tests.fakes import ConcurrencyProvider, RecordingProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]

FAN_OUT = (
    "export default await parallel(Array.from({ length: 20 }, (_, i) => () => agent('n' + i)))\n"
)


def test_cap_trips_under_fan_out_and_launches_nothing_after_the_latch(
    write_script: Write, run: Run
) -> None:
    stream = io.StringIO()
    fake = ConcurrencyProvider()
    with pytest.raises(WorkflowFailed) as caught:
        run(
            write_script(FAN_OUT),
            providers={"debug": fake},
            max_parallel_agents=4,
            max_output_tokens=20,
            events_stream=stream,
        )
    assert caught.value.message.startswith("BudgetExceeded: the run spent ")
    assert (
        "of 20 output tokens" in caught.value.message
        and "--max-output-tokens" in caught.value.message
    )
    seen = [json.loads(line) for line in stream.getvalue().splitlines()]
    latch = next(i for i, e in enumerate(seen) if e["data"].get("source") == "budget")
    assert not [e for e in seen[latch:] if e["type"] == "workflow.agent_started"]
    assert 3 <= len(fake.requests) <= 3 + 4  # the calls that tripped it, plus those in flight
    assert seen[-1]["type"] == "workflow.error"


def test_rejected_calls_say_budget_exceeded_to_the_script(write_script: Write, run: Run) -> None:
    script = write_script(
        "await agent('a'); await agent('b'); await agent('c')\n"
        "let seen = null\ntry { await agent('d') } catch (e) { seen = e.message }\n"
        "log(seen)\nexport default seen\n"
    )
    progress = io.StringIO()
    with pytest.raises(WorkflowFailed, match="BudgetExceeded"):
        run(
            script,
            providers={"debug": RecordingProvider()},
            max_total_tokens=20,
            progress_stream=progress,
        )
    assert "[log] BudgetExceeded: the run spent 27 of 20 total tokens" in progress.getvalue()


def test_meta_budget_sets_caps_and_budget_total(write_script: Write, run: Run) -> None:
    script = write_script(
        "export const meta = { name: 'capped', description: 'd', budget: { outputTokens: 100 } }\n"
        "export default { total: budget.total, out: await agent('x') }\n",
        meta=False,
    )
    assert run(script, providers={"debug": RecordingProvider()}).result == {
        "total": 100,
        "out": "fake: x",
    }


def test_a_flag_overrides_the_meta_cap(write_script: Write, run: Run) -> None:
    script = write_script(
        "export const meta = { name: 'capped', description: 'd', budget: { outputTokens: 5 } }\n"
        "export default await agent('x')\n",
        meta=False,
    )
    assert (
        run(script, providers={"debug": RecordingProvider()}, max_output_tokens=1000).result
        == "fake: x"
    )


def test_usd_cap_warns_once_about_providers_without_cost(write_script: Write, run: Run) -> None:
    script = write_script("await agent('a'); await agent('b')\nexport default 1\n")
    progress = io.StringIO()
    no_cost = RecordingProvider(usage=Usage(input_tokens=2, output_tokens=7))
    run(script, providers={"debug": no_cost}, max_cost_usd=1.0, progress_stream=progress)
    warnings = [line for line in progress.getvalue().splitlines() if "reports no cost" in line]
    assert warnings == [
        "[warn] the debug provider reports no cost: --max-cost-usd cannot see its spend"
    ]


def test_usd_cap_trips_on_reported_cost(write_script: Write, run: Run) -> None:
    pricey = RecordingProvider(usage=Usage(input_tokens=1, output_tokens=1, cost_usd=0.6))
    with pytest.raises(
        WorkflowFailed, match=r"BudgetExceeded: the run spent \$1.2000 of \$1.0000 USD"
    ):
        run(
            write_script(
                "await agent('a'); await agent('b'); await agent('c')\nexport default 1\n"
            ),
            providers={"debug": pricey},
            max_cost_usd=1.0,
        )
    assert len(pricey.requests) == 2

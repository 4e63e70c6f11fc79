"""Calls waiting for a slot and sleeping steps are in the event stream, as ``smol-wf run
--events`` prints it, so every viewer (and ``history --events``) can show them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from smolwf import RunReport
from smolwf.events.types import EventType
from smolwf.jsontypes import JSONObject

Cli = Callable[..., CompletedProcess[str]]
Write = Callable[..., Path]

FAN_OUT = (
    "phase('Fan out')\n"
    "export default await parallel(['a', 'b', 'c'].map((x) => () => agent(x, { label: x })))\n"
)


SLOW = {"SMOLWF_DEBUG_DELAY_MS": "20"}
"""Debug agents that take a moment: a call finishing at once frees its slot in the same turn."""


def _events(done: CompletedProcess[str]) -> list[JSONObject]:
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def _agent_lifecycle(events: list[JSONObject]) -> list[tuple[str, str]]:
    """(type, label) of queued and started events, labels read from the step's first event."""
    labels: dict[str, str] = {}
    seen = []
    for event in events:
        kind = str(event["type"]).removeprefix("workflow.")
        if kind not in ("agent_queued", "agent_started"):
            continue
        step = event["metadata"]["stepId"]  # type: ignore[index]
        labels.setdefault(step, event["data"]["label"])  # type: ignore[index]
        seen.append((kind, labels[step]))
    return seen


def test_calls_that_wait_for_a_slot_are_announced_as_queued(
    cli: Cli, write_script: Write, db: Path
) -> None:
    script = write_script(FAN_OUT)
    done = cli("run", script, "--db", db, "--events", "--max-parallel-agents", "1", env=SLOW)
    events = _events(done)
    assert _agent_lifecycle(events) == [
        ("agent_started", "a"),
        ("agent_queued", "b"),
        ("agent_queued", "c"),
        ("agent_started", "b"),
        ("agent_started", "c"),
    ]
    queued = next(e for e in events if e["type"] == "workflow.agent_queued")
    assert queued["data"] == {"phase": "Fan out", "promptPreview": "b", "label": "b"}
    assert set(queued["metadata"]) == {"runId", "stepId", "provider", "workflowDepth"}  # type: ignore[arg-type]


def test_calls_with_a_free_slot_are_never_queued(cli: Cli, write_script: Write, db: Path) -> None:
    script = write_script(FAN_OUT)
    done = cli("run", script, "--db", db, "--events", "--max-parallel-agents", "3", env=SLOW)
    assert [kind for kind, _ in _agent_lifecycle(_events(done))] == ["agent_started"] * 3


def test_history_replays_the_queued_events(cli: Cli, write_script: Write, db: Path) -> None:
    script = write_script(FAN_OUT)
    done = cli("run", script, "--db", db, "--events", "--max-parallel-agents", "1", env=SLOW)
    run_id = _events(done)[0]["metadata"]["runId"]  # type: ignore[index]
    history = cli("history", run_id, "--db", db, "--events")
    assert history.stdout == done.stdout


def test_a_sleep_is_announced_when_it_starts_and_when_it_wakes(
    cli: Cli, write_script: Write, db: Path
) -> None:
    script = write_script(
        "import { sleep } from 'workflow:extra'\nphase('Wait')\nawait sleep(20)\nlog('awake')\nexport default 1\n"
    )
    events = _events(cli("run", script, "--db", db, "--events"))
    kinds = [str(e["type"]).removeprefix("workflow.") for e in events]
    assert kinds == ["started", "phase", "sleep_started", "sleep_completed", "log", "result"]
    started, woke = events[2], events[3]
    assert started["data"]["durationMs"] == 20  # type: ignore[index]
    assert 0 <= started["data"]["remainingMs"] <= 20  # type: ignore[index,operator]
    assert isinstance(started["data"]["wakeAt"], int)  # type: ignore[index]
    assert woke["data"] == {"durationMs": 20}
    assert started["metadata"]["stepId"] == woke["metadata"]["stepId"]  # type: ignore[index]


def test_queued_calls_refused_by_a_budget_cap_end_as_failed(
    cli: Cli, write_script: Write, db: Path
) -> None:
    script = write_script(
        "const r = await parallel(['a', 'b', 'c'].map((x) => () => agent(x, { label: x })))\n"
        "export default r\n"
    )
    done = cli(
        "run", script, "--db", db, "--events", "--max-parallel-agents", "1",
        "--max-output-tokens", "1", env=SLOW,
    )  # fmt: skip
    events = [json.loads(line) for line in done.stdout.splitlines()]
    queued = {e["metadata"]["stepId"] for e in events if e["type"] == "workflow.agent_queued"}
    failed = [e for e in events if e["type"] == "workflow.agent_failed"]
    assert len(queued) == 2
    assert {e["metadata"]["stepId"] for e in failed} == queued
    assert all("--max-output-tokens" in e["data"]["message"] for e in failed)


WIDE = (
    "const r = await parallel(Array.from({length: 2500}, (_, i) => () => agent('i' + i)))\n"
    "export default r.length\n"
)
"""A fan-out wider than ``START_BATCH``: its calls start over several turns."""


def test_calls_held_back_for_a_later_start_batch_are_not_announced_as_queued(
    write_script: Write, run: Callable[..., RunReport]
) -> None:
    kinds: list[str] = []
    report = run(
        write_script(WIDE),
        max_agents=2500,
        max_parallel_agents=10_000,
        on_event=lambda event: kinds.append(event.type),
    )
    assert report.result == 2500
    assert kinds.count(EventType.AGENT_STARTED) == 2500
    assert EventType.AGENT_QUEUED not in kinds


def test_every_call_of_a_wide_fan_out_starts_before_the_first_one_ends(
    write_script: Write, run: Callable[..., RunReport], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Held back calls start in the next turns, not when a call ends and wakes the loop.
    monkeypatch.setenv("SMOLWF_DEBUG_DELAY_MS", "1000")
    kinds: list[str] = []
    run(
        write_script(WIDE),
        max_agents=2500,
        max_parallel_agents=10_000,
        on_event=lambda event: kinds.append(event.type),
    )
    first_end = kinds.index(EventType.AGENT_COMPLETED)
    assert kinds[:first_end].count(EventType.AGENT_STARTED) == 2500

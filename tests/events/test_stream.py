"""The event stream a consumer sees: exact sequences, envelopes and persistence."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smolwf import RunReport, WorkflowFailed
from smolwf.events.types import Event
from tests.fakes import FlakyProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def _events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_success_stream_has_the_documented_sequence(write_script: Write, run: Run) -> None:
    script = write_script(
        "phase('Inspect')\nlog('checking', { target: 'world' })\n"
        "export default await agent('hello world')\n"
    )
    stream = io.StringIO()
    report = run(script, events_stream=stream)
    events = _events(stream)
    assert [e["type"] for e in events] == [
        "workflow.started",
        "workflow.phase",
        "workflow.log",
        "workflow.agent_started",
        "workflow.agent_completed",
        "workflow.result",
    ]
    assert "elapsedNanos" not in events[0]
    assert all("elapsedNanos" in e for e in events[1:])
    assert events[0]["data"]["startTime"].endswith("Z") and "T" in events[0]["data"]["startTime"]
    assert {e["metadata"]["runId"] for e in events} == {report.run_id}
    assert all(e["metadata"]["workflowDepth"] == 0 for e in events)
    assert events[2]["data"] == {"message": 'checking {"target":"world"}'}
    started, completed = events[3], events[4]
    assert started["data"] == {"phase": "Inspect", "promptPreview": "hello world"}
    assert started["metadata"]["provider"] == "debug"
    assert started["metadata"]["stepId"] == completed["metadata"]["stepId"]
    assert completed["data"]["usage"]["outputTokens"] == 5
    assert events[5]["data"] == {
        "tokenUsage": {"inputTokens": 3, "outputTokens": 5, "totalTokens": 8},
        "results": "echo: hello world",
    }


def test_event_step_ids_are_the_database_step_ids(write_script: Write, run: Run, db: Path) -> None:
    stream = io.StringIO()
    run(write_script("export default await agent('x')\n"), events_stream=stream)
    step_id = _events(stream)[1]["metadata"]["stepId"]
    assert sqlite3.connect(db).execute("SELECT step_id FROM steps").fetchone()[0] == step_id


def test_failure_stream_ends_with_an_error_event(write_script: Write, run: Run) -> None:
    stream = io.StringIO()
    with pytest.raises(WorkflowFailed):
        run(write_script("log('before')\nthrow new Error('boom')\n"), events_stream=stream)
    events = _events(stream)
    assert [e["type"] for e in events] == ["workflow.started", "workflow.log", "workflow.error"]
    assert "boom" in events[-1]["data"]["message"]
    assert "elapsedNanos" in events[-1]


def test_failed_agent_emits_agent_failed(write_script: Write, run: Run) -> None:
    stream = io.StringIO()
    script = write_script("try { await agent('x') } catch (e) {}\nexport default 1\n")
    run(script, events_stream=stream, providers={"debug": FlakyProvider(failures=1)})
    failed = [e for e in _events(stream) if e["type"] == "workflow.agent_failed"]
    assert [e["data"]["message"] for e in failed] == ["flaky failure"]
    assert failed[0]["data"]["usage"]["outputTokens"] == 3  # what the failed attempt cost


def test_long_prompts_are_previewed_with_an_ellipsis(write_script: Write, run: Run) -> None:
    stream = io.StringIO()
    run(write_script("export default await agent('x'.repeat(300))\n"), events_stream=stream)
    preview = _events(stream)[1]["data"]["promptPreview"]
    assert preview == "x" * 200 + "…"


def test_persisted_events_equal_the_stream(write_script: Write, run: Run, db: Path) -> None:
    stream = io.StringIO()
    run(write_script("log('a')\nexport default await agent('b')\n"), events_stream=stream)
    rows = sqlite3.connect(db).execute("SELECT body FROM events ORDER BY first_seq")
    stored = [line for (body,) in rows for line in body.split("\n")]
    assert stored == stream.getvalue().splitlines()


def test_replayed_calls_are_marked(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('x')\n")
    first = run(script)
    stream = io.StringIO()
    run(script, resume_run_id=first.run_id, events_stream=stream)
    replayed = [
        e["data"].get("replayed")
        for e in _events(stream)
        if e["type"].startswith("workflow.agent_")
    ]
    assert replayed == [True, True]


def test_swallowed_parallel_errors_become_warning_events(write_script: Write, run: Run) -> None:
    stream = io.StringIO()
    run(
        write_script(
            "export default await parallel([() => agent('a'), () => { throw new Error('x') }])\n"
        ),
        events_stream=stream,
    )
    warning = next(e for e in _events(stream) if e["type"] == "workflow.warning")
    assert warning["data"]["source"] == "parallel"
    assert warning["data"]["index"] == 1
    assert warning["data"]["message"] == "parallel task 1 failed: x"


class _Collecting:
    """A sink that reads every event, or (with ``kinds``) only those types."""

    def __init__(self, kinds: frozenset[str] | None = None) -> None:
        if kinds is not None:
            self.kinds = kinds
        self.types: list[str] = []

    def emit(self, event: Event, text: str) -> None:
        self.types.append(event.type)

    def flush(self) -> None:
        pass


def test_a_sink_with_kinds_gets_only_those_beside_one_that_reads_all(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("log('hi')\nexport default await agent('x')\n")
    picky, everything = _Collecting(frozenset({"workflow.log"})), _Collecting()
    run(script, sinks=[picky, everything])
    assert picky.types == ["workflow.log"]
    assert everything.types == [
        "workflow.started",
        "workflow.log",
        "workflow.agent_started",
        "workflow.agent_completed",
        "workflow.result",
    ]


def test_events_no_sink_reads_are_still_stored(write_script: Write, run: Run, db: Path) -> None:
    script = write_script("log('hi')\nexport default await agent('x')\n")
    run(script, sinks=[_Collecting(frozenset({"workflow.log"}))])
    with sqlite3.connect(db) as conn:
        bodies = "\n".join(row[0] for row in conn.execute("SELECT body FROM events"))
    assert [json.loads(line)["type"] for line in bodies.splitlines()] == [
        "workflow.started",
        "workflow.log",
        "workflow.agent_started",
        "workflow.agent_completed",
        "workflow.result",
    ]

"""``smol-wf tui replay --check``: the reference's summary format, stricter exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from subprocess import CompletedProcess

from tests.tui.streams import pipeline_stream, reference_fixture, write_stream

Cli = Callable[..., CompletedProcess[str]]


def test_check_summarizes_the_reference_fixture(cli: Cli, tmp_path: Path) -> None:
    path = write_stream(tmp_path / "events.jsonl", reference_fixture())
    result = cli("tui", "replay", path, "--check")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        f"events: {path}",
        "total: 5",
        "tabs: 2",
        "agentEvents: 1",
        "rootResults: 1",
        "warnings: 0",
    ]


def test_check_lists_reference_warnings(cli: Cli, tmp_path: Path) -> None:
    events = pipeline_stream()[1:-1]  # no root started, no terminal result
    events[1]["elapsedNanos"] = 1  # decreases after the phase's 10ms
    events[2]["data"] = None
    events[3]["metadata"]["workflowDepth"] = 2  # type: ignore[index]
    result = cli("tui", "replay", write_stream(tmp_path / "w.jsonl", events), "--check")
    assert result.returncode == 0
    assert result.stdout.splitlines()[-6:] == [
        "warnings: 5",
        "- no root workflow.started event",
        "- no terminal root workflow.result or workflow.error event",
        "- event 2 elapsedNanos decreases",
        "- event 3 has null data",
        "- nested event 4 is missing parentStepId",
    ]


def test_check_exits_1_on_a_malformed_line(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    lines = [json.dumps(e) for e in pipeline_stream()]
    lines.insert(2, "")  # blank lines are skipped but still counted
    lines.insert(3, '{"type": "workflow.log"}')
    path.write_text("\n".join(lines), encoding="utf-8")
    result = cli("tui", "replay", path, "--check")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "error: invalid workflow event on line 4: missing field `data`\n"


def test_check_rejects_non_json(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("not json\n", encoding="utf-8")
    result = cli("tui", "replay", path, "--check")
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid workflow event on line 1: Expecting value")


def test_missing_events_file_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    result = cli("tui", "replay", tmp_path / "nope.jsonl", "--check")
    assert result.returncode == 2
    assert result.stderr == f"error: events file {tmp_path / 'nope.jsonl'} was not found\n"


def test_bad_max_delay_is_a_usage_error(cli: Cli, tmp_path: Path) -> None:
    path = write_stream(tmp_path / "events.jsonl", reference_fixture())
    result = cli("tui", "replay", path, "--check", "--max-delay", "fast")
    assert result.returncode == 2
    assert "--max-delay must be a duration like 50ms" in result.stderr


def test_check_reads_a_run_from_the_database(cli: Cli, tmp_path: Path) -> None:
    script = Path(__file__).parents[2] / "examples" / "pipeline.mjs"
    db = tmp_path / "runs.db"
    events = cli("run", script, "--events", "--db", db)
    assert events.returncode == 0, events.stderr
    run_id = json.loads(events.stdout.splitlines()[0])["metadata"]["runId"]
    result = cli("tui", "replay", run_id, "--db", db, "--check")
    assert result.returncode == 0, result.stderr
    assert f"total: {len(events.stdout.splitlines())}" in result.stdout
    assert "rootResults: 1" in result.stdout
    assert "warnings: 0" in result.stdout


def test_unknown_run_id_names_the_database(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    assert (
        cli("run", Path(__file__).parents[2] / "examples" / "hello.mjs", "--db", db).returncode == 0
    )
    result = cli("tui", "replay", "run_missing", "--db", db, "--check")
    assert result.returncode == 1
    assert result.stderr == f"error: workflow run run_missing was not found in {db}; check --db\n"


def test_tui_run_rejects_events_flag(cli: Cli, tmp_path: Path) -> None:
    script = Path(__file__).parents[2] / "examples" / "hello.mjs"
    result = cli("tui", "run", script, "--events")
    assert result.returncode == 2
    assert result.stderr == (
        "error: --events is not supported with smol-wf tui run; the TUI consumes events directly\n"
    )


def test_tui_run_checks_run_flags_like_run(cli: Cli, tmp_path: Path) -> None:
    script = Path(__file__).parents[2] / "examples" / "hello.mjs"
    result = cli("tui", "run", script, "--budget-allowance", "-1")
    assert result.returncode == 2
    assert result.stderr == "error: --budget-allowance must be a non-negative integer\n"

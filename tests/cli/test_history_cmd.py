"""``smol-wf history``: what a user sees about past runs, and deleting them."""

from __future__ import annotations

import json
import shlex
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]

ALPHA = "export const meta = { name: 'alpha-meta', description: 'first' }\n"


@pytest.fixture
def populated(write_script: Write, cli: Cli, db: Path) -> dict[str, str]:
    """One completed 'alpha-meta' run with a Detail phase, and one failed run."""
    ok = write_script(
        ALPHA + "phase('Detail')\nexport default { result: await agent('detail') }\n",
        name="alpha.mjs",
        meta=False,
    )
    bad = write_script("throw new Error('nope')\n", name="bad.mjs")
    done = cli("run", ok, "--db", db)
    cli("run", bad, "--db", db)
    failed_id = (
        sqlite3.connect(db).execute("SELECT run_id FROM runs WHERE status = 'failed'").fetchone()[0]
    )
    return {"ok": json.loads(done.stdout)["runID"], "failed": failed_id}


def test_list_json_filters_by_state_and_name(cli: Cli, db: Path, populated: dict[str, str]) -> None:
    runs = json.loads(
        cli("history", "--db", db, "-o", "json", "--state", "completed", "--name", "alpha").stdout
    )
    assert [run["runID"] for run in runs] == [populated["ok"]]
    run = runs[0]
    assert run["metadata"]["name"] == "alpha-meta" and run["state"] == "completed"
    assert run["totalTokens"] > 0 and "workflowName" not in run
    assert run["createdAt"].endswith("Z") and "T" in run["createdAt"]
    assert (
        json.loads(cli("history", "--db", db, "-o", "json", "--name", "alpha-history").stdout) == []
    )
    assert json.loads(cli("history", "--db", db, "-o", "json", "--until", "0").stdout) == []


def test_list_is_newest_first_and_limited(cli: Cli, db: Path, populated: dict[str, str]) -> None:
    runs = json.loads(cli("history", "--db", db, "-o", "json").stdout)
    assert [run["runID"] for run in runs] == [populated["failed"], populated["ok"]]
    table = cli("history", "--db", db, "--limit", "1").stdout
    assert "RUN ID" in table and "TOTAL TOKENS" in table
    assert populated["failed"] in table and populated["ok"] not in table


def test_detail_json_shows_usage_attempts_and_steps(
    cli: Cli, db: Path, populated: dict[str, str]
) -> None:
    detail = json.loads(cli("history", populated["ok"], "--db", db, "-o", "json").stdout)
    run = detail["workflowRun"]
    assert run["runID"] == populated["ok"] and run["state"] == "completed"
    assert run["metadata"] == {"name": "alpha-meta", "description": "first"}
    assert run["args"] == {} and run["createdAt"].endswith("Z")
    assert detail["results"] == {"result": "echo: detail"}
    assert detail["tokenUsage"]["outputTokens"] == 4
    assert detail["tokenUsage"]["byPhase"]["Detail"]["outputTokens"] == 4
    assert detail["attempts"][0]["startedAt"].endswith("Z")
    step = detail["steps"][0]
    assert step["agent"]["provider"] == "debug" and step["agent"]["phase"] == "Detail"
    assert step["tokenUsage"]["outputTokens"] == 4
    assert detail["resumeCommand"] == f"smol-wf run --resume-run {populated['ok']} --db {db}"


def test_the_resume_command_of_a_database_path_with_a_space_runs_in_a_shell(
    write_script: Write, cli: Cli, tmp_path: Path
) -> None:
    db = tmp_path / "my runs" / "runs.db"
    db.parent.mkdir()
    script = write_script("await agent('first')\nthrow new Error('boom')\n")
    assert cli("run", script, "--db", db).returncode == 1
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    detail = json.loads(cli("history", run_id, "--db", db, "-o", "json").stdout)
    command = detail["resumeCommand"]
    assert command == f"smol-wf run --resume-run {run_id} --db '{db}'"
    write_script("export default await agent('first')\n")
    resumed = cli(*shlex.split(command)[1:])
    assert resumed.returncode == 0, resumed.stderr


def test_detail_table_has_the_sections(cli: Cli, db: Path, populated: dict[str, str]) -> None:
    table = cli("history", populated["ok"], "--db", db).stdout
    for text in (
        "Token Usage",
        "PHASE",
        "Detail",
        "PROVIDER",
        "MODEL",
        "CACHE READ",
        "debug",
        "Resume:",
    ):
        assert text in table


def test_detail_shows_the_budget_against_its_limits(
    write_script: Write, cli: Cli, db: Path
) -> None:
    done = cli(
        "run",
        write_script("export default await agent('x')\n"),
        "--db",
        db,
        "--budget-allowance",
        "100",
        "--max-total-tokens",
        "500",
    )
    run_id = json.loads(done.stdout)["runID"]
    table = cli("history", run_id, "--db", db).stdout
    assert "Budget:    allowance 3/100 output tokens (soft); cap 4/500 total tokens" in table


def test_detail_of_a_failed_run_shows_the_error(
    cli: Cli, db: Path, populated: dict[str, str]
) -> None:
    assert (
        "Error:     workflow module evaluation rejected: nope"
        in cli("history", populated["failed"], "--db", db).stdout
    )


def test_events_prints_the_persisted_stream(write_script: Write, cli: Cli, db: Path) -> None:
    live = cli(
        "run", write_script("log('x')\nexport default await agent('y')\n"), "--db", db, "--events"
    )
    run_id = json.loads(live.stdout.splitlines()[0])["metadata"]["runId"]
    stored = cli("history", run_id, "--db", db, "--events")
    assert stored.returncode == 0
    assert stored.stdout == live.stdout


def test_missing_run_and_missing_database(
    cli: Cli, db: Path, tmp_path: Path, populated: dict[str, str]
) -> None:
    missing = cli("history", "run_missing", "--db", db)
    assert missing.returncode == 1 and "workflow run run_missing was not found" in missing.stderr
    absent = tmp_path / "absent.db"
    done = cli("history", "--db", absent)
    assert done.returncode == 1 and "history database" in done.stderr
    assert not absent.exists()


def test_corrupt_database_is_one_error_line(cli: Cli, tmp_path: Path) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"garbage" * 1000)
    done = cli("history", "--db", junk)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "not a SQLite database or is corrupt" in done.stderr


def test_delete_by_state_dry_run_then_for_real(
    cli: Cli, db: Path, write_script: Write, populated: dict[str, str]
) -> None:
    cli("run", write_script("throw new Error('again')\n", name="bad2.mjs"), "--db", db)
    dry = cli("history", "delete", "--state", "failed", "--dry-run", "--db", db)
    assert "dry run" in dry.stdout and "failed       2" in dry.stdout
    assert sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone()[0] == 3
    real = cli("history", "delete", "--state", "failed", "--db", db)
    assert "Deleted 2 run(s)." in real.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT run_id FROM runs").fetchall() == [(populated["ok"],)]
    assert conn.execute("SELECT count(*) FROM steps").fetchone()[0] == 1


def test_delete_exact_ids_and_all(cli: Cli, db: Path, populated: dict[str, str]) -> None:
    done = cli("history", "delete", populated["failed"], "--db", db)
    assert "Deleted 1 run(s)." in done.stdout
    assert "events: " in done.stdout and "usage entries: 0" in done.stdout
    everything = cli("history", "delete", "--all", "--db", db)
    assert "Deleted 1 run(s)." in everything.stdout and "usage entries: 1" in everything.stdout
    conn = sqlite3.connect(db)
    for table in ("runs", "steps", "attempts", "events", "usage_ledger"):
        assert conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["delete"], "history delete requires run ids, --all or at least one --status"),
        (["delete", "--all", "--state", "failed"], "--all cannot be combined"),
        (["delete", "--state", "bogus"], "--status must be one of"),
        (["-o", "json", "delete", "--all"], "history delete does not support --output"),
        (["delete", "--all", "--output", "json"], "history delete does not support --output"),
        (["a", "b"], "history accepts at most one run id"),
        (["--events"], "--events needs a run id"),
        (["-o", "yaml"], "--output must be one of table, json"),
    ],
)
def test_invalid_history_invocations(
    cli: Cli, db: Path, populated: dict[str, str], args: list[str], message: str
) -> None:
    done = cli("history", *args, "--db", db)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM runs").fetchone()[0] == 2


def test_a_long_step_error_does_not_widen_the_steps_table(
    tmp_path: Path, cli: Cli, db: Path
) -> None:
    fake = tmp_path / "codex"
    fake.write_text("#!/bin/sh\necho \"fatal: $(printf 'x%.0s' $(seq 300))\" >&2\nexit 1\n")
    fake.chmod(0o755)
    script = tmp_path / "wf.mjs"
    script.write_text(
        ALPHA + "phase('Detail')\nawait agent('one', { label: 'first' })\nexport default 1\n"
    )
    cli("run", script, "--db", db, "--agent-provider", "codex", "--provider-bin", f"codex={fake}")
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    shown = cli("history", run_id, "--db", db).stdout.splitlines()
    header = next(line for line in shown if line.startswith("KIND"))
    row = shown[shown.index(header) + 1]
    assert row.split()[:3] == ["agent", "failed", "Detail"]
    assert len(header) < 160 and len(row) < 160
    assert shown[shown.index(header) + 2].startswith("  error: Codex provider exited with code 1")

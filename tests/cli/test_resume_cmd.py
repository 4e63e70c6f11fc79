"""``smol-wf run --resume-run``: stored inputs by default, overrides said out loud, one owner."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import smol_wf_command

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]

PAUSING = (
    "import { sleep } from 'workflow:extra'\n"
    "const first = await agent('before the pause')\nlog('ready')\nawait sleep(600000)\n"
    "export default first\n"
)


def _read_until_ready(process: subprocess.Popen[str]) -> str:
    """Everything the process wrote to stderr up to its ``[log] ready`` line (or its exit)."""
    assert process.stderr is not None
    lines = []
    for line in process.stderr:
        lines.append(line)
        if line == "[log] ready\n":
            break
    return "".join(lines)


def _run_id(done: subprocess.CompletedProcess[str]) -> str:
    return str(json.loads(done.stdout)["runID"])


def test_resume_without_script_or_args_reuses_the_recorded_ones(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    script = write_script("export default { args, answer: await agent(`hi ${args.who}`) }\n")
    first = cli("run", script, "--db", db, "--args-who", "ada", "--max-parallel-agents", "3")
    other = tmp_path / "other"
    other.mkdir()
    resumed = cli("run", "--resume-run", _run_id(first), "--db", db, cwd=other)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"] == {
        "args": {"who": "ada"},
        "answer": "echo: hi ada",
    }
    assert "[warn]" not in resumed.stderr
    assert sqlite3.connect(db).execute("SELECT count(*) FROM usage_ledger").fetchone()[0] == 1


def test_an_override_on_resume_prints_one_line(write_script: Write, cli: Cli, db: Path) -> None:
    script = write_script("export default await agent('x')\n")
    first = cli("run", script, "--db", db, "--max-parallel-agents", "2")
    resumed = cli("run", "--resume-run", _run_id(first), "--db", db, "--max-parallel-agents", "4")
    warnings = [line for line in resumed.stderr.splitlines() if line.startswith("[warn]")]
    assert warnings == [
        f"[warn] resuming {_run_id(first)} with different inputs: --max-parallel-agents 4 (recorded 2)"
    ]


def test_a_changed_script_is_noted_and_unchanged_calls_replay(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("await agent('x')\nthrow new Error('not done yet')\n")
    first = cli("run", script, "--db", db, "--events")
    run_id = json.loads(first.stdout.splitlines()[0])["metadata"]["runId"]
    write_script("const y = await agent('x')\nexport default { y }\n")
    resumed = cli("run", "--resume-run", run_id, "--db", db, "--events")
    events = [json.loads(line) for line in resumed.stdout.splitlines()]
    warning = next(e for e in events if e["type"] == "workflow.warning")
    assert warning["data"]["message"].endswith("the script changed since the run was recorded")
    assert warning["data"]["source"] == "resume"
    assert all(e["data"].get("replayed") for e in events if e["type"] == "workflow.agent_started")


def test_missing_script_without_resume_is_a_usage_error(cli: Cli) -> None:
    done = cli("run")
    assert done.returncode == 2
    assert "missing workflow script" in done.stderr


def test_a_second_resumer_fails_fast_while_the_owner_runs(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    script = write_script(
        PAUSING.replace("await sleep(600000)\n", "throw new Error('stop here')\n")
    )
    failed = cli("run", script, "--db", db)
    assert failed.returncode == 1
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    write_script(PAUSING)
    owner = subprocess.Popen(
        [*smol_wf_command(), "run", "--resume-run", run_id, "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert _read_until_ready(owner).endswith("[log] ready\n")
        started = time.monotonic()
        second = cli("run", "--resume-run", run_id, "--db", db)
        assert second.returncode == 1
        assert f"is being executed by process {owner.pid}" in second.stderr
        assert time.monotonic() - started < 10  # fails at once, no lease to wait out
    finally:
        owner.send_signal(signal.SIGINT)
        owner.communicate(timeout=30)
    assert owner.returncode == 130


def test_two_resumers_started_together_execute_once(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    script = write_script(
        PAUSING.replace("await sleep(600000)\n", "throw new Error('stop here')\n")
    )
    cli("run", script, "--db", db)
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    write_script(PAUSING)
    command = [*smol_wf_command(), "run", "--resume-run", run_id, "--db", str(db)]
    racers = [
        subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path
        )
        for _ in range(2)
    ]
    try:
        outputs = [_read_until_ready(racer) for racer in racers]
        winners = [i for i, text in enumerate(outputs) if text.endswith("[log] ready\n")]
        assert len(winners) == 1, outputs
        loser = racers[1 - winners[0]]
        assert loser.wait(timeout=30) == 1
        assert "is being executed by process" in outputs[1 - winners[0]]
    finally:
        for racer in racers:
            if racer.poll() is None:
                racer.send_signal(signal.SIGINT)
            racer.communicate(timeout=30)
    attempts = sqlite3.connect(db).execute("SELECT count(*) FROM attempts").fetchone()[0]
    assert attempts == 2  # the failed first run and the one resume that executed


def test_resume_takes_over_at_once_from_a_dead_owner(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("export default await agent('x')\n")
    run_id = _run_id(cli("run", script, "--db", db))
    dead = subprocess.Popen(["true"])
    dead.wait()
    now_ms = int(time.time() * 1000)
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE runs SET status = 'running', owner_pid = ?, owner_host = ?, heartbeat_at = ?"
            " WHERE run_id = ?",
            (dead.pid, os.uname().nodename, now_ms, run_id),
        )
    started = time.monotonic()
    resumed = cli("run", "--resume-run", run_id, "--db", db)
    assert resumed.returncode == 0, resumed.stderr
    assert time.monotonic() - started < 10


def test_a_completed_run_is_not_resumed_with_another_script(
    write_script: Write, cli: Cli, db: Path
) -> None:
    first = write_script("export default await agent('x')\n", name="first.mjs")
    run_id = _run_id(cli("run", first, "--db", db))
    other = write_script("export default await agent('y')\n", name="other.mjs")
    done = cli("run", other, "--resume-run", run_id, "--db", db)
    assert done.returncode == 2
    assert done.stderr == (
        f"error: run {run_id} already completed; resuming it with {other} would replace its "
        f"result; start a new run, or fork it: smol-wf run {other} --fork-run {run_id}\n"
    )
    shown = json.loads(cli("history", run_id, "--db", db, "-o", "json").stdout)
    assert shown["results"] == "echo: x"
    assert shown["workflowRun"]["scriptPath"] == str(first)
    forked = cli("run", other, "--fork-run", run_id, "--db", db)
    assert forked.returncode == 0, forked.stderr
    assert json.loads(forked.stdout)["results"] == "echo: y"


def test_resuming_a_failed_run_with_another_script_records_that_script(
    write_script: Write, cli: Cli, db: Path
) -> None:
    first = write_script("throw new Error('not yet')\n", name="first.mjs")
    failed = cli("run", first, "--db", db)
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    assert failed.returncode == 1
    other = write_script(
        "export const meta = { name: 'second', description: 'the fix' }\nexport default 2\n",
        name="other.mjs",
        meta=False,
    )
    assert cli("run", other, "--resume-run", run_id, "--db", db).returncode == 0
    shown = json.loads(cli("history", run_id, "--db", db, "-o", "json").stdout)
    run = shown["workflowRun"]
    assert (run["metadata"]["name"], run["scriptPath"], shown["results"]) == (
        "second",
        str(other),
        2,
    )


def test_a_killed_run_shows_as_interrupted_and_resumes(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    script = write_script(PAUSING)
    process = subprocess.Popen(
        [*smol_wf_command(), "run", str(script), "--db", str(db), "--progress", "plain"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
    )
    _read_until_ready(process)
    process.kill()
    process.wait(timeout=30)
    listed = json.loads(cli("history", "--db", db, "-o", "json").stdout)
    assert [run["state"] for run in listed] == ["interrupted"]
    assert cli("history", "--db", db, "--status", "running", "-o", "json").stdout.strip() == "[]"
    run_id = listed[0]["runID"]
    detail = cli("history", run_id, "--db", db).stdout
    assert "State:     interrupted (its process is gone" in detail
    write_script("export default await agent('before the pause')\n")
    assert cli("run", "--resume-run", run_id, "--db", db).returncode == 0

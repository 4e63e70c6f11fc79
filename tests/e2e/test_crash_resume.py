"""Kill -9 at arbitrary points, resume until done: same result, no finished agent run twice.

This is the promise behind ``--resume-run``: a crash costs at most the calls that were
in flight. The benchmark ``bench/crash.py`` runs the same trial 50 times.
"""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command

WORKFLOW = """export const meta = { name: 'crashy', description: 'many small agents' }
phase('Fan out')
const first = await parallel(Array.from({ length: 16 }, (_, i) => () => agent(`item ${i}`)))
phase('Refine')
const refined = await pipeline(first.slice(0, 8),
  (text, _, i) => agent(`refine ${i}: ${text}`),
  (text, _, i) => agent(`check ${i}: ${text}`))
export default { first, refined, total: await agent(`sum ${refined.length}`) }
"""


def run_until_done(
    script: Path,
    db: Path,
    log: Path,
    rng: random.Random,
    kills: int,
    *,
    options: tuple[str, ...] = (),
    events: int = 70,
    delay_ms: int = 3,
) -> dict[str, object]:
    """Start the run, SIGKILL it ``kills`` times after 1 to ``events`` events, resume to
    the end."""
    env = {
        "SMOLWF_DEBUG_DELAY_MS": str(delay_ms),
        "SMOLWF_DEBUG_CALL_LOG": str(log),
        "PATH": "/usr/bin:/bin",
    }
    command = [*smol_wf_command(), "run", str(script), "--db", str(db), "--events", *options]
    for _ in range(kills):
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env
        )
        assert process.stdout is not None
        for _ in range(rng.randint(1, events)):
            if not process.stdout.readline():
                break
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        command = _resume_command(db, command)
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])["data"]["results"]  # type: ignore[no-any-return]


def _resume_command(db: Path, command: list[str]) -> list[str]:
    if not db.exists():
        return command
    row = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()
    if row is None:
        return command
    return [*smol_wf_command(), "run", "--resume-run", row[0], "--db", str(db), "--events"]


def assert_no_finished_call_ran_twice(db: Path, log: Path) -> None:
    conn = sqlite3.connect(db)
    attempt_of_pid = dict(conn.execute("SELECT pid, number FROM attempts"))
    finished = conn.execute(
        "SELECT json_extract(s.input_json, '$.prompt'), a.number, s.step_id FROM steps s"
        " JOIN attempts a ON a.attempt_id = s.last_attempt_id WHERE s.status = 'completed'"
    ).fetchall()
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    for prompt, completed_in, step_id in finished:
        attempts = [attempt_of_pid.get(call["pid"]) for call in calls if call["prompt"] == prompt]
        assert all(a is not None and a <= completed_in for a in attempts), (
            prompt,
            attempts,
            completed_in,
        )
        assert attempts.count(completed_in) == 1, (prompt, attempts)
        ledger = conn.execute(
            "SELECT count(*) FROM usage_ledger WHERE step_id = ?", (step_id,)
        ).fetchone()
        assert ledger[0] == 1


@pytest.fixture
def baseline(
    tmp_path: Path, cli: Callable[..., subprocess.CompletedProcess[str]]
) -> dict[str, object]:
    script = tmp_path / "baseline.mjs"
    script.write_text(WORKFLOW)
    done = cli("run", script, "--db", tmp_path / "baseline.db")
    return json.loads(done.stdout)["results"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("seed", range(4))
def test_killed_runs_resume_to_the_same_result_without_rerunning_finished_calls(
    tmp_path: Path, baseline: dict[str, object], seed: int
) -> None:
    rng = random.Random(seed)
    script, db, log = tmp_path / "crashy.mjs", tmp_path / "crash.db", tmp_path / "calls.jsonl"
    script.write_text(WORKFLOW)
    kills = rng.randint(1, 3)
    result = run_until_done(script, db, log, rng, kills=kills)
    assert result == baseline
    attempts = sqlite3.connect(db).execute("SELECT count(*) FROM attempts").fetchone()[0]
    assert attempts == kills + 1  # every kill landed after the run existed
    assert_no_finished_call_ran_twice(db, log)
    states = sqlite3.connect(db).execute("SELECT status FROM runs").fetchall()
    assert states == [("completed",)]


FANOUT = """export const meta = { name: 'fanout', description: '2,000 instant agents' }
const r = await parallel(Array.from({ length: 2000 }, (_, i) => () => agent(`item ${i}`)))
export default r.join('|')
"""


@pytest.mark.parametrize("seed", range(2))
def test_a_fan_out_killed_while_turns_commit_in_the_background_loses_no_finished_call(
    tmp_path: Path, seed: int
) -> None:
    # 2,000 instant calls: turns of about 1,000 calls commit on the writer's thread.
    rng = random.Random(seed)
    script, db, log = tmp_path / "fanout.mjs", tmp_path / "crash.db", tmp_path / "calls.jsonl"
    script.write_text(FANOUT)
    options = ("--max-agents", "2000")
    result = run_until_done(script, db, log, rng, 2, options=options, events=5000, delay_ms=0)
    assert result == "|".join(f"echo: item {i}" for i in range(2000))
    assert_no_finished_call_ran_twice(db, log)

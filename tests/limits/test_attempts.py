"""Attempts and spend: tries are capped and count against --max-agents, and each try's
cost is durable as soon as that try ends."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

from tests.conftest import smol_wf_command
from tests.limits.fake_claude import FakeClaude

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]


def test_max_attempts_above_the_cap_is_one_line_and_calls_nothing(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.log"
    script = write_script(
        "export default await agent('x', { retry: { maxAttempts: 1e6 } }).catch((e) => e.message)\n"
    )
    done = cli("run", script, "--db", db, "--no-check", env={"SMOLWF_DEBUG_CALL_LOG": str(log)})
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == "agent retry.maxAttempts must be between 1 and 100"
    assert not log.exists()


def test_every_retry_counts_against_max_agents(
    write_script: Write, cli: Cli, db: Path, fake_claude: FakeClaude
) -> None:
    script = write_script(
        "export default await agent('x', { provider: 'claude-code', retry: { maxAttempts: 100 } })"
        ".catch((e) => e.message)\n"
    )
    done = cli("run", script, "--db", db, "--max-agents", "5", env=fake_claude.env(mode="fail"))
    assert done.returncode == 0, done.stderr
    assert len(fake_claude.argv.read_text().splitlines()) == 5
    assert json.loads(done.stdout)["results"].endswith(
        "(no more tries: this run reached its limit of 5 agent calls (--max-agents 5); "
        "retries count too: raise --max-agents to allow more)"
    )


def test_a_killed_run_keeps_the_cost_of_every_finished_try(
    write_script: Write, db: Path, fake_claude: FakeClaude, tmp_path: Path
) -> None:
    script = write_script(
        "export default await agent('x', { provider: 'claude-code', retry: { maxAttempts: 10 } })\n"
    )
    started = tmp_path / "started"
    os.mkfifo(started)
    env = fake_claude.env(mode="fail", FAKE_CLAUDE_FAILS="3", FAKE_CLAUDE_PIDS=str(started))
    process = subprocess.Popen(
        [*smol_wf_command(), "run", str(script), "--db", str(db)],
        env={**os.environ, **env, "XDG_STATE_HOME": str(tmp_path)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    with os.fdopen(os.open(started, os.O_RDWR)) as pids:  # a writer of its own: lines block
        tries = [int(pids.readline()) for _ in range(4)]  # three failed, the fourth started
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    with contextlib.suppress(ProcessLookupError):  # the process guard may have stopped it
        os.kill(tries[-1], signal.SIGKILL)
    rows = sqlite3.connect(db).execute("SELECT outcome, cost_usd FROM usage_ledger").fetchall()
    assert rows == [("failed", 0.5)] * 3

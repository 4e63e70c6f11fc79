"""Provider processes never outlive their run: not after a clean stop, not after
``kill -9`` of smol-wf, and a run taken over from a dead owner stops its leftovers."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command
from tests.limits.fake_claude import FakeClaude
from tests.process_checks import exits_promptly

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]
SCRIPT = "export default await agent('x', { provider: 'claude-code' })\n"


def _start_hanging(
    script: Path, db: Path, fake: FakeClaude, tmp_path: Path, *extra: str
) -> tuple[subprocess.Popen[bytes], list[int]]:
    """A run whose claude started a ``setsid`` grandchild and hangs: (smol-wf, [claude,
    grandchild])."""
    fifo = tmp_path / "started"
    os.mkfifo(fifo)
    env = {**os.environ, **fake.env(mode="setsid", FAKE_CLAUDE_PIDS=str(fifo))}
    env["XDG_STATE_HOME"] = str(tmp_path)
    process = subprocess.Popen(
        [*smol_wf_command(), "run", str(script), "--db", str(db), *extra],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    with os.fdopen(os.open(fifo, os.O_RDWR)) as pids:
        started = [int(pids.readline()), int(pids.readline())]
    return process, started


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat[stat.rindex(")") + 2 :].split()[1])


@pytest.mark.parametrize(
    "signum", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM], ids=["kill-9", "ctrl-c", "term"]
)
def test_no_provider_process_outlives_smol_wf(
    write_script: Write, db: Path, fake_claude: FakeClaude, tmp_path: Path, signum: int
) -> None:
    process, started = _start_hanging(write_script(SCRIPT), db, fake_claude, tmp_path)
    guard = _parent_of(started[0])
    process.send_signal(signum)
    process.wait(timeout=30)
    for pid in (*started, guard):  # claude, its setsid grandchild and their guard
        assert exits_promptly(pid, within_s=3), f"{pid} is still alive"
    assert _running_from(fake_claude.path.parent) == []  # nor anything else it started


def _running_from(directory: Path) -> list[int]:
    """Live (not zombie) processes whose command line names ``directory``, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            cmdline = (entry / "cmdline").read_bytes()
            stat = (entry / "stat").read_text()
        except (OSError, NotADirectoryError):
            continue
        if str(directory).encode() in cmdline and stat[stat.rindex(")") + 2] != "Z":
            found.append(int(entry.name))
    return found


def test_a_takeover_stops_the_dead_owners_leftover_processes(
    write_script: Write, db: Path, fake_claude: FakeClaude, tmp_path: Path
) -> None:
    script = write_script(SCRIPT)
    process, started = _start_hanging(script, db, fake_claude, tmp_path)
    guard = _parent_of(started[0])
    os.kill(guard, signal.SIGSTOP)  # a guard that cannot clean up after its owner died
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert not exits_promptly(started[1], within_s=0.5)  # left behind, still billing
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    env = {**os.environ, **fake_claude.env(), "XDG_STATE_HOME": str(tmp_path)}
    resumed = subprocess.run(
        [*smol_wf_command(), "run", "--resume-run", run_id, "--db", str(db)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert resumed.returncode == 0, resumed.stderr
    for pid in (guard, *started):
        assert exits_promptly(pid, within_s=3), f"{pid} is still alive"


def test_a_cli_that_lingers_after_its_result_keeps_the_result_and_its_cost(
    write_script: Write, cli: Cli, db: Path, fake_claude: FakeClaude
) -> None:
    script = write_script(SCRIPT)
    started = time.monotonic()
    done = cli("run", script, "--db", db, env=fake_claude.env(mode="linger"), timeout=120)
    assert time.monotonic() - started < 60  # before: the 600 s idle timeout, then a failure
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == "done"
    ledger = sqlite3.connect(db).execute("SELECT outcome, cost_usd FROM usage_ledger").fetchall()
    assert ledger == [("ok", 0.5)]
    for pid in fake_claude.started():
        assert exits_promptly(pid, within_s=3)


def test_a_50_mb_line_from_a_cli_is_read_whole(
    write_script: Write, cli: Cli, db: Path, fake_claude: FakeClaude
) -> None:
    script = write_script(SCRIPT)
    env = fake_claude.env(mode="bigline", FAKE_CLAUDE_MB="50")
    done = cli("run", script, "--db", db, "--events", env=env, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    big = [line for line in lines if len(line) > 50 * 1024 * 1024]
    assert len(big) == 1 and '"type":"workflow.agent_event"' in big[0]
    assert json.loads(lines[-1])["data"]["results"] == "done"

"""Schema validation runs on model output: it ends in bounded time, stays interruptible,
and a schema that cannot be validated is one line the script can catch."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from tests.conftest import smol_wf_command
from tests.limits.fake_claude import FakeClaude
from tests.process_checks import exits_promptly

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]


def _answer(tmp_path: Path, value: object) -> Path:
    path = tmp_path / "answer.json"
    path.write_text(json.dumps(value), encoding="utf-8")
    return path


def _catching(schema: str) -> str:
    return (
        f"const r = await agent('x', {{ provider: 'claude-code', schema: {schema} }})"
        ".catch((e) => 'caught: ' + e.message)\n"
        "export default Array.isArray(r) ? r.length : r\n"
    )


def test_a_ref_cycle_fails_the_call_in_one_line_the_script_catches(
    write_script: Write, cli: Cli, db: Path, fake_claude: FakeClaude, tmp_path: Path
) -> None:
    script = write_script(_catching("{ $ref: '#' }"))
    done = cli(
        "run", script, "--db", db, "--no-check", env=fake_claude.env(output=_answer(tmp_path, 1))
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"]
    assert result.startswith("caught: ") and "$ref references form a cycle" in result
    assert "Traceback" not in done.stderr


def test_the_audit_pattern_validates_at_once(
    write_script: Write, cli: Cli, db: Path, fake_claude: FakeClaude, tmp_path: Path
) -> None:
    script = write_script(_catching("{ type: 'string', pattern: '^(a+)+$' }"))
    output = _answer(tmp_path, "a" * 33 + "b")
    started = time.monotonic()
    done = cli("run", script, "--db", db, env=fake_claude.env(output=output))
    assert time.monotonic() - started < 30  # over 120 s before patterns went through `regex`
    assert done.returncode == 0, done.stderr
    assert "does not match '^(a+)+$'" in json.loads(done.stdout)["results"]


def test_a_pattern_too_costly_to_match_fails_that_call_in_one_line(
    write_script: Write, cli: Cli, db: Path, fake_claude: FakeClaude, tmp_path: Path
) -> None:
    script = write_script(_catching("{ type: 'string', pattern: '^(a|aa)+$' }"))
    output = _answer(tmp_path, "a" * 40 + "b")
    done = cli("run", script, "--db", db, env=fake_claude.env(output=output))
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"]
    assert result.startswith("caught: structured output of step_")
    assert result.endswith(
        " could not be validated within 5 s (stopped at pattern '^(a|aa)+$'): "
        "simplify the schema or ask for a smaller output"
    )


def test_unique_items_over_20000_objects_validates_quickly(
    write_script: Write, cli: Cli, db: Path, fake_claude: FakeClaude, tmp_path: Path
) -> None:
    script = write_script(_catching("{ type: 'array', uniqueItems: true }"))
    output = _answer(tmp_path, [{"a": index, "b": [index]} for index in range(20_000)])
    started = time.monotonic()
    done = cli("run", script, "--db", db, env=fake_claude.env(output=output))
    assert time.monotonic() - started < 30  # over 120 s when every pair was compared
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == 20_000


def test_ctrl_c_stops_a_run_while_it_validates(
    write_script: Write, db: Path, fake_claude: FakeClaude, tmp_path: Path
) -> None:
    script = write_script(_catching("{ type: 'string', pattern: '^(a|a)+$' }"))
    started_fifo = tmp_path / "started"
    os.mkfifo(started_fifo)
    env = fake_claude.env(output=_answer(tmp_path, "a" * 60 + "b"))
    env.update(FAKE_CLAUDE_PIDS=str(started_fifo), XDG_STATE_HOME=str(tmp_path))
    process = subprocess.Popen(
        [*smol_wf_command(), "run", str(script), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    claude_pid = int(started_fifo.read_text())
    assert exits_promptly(claude_pid, within_s=30)  # it printed its answer: validation is next
    process.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 4  # the 5 s validation limit did not have to pass
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr

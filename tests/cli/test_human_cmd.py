"""``approve``, ``deny``, ``signal`` and ``inbox`` given bad input: one line, a non-zero
exit, nothing written."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]

TWO_APPROVALS = """import { requestApproval } from 'workflow:human'
export default await parallel([
  () => requestApproval('Deploy?', { label: 'deploy' }),
  () => requestApproval('Notify?', { label: 'notify' }),
])
"""


@pytest.fixture
def parked(write_script: Write, cli: Cli, db: Path) -> str:
    """A run waiting for two approvals (``--on-wait exit``); its id."""
    done = cli("run", write_script(TWO_APPROVALS), "--db", db, "--on-wait", "exit")
    assert done.returncode == 3, done.stderr
    return str(json.loads(done.stdout)["runID"])


def answers(db: Path) -> list[tuple[str, str]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("SELECT label, status FROM human_requests ORDER BY label").fetchall()


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        ((), "signal needs exactly one of --data JSON or --data-file FILE"),
        (("--data", "1", "--data-file", "x.json"), "signal needs exactly one of --data JSON"),
        (("--data", "{'a': 1}"), "--data is not valid JSON: "),
        (("--data-file", "missing.json"), "cannot read --data-file missing.json: "),
    ],
    ids=["no-payload", "two-payloads", "bad-json", "missing-file"],
)
def test_a_bad_signal_payload_is_a_usage_error(
    cli: Cli, db: Path, parked: str, flags: tuple[str, ...], said: str
) -> None:
    done = cli("signal", parked, "go", *flags, "--db", db)
    assert done.returncode == 2
    (line,) = done.stderr.splitlines()
    assert line.startswith("error: ") and said in line


def test_two_pending_approvals_must_be_named_and_a_label_names_one(
    cli: Cli, db: Path, parked: str
) -> None:
    unnamed = cli("approve", parked, "--db", db)
    assert unnamed.returncode == 1
    assert "has 2 pending approvals; name one: req_" in unnamed.stderr
    assert answers(db) == [("deploy", "pending"), ("notify", "pending")]
    named = cli("deny", parked, "notify", "--db", db)
    assert named.returncode == 0, named.stderr
    assert answers(db) == [("deploy", "pending"), ("notify", "answered")]


def test_an_unknown_run_is_refused_naming_the_database(cli: Cli, db: Path, parked: str) -> None:
    done = cli("approve", "run_nope", "deploy", "--db", db)
    assert done.returncode == 1
    assert (
        done.stderr
        == f"error: workflow run run_nope was not found in {db}: it was deleted, or pass --db with its database\n"
    )


def test_a_missing_database_is_never_created(cli: Cli, tmp_path: Path) -> None:
    missing = tmp_path / "none.db"
    for command in (("approve", "run_x"), ("signal", "run_x", "go", "--data", "1"), ("inbox",)):
        done = cli(*command, "--db", missing)
        assert done.returncode == 1
        assert "was not found" in done.stderr and done.stderr.count("\n") == 1
    assert not missing.exists()


def test_the_inbox_output_must_be_table_or_json(cli: Cli, db: Path, parked: str) -> None:
    done = cli("inbox", "-o", "yaml", "--db", db)
    assert (done.returncode, done.stderr) == (2, "error: --output must be one of table, json\n")


def test_an_empty_inbox_says_so(cli: Cli, write_script: Write, db: Path) -> None:
    cli("run", write_script("export default 1\n"), "--db", db)
    done = cli("inbox", "--db", db)
    assert (done.returncode, done.stdout) == (0, "No pending requests.\n")


def test_the_inbox_table_shows_what_is_asked_and_how_to_answer(
    cli: Cli, db: Path, parked: str
) -> None:
    done = cli("inbox", "--db", db)
    assert done.returncode == 0
    lines = done.stdout.splitlines()
    assert lines[0] == f"{parked}  test (waiting)  approval deploy"
    assert lines[1].startswith("  request req_") and "deadline none" in lines[1]
    assert lines[2] == "  Deploy?"
    assert lines[3].startswith(f"  $ smol-wf approve {parked} req_")
    assert lines[5] == f"{parked}  test (waiting)  approval notify"


@pytest.mark.parametrize(
    ("command", "said"),
    [
        (("run", "--on-wait", "maybe"), "--on-wait must be wait or exit, got 'maybe'"),
        (
            ("tui", "run", "--on-wait", "exit"),
            "--on-wait exit is not supported with smol-wf tui run",
        ),
    ],
    ids=["unknown-mode", "tui-run"],
)
def test_on_wait_is_checked_before_the_run_starts(
    cli: Cli, write_script: Write, db: Path, command: tuple[str, ...], said: str
) -> None:
    done = cli(*command, write_script("export default 1\n"), "--db", db)
    assert done.returncode == 2
    assert said in done.stderr
    assert not db.exists()

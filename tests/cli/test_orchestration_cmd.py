"""Child workflows, hard caps and durable sleep through the real ``smol-wf run``."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]


def test_child_workflow_events_through_the_cli(write_script: Write, cli: Cli, db: Path) -> None:
    write_script(
        "export const meta = { name: 'kid', description: 'child' }\nlog('child says hi')\nexport default args\n",
        name="kid.mjs",
        meta=False,
    )
    parent = write_script(
        "export default { child: await workflow({ scriptPath: './kid.mjs' }, { item: 'cli' }) }\n"
    )
    done = cli("run", parent, "--db", db, "--events")
    assert done.returncode == 0, done.stderr
    seen = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(e["type"], e["metadata"]["workflowDepth"]) for e in seen] == [
        ("workflow.started", 0),
        ("workflow.started", 1),
        ("workflow.log", 1),
        ("workflow.result", 1),
        ("workflow.result", 0),
    ]
    assert seen[-1]["data"]["results"] == {"child": {"item": "cli"}}
    assert len({e["metadata"]["runId"] for e in seen}) == 1


def test_hard_cap_flag_fails_the_run_with_budget_exceeded(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(
        "export default await parallel(Array.from({ length: 20 }, (_, i) => () => agent('n' + i)))\n"
    )
    done = cli("run", script, "--db", db, "--max-output-tokens", "10", "--max-parallel-agents", "2")
    assert done.returncode == 1
    assert "error: BudgetExceeded: the run spent" in done.stderr
    (status,) = sqlite3.connect(db).execute("SELECT status FROM runs").fetchone()
    assert status == "failed"
    calls = sqlite3.connect(db).execute("SELECT count(*) FROM usage_ledger").fetchone()[0]
    assert calls < 20


def test_a_resumed_finished_sleep_is_not_slept_again(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(
        "import { sleep } from 'workflow:extra'\nawait sleep(50)\nthrow new Error('after')\n"
    )
    assert cli("run", script, "--db", db).returncode == 1
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    write_script(
        "import { sleep } from 'workflow:extra'\nawait sleep(50)\nexport default 'awake'\n"
    )
    done = cli("run", "--resume-run", run_id, "--db", db)
    assert json.loads(done.stdout)["results"] == "awake"
    rows = (
        sqlite3.connect(db)
        .execute("SELECT kind, first_attempt_id = last_attempt_id FROM steps")
        .fetchall()
    )
    assert rows == [("sleep", 1)]

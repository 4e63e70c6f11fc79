"""``--agent-permissions`` and ``--on-refusal`` through the real ``smol-wf run``."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        (
            "--agent-permissions",
            "write",
            "--agent-permissions must be one of read-only, edit, full",
        ),
        ("--on-refusal", "ignore", "--on-refusal must be warn or fail"),
    ],
    ids=["agent-permissions", "on-refusal"],
)
def test_a_bad_value_is_a_one_line_usage_error(
    cli: Cli, write_script: Write, flag: str, value: str, message: str
) -> None:
    done = cli("run", write_script("export default 1"), flag, value)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_the_level_is_recorded_and_reused_on_resume(cli: Cli, write_script: Write) -> None:
    """The resumed call replays: its checkpoint key (which holds 'edit') is found again."""
    script = write_script(
        "const first = await agent('first')\nif (!args.go) throw new Error('stop')\n"
        "export default first"
    )
    failed = cli("run", script, "--agent-permissions", "edit", "--events")
    assert failed.returncode == 1
    run_id = json.loads(failed.stdout.splitlines()[0])["metadata"]["runId"]
    resumed = cli("run", script, "--resume-run", run_id, "--args-go", "--events")
    assert resumed.returncode == 0, resumed.stderr
    events = [json.loads(line) for line in resumed.stdout.splitlines()]
    [started] = [e for e in events if e["type"] == "workflow.agent_started"]
    assert started["data"]["replayed"] is True
    detail = json.loads(cli("history", run_id, "-o", "json").stdout)
    assert detail["workflowRun"]["params"]["agentPermissions"] == "edit"


def test_the_help_explains_each_level(cli: Cli) -> None:
    help_text = " ".join(cli("run", "--help").stdout.replace("│", " ").split())
    assert "read-only (read and search)" in help_text
    assert "edit (write files and run commands in the agent's working directory)" in help_text
    assert "warn (a [warn] line, recorded on the step)" in help_text

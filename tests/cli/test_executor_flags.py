"""``--executor`` and the ``--ray-*`` flags through the real ``smol-wf run``: bad values are
one-line usage errors before anything starts, and a run records them for its resumes."""

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
        pytest.param(
            "--executor", "slurm", "--executor must be local or ray, got 'slurm'", id="executor"
        ),
        pytest.param(
            "--ray-agent-resources",
            "agents=1",
            "--ray-agent-resources must be a JSON object such as {\"agents\": 1}, got 'agents=1'",
            id="resources-not-json",
        ),
        pytest.param(
            "--ray-agent-resources",
            '{"agents": "one"}',
            "--ray-agent-resources 'agents' must be a non-negative number, got 'one'",
            id="resources-not-a-number",
        ),
        pytest.param(
            "--ray-workdir", "nfs", "--ray-workdir must be git or shared, got 'nfs'", id="workdir"
        ),
    ],
)
def test_a_bad_value_is_a_one_line_usage_error(
    cli: Cli, write_script: Write, flag: str, value: str, message: str
) -> None:
    done = cli("run", write_script("export default 1"), flag, value)
    assert done.returncode == 2
    assert done.stderr == f"error: {message}\n"


def test_a_local_run_records_the_executor_flags(cli: Cli, write_script: Write) -> None:
    done = cli("run", write_script("export default 1"), "--ray-agent-resources", '{"agents": 1}')
    assert done.returncode == 0, done.stderr
    run_id = json.loads(done.stdout)["runID"]
    params = json.loads(cli("history", run_id, "-o", "json").stdout)["workflowRun"]["params"]
    assert params["executor"] == "local"
    assert params["rayAgentResources"] == {"agents": 1.0}
    assert params["rayWorkdir"] is None

"""``import { exec } from 'workflow:sandbox'`` end to end: a workflow runs commands in a worktree."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from smolwf import AgentRequest, run_workflow
from tests.conftest import smol_wf_command
from tests.fakes import RecordingProvider
from tests.sandbox.conftest import PROVIDER_EXE, worktrees

SCRIPT = """export const meta = { name: 'exec', description: 'run commands in a sandbox' }
import { exec } from 'workflow:sandbox'
const inside = await exec('local-worktree/default', { command: 'git', args: ['rev-parse', '--is-inside-work-tree'] })
const failing = await exec('local-worktree/default', { command: 'sh', args: ['-c', 'echo oops >&2; exit 3'] })
let refused = null
try { await exec('nope-missing/default', { command: 'true' }) } catch (e) { refused = e.message }
export default { inside, failing, refused }
"""


def test_exec_runs_in_a_worktree_returns_failures_and_rejects_missing_providers(
    repo: Path, tmp_path: Path
) -> None:
    (repo / "wf.mjs").write_text(SCRIPT)
    done = subprocess.run(
        [*smol_wf_command(), "run", "wf.mjs", "--db", str(tmp_path / "runs.db")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env=dict(os.environ),
    )
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert results["inside"] == {"exitCode": 0, "stdout": "true\n", "stderr": ""}
    assert results["failing"] == {"exitCode": 3, "stdout": "", "stderr": "oops\n"}
    assert "smol-sandbox-nope-missing" in results["refused"]
    assert worktrees(repo) == [str(repo)]


def test_agent_sandbox_isolation_runs_the_provider_in_a_fresh_worktree(
    repo: Path, tmp_path: Path
) -> None:
    seen: list[tuple[str, bool, bool]] = []

    def answer(request: AgentRequest) -> str:
        seen.append(
            (
                str(request.cwd),
                (request.cwd / "README.md").exists(),
                (request.cwd / "scratch.txt").exists(),
            )
        )
        return "isolated"

    script = repo / "iso.mjs"
    script.write_text(
        "export const meta = { name: 'iso', description: 'isolated agent' }\n"
        "export default await agent('x', { isolation: { type: 'sandbox', profile: 'local-worktree/default' } })\n"
    )
    db = tmp_path / "iso.db"
    report = run_workflow(
        script,
        db_path=db,
        cwd=repo,
        providers={"debug": RecordingProvider(answer=answer)},
        progress_stream=io.StringIO(),
    )
    assert report.result == "isolated"
    cwd, has_head_file, has_uncommitted = seen[0]
    assert cwd != str(repo) and has_head_file and not has_uncommitted
    result = json.loads(sqlite3.connect(db).execute("SELECT result_json FROM steps").fetchone()[0])
    assert result["isolation"]["kind"] == "sandbox"
    assert result["isolation"]["profile"] == "local-worktree/default"
    assert result["isolation"]["cwd"] == cwd
    assert worktrees(repo) == [str(repo)]


def test_the_provider_next_to_smol_wf_is_found_without_path(repo: Path, tmp_path: Path) -> None:
    """A venv that is not on PATH: its smol-wf finds the smol-sandbox-* beside it."""
    if not Path(sys.executable).with_name(PROVIDER_EXE).exists():
        pytest.skip(f"{PROVIDER_EXE} is not installed next to the interpreter")
    (repo / "wf.mjs").write_text(
        "export const meta = { name: 'exec', description: 'one command' }\n"
        "import { exec } from 'workflow:sandbox'\n"
        "export default await exec('local-worktree/default', { command: 'true' })\n"
    )
    env = dict(os.environ, PATH=os.pathsep.join(["/usr/bin", "/bin"]))
    done = subprocess.run(
        [*smol_wf_command(), "run", "wf.mjs", "--db", str(tmp_path / "runs.db")],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]["exitCode"] == 0

"""``import { exec } from 'workflow:sandbox'`` end to end: a workflow runs commands in a worktree."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from tests.conftest import smol_wf_command
from tests.sandbox.conftest import worktrees

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

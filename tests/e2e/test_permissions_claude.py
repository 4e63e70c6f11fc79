"""Permission levels with the real pinned claude, driven by ``smol-wf run`` against FakeLLM.

Each test runs one workflow in a fresh git repository with one commit. The scripted model
answers ``SHELLWRITE:<path>`` with one ``Bash`` call running ``echo FAKELLM_EDIT_OK >
<path>`` and ``TOOLWRITE:<path>`` with one ``Write`` call of that file, so whether the file
exists afterwards says whether claude let the agent act. Skipped when claude is not
installed, unless ``SMOLWF_REQUIRE_REAL_CLIS=1`` (CI sets it).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import smol_wf_command
from tests.fakellm.homes import cli_env, require_cli
from tests.fakellm.script import EDIT_MARKER
from tests.fakellm.server import FakeLLM
from tests.gitrepo import git, init_repo

FILE = "agent-edit.txt"
TOOLS = {"shell": f"SHELLWRITE:{FILE}", "write-tool": f"TOOLWRITE:{FILE}"}
"""The prompt that makes the model write ``FILE`` with claude's shell tool or its Write tool."""
REFUSED = {"shell": ("Bash", f"echo {EDIT_MARKER} > {FILE}"), "write-tool": ("Write", FILE)}
"""The tool and the short form of what it tried, as each refusal names them."""
WORKFLOW = """\
import { agentRun } from 'workflow:extra'
export const meta = { name: 'permissions-claude', description: 'one claude agent that may act' }
const options = { label: 'writer' }
if (args.permissions) options.permissions = args.permissions
if (args.isolation) options.isolation = args.isolation
const run = await agentRun(args.prompt, options)
export default { output: run.output, worktree: run.worktree, refusals: run.refusals }
"""


@pytest.fixture(autouse=True)
def claude_installed() -> None:
    require_cli("claude")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh repository with one commit: the workflow's cwd."""
    return init_repo(tmp_path / "repo")


@dataclass
class Run:
    done: subprocess.CompletedProcess[str]
    db: Path
    env: dict[str, str]
    repo: Path

    @property
    def report(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.done.stdout)
        return value

    def history(self, *args: str) -> str:
        argv = [*smol_wf_command(), "history", self.report["runID"], "--db", str(self.db), *args]
        done = subprocess.run(
            argv, cwd=self.repo, env=self.env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr
        return done.stdout


def _run(
    llm: FakeLLM,
    repo: Path,
    prompt: str,
    *flags: str,
    permissions: str | None = None,
    isolation: str | None = None,
    settings: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """``smol-wf run`` of WORKFLOW in ``repo`` with claude (report on stdout, no --events)."""
    tmp = repo.parent
    script = tmp / "wf.mjs"
    script.write_text(WORKFLOW, encoding="utf-8")
    run_env = cli_env("claude", llm.port, tmp / "home")
    run_env["XDG_STATE_HOME"] = str(tmp / "state")
    run_env.update(env or {})
    if settings is not None:
        user = tmp / "home" / ".claude" / "settings.json"
        user.parent.mkdir(parents=True, exist_ok=True)
        user.write_text(json.dumps(settings), encoding="utf-8")
    db = tmp / "runs.db"
    argv = [*smol_wf_command(), "run", str(script), "--agent-provider", "claude-code"]
    argv += ["--db", str(db), "--args-prompt", prompt, *flags]
    if permissions is not None:
        argv += ["--args-permissions", permissions]
    if isolation is not None:
        argv += ["--args-isolation", isolation]
    done = subprocess.run(
        argv, cwd=repo, env=run_env, capture_output=True, text=True, timeout=180, check=False
    )
    return Run(done, db, run_env, repo)


def _agent_branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "smol-wf/agent-run/*", "--format=%(refname:short)").split()


def _files_named(root: Path, name: str) -> list[Path]:
    return [path for path in root.rglob(name) if ".git" not in path.parts]


@pytest.mark.parametrize("tool", list(TOOLS))
def test_edit_in_a_worktree_keeps_the_file_on_a_branch_and_leaves_the_repo_alone(
    llm: FakeLLM, repo: Path, tool: str
) -> None:
    run = _run(llm, repo, TOOLS[tool], permissions="edit", isolation="worktree")
    assert run.done.returncode == 0, run.done.stderr
    result = run.report["results"]
    assert result["output"] == "TOOL RESULT: FAKELLM_TOOL_OK"
    assert result["refusals"] == []
    worktree = result["worktree"]
    [branch] = _agent_branches(repo)
    assert worktree["branch"] == branch
    assert worktree["changedFiles"] == [FILE]
    assert worktree["commit"] == git(repo, "rev-parse", branch).strip()
    assert git(repo, "show", f"{branch}:{FILE}") == EDIT_MARKER + "\n"
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / FILE).exists()
    assert "[warn]" not in run.done.stderr


@pytest.mark.parametrize("tool", list(TOOLS))
def test_edit_without_isolation_writes_in_the_workflow_cwd(
    llm: FakeLLM, repo: Path, tool: str
) -> None:
    run = _run(llm, repo, TOOLS[tool], permissions="edit")
    assert run.done.returncode == 0, run.done.stderr
    assert (repo / FILE).read_text(encoding="utf-8") == EDIT_MARKER + "\n"
    assert run.report["results"]["refusals"] == []
    assert run.report["results"]["worktree"] is None
    assert _agent_branches(repo) == []


def _assert_refused_and_reported(run: Run, tool: str) -> None:
    """No file anywhere; the refusal is a [warn] line, an event, and part of the step."""
    assert run.done.returncode == 0, run.done.stderr
    assert _files_named(run.repo.parent, FILE) == []
    assert _agent_branches(run.repo) == []
    name, attempted = REFUSED[tool]
    refusal = {"tool": name, "attempted": attempted, "needs": "edit"}
    assert run.report["results"]["refusals"] == [refusal]
    warning = (
        f"[warn] agent 'writer' had 1 tool use refused at permissions 'read-only': "
        f"{name} ({attempted}) needs permissions 'edit'"
    )
    assert warning in run.done.stderr.splitlines()
    events = [json.loads(line) for line in run.history("--events").splitlines()]
    [warned] = [e for e in events if e["type"] == "workflow.warning"]
    assert warned["data"]["source"] == "permissions"
    assert warned["data"]["refusals"] == [refusal]
    [completed] = [e for e in events if e["type"] == "workflow.agent_completed"]
    assert completed["data"]["refusals"] == [refusal]
    detail = json.loads(run.history("--output", "json"))
    [step] = detail["steps"]
    with sqlite3.connect(run.db) as conn:
        [(stored,)] = conn.execute(
            "SELECT result_json FROM steps WHERE step_id = ?", (step["stepId"],)
        ).fetchall()
    assert json.loads(stored)["refusals"] == [refusal]


@pytest.mark.parametrize("tool", list(TOOLS))
def test_read_only_by_default_refuses_and_reports_it(llm: FakeLLM, repo: Path, tool: str) -> None:
    run = _run(llm, repo, TOOLS[tool])
    _assert_refused_and_reported(run, tool)


@pytest.mark.parametrize("tool", list(TOOLS))
def test_read_only_holds_against_user_settings_that_allow_writes(
    llm: FakeLLM, repo: Path, tool: str
) -> None:
    allow = {"permissions": {"allow": ["Bash", "Edit", "Write"], "defaultMode": "acceptEdits"}}
    run = _run(llm, repo, TOOLS[tool], permissions="read-only", settings=allow)
    _assert_refused_and_reported(run, tool)


def test_on_refusal_fail_fails_the_run_in_one_line(llm: FakeLLM, repo: Path) -> None:
    run = _run(llm, repo, TOOLS["shell"], "--on-refusal", "fail")
    assert run.done.returncode == 1
    assert not (repo / FILE).exists()
    [error] = [line for line in run.done.stderr.splitlines() if line.startswith("error: ")]
    assert "agent 'writer' had 1 tool use refused at permissions 'read-only'" in error
    assert error.endswith("(onRefusal: 'fail')")


def test_full_as_root_without_is_sandbox_fails_in_one_line(llm: FakeLLM, repo: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("claude refuses bypassPermissions only for root")
    run = _run(llm, repo, TOOLS["shell"], permissions="full")
    assert run.done.returncode == 1
    assert not (repo / FILE).exists()
    [error] = [line for line in run.done.stderr.splitlines() if line.startswith("error: ")]
    assert "Claude Code provider cannot run permissions 'full' as root" in error
    assert "set IS_SANDBOX=1 if this machine is a sandbox" in error
    assert "permissions 'edit' works as root" in error
    assert llm.requests == []


def test_edit_confines_the_write_tool_to_the_working_directory(llm: FakeLLM, repo: Path) -> None:
    outside = repo.parent / "outside" / FILE
    outside.parent.mkdir()
    run = _run(llm, repo, f"TOOLWRITE:{outside}", permissions="edit")
    assert run.done.returncode == 0, run.done.stderr
    assert not outside.exists()
    refusal = {"tool": "Write", "attempted": str(outside), "needs": "full"}
    assert run.report["results"]["refusals"] == [refusal]
    assert "needs permissions 'full'" in run.done.stderr


def test_full_lets_the_write_tool_out_of_the_working_directory(llm: FakeLLM, repo: Path) -> None:
    # As root claude needs the user's IS_SANDBOX=1; smol-wf never sets it itself.
    outside = repo.parent / "outside" / FILE
    outside.parent.mkdir()
    env = {"IS_SANDBOX": "1"} if os.geteuid() == 0 else {}
    run = _run(llm, repo, f"TOOLWRITE:{outside}", permissions="full", env=env)
    assert run.done.returncode == 0, run.done.stderr
    assert outside.read_text(encoding="utf-8") == EDIT_MARKER + "\n"
    assert run.report["results"]["refusals"] == []

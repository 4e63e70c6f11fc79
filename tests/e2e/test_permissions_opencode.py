"""Permission levels with the real pinned ``opencode``, driven by ``smol-wf run`` against
the scripted model: what each level lets the agent change, and refusals never silent.

Each test runs in a fresh git repository with one commit. The model asks for one write,
with opencode's shell tool (``SHELLWRITE:``) or its ``write`` tool (``TOOLWRITE:``).
Skipped when opencode is not installed, unless ``SMOLWF_REQUIRE_REAL_CLIS=1``.
"""

from __future__ import annotations

import json
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
WORKFLOW = """\
import { agentRun } from 'workflow:extra'
export const meta = { name: 'perm-e2e', description: 'one agent call asked to write a file' }
const options = { label: 'writer' }
if (args.permissions) options.permissions = args.permissions
if (args.isolation) options.isolation = args.isolation
if (args.schema) options.schema = { type: 'object', properties: { done: { type: 'boolean' } }, required: ['done'] }
const record = await agentRun(args.prompt, options)
export default { output: record.output, worktree: record.worktree, refusals: record.refusals }
"""


@pytest.fixture(autouse=True)
def _opencode_installed() -> None:
    require_cli("opencode")


@dataclass
class Run:
    done: subprocess.CompletedProcess[str]
    events: list[dict[str, Any]]
    repo: Path
    env: dict[str, str]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e["type"] == "workflow." + kind]

    @property
    def results(self) -> Any:
        [result] = self.of("result")
        return result["data"]["results"]

    def git(self, *args: str) -> str:
        return git(self.repo, *args)

    def history_events(self) -> list[dict[str, Any]]:
        """The run's recorded events, as ``smol-wf history RUN --events`` prints them."""
        listed = self._smol_wf("history", "--output", "json", "--limit", "1")
        [run] = json.loads(listed)
        recorded = self._smol_wf("history", run["runID"], "--events")
        return [json.loads(line) for line in recorded.splitlines() if line.strip()]

    def _smol_wf(self, *args: str) -> str:
        done = subprocess.run(
            [*smol_wf_command(), *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout


def _run(llm: FakeLLM, tmp_path: Path, prompt: str, *flags: str, events: bool = True) -> Run:
    repo = init_repo(tmp_path / "repo")
    script = tmp_path / "wf.mjs"
    script.write_text(WORKFLOW, encoding="utf-8")
    env = cli_env("opencode", llm.port, tmp_path / "home")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    argv = [*smol_wf_command(), "run", str(script), "--agent-provider", "opencode"]
    argv += ["--args-prompt", prompt, *flags]
    if events:
        argv.append("--events")
    done = subprocess.run(
        argv, cwd=repo, env=env, capture_output=True, text=True, timeout=180, check=False
    )
    lines = done.stdout.splitlines() if events else []
    return Run(done, [json.loads(line) for line in lines if line.startswith("{")], repo, env)


def _kept_branches(run: Run) -> list[str]:
    return run.git("branch", "--list", "smol-wf/agent-run/*", "--format=%(refname:short)").split()


def _assert_tree_unchanged(run: Run) -> None:
    assert not (run.repo / FILE).exists()
    assert run.git("status", "--porcelain") == ""


@pytest.mark.parametrize("marker", ["SHELLWRITE", "TOOLWRITE"])
def test_edit_in_a_worktree_commits_the_file_on_a_kept_branch(
    llm: FakeLLM, tmp_path: Path, marker: str
) -> None:
    run = _run(
        llm,
        tmp_path,
        f"{marker}:{FILE}",
        "--args-permissions",
        "edit",
        "--args-isolation",
        "worktree",
    )
    assert run.done.returncode == 0, run.done.stderr
    [branch] = _kept_branches(run)
    assert branch.startswith("smol-wf/agent-run/")
    assert run.git("show", f"{branch}:{FILE}") == EDIT_MARKER + "\n"
    _assert_tree_unchanged(run)
    worktree = run.results["worktree"]
    assert worktree["branch"] == branch
    assert worktree["changedFiles"] == [FILE]
    assert worktree["commit"] == run.git("rev-parse", branch).strip()
    assert run.results["refusals"] == []
    assert not run.of("warning")


@pytest.mark.parametrize("marker", ["SHELLWRITE", "TOOLWRITE"])
def test_edit_without_isolation_writes_in_the_workflow_cwd(
    llm: FakeLLM, tmp_path: Path, marker: str
) -> None:
    run = _run(llm, tmp_path, f"{marker}:{FILE}", "--agent-permissions", "edit")
    assert run.done.returncode == 0, run.done.stderr
    assert (run.repo / FILE).read_text(encoding="utf-8") == EDIT_MARKER + "\n"
    assert run.results["worktree"] is None
    assert not _kept_branches(run)


def test_read_only_refuses_the_write_and_says_so_everywhere(llm: FakeLLM, tmp_path: Path) -> None:
    command = f"echo {EDIT_MARKER} > {FILE}"
    run = _run(llm, tmp_path, f"SHELLWRITE:{FILE}", events=False)
    assert run.done.returncode == 0, run.done.stderr
    _assert_tree_unchanged(run)
    assert not _kept_branches(run)
    refusal = {"tool": "bash", "attempted": command, "needs": "edit"}
    warns = [line for line in run.done.stderr.splitlines() if line.startswith("[warn]")]
    assert warns == [
        f"[warn] agent 'writer' had 1 tool use refused at permissions 'read-only': "
        f"bash ({command}) needs permissions 'edit'"
    ]
    recorded = run.history_events()
    [warning] = [e for e in recorded if e["type"] == "workflow.warning"]
    assert warning["data"]["source"] == "permissions"
    assert warning["data"]["refusals"] == [refusal]
    [completed] = [e for e in recorded if e["type"] == "workflow.agent_completed"]
    assert completed["data"]["refusals"] == [refusal]


def test_read_only_refusal_is_an_event_and_part_of_the_call_record(
    llm: FakeLLM, tmp_path: Path
) -> None:
    run = _run(llm, tmp_path, f"SHELLWRITE:{FILE}", "--args-isolation", "worktree")
    assert run.done.returncode == 0, run.done.stderr
    _assert_tree_unchanged(run)
    assert not _kept_branches(run)  # nothing changed: the worktree went with its branch
    refusal = {"tool": "bash", "attempted": f"echo {EDIT_MARKER} > {FILE}", "needs": "edit"}
    [warning] = run.of("warning")
    assert warning["data"]["source"] == "permissions"
    assert warning["data"]["refusals"] == [refusal]
    [completed] = run.of("agent_completed")
    assert completed["data"]["refusals"] == [refusal]
    assert run.results["refusals"] == [refusal]
    assert run.results["worktree"] is None


def test_on_refusal_fail_fails_the_run_in_one_line(llm: FakeLLM, tmp_path: Path) -> None:
    run = _run(llm, tmp_path, f"SHELLWRITE:{FILE}", "--on-refusal", "fail", events=False)
    assert run.done.returncode == 1
    _assert_tree_unchanged(run)
    errors = [line for line in run.done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1
    assert "1 tool use refused at permissions 'read-only'" in errors[0]
    assert "(onRefusal: 'fail')" in errors[0]


def test_structured_call_through_the_server_applies_the_same_levels(
    llm: FakeLLM, tmp_path: Path
) -> None:
    refused = _run(llm, tmp_path / "ro", f"SHELLWRITE:{FILE}", "--args-schema", "true")
    assert refused.done.returncode == 0, refused.done.stderr
    assert refused.results["output"] == {"done": True}
    _assert_tree_unchanged(refused)
    command = f"echo {EDIT_MARKER} > {FILE}"
    assert refused.results["refusals"] == [{"tool": "bash", "attempted": command, "needs": "edit"}]
    edited = _run(
        llm,
        tmp_path / "edit",
        f"SHELLWRITE:{FILE}",
        "--args-schema",
        "true",
        "--agent-permissions",
        "edit",
    )
    assert edited.done.returncode == 0, edited.done.stderr
    assert (edited.repo / FILE).read_text(encoding="utf-8") == EDIT_MARKER + "\n"
    assert edited.results["refusals"] == []


def test_full_writes_outside_the_project_where_edit_is_refused(
    llm: FakeLLM, tmp_path: Path
) -> None:
    outside = tmp_path / "outside" / FILE
    outside.parent.mkdir()
    prompt = f"TOOLWRITE:{outside}"
    edit = _run(llm, tmp_path / "edit", prompt, "--agent-permissions", "edit")
    assert edit.done.returncode == 0, edit.done.stderr
    assert not outside.exists()
    assert edit.results["refusals"] == [
        {"tool": "write", "attempted": str(outside), "needs": "full"}
    ]
    full = _run(llm, tmp_path / "full", prompt, "--agent-permissions", "full")
    assert full.done.returncode == 0, full.done.stderr
    assert outside.read_text(encoding="utf-8") == EDIT_MARKER + "\n"
    assert full.results["refusals"] == []

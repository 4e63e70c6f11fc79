"""pi acting at each permission level, through the real ``smol-wf run`` and the pinned pi.

Each test is a fresh git repository with one commit, pi talking only to the FakeLLM on
127.0.0.1. The scripted model writes ``agent-edit.txt`` with pi's shell tool
(``SHELLWRITE:``), its file-writing tool (``TOOLWRITE:``), or with a tool pi did not offer
(``FORCEWRITE:<tool>:``, for the refusals). Skipped when pi is not installed, unless
``SMOLWF_REQUIRE_REAL_CLIS=1`` (CI sets it), which turns a missing pi into a failure.
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
BRANCHES = "smol-wf/agent-run/*"
BUILTIN_TOOLS = ["read", "bash", "edit", "write", "grep", "find", "ls"]
WRITES = {"shell": f"SHELLWRITE:{FILE}", "write tool": f"TOOLWRITE:{FILE}"}
REFUSED = {"shell": ("bash", f"echo {EDIT_MARKER} > {FILE}"), "write tool": ("write", FILE)}
# A user extension that switches every tool but read off at session start (as a plan
# mode would) and registers a tool of its own.
NARROWING_EXTENSION = """\
import type { ExtensionAPI } from "@mariozechner/pi-coding-agent";
import { Type } from "typebox";
export default function (pi: ExtensionAPI) {
  pi.registerTool({ name: "user_tool", label: "User tool", description: "a user's tool",
    parameters: Type.Object({}),
    async execute() { return { content: [{ type: "text", text: "ok" }], details: {} }; } });
  pi.on("session_start", async () => { pi.setActiveTools(["read"]); });
}
"""


@pytest.fixture(autouse=True)
def pi_installed() -> None:
    require_cli("pi")


@dataclass
class Repo:
    """A fresh git repository with one commit, and where smol-wf keeps its state."""

    root: Path
    tmp: Path

    def git(self, *args: str) -> str:
        return git(self.root, *args)

    def branches(self) -> list[str]:
        return self.git("branch", "--list", "--format=%(refname:short)", BRANCHES).split()

    def smol_wf(self, llm: FakeLLM, *args: str) -> subprocess.CompletedProcess[str]:
        env = cli_env("pi", llm.port, self.tmp / "home")
        env["XDG_STATE_HOME"] = str(self.tmp / "state")
        return subprocess.run(
            [*smol_wf_command(), *args],
            cwd=self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def run(
        self, llm: FakeLLM, prompt: str, options: str, *flags: str
    ) -> subprocess.CompletedProcess[str]:
        """``agentRun(prompt, options)`` as the whole workflow, on pi."""
        script = self.tmp / "wf.mjs"
        script.write_text(
            "import { agentRun } from 'workflow:extra'\n"
            "export const meta = { name: 'permissions', description: 'one pi call that acts' }\n"
            f"export default await agentRun({json.dumps(prompt)}, {options})\n",
            encoding="utf-8",
        )
        return self.smol_wf(llm, "run", str(script), "--agent-provider", "pi", *flags)


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return Repo(init_repo(tmp_path / "repo"), tmp_path)


def _report(done: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert done.returncode == 0, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def _offered(llm: FakeLLM) -> list[list[str]]:
    return [[t["function"]["name"] for t in r["body"].get("tools", [])] for r in llm.requests]


@pytest.mark.parametrize("how", list(WRITES))
def test_edit_in_a_worktree_lands_on_a_kept_branch_and_not_in_the_repository(
    repo: Repo, llm: FakeLLM, how: str
) -> None:
    done = repo.run(llm, f"{WRITES[how]} please", "{ isolation: 'worktree', permissions: 'edit' }")
    record = _report(done)["results"]
    [branch] = repo.branches()
    assert repo.git("show", f"{branch}:{FILE}") == EDIT_MARKER + "\n"
    assert record["worktree"]["branch"] == branch
    assert record["worktree"]["commit"] == repo.git("rev-parse", branch).strip()
    assert record["worktree"]["changedFiles"] == [FILE]
    assert record["refusals"] == []
    assert not (repo.root / FILE).exists()
    assert repo.git("status", "--porcelain") == ""
    assert "[warn]" not in done.stderr


@pytest.mark.parametrize("how", list(WRITES))
def test_edit_without_isolation_changes_the_workflow_cwd(
    repo: Repo, llm: FakeLLM, how: str
) -> None:
    record = _report(repo.run(llm, f"{WRITES[how]} please", "{ permissions: 'edit' }"))["results"]
    assert (repo.root / FILE).read_text(encoding="utf-8") == EDIT_MARKER + "\n"
    assert (record["worktree"], record["refusals"]) == (None, [])
    assert repo.branches() == []


@pytest.mark.parametrize("how", list(WRITES))
def test_read_only_writes_nothing_and_reports_the_refusal(
    repo: Repo, llm: FakeLLM, how: str
) -> None:
    tool, tried = REFUSED[how]
    done = repo.run(llm, f"FORCEWRITE:{tool}:{FILE} please", "{ isolation: 'worktree' }")
    report = _report(done)
    assert _offered(llm)[0] == ["read", "grep", "find", "ls"]
    assert not (repo.root / FILE).exists()
    assert repo.branches() == []
    assert repo.git("status", "--porcelain") == ""
    [refusal] = report["results"]["refusals"]
    assert refusal["tool"] == tool and refusal["attempted"].endswith(tried)
    assert refusal["needs"] == "edit"
    [warn] = [line for line in done.stderr.splitlines() if line.startswith("[warn]")]
    assert "had 1 tool use refused at permissions 'read-only'" in warn
    assert f"{tool} (" in warn and "needs permissions 'edit'" in warn

    history = repo.smol_wf(llm, "history", report["runID"], "--events")
    assert history.returncode == 0, history.stderr
    events = [json.loads(line) for line in history.stdout.splitlines() if line.strip()]
    [warning] = [e for e in events if e["type"] == "workflow.warning"]
    assert warning["data"]["source"] == "permissions"
    assert warning["data"]["refusals"] == [refusal]
    [completed] = [e for e in events if e["type"] == "workflow.agent_completed"]
    assert completed["data"]["refusals"] == [refusal]


def test_on_refusal_fail_fails_the_run_with_one_line(repo: Repo, llm: FakeLLM) -> None:
    done = repo.run(llm, f"FORCEWRITE:bash:{FILE} please", "{}", "--on-refusal", "fail")
    assert done.returncode == 1
    [error] = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert "bash (echo FAKELLM_EDIT_OK > agent-edit.txt) needs permissions 'edit'" in error
    assert "(onRefusal: 'fail')" in error
    assert not (repo.root / FILE).exists()


def test_a_user_extension_cannot_narrow_edit_and_full_turns_on_every_tool(
    repo: Repo, llm: FakeLLM
) -> None:
    extensions = repo.tmp / "home" / ".pi" / "agent" / "extensions"
    extensions.mkdir(parents=True)
    (extensions / "narrow.ts").write_text(NARROWING_EXTENSION, encoding="utf-8")
    _report(repo.run(llm, f"SHELLWRITE:{FILE} please", "{ permissions: 'edit' }"))
    assert (repo.root / FILE).read_text(encoding="utf-8") == EDIT_MARKER + "\n"
    assert _offered(llm)[0] == BUILTIN_TOOLS
    llm.requests.clear()
    _report(repo.run(llm, "Say hello", "{ permissions: 'full' }"))
    assert _offered(llm) == [[*BUILTIN_TOOLS, "user_tool"]]

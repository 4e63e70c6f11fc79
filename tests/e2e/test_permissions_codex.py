"""codex acting at each permission level, driven by ``smol-wf run`` against the FakeLLM.

Each test runs the real pinned codex in a fresh git repository with one commit. The model
asks codex's shell tool (``SHELLWRITE:``) or its file-writing tool, the freeform
``apply_patch`` (``TOOLWRITE:``), to write ``agent-edit.txt``. Skipped when codex is not
installed, unless ``SMOLWF_REQUIRE_REAL_CLIS=1`` (CI sets it), which makes that a failure.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import smol_wf_command
from tests.e2e import no_userns
from tests.fakellm.homes import cli_env, require_cli
from tests.fakellm.server import FakeLLM
from tests.gitrepo import git, init_repo

FILE = "agent-edit.txt"
CONTENT = "FAKELLM_EDIT_OK\n"
TOOLS = {
    "shell": ("SHELLWRITE", "exec_command", f"echo FAKELLM_EDIT_OK > {FILE}"),
    "patch": ("TOOLWRITE", "apply_patch", f"add {FILE}"),
}
"""How the model writes the file: the marker, codex's tool, what a refusal says it tried."""
WORKFLOW = """\
import {{ agentRun }} from 'workflow:extra'
export const meta = {{ name: 'permissions', description: 'one codex call that writes a file' }}
export default await agentRun(args.prompt, {options})
"""
NO_USERNS = [sys.executable, str(Path(no_userns.__file__))]
BRANCHES = "smol-wf/agent-run/*"


@pytest.fixture(autouse=True)
def codex_installed() -> None:
    require_cli("codex")


@pytest.fixture(params=list(TOOLS))
def tool(request: pytest.FixtureRequest) -> tuple[str, str, str]:
    return TOOLS[request.param]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A fresh git repository with one commit: the workflow's cwd."""
    return init_repo(tmp_path / "repo")


@dataclass
class Run:
    done: subprocess.CompletedProcess[str]
    events: list[dict[str, Any]]

    def of(self, kind: str) -> list[dict[str, Any]]:
        return [event for event in self.events if event["type"] == "workflow." + kind]

    @property
    def refusal_warnings(self) -> list[dict[str, Any]]:
        """Warnings about refused tool uses (codex names no model here: a cost warning too)."""
        return [w for w in self.of("warning") if w["data"]["source"] == "permissions"]

    @property
    def record(self) -> dict[str, Any]:
        """What ``agentRun()`` resolved to (the workflow's result)."""
        [result] = self.of("result")
        record: dict[str, Any] = result["data"]["results"]
        return record


class Runner:
    """``smol-wf run`` of one ``agentRun()`` with codex against the FakeLLM, in ``repo``."""

    def __init__(self, tmp_path: Path, llm: FakeLLM, repo: Path) -> None:
        self.tmp_path = tmp_path
        self.repo = repo
        self.env = cli_env("codex", llm.port, tmp_path / "home")
        self.env["XDG_STATE_HOME"] = str(tmp_path / "state")
        self.config = tmp_path / "home" / ".codex" / "config.toml"

    def smol_wf(
        self, *args: str, wrap: list[str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [*(wrap or []), *smol_wf_command(), *args]
        return subprocess.run(
            argv, cwd=self.repo, env=self.env, capture_output=True, text=True, timeout=120
        )

    def run(
        self, prompt: str, options: str = "{}", *flags: str, wrap: list[str] | None = None
    ) -> Run:
        script = self.tmp_path / "wf.mjs"
        script.write_text(WORKFLOW.format(options=options), encoding="utf-8")
        done = self.smol_wf(
            "run",
            str(script),
            "--agent-provider",
            "codex",
            "--args-prompt",
            prompt,
            *flags,
            wrap=wrap,
        )
        lines = done.stdout.splitlines() if "--events" in flags else []
        return Run(done, [json.loads(line) for line in lines if line.startswith("{")])


@pytest.fixture
def runner(tmp_path: Path, llm: FakeLLM, repo: Path) -> Runner:
    return Runner(tmp_path, llm, repo)


def kept_branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", BRANCHES, "--format=%(refname:short)").split()


def untouched(repo: Path) -> bool:
    """The repository's own work tree and branches are as the test made them."""
    return git(repo, "status", "--porcelain") == "" and not kept_branches(repo)


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error: ")]


# --- edit --------------------------------------------------------------------------------


def test_worktree_edit_commits_the_file_on_a_kept_branch(
    runner: Runner, repo: Path, tool: tuple[str, str, str]
) -> None:
    marker, _, _ = tool
    options = "{ isolation: 'worktree', permissions: 'edit' }"
    run = runner.run(f"{marker}:{FILE}", options, "--events")
    assert run.done.returncode == 0, run.done.stderr
    record = run.record
    worktree = record["worktree"]
    assert record["refusals"] == []
    assert worktree["branch"].startswith("smol-wf/agent-run/")
    assert worktree["changedFiles"] == [FILE]
    assert kept_branches(repo) == [worktree["branch"]]
    assert git(repo, "show", f"{worktree['branch']}:{FILE}") == CONTENT
    assert git(repo, "rev-parse", worktree["branch"]).strip() == worktree["commit"]
    assert git(repo, "rev-parse", "HEAD").strip() == worktree["base"]
    assert git(repo, "status", "--porcelain") == ""
    assert not (repo / FILE).exists()


def test_edit_without_isolation_writes_in_the_workflow_cwd(
    runner: Runner, repo: Path, tool: tuple[str, str, str]
) -> None:
    marker, _, _ = tool
    run = runner.run(f"{marker}:{FILE}", "{ permissions: 'edit' }", "--events")
    assert run.done.returncode == 0, run.done.stderr
    assert (repo / FILE).read_text(encoding="utf-8") == CONTENT
    assert run.record["refusals"] == []
    assert run.record["worktree"] is None
    assert not run.refusal_warnings


def test_edit_refuses_writing_into_git_and_names_full(runner: Runner, repo: Path) -> None:
    run = runner.run(f"SHELLWRITE:.git/{FILE}", "{ permissions: 'edit' }", "--events")
    assert run.done.returncode == 0, run.done.stderr
    assert not (repo / ".git" / FILE).exists()
    assert run.record["refusals"] == [
        {
            "tool": "exec_command",
            "attempted": f"echo FAKELLM_EDIT_OK > .git/{FILE}",
            "needs": "full",
        }
    ]


# --- read-only, and refusals that are never silent ---------------------------------------


def test_read_only_refuses_and_says_so_in_warn_line_event_and_history(
    runner: Runner, repo: Path, tool: tuple[str, str, str]
) -> None:
    marker, name, attempted = tool
    run = runner.run(f"{marker}:{FILE}")  # the default level; the progress lines on stderr
    assert run.done.returncode == 0, run.done.stderr
    assert untouched(repo) and not (repo / FILE).exists()
    refusal = {"tool": name, "attempted": attempted, "needs": "edit"}
    [warn] = [line for line in run.done.stderr.splitlines() if "tool use refused" in line]
    assert "had 1 tool use refused at permissions 'read-only'" in warn
    assert f"{name} ({attempted}) needs permissions 'edit'" in warn

    run_id = json.loads(run.done.stdout)["runID"]
    history = runner.smol_wf("history", run_id, "--events")
    recorded = Run(history, [json.loads(line) for line in history.stdout.splitlines()])
    [warning] = recorded.refusal_warnings
    assert warning["data"]["source"] == "permissions"
    assert warning["data"]["refusals"] == [refusal]
    [completed] = recorded.of("agent_completed")
    assert completed["data"]["refusals"] == [refusal]


def test_on_refusal_fail_fails_the_run_in_one_line(runner: Runner, repo: Path) -> None:
    run = runner.run(f"SHELLWRITE:{FILE}", "{}", "--on-refusal", "fail")
    assert run.done.returncode == 1
    assert untouched(repo) and not (repo / FILE).exists()
    [error] = error_lines(run.done.stderr)
    assert error.endswith(
        f"exec_command (echo FAKELLM_EDIT_OK > {FILE}) needs permissions 'edit' (onRefusal: 'fail')"
    )


@pytest.mark.parametrize(
    "setting",
    ['sandbox_mode = "danger-full-access"', 'default_permissions = ":danger-full-access"'],
    ids=["sandbox_mode", "default_permissions"],
)
def test_a_users_codex_config_cannot_widen_read_only(
    runner: Runner, repo: Path, setting: str
) -> None:
    config = runner.config.read_text(encoding="utf-8")
    runner.config.write_text(
        config.replace('sandbox_mode = "read-only"', setting), encoding="utf-8"
    )
    run = runner.run(f"SHELLWRITE:{FILE}", "{}", "--events")
    assert run.done.returncode == 0, run.done.stderr
    assert untouched(repo) and not (repo / FILE).exists()
    assert [r["needs"] for r in run.record["refusals"]] == ["edit"]


# --- where codex's own sandbox cannot start ----------------------------------------------


@pytest.fixture
def without_user_namespaces() -> list[str]:
    """A command prefix under which no user namespace can be created (bubblewrap fails)."""
    if not no_userns.supported():
        pytest.skip("the seccomp helper is for Linux on x86_64")
    unshare = "import ctypes, sys; sys.exit(ctypes.CDLL(None).unshare(0x10000000) != 0)"
    probe = subprocess.run([*NO_USERNS, sys.executable, "-c", unshare], capture_output=True)
    if probe.returncode == 0:
        pytest.skip("the seccomp filter did not stop user namespaces here")
    return NO_USERNS


def test_where_the_sandbox_cannot_start_edit_fails_naming_full_and_full_works(
    runner: Runner, repo: Path, without_user_namespaces: list[str]
) -> None:
    run = runner.run(f"SHELLWRITE:{FILE}", "{ permissions: 'edit' }", wrap=without_user_namespaces)
    assert run.done.returncode == 1
    assert not (repo / FILE).exists()
    [error] = error_lines(run.done.stderr)
    assert "Codex provider could not start its Linux sandbox on this machine (bwrap: " in error
    assert error.endswith(
        "permissions 'edit' cannot be enforced here; permissions 'full' runs codex without "
        "its sandbox"
    )

    run = runner.run(
        f"SHELLWRITE:{FILE}", "{ permissions: 'full' }", "--events", wrap=without_user_namespaces
    )
    assert run.done.returncode == 0, run.done.stderr
    assert (repo / FILE).read_text(encoding="utf-8") == CONTENT
    assert run.record["refusals"] == []

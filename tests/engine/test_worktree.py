"""``isolation: 'worktree'``: the agent works on a branch cut from HEAD, and its work is kept."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smolwf import RunReport
from smolwf.errors import ProviderError
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from tests.fakes import RecordingProvider
from tests.gitrepo import git, init_repo

Write = Callable[..., Path]
Run = Callable[..., RunReport]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


@dataclass
class WritingProvider(RecordingProvider):
    """Writes ``notes.txt`` in its working directory when the prompt says ``write``."""

    fail: bool = False

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        if "write" in request.prompt:
            (request.cwd / "notes.txt").write_text(f"cwd={request.cwd}\n")
        if self.fail:
            raise ProviderError("agent broke")
        return await super().run(request, events)


def _agent_branches(repo: Path) -> list[str]:
    return git(repo, "branch", "--list", "smol-wf/agent-run/*", "--format=%(refname:short)").split()


def _completed_isolation(events: io.StringIO) -> dict[str, object]:
    for line in events.getvalue().splitlines():
        event = json.loads(line)
        if event["type"] == "workflow.agent_completed":
            isolation: dict[str, object] = event["data"]["isolation"]
            return isolation
    raise AssertionError("no agent_completed event")


def test_changes_are_committed_on_a_kept_branch(write_script: Write, run: Run, repo: Path) -> None:
    script = write_script("export default await agent('write notes', { isolation: 'worktree' })")
    events = io.StringIO()
    run(script, cwd=repo, providers={"debug": WritingProvider()}, events_stream=events)
    isolation = _completed_isolation(events)
    branch = str(isolation["branch"])
    assert branch.startswith("smol-wf/agent-run/")
    assert isolation["changed"] is True
    assert _agent_branches(repo) == [branch]
    assert "cwd=" in git(repo, "show", f"{branch}:notes.txt")
    assert not (repo / "notes.txt").exists()  # the user's checkout is untouched
    assert not Path(str(isolation["worktreePath"])).exists()
    assert len(git(repo, "worktree", "list").splitlines()) == 1  # only the main worktree


def test_an_unchanged_worktree_is_removed_with_its_branch(
    write_script: Write, run: Run, repo: Path
) -> None:
    script = write_script("export default await agent('just read', { isolation: 'worktree' })")
    events = io.StringIO()
    run(script, cwd=repo, providers={"debug": WritingProvider()}, events_stream=events)
    isolation = _completed_isolation(events)
    assert isolation["branch"] is None and isolation["changed"] is False
    assert _agent_branches(repo) == []


def test_the_agent_runs_in_the_worktree_subdirectory_matching_the_cwd(
    write_script: Write, run: Run, repo: Path
) -> None:
    (repo / "sub").mkdir()
    provider = WritingProvider()
    script = write_script("export default await agent('look', { isolation: 'worktree' })")
    run(script, cwd=repo / "sub", providers={"debug": provider})
    cwd = provider.requests[0].cwd
    assert cwd.name == "sub" and cwd.parent.name == "worktree"


def test_a_failed_call_keeps_its_changes_and_says_where(
    write_script: Write, run: Run, repo: Path
) -> None:
    script = write_script(
        "try { await agent('write then fail', { isolation: 'worktree' }) }\n"
        "catch (e) { globalThis.m = e.message }\nexport default m"
    )
    message = str(run(script, cwd=repo, providers={"debug": WritingProvider(fail=True)}).result)
    [branch] = _agent_branches(repo)
    assert message == f"agent broke (the agent's changes are kept on branch {branch})"


def test_worktree_isolation_outside_a_repository_rejects_the_call(
    write_script: Write, run: Run, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()
    script = write_script(
        "try { await agent('x', { isolation: 'worktree' }) }\n"
        "catch (e) { globalThis.m = e.message }\nexport default m"
    )
    assert run(script, cwd=plain).result == (
        "agent isolation='worktree' requires the workflow cwd to be inside a git repository"
    )

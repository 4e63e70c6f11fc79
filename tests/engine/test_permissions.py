"""Permission levels reach the provider; refused tool uses are never silent; ``agentRun()``."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from smolwf import RunReport
from smolwf.errors import FailureKind, ProviderError, WorkflowFailed
from smolwf.permissions import Refusal
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from tests.fakes import RecordingProvider
from tests.gitrepo import git, init_repo

Write = Callable[..., Path]
Run = Callable[..., RunReport]

REFUSED = Refusal("Bash", "echo hi > notes.txt", "edit")


@dataclass
class RefusingProvider(RecordingProvider):
    """Answers, and reports one refused tool use when the prompt says ``refuse``; writes
    ``notes.txt`` in its working directory when it says ``write``; fails on ``fail``."""

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        result = await super().run(request, events)
        if "write" in request.prompt:
            (request.cwd / "notes.txt").write_text("agent was here\n")
        refusals = (REFUSED,) if "refuse" in request.prompt else ()
        if "fail" in request.prompt:
            raise ProviderError("the CLI crashed", kind=FailureKind.CRASH, refusals=refusals)
        return AgentResult(
            output=result.output, usage=result.usage, session_id="s-1", refusals=refusals
        )


def _events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _of(events: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [event for event in events if event["type"] == "workflow." + kind]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return init_repo(tmp_path / "repo")


# ---- the level each call runs with -------------------------------------------------------


def test_calls_are_read_only_by_default(write_script: Write, run: Run) -> None:
    provider = RefusingProvider()
    run(write_script("export default await agent('look')"), providers={"debug": provider})
    assert provider.requests[0].permissions == "read-only"


def test_the_run_flag_sets_the_level_of_every_call(write_script: Write, run: Run) -> None:
    provider = RefusingProvider()
    script = write_script("export default await agent('look')")
    run(script, providers={"debug": provider}, agent_permissions="edit")
    assert provider.requests[0].permissions == "edit"


def test_the_call_option_wins_over_its_phase_and_the_run(write_script: Write, run: Run) -> None:
    provider = RefusingProvider()
    script = write_script(
        "export const meta = { name: 'p', description: 'd',\n"
        "  phases: [{ title: 'Fix', permissions: 'edit' }] }\n"
        "phase('Fix')\n"
        "await agent('from the phase')\n"
        "await agent('from the call', { permissions: 'full' })\n"
        "phase('Other')\n"
        "export default await agent('from the run')\n",
        meta=False,
    )
    run(script, providers={"debug": provider}, agent_permissions="read-only")
    assert [r.permissions for r in provider.requests] == ["edit", "full", "read-only"]


def test_an_unknown_level_rejects_the_call_in_one_line(write_script: Write, run: Run) -> None:
    provider = RefusingProvider()
    script = write_script(
        "try { await agent('x', { permissions: 'write' }) } catch (e) { globalThis.m = e.message }\n"
        "export default m"
    )
    result = run(script, providers={"debug": provider}).result
    assert result == (
        "agent() option permissions must be one of 'read-only', 'edit', 'full', got 'write'"
    )
    assert provider.requests == []


def test_a_level_that_can_write_is_part_of_the_checkpoint_key(
    write_script: Write, run: Run, db: Path
) -> None:
    """Resuming with the run flag raised re-runs a read-only call instead of replaying it."""
    provider = RefusingProvider()
    script = write_script("export default await agent('same prompt')")
    first = run(script, providers={"debug": provider})
    resume = {"providers": {"debug": provider}, "resume_run_id": first.run_id}
    run(script, **resume, agent_permissions="read-only")
    assert len(provider.requests) == 1  # read-only (the default) keeps the old key
    run(script, **resume, agent_permissions="edit")
    assert [r.permissions for r in provider.requests] == ["read-only", "edit"]


# ---- refusals ----------------------------------------------------------------------------


def test_a_refusal_is_a_warning_line_naming_the_agent_the_tool_and_the_level(
    write_script: Write, run: Run
) -> None:
    progress = io.StringIO()
    script = write_script("export default await agent('refuse me', { label: 'fixer' })")
    run(script, providers={"debug": RefusingProvider()}, progress_stream=progress)
    warnings = [line for line in progress.getvalue().splitlines() if line.startswith("[warn]")]
    assert warnings == [
        "[warn] agent 'fixer' had 1 tool use refused at permissions 'read-only': "
        "Bash (echo hi > notes.txt) needs permissions 'edit'"
    ]


def test_refusals_are_data_on_the_warning_and_the_completed_event(
    write_script: Write, run: Run
) -> None:
    stream = io.StringIO()
    script = write_script("export default await agent('refuse me')")
    run(script, providers={"debug": RefusingProvider()}, events_stream=stream)
    events = _events(stream)
    [warning] = [w for w in _of(events, "warning") if w["data"]["source"] == "permissions"]
    [completed] = _of(events, "agent_completed")
    expected = [{"tool": "Bash", "attempted": "echo hi > notes.txt", "needs": "edit"}]
    assert warning["data"]["refusals"] == expected
    assert warning["data"]["stepId"] == completed["metadata"]["stepId"]
    assert completed["data"]["refusals"] == expected


def test_a_call_without_refusals_warns_nothing(write_script: Write, run: Run) -> None:
    progress = io.StringIO()
    script = write_script("export default await agent('all fine')")
    run(script, providers={"debug": RefusingProvider()}, progress_stream=progress)
    assert "[warn]" not in progress.getvalue()


def test_a_failed_call_still_reports_what_was_refused(write_script: Write, run: Run) -> None:
    stream = io.StringIO()
    script = write_script("try { await agent('refuse then fail') } catch (e) {}\nexport default 1")
    run(script, providers={"debug": RefusingProvider()}, events_stream=stream)
    events = _events(stream)
    [failed] = _of(events, "agent_failed")
    assert failed["data"]["refusals"][0]["tool"] == "Bash"
    assert any(w["data"]["source"] == "permissions" for w in _of(events, "warning"))


def test_on_refusal_fail_fails_the_call_in_one_line(write_script: Write, run: Run) -> None:
    script = write_script(
        "try { await agent('refuse me', { label: 'strict', onRefusal: 'fail' }) }\n"
        "catch (e) { globalThis.m = e.message }\nexport default m"
    )
    result = run(script, providers={"debug": RefusingProvider()}).result
    assert result == (
        "agent 'strict' had 1 tool use refused at permissions 'read-only': Bash "
        "(echo hi > notes.txt) needs permissions 'edit' (onRefusal: 'fail')"
    )


def test_the_run_flag_makes_a_refusal_fail_the_run(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('refuse me')")
    with pytest.raises(WorkflowFailed, match="onRefusal: 'fail'"):
        run(script, providers={"debug": RefusingProvider()}, on_refusal="fail")


def test_a_refused_call_is_not_retried(write_script: Write, run: Run) -> None:
    provider = RefusingProvider()
    script = write_script(
        "try { await agent('refuse me', { onRefusal: 'fail', retry: { maxAttempts: 3 } }) }\n"
        "catch (e) {}\nexport default 1"
    )
    run(script, providers={"debug": provider})
    assert len(provider.requests) == 1


def test_history_shows_the_refusals_of_each_step(
    write_script: Write, run: Run, cli: Callable[..., subprocess.CompletedProcess[str]], db: Path
) -> None:
    script = write_script("export default await agent('refuse me', { label: 'fixer' })")
    run_id = run(script, providers={"debug": RefusingProvider()}).run_id
    detail = json.loads(cli("history", run_id, "--db", db, "-o", "json").stdout)
    [step] = detail["steps"]
    assert step["refusals"] == [
        {"tool": "Bash", "attempted": "echo hi > notes.txt", "needs": "edit"}
    ]
    table = cli("history", run_id, "--db", db).stdout
    assert "Refused tool uses" in table
    [row] = [line for line in table.splitlines() if line.startswith("fixer")]
    assert row.split() == ["fixer", "Bash", "echo", "hi", ">", "notes.txt", "edit"]


# ---- agentRun(): the whole record ---------------------------------------------------------

AGENT_RUN = "import { agentRun } from 'workflow:extra'\n"


def test_agent_run_resolves_to_the_record_and_agent_to_the_output(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        AGENT_RUN + "const record = await agentRun('refuse me')\n"
        "export default { record, plain: await agent('plain') }"
    )
    result = run(script, providers={"debug": RefusingProvider()}).result
    assert isinstance(result, dict)
    record = result["record"]
    assert result["plain"] == "fake: plain"
    assert record["output"] == "fake: refuse me"
    assert record["provider"] == "debug" and record["sessionId"] == "s-1"
    assert record["refusals"] == [
        {"tool": "Bash", "attempted": "echo hi > notes.txt", "needs": "edit"}
    ]
    assert record["worktree"] is None and record["replayed"] is False
    assert record["usage"]["outputTokens"] == 7


def test_agent_run_names_the_branch_commit_and_files_of_a_worktree_edit(
    write_script: Write, run: Run, repo: Path
) -> None:
    script = write_script(
        AGENT_RUN + "export default await agentRun('write notes', "
        "{ isolation: 'worktree', permissions: 'edit' })"
    )
    record = run(script, cwd=repo, providers={"debug": RefusingProvider()}).result
    assert isinstance(record, dict)
    worktree = record["worktree"]
    assert worktree["changedFiles"] == ["notes.txt"]
    assert git(repo, "rev-parse", worktree["branch"]).strip() == worktree["commit"]
    assert worktree["base"] == git(repo, "rev-parse", "HEAD").strip()
    assert git(repo, "show", f"{worktree['branch']}:notes.txt") == "agent was here\n"
    assert not (repo / "notes.txt").exists()


def test_agent_run_gives_the_same_record_when_replayed(
    write_script: Write, run: Run, repo: Path, db: Path
) -> None:
    provider = RefusingProvider()
    script = write_script(
        AGENT_RUN + "const r = await agentRun('write notes', { isolation: 'worktree' })\n"
        "if (!globalThis.first) { globalThis.first = r }\n"
        "if (args.stop) throw new Error('stop here')\nexport default r"
    )
    with pytest.raises(WorkflowFailed):
        run(script, cwd=repo, providers={"debug": provider}, args={"stop": True})
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    resumed = run(
        script, cwd=repo, providers={"debug": provider}, resume_run_id=run_id, args={}
    ).result
    assert isinstance(resumed, dict)
    assert len(provider.requests) == 1  # replayed, not run again
    assert resumed["replayed"] is True
    assert resumed["worktree"]["changedFiles"] == ["notes.txt"]
    assert (
        git(repo, "rev-parse", resumed["worktree"]["branch"]).strip()
        == resumed["worktree"]["commit"]
    )

"""``isolation: 'worktree'``: the agent works in a fresh git worktree, and its work is kept.

The reference runtime deletes the worktree and its branch whatever the agent did.
Here, changes left in the worktree are committed on ``smol-wf/agent-run/<id>`` and
the branch is kept (only the checkout is removed); a worktree the agent did not
change is removed with its branch, as Claude Code does.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import CompletedProcess

import anyio

from smolwf.errors import AgentCallError, AgentOptionError
from smolwf.git import GitNotFound, run_git
from smolwf.ids import new_id
from smolwf.jsontypes import JSON, JSONObject

BRANCH_PREFIX = "smol-wf/agent-run/"
_FALLBACK_IDENTITY = ("-c", "user.name=smol-wf", "-c", "user.email=smol-wf@localhost")


@dataclass(slots=True)
class WorktreeLease:
    """One agent's worktree; ``record`` is the result's ``isolation`` info once it ends."""

    repo: Path
    branch: str
    path: Path
    cwd: Path
    base: str
    record: JSONObject = field(default_factory=dict)

    @property
    def kept_branch(self) -> str | None:
        branch = self.record.get("branch")
        return branch if isinstance(branch, str) else None


@asynccontextmanager
async def agent_worktree(cwd: Path) -> AsyncIterator[WorktreeLease]:
    """A worktree cut from HEAD for the duration of one agent call (every provider call of it)."""
    cwd = Path(await anyio.Path(cwd).resolve())
    top = await _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise AgentOptionError(
            "agent isolation='worktree' requires the workflow cwd to be inside a git repository"
        )
    repo = Path(top.stdout.decode().strip())
    base = (await _checked(["rev-parse", "HEAD"], repo)).strip()
    run_id = new_id("run").removeprefix("run_")
    temp = Path(tempfile.mkdtemp(prefix="smol-wf-agent-worktree-"))
    lease = WorktreeLease(
        repo=repo,
        branch=BRANCH_PREFIX + run_id,
        path=temp / "worktree",
        cwd=temp / "worktree" / cwd.relative_to(repo),
        base=base,
    )
    try:
        add = ["worktree", "add", "--quiet", "-b", lease.branch, str(lease.path), base]
        await _checked(add, repo)
        lease.cwd.mkdir(parents=True, exist_ok=True)  # an untracked subdir is absent in HEAD
        yield lease
    finally:
        with anyio.CancelScope(shield=True):
            await _finish(lease)
            shutil.rmtree(temp, ignore_errors=True)


async def _finish(lease: WorktreeLease) -> None:
    """Commit what the agent left, keep the branch if it holds work, remove the checkout."""
    record: JSONObject = {
        "kind": "worktree",
        "worktreePath": str(lease.path),
        "cwd": str(lease.cwd),
        "branch": None,
        "changed": False,
        "base": lease.base,
    }
    if lease.path.is_dir():
        try:
            head = await _commit_changes(lease)
        except AgentCallError as error:
            record["error"] = error.message
            head = None
        if head is not None and head != lease.base:
            changed = await _changed_files(lease, head)
            record.update(branch=lease.branch, changed=True, commit=head, changedFiles=changed)
        await _git(["worktree", "remove", "--force", str(lease.path)], lease.repo)
    await _git(["worktree", "prune"], lease.repo)
    if record["branch"] is None and "error" not in record:
        await _git(["branch", "-D", "--quiet", lease.branch], lease.repo)
    lease.record = record


async def _commit_changes(lease: WorktreeLease) -> str | None:
    """Commit every change (untracked files too); the new HEAD, or the agent's own commits."""
    status = await _checked(["status", "--porcelain"], lease.path)
    if status.strip():
        await _checked(["add", "-A"], lease.path)
        identity = await _git(["config", "user.email"], lease.path)
        extra: Sequence[str] = () if identity.stdout.strip() else _FALLBACK_IDENTITY
        message = f"smol-wf agent run {lease.branch.removeprefix(BRANCH_PREFIX)}"
        await _checked([*extra, "commit", "--quiet", "--no-verify", "-m", message], lease.path)
    head = await _git(["rev-parse", "HEAD"], lease.path)
    return head.stdout.decode().strip() if head.returncode == 0 else None


async def _changed_files(lease: WorktreeLease, head: str) -> list[JSON]:
    """Paths (relative to the repository) that differ between the base and the kept head."""
    diff = await _git(["diff", "--name-only", "-z", lease.base, head], lease.repo)
    if diff.returncode != 0:
        return []
    names = diff.stdout.decode("utf-8", "replace").split("\0")
    return [name for name in names if name]


async def _checked(args: Sequence[str], where: Path) -> str:
    result = await _git(args, where)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"
        verb = next(arg for arg in args if not arg.startswith("-") and "=" not in arg)
        raise AgentCallError(f"agent isolation='worktree': git {verb} failed: {detail}")
    return result.stdout.decode("utf-8", "replace")


async def _git(args: Sequence[str], where: Path) -> CompletedProcess[bytes]:
    """Run git in ``where``, ignoring GIT_DIR and friends a caller's hook may have set."""
    try:
        return await run_git(args, where)
    except GitNotFound:
        raise AgentOptionError("agent isolation='worktree' needs git on PATH") from None

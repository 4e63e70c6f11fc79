"""Where an agent call works: the run's directory, a fresh git worktree, or a sandbox.

The isolation wraps every provider call of the agent call (retries, schema corrections,
fallbacks): one worktree or one sandbox session serves them all. ``note`` receives the
isolation record (branch, changed files, sandbox session) for the result and the error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from smolwf.engine.executor import Answer
from smolwf.errors import AgentCallError, AgentOptionError
from smolwf.jsontypes import JSON, JSONObject

if TYPE_CHECKING:
    from smolwf.engine.worktree import WorktreeLease

Work = Callable[[Path], Awaitable[Answer]]
"""Runs the call with the given working directory."""


async def isolated(
    option: JSON, base: Path, work: Work, note: Callable[[JSONObject], None]
) -> Answer:
    """Run ``work`` as the ``isolation`` option asks (checked by the option pipeline)."""
    if isinstance(option, dict) and option.get("type") == "sandbox":
        return await in_sandbox(option, base, work, note)
    if option == "worktree":
        return await in_worktree(base, work, note)
    return await work(base)


async def in_worktree(base: Path, work: Work, note: Callable[[JSONObject], None]) -> Answer:
    """``isolation: 'worktree'``: every provider call works in one fresh worktree; what the agent
    changed stays on a branch, named in the result and the error."""
    from smolwf.engine.worktree import agent_worktree  # only scripts that isolate pay for git

    lease_box: list[WorktreeLease] = []
    try:
        async with agent_worktree(base) as lease:
            lease_box.append(lease)
            answer = await work(lease.cwd)
    except AgentCallError as error:
        kept = lease_box[0].kept_branch if lease_box else None
        if kept is None:
            raise
        raise AgentCallError(
            f"{error.message} (the agent's changes are kept on branch {kept})"
        ) from error
    finally:
        if lease_box:
            note(lease_box[0].record)
    return answer


async def in_sandbox(
    option: JSONObject, base: Path, work: Work, note: Callable[[JSONObject], None]
) -> Answer:
    """``isolation: {type: 'sandbox', profile}``: one sandbox session serves every
    provider call of the call; the provider works in its directory."""
    from smolwf.sandbox import open_sandbox

    profile, cwd = option.get("profile"), option.get("cwd")
    if not isinstance(profile, str):
        raise AgentOptionError(
            "agent isolation {type: 'sandbox'} needs a profile such as 'local-worktree/default'"
        )
    async with open_sandbox(profile, base, cwd=cwd if isinstance(cwd, str) else None) as session:
        note(session.isolation_record())
        return await work(Path(session.cwd) if session.cwd else base)

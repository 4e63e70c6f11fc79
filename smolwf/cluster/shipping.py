"""The driver's side of ``git`` mode: what a worker needs to check a directory out, and
bringing back what the agent committed there.

A run puts one bundle of its base commit in the object store; each call adds only the
commits its directory has beyond that base (a retry after the agent already changed its
worktree). The commits that come back are unbundled into the directory's repository and,
where smol-wf owns the directory (an isolated call's worktree), fast-forwarded into it,
so the worktree's branch is kept exactly as after a local run.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from subprocess import CompletedProcess
from typing import Any

import anyio

from smolwf.cluster.wire import Commits, GitCheckout
from smolwf.errors import FailureKind, ProviderError
from smolwf.git import GitNotFound, run_git
from smolwf.records import record


@record
class _Base:
    commit: str
    bundle: Any
    """The ``ray.ObjectRef`` of its bundle."""


class GitShipping:
    """One run's base bundles, by repository; ``put`` stores bytes (``ray.put``)."""

    def __init__(self, put: Callable[[bytes], Any]) -> None:
        self._put = put
        self._bases: dict[str, _Base] = {}
        self._lock = anyio.Lock()

    async def checkout_for(self, cwd: Path, message: str) -> GitCheckout:
        """What a worker needs to run an agent in ``cwd`` as it is committed now."""
        top = Path((await _git(["rev-parse", "--show-toplevel"], cwd)).strip())
        common = await _git(["rev-parse", "--path-format=absolute", "--git-common-dir"], cwd)
        start = (await _git(["rev-parse", "HEAD"], cwd)).strip()
        base = await self._base(common.strip(), top)
        delta = None
        if start != base.commit and not await _is_ancestor(start, base.commit, top):
            delta = await _bundle(top, ["HEAD", f"^{base.commit}"])
        subdir = Path(await anyio.Path(cwd).resolve()).relative_to(top)
        return GitCheckout(base.bundle, base.commit, start, delta, str(subdir), message)

    async def _base(self, common: str, top: Path) -> _Base:
        async with self._lock:
            base = self._bases.get(common)
            if base is None:
                commit = (await _git(["rev-parse", "HEAD"], top)).strip()
                bundle = await _bundle(top, ["HEAD"])
                base = self._bases[common] = _Base(commit, self._put(bundle))
            return base

    async def bring_back(self, cwd: Path, commits: Commits, *, branch: str | None) -> None:
        """Unbundle the agent's commits into ``cwd``'s repository; then fast-forward ``cwd``
        to them (``branch`` None: smol-wf's own worktree) or name them ``branch``."""
        with tempfile.TemporaryDirectory(prefix="smol-wf-ray-in-") as scratch:
            path = Path(scratch) / "in.bundle"
            path.write_bytes(commits.bundle)
            await _git(["bundle", "unbundle", str(path)], cwd)
        if branch is None:
            await _git(["merge", "--ff-only", "--quiet", commits.head], cwd)
        else:
            await _git(["branch", "--force", branch, commits.head], cwd)


async def current_branch(cwd: Path) -> str | None:
    """The branch checked out in ``cwd``, None when detached."""
    done = await _run(["symbolic-ref", "--quiet", "--short", "HEAD"], cwd)
    return done.stdout.decode().strip() or None if done.returncode == 0 else None


async def _is_ancestor(commit: str, of: str, where: Path) -> bool:
    done = await _run(["merge-base", "--is-ancestor", commit, of], where)
    return done.returncode == 0


async def _bundle(top: Path, revisions: Sequence[str]) -> bytes:
    with tempfile.TemporaryDirectory(prefix="smol-wf-ray-out-") as scratch:
        path = Path(scratch) / "out.bundle"
        await _git(["bundle", "create", "--quiet", str(path), *revisions], top)
        return await anyio.Path(path).read_bytes()


async def _git(args: Sequence[str], where: Path) -> str:
    done = await _run(args, where)
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        verb = next(arg for arg in args if not arg.startswith("-"))
        raise ProviderError(f"git mode: git {verb} failed: {detail}", kind=FailureKind.CRASH)
    return done.stdout.decode("utf-8", "replace")


async def _run(args: Sequence[str], where: Path) -> CompletedProcess[bytes]:
    try:
        return await run_git(args, where)
    except GitNotFound:
        raise ProviderError("git mode needs git on PATH", kind=FailureKind.CONFIG) from None

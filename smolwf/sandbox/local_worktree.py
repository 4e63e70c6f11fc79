"""``smol-sandbox-local-worktree``: a sandbox provider whose sessions are git worktrees of HEAD.

The reference provider and the one the tests use. It isolates files only (commands run as the
same user on the same host), so it is not a security boundary. Every session is a detached
worktree in its own temporary directory, removed on close, on shutdown, and when the client
goes away (EOF on stdin) or the server is signalled.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from subprocess import CompletedProcess

import anyio

from smolwf.git import GitNotFound, run_git
from smolwf.ids import new_id
from smolwf.jsontypes import JSONObject
from smolwf.sandbox.local_exec import run_command
from smolwf.sandbox.protocol import PROTOCOL_VERSION
from smolwf.sandbox.server import (
    SERVED_METHODS,
    EventEmitter,
    RequestFailed,
    param_object,
    param_str,
    serve,
)

PROVIDER = "local-worktree"
KNOWN_PROFILES = ("default",)
WORKTREE_ROOT_ENV = "SMOL_WORKFLOW_SANDBOX_WORKTREE_ROOT"
USAGE = (
    "usage: smol-sandbox-local-worktree serve\n"
    "  speaks the sandbox.v1 JSONL protocol on stdin/stdout; sessions are git worktrees\n"
)


def worktree_root() -> Path:
    """Where session directories go: ``$SMOL_WORKFLOW_SANDBOX_WORKTREE_ROOT`` or under TMPDIR."""
    configured = os.environ.get(WORKTREE_ROOT_ENV)
    if configured:
        return Path(configured)
    return Path(tempfile.gettempdir()) / "smol-workflow-sandbox" / PROVIDER


async def _git(args: Sequence[str], repo: Path) -> CompletedProcess[bytes]:
    """Run git on ``repo`` (see ``smolwf.git``)."""
    try:
        return await run_git(args, repo)
    except GitNotFound:
        raise RequestFailed(
            "git_missing", "git was not found on PATH; the local-worktree sandbox needs it"
        ) from None


def _git_message(result: CompletedProcess[bytes]) -> str:
    return result.stderr.decode("utf-8", "replace").strip() or f"exit {result.returncode}"


def _inside(root: Path, base: Path, requested: str) -> Path:
    """``requested`` resolved against ``base``; it must stay inside ``root``."""
    path = Path(os.path.normpath(base / requested))
    if path != root and root not in path.parents:
        raise RequestFailed(
            "invalid_params", f"cwd {requested!r} is outside the sandbox workspace {root}"
        )
    return path


def _make_session_dir() -> Path:
    root = worktree_root()
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix="session-", dir=root)).resolve()


@dataclass(slots=True)
class WorktreeSession:
    """One session: a detached worktree of ``repo`` in ``temp_dir``."""

    id: str
    group_id: str | None
    repo: Path
    temp_dir: Path
    cwd: Path

    @property
    def worktree(self) -> Path:
        return self.temp_dir / "worktree"

    def describe(self) -> JSONObject:
        state = {"repo": str(self.repo), "worktree": str(self.worktree)}
        return {
            "id": self.id,
            "cwd": str(self.cwd),
            "capabilities": {"exec": True},
            "provider_session_id": self.temp_dir.name,
            "provider_state_json": json.dumps(state),
        }


def _check_profile(params: JSONObject) -> None:
    profile = param_object(params, "profile")
    name = param_str(profile, "name")
    if name not in KNOWN_PROFILES:
        raise RequestFailed(
            "unknown_profile",
            f"unknown {PROVIDER} profile {name!r}; known profiles: {', '.join(KNOWN_PROFILES)}",
        )


def _host_path(params: JSONObject) -> Path:
    host_path = param_str(param_object(params, "workspace_sync"), "host_path")
    assert host_path is not None
    path = Path(host_path)
    if not path.is_absolute() or not path.is_dir():
        raise RequestFailed(
            "invalid_params",
            f"workspace_sync.host_path {host_path!r} must be an absolute path to a directory",
        )
    return path.resolve()


async def _repo_root(host: Path) -> Path:
    result = await _git(["rev-parse", "--show-toplevel"], host)
    if result.returncode != 0:
        raise RequestFailed(
            "not_a_git_repository",
            f"workspace_sync.host_path {host} is not inside a git repository; the "
            f"{PROVIDER} sandbox checks out HEAD of the enclosing repository "
            "(run `git init` and commit, or use another sandbox provider)",
        )
    root = Path(await anyio.Path(result.stdout.decode().strip()).resolve())
    head = await _git(["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], root)
    if head.returncode != 0:
        raise RequestFailed(
            "no_head",
            f"git repository {root} has no commit yet; commit once so the sandbox can "
            "check out HEAD",
        )
    return root


class LocalWorktreeBackend:
    """Sessions are detached git worktrees; exec runs commands in them on this host."""

    def __init__(self) -> None:
        self.sessions: dict[str, WorktreeSession] = {}

    def capabilities(self) -> JSONObject:
        return {
            "protocol_version": PROTOCOL_VERSION,
            "provider": PROVIDER,
            "profiles": list(KNOWN_PROFILES),
            "methods": list(SERVED_METHODS),
            "exec": True,
        }

    async def open(self, params: JSONObject) -> JSONObject:
        _check_profile(params)
        host = _host_path(params)
        repo = await _repo_root(host)
        metadata = param_object(params, "metadata", required=False)
        group = metadata.get("sandbox_group_id")
        session = WorktreeSession(
            id=new_id("lwt"),
            group_id=group if isinstance(group, str) else None,
            repo=repo,
            temp_dir=await anyio.to_thread.run_sync(_make_session_dir),
            cwd=Path(),
        )
        self.sessions[session.id] = session  # registered first: a cancelled add is cleaned too
        added = await _git(
            ["worktree", "add", "--detach", "--quiet", str(session.worktree), "HEAD"], repo
        )
        if added.returncode != 0:
            await self._discard(session.id)
            raise RequestFailed("open_failed", f"git worktree add failed: {_git_message(added)}")
        mirror = session.worktree / host.relative_to(repo)
        session.cwd = _inside(
            session.worktree, mirror, param_str(params, "cwd", required=False) or "."
        )
        session.cwd.mkdir(parents=True, exist_ok=True)  # an untracked host dir is absent in HEAD
        return session.describe()

    def _session(self, params: JSONObject) -> WorktreeSession:
        session_id = param_str(param_object(params, "session"), "id")
        session = self.sessions.get(session_id or "")
        if session is None:
            raise RequestFailed(
                "unknown_session", f"no open session {session_id!r}; it was closed or never opened"
            )
        return session

    async def exec(self, params: JSONObject, emit: EventEmitter) -> JSONObject:
        session = self._session(params)
        cwd = _inside(
            session.worktree, session.cwd, param_str(params, "cwd", required=False) or "."
        )
        if not cwd.is_dir():
            raise RequestFailed("invalid_params", f"cwd {cwd} is not a directory in the sandbox")
        return await run_command(
            _argv(params), cwd=cwd, env=_env(params), stdin=_stdin(params), emit=emit
        )

    async def close(self, params: JSONObject) -> JSONObject:
        session_id = param_str(param_object(params, "session"), "id")
        await self._discard(session_id or "")  # closing twice is harmless
        return {}

    async def cleanup_group(self, params: JSONObject) -> JSONObject:
        group = param_str(params, "sandbox_group_id")
        doomed = [s.id for s in self.sessions.values() if s.group_id == group]
        for session_id in doomed:
            await self._discard(session_id)
        return {"closed": len(doomed)}

    async def close_all(self) -> None:
        for session_id in list(self.sessions):
            await self._discard(session_id)

    async def _discard(self, session_id: str) -> None:
        session = self.sessions.pop(session_id, None)
        if session is None:
            return
        removed = await _git(["worktree", "remove", "--force", str(session.worktree)], session.repo)
        await anyio.to_thread.run_sync(shutil.rmtree, session.temp_dir, True)
        if removed.returncode != 0:
            await _git(["worktree", "prune"], session.repo)


def _argv(params: JSONObject) -> list[str]:
    argv = params.get("argv")
    if (
        not isinstance(argv, list)
        or not argv
        or not all(isinstance(item, str) for item in argv)
        or not argv[0]
    ):
        raise RequestFailed(
            "invalid_params", "params.argv must be a non-empty array of strings, program first"
        )
    return [str(item) for item in argv]


def _env(params: JSONObject) -> dict[str, str]:
    overrides = param_object(params, "env", required=False)
    if not all(isinstance(value, str) for value in overrides.values()):
        raise RequestFailed("invalid_params", "params.env values must be strings")
    return {**os.environ, **{name: str(value) for name, value in overrides.items()}}


def _stdin(params: JSONObject) -> bytes | None:
    encoded = params.get("stdin_base64")
    if encoded is None:
        return None
    if not isinstance(encoded, str):
        raise RequestFailed("invalid_params", "params.stdin_base64 must be a base64 string")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        raise RequestFailed("invalid_params", "params.stdin_base64 is not valid base64") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: ``smol-sandbox-local-worktree serve``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args != ["serve"]:
        sys.stderr.write(USAGE)
        return 2
    anyio.run(serve, LocalWorktreeBackend())
    return 0


if __name__ == "__main__":
    sys.exit(main())

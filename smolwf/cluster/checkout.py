"""The worker's side of ``git`` mode: a checkout of the call's start commit, made from the
shipped bundles, and a bundle of what the agent committed in it.

Bundles are unpacked once per node into a bare cache repository keyed by the run's base
commit, so a fan-out of hundreds of calls pays for the base once per node; every call
gets its own worktree of it, removed when the call ends.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path

from smolwf.cluster.wire import Commits, GitCheckout
from smolwf.errors import FailureKind, ProviderError
from smolwf.git import REPOSITORY_ENV
from smolwf.records import record

CACHE_DIR_ENV = "SMOLWF_RAY_CACHE_DIR"
"""Where a worker keeps its cache repositories (default: the system's temporary dir)."""
_IDENTITY = ("-c", "user.name=smol-wf", "-c", "user.email=smol-wf@localhost")


@record
class Checkout:
    """One call's worktree on the worker; ``cwd`` is where the agent works."""

    repo: Path
    path: Path
    cwd: Path
    start: str
    message: str

    def commits(self) -> Commits | None:
        """Commit what the agent left; a bundle of the new commits, or None if none."""
        if _git(["status", "--porcelain"], self.path).strip():
            _git(["add", "-A"], self.path)
            _git([*_IDENTITY, "commit", "--quiet", "--no-verify", "-m", self.message], self.path)
        head = _git(["rev-parse", "HEAD"], self.path).strip()
        if head == self.start:
            return None
        ref = f"refs/smol-wf/out/{uuid.uuid4().hex}"
        _git(["update-ref", ref, head], self.repo)
        try:
            bundle = self.path.parent / "out.bundle"
            _git(["bundle", "create", "--quiet", str(bundle), ref, f"^{self.start}"], self.repo)
            return Commits(head, bundle.read_bytes())
        finally:
            _git(["update-ref", "-d", ref], self.repo)


@contextlib.contextmanager
def checked_out(spec: GitCheckout, base_bundle: bytes) -> Iterator[Checkout]:
    """A fresh worktree of ``spec.start``, removed afterwards whatever happened."""
    repo = _cache_repo(spec.base, base_bundle)
    scratch = Path(tempfile.mkdtemp(prefix="smol-wf-ray-call-"))
    path = scratch / uuid.uuid4().hex
    try:
        if spec.delta is not None:
            delta = scratch / "in.bundle"
            delta.write_bytes(spec.delta)
            _git(["bundle", "unbundle", str(delta)], repo)
        _git(["worktree", "add", "--quiet", "--detach", str(path), spec.start], repo)
        cwd = path / spec.subdir
        cwd.mkdir(parents=True, exist_ok=True)
        yield Checkout(repo, path, cwd, spec.start, spec.message)
    finally:
        if path.exists():
            _git(["worktree", "remove", "--force", str(path)], repo, check=False)
        shutil.rmtree(scratch, ignore_errors=True)
        _git(["worktree", "prune"], repo, check=False)


def _cache_repo(base: str, bundle: bytes) -> Path:
    """The node's bare repository holding ``base``, unbundled by the first call to need it."""
    root = Path(os.environ.get(CACHE_DIR_ENV) or tempfile.gettempdir()) / "smol-wf-ray"
    root.mkdir(parents=True, exist_ok=True)
    repo = root / f"{base}.git"
    with (root / f"{base}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (repo / "smol-wf-ready").exists():
            shutil.rmtree(repo, ignore_errors=True)
            _git(["init", "--quiet", "--bare", str(repo)], root)
            _git(["config", "gc.auto", "0"], repo)
            path = root / f"{base}.bundle"
            path.write_bytes(bundle)
            try:
                _git(["bundle", "unbundle", str(path)], repo)
            finally:
                path.unlink()
            (repo / "smol-wf-ready").touch()
    return repo


def _git(args: Sequence[str], where: Path, *, check: bool = True) -> str:
    env = {name: value for name, value in os.environ.items() if name not in REPOSITORY_ENV}
    try:
        done = subprocess.run(
            ["git", *args], cwd=where, env=env, capture_output=True, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        raise ProviderError(
            "git mode needs git on the PATH of every Ray worker node", kind=FailureKind.CONFIG
        ) from None
    if check and done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip() or f"exit {done.returncode}"
        verb = next(arg for arg in args if not arg.startswith("-") and "=" not in arg)
        message = f"git mode on the Ray worker: git {verb} failed: {detail}"
        raise ProviderError(message, kind=FailureKind.CRASH)
    return done.stdout.decode("utf-8", "replace")

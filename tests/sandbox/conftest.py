"""Fixtures for sandbox tests: a committed git repo, the real local-worktree provider on PATH,
fake providers written as small Python programs, and a raw protocol client."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smolwf.sandbox.local_worktree import WORKTREE_ROOT_ENV

PROVIDER_EXE = "smol-sandbox-local-worktree"
PROFILE = "local-worktree/default"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Sandbox Test",
    "GIT_AUTHOR_EMAIL": "sandbox@example.invalid",
    "GIT_COMMITTER_NAME": "Sandbox Test",
    "GIT_COMMITTER_EMAIL": "sandbox@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def worktrees(repo: Path) -> list[str]:
    """Paths of every worktree git knows for ``repo``, the main one first."""
    lines = git(repo, "worktree", "list", "--porcelain").splitlines()
    return [line.removeprefix("worktree ") for line in lines if line.startswith("worktree ")]


def _provider_bin_dir(tmp_path: Path) -> Path:
    """The venv's bin dir if the console script is installed, else a wrapper running the module."""
    installed = Path(sys.executable).with_name(PROVIDER_EXE)
    if installed.exists():
        return installed.parent
    fallback = tmp_path / "provider-bin"
    fallback.mkdir(exist_ok=True)
    wrapper = fallback / PROVIDER_EXE
    wrapper.write_text(
        f"#!{sys.executable}\nimport runpy\nrunpy.run_module('smolwf.sandbox.local_worktree', run_name='__main__')\n"
    )
    wrapper.chmod(0o755)
    return fallback


@pytest.fixture
def sandbox_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Puts the provider on PATH, sets a git identity, and returns the private worktree root."""
    monkeypatch.setenv("PATH", f"{_provider_bin_dir(tmp_path)}{os.pathsep}{os.environ['PATH']}")
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    root = tmp_path / "sandboxes"
    monkeypatch.setenv(WORKTREE_ROOT_ENV, str(root))
    return root


@pytest.fixture
def repo(tmp_path: Path, sandbox_root: Path) -> Path:
    """A git repo with README.md and sub/keep.txt committed and scratch.txt left uncommitted."""
    path = tmp_path / "repo"
    (path / "sub").mkdir(parents=True)
    (path / "README.md").write_text("hello from HEAD\n")
    (path / "sub" / "keep.txt").write_text("kept\n")
    git(path, "init", "-q", "-b", "main")
    git(path, "add", ".")
    git(path, "commit", "-q", "-m", "initial")
    (path / "scratch.txt").write_text("not committed\n")
    return path


@pytest.fixture
def fake_provider(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str, str], str]:
    """Install ``smol-sandbox-<name>`` running the given Python body; returns the provider name."""
    bin_dir = tmp_path / "fake-bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")

    def install(name: str, body: str) -> str:
        script = bin_dir / f"smol-sandbox-{name}"
        script.write_text(f"#!{sys.executable}\nimport json, sys\n{body}\n")
        script.chmod(0o755)
        return name

    return install


class RawServer:
    """The provider driven line by line, as a client that may misbehave or vanish."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [PROVIDER_EXE, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        self._next_id = 0

    def send(self, method: str, params: dict[str, Any]) -> str:
        assert self.process.stdin is not None
        self._next_id += 1
        request_id = f"r{self._next_id}"
        line = json.dumps({"id": request_id, "method": method, "params": params})
        self.process.stdin.write(line.encode() + b"\n")
        self.process.stdin.flush()
        return request_id

    def receive(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        message: dict[str, Any] = json.loads(self.process.stdout.readline())
        return message

    def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        request_id = self.send(method, params)
        while "event" in (message := self.receive()):
            assert message["id"] == request_id
        assert message["id"] == request_id
        return message

    def open(self, host_path: Path) -> dict[str, Any]:
        answer = self.call(
            "open",
            {
                "metadata": {
                    "protocol_version": "sandbox.v1",
                    "request_id": "q",
                    "sandbox_group_id": "g",
                },
                "profile": {"provider": "local-worktree", "name": "default"},
                "workspace_sync": {"host_path": str(host_path)},
            },
        )
        session: dict[str, Any] = answer["result"]
        return session

    def close_stdin_and_wait(self) -> int:
        assert self.process.stdin is not None
        self.process.stdin.close()
        return self.process.wait(timeout=60)


@pytest.fixture
def raw_server(sandbox_root: Path) -> Any:
    server = RawServer()
    yield server
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait()

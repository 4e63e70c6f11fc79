"""Shared fixtures: write workflow scripts, run them through the API or the real CLI."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smolwf import RunReport, run_workflow

META = "export const meta = { name: 'test', description: 'a test workflow' }\n"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def write_script(tmp_path: Path) -> Callable[..., Path]:
    """Write a workflow body (meta is prepended unless ``meta=False``) and return its path."""

    def write(body: str, name: str = "wf.mjs", *, meta: bool = True) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text((META if meta else "") + body, encoding="utf-8")
        return path

    return write


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "runs.db"


@pytest.fixture
def run(db: Path) -> Callable[..., RunReport]:
    """Run a script through the Python API against the test database, quietly."""

    def call(script: Path, **options: Any) -> RunReport:
        options.setdefault("db_path", db)
        options.setdefault("progress_stream", io.StringIO())
        return run_workflow(script, **options)

    return call


def smol_wf_command() -> list[str]:
    """The installed console script, as a user runs it."""
    script = Path(sys.executable).with_name("smol-wf")
    if script.exists():
        return [str(script)]
    found = shutil.which("smol-wf")
    return [found] if found else [sys.executable, "-m", "smolwf"]


@pytest.fixture
def cli(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    """Run the real ``smol-wf`` with a private state dir, so no test touches ~/.local."""

    def call(
        *args: str | Path,
        cwd: Path | None = None,
        env: dict[str, str] | None = None,
        timeout: float = 60,
    ) -> subprocess.CompletedProcess[str]:
        full_env = dict(os.environ)
        full_env["XDG_STATE_HOME"] = str(tmp_path / "state")
        full_env.update(env or {})
        return subprocess.run(
            [*smol_wf_command(), *map(str, args)],
            cwd=cwd or tmp_path,
            env=full_env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    return call

"""A real ``smol-wf view`` process per test, and the runs it shows."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command
from tests.extras import require_extra

require_extra("view", "starlette", "uvicorn")

Serve = Callable[..., str]


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Serve]:
    """Start ``smol-wf view --port 0`` on a database; returns the URL it printed."""
    started: list[subprocess.Popen[str]] = []

    def start(db: Path, *args: str) -> str:
        process = subprocess.Popen(
            [*smol_wf_command(), "view", "--db", str(db), "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "XDG_STATE_HOME": str(tmp_path / "state")},
        )
        started.append(process)
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("smol-wf view: http://127.0.0.1:"), line
        return line.removeprefix("smol-wf view: ").strip()

    yield start
    for process in started:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

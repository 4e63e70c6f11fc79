"""A real terminal for end-to-end tests: a detached tmux session driven key by key."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

needs_tmux = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (CI installs it in .ci/run)"
)


class Terminal:
    """One detached tmux session (120x40 unless told) running a command."""

    def __init__(self, command: str, cwd: Path, *, width: int = 120, height: int = 40) -> None:
        self.name = f"smolwf-{uuid.uuid4().hex[:8]}"
        env = {"TERM": "xterm-256color", "XDG_STATE_HOME": str(cwd / "state")}
        size = ["-x", str(width), "-y", str(height)]
        args = ["tmux", "new-session", "-d", "-s", self.name, *size, "-c", str(cwd)]
        subprocess.run([*args, command], check=True, env={**os.environ, **env})

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def resize(self, width: int, height: int) -> None:
        size = ["-x", str(width), "-y", str(height)]
        subprocess.run(["tmux", "resize-window", "-t", self.name, *size], check=True)

    def screen(self) -> str:
        result = subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name], capture_output=True, text=True
        )
        return result.stdout

    def wait_for(self, text: str, timeout: float = 15) -> str:
        return self.wait_until(lambda screen: text in screen, repr(text), timeout)

    def wait_until(self, condition: Callable[[str], bool], what: str, timeout: float = 15) -> str:
        """Poll the screen until ``condition`` holds; fail showing the last screen."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if condition(screen):
                return screen
            time.sleep(0.1)
        raise AssertionError(f"{what} never appeared; the screen was:\n{self.screen()}")

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


def wait_for_file(path: Path, timeout: float = 10) -> str:
    """The text of a file a command writes when it ends (its exit code, say)."""
    deadline = time.monotonic() + timeout
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    return path.read_text()

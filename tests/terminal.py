"""A real terminal for end-to-end tests: a detached tmux session driven key by key."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

needs_tmux = pytest.mark.skipif(
    shutil.which("tmux") is None, reason="tmux is not installed (CI installs it in .ci/run)"
)


class Terminal:
    """One detached tmux session running ``command``; the pane stays open after it ends,
    so its last screen can be read, and its exit code is kept in a file."""

    def __init__(
        self,
        command: list[str],
        cwd: Path,
        *,
        env: dict[str, str] | None = None,
        width: int = 120,
        height: int = 40,
    ) -> None:
        self.name = f"smolwf-{uuid.uuid4().hex[:8]}"
        self.done = cwd / f"{self.name}.exit-code"
        assigned = " ".join(f"{key}={shlex.quote(value)}" for key, value in (env or {}).items())
        line = f"{assigned} {shlex.join(command)}; echo $? > {self.done}; sleep 30".strip()
        session = {"TERM": "xterm-256color", "XDG_STATE_HOME": str(cwd / "state")}
        size = ["-x", str(width), "-y", str(height)]
        args = ["tmux", "new-session", "-d", "-s", self.name, *size, "-c", str(cwd), line]
        subprocess.run(args, check=True, env={**os.environ, **session})

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

    def exit_code(self, timeout: float = 10) -> int:
        """The command's exit code, once it has ended."""
        deadline = time.monotonic() + timeout
        while not self.done.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        return int(self.done.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@contextmanager
def terminal_running(command: list[str], cwd: Path, **options: object) -> Iterator[Terminal]:
    """A ``Terminal`` for the length of a ``with`` block."""
    term = Terminal(command, cwd, **options)  # type: ignore[arg-type]
    try:
        yield term
    finally:
        term.close()

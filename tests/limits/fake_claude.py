"""A fake ``claude`` for the host-limit tests: it answers what the test scripts, and can
misbehave the ways a real CLI or a model can (linger, spawn a ``setsid`` grandchild,
print one huge line, fail after spending).

It reads ``FAKE_CLAUDE_*`` variables: ``OUTPUT`` (a file holding the JSON answer),
``MODE`` (``answer``, ``linger``, ``setsid``, ``fail``, ``bigline``, ``hang``), ``COST`` (USD per
call), ``PIDS`` (a file that gets one pid per line of every process it starts) and
``ARGV`` (a file that gets its argv as JSON); with ``FAILS`` set, the first that many
calls fail and the next one hangs (``COUNT`` counts them).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = """\
#!{python}
import json, os, subprocess, sys, time

env = os.environ.get
if env("FAKE_CLAUDE_ARGV"):
    with open(env("FAKE_CLAUDE_ARGV"), "a") as out:
        out.write(json.dumps(sys.argv[1:]) + "\\n")
sys.stdin.read()
pids = env("FAKE_CLAUDE_PIDS")
if pids:
    with open(pids, "a") as out:
        out.write(f"{{os.getpid()}}\\n")
mode = env("FAKE_CLAUDE_MODE", "answer")
if env("FAKE_CLAUDE_FAILS"):  # fail that many times, then hang: a call still retrying
    with open(env("FAKE_CLAUDE_COUNT"), "a+") as count:
        count.write("x")
        count.seek(0)
        calls = len(count.read())
    mode = "fail" if calls <= int(env("FAKE_CLAUDE_FAILS")) else "hang"
cost = float(env("FAKE_CLAUDE_COST", "0.5"))
session = "fake-session"
if mode == "hang":
    time.sleep(300)
print(json.dumps({{"type": "system", "subtype": "init", "session_id": session,
                  "permissionMode": "default", "model": "fake-model"}}), flush=True)
if mode == "setsid":
    # A grandchild in a session of its own: no process-group signal reaches it.
    grandchild = subprocess.Popen(["sleep", "300"], start_new_session=True)
    with open(pids, "a") as out:
        out.write(f"{{grandchild.pid}}\\n")
    time.sleep(300)
if mode == "bigline":
    size = int(env("FAKE_CLAUDE_MB", "50")) * 1024 * 1024
    sys.stdout.write(json.dumps({{"type": "assistant", "message": {{"content": []}},
                                  "text": "a" * size}}) + "\\n")
    sys.stdout.flush()
answer = json.load(open(env("FAKE_CLAUDE_OUTPUT"))) if env("FAKE_CLAUDE_OUTPUT") else "done"
result = {{"type": "result", "subtype": "success", "is_error": mode == "fail",
          "session_id": session, "total_cost_usd": cost,
          "usage": {{"input_tokens": 10, "output_tokens": 20}},
          "result": "model overloaded" if mode == "fail" else (
              answer if isinstance(answer, str) else json.dumps(answer))}}
if mode != "fail":
    result["structured_output"] = answer
print(json.dumps(result), flush=True)
if mode == "linger":
    time.sleep(300)
"""


@dataclass(frozen=True)
class FakeClaude:
    """The fake's path and the files it writes; ``env()`` points smol-wf at it."""

    path: Path
    pids: Path
    argv: Path

    def env(self, mode: str = "answer", output: Path | None = None, **extra: str) -> dict[str, str]:
        env = {
            "SMOLWF_CLAUDE_CODE_BIN": str(self.path),
            "FAKE_CLAUDE_MODE": mode,
            "FAKE_CLAUDE_PIDS": str(self.pids),
            "FAKE_CLAUDE_ARGV": str(self.argv),
            "FAKE_CLAUDE_COUNT": str(self.path.with_name("count")),
            **extra,
        }
        if output is not None:
            env["FAKE_CLAUDE_OUTPUT"] = str(output)
        return env

    def started(self) -> list[int]:
        """Every pid the fake (and its grandchildren) wrote down so far."""
        if not self.pids.exists():
            return []
        return [int(line) for line in self.pids.read_text().split()]


@pytest.fixture
def fake_claude(tmp_path: Path) -> Iterator[FakeClaude]:
    directory = tmp_path / "fake-claude"
    directory.mkdir()
    path = directory / "claude"
    path.write_text(SCRIPT.format(python=sys.executable), encoding="utf-8")
    path.chmod(0o755)
    fake = FakeClaude(path, directory / "pids", directory / "argv.jsonl")
    yield fake
    for pid in fake.started():  # never leave a test's processes behind
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, 9)

"""A process started in a group of its own is stopped with everything it started."""

from __future__ import annotations

import signal
import sys
from pathlib import Path
from subprocess import DEVNULL, PIPE

import pytest

from smolwf.process_group import open_group, stop_group
from tests.process_checks import exits_promptly

pytestmark = pytest.mark.anyio

STARTS_A_SLEEP = (
    "import subprocess, sys\n"
    "child = subprocess.Popen(['sleep', '30'])\n"
    "print(child.pid, flush=True)\n"
)


async def test_a_running_process_and_what_it_started_are_stopped() -> None:
    argv = [sys.executable, "-c", STARTS_A_SLEEP + "import time\ntime.sleep(30)\n"]
    process = await open_group(argv, stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL)
    assert process.stdout is not None
    child = int((await process.stdout.receive()).split()[0])
    await stop_group(process, grace_s=5)
    assert process.returncode == -signal.SIGTERM
    assert exits_promptly(child)


async def test_what_an_exited_process_left_behind_is_stopped_too() -> None:
    process = await open_group(
        [sys.executable, "-c", STARTS_A_SLEEP], stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL
    )
    assert process.stdout is not None
    child = int((await process.stdout.receive()).split()[0])
    await process.wait()
    await stop_group(process, grace_s=5)
    assert process.returncode == 0
    assert exits_promptly(child)


async def test_closing_stdin_first_lets_a_server_finish_on_its_own(tmp_path: Path) -> None:
    done = tmp_path / "cleaned-up"
    body = f"import sys\nsys.stdin.read()\nopen({str(done)!r}, 'w').close()\n"
    process = await open_group(
        [sys.executable, "-c", body], stdin=PIPE, stdout=DEVNULL, stderr=DEVNULL
    )
    await stop_group(process, grace_s=10, close_stdin=True)
    assert process.returncode == 0
    assert done.exists()


async def test_a_process_that_ignores_sigterm_is_killed_after_the_grace() -> None:
    body = "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nprint('ready', flush=True)\ntime.sleep(30)\n"
    process = await open_group(
        [sys.executable, "-c", body], stdin=DEVNULL, stdout=PIPE, stderr=DEVNULL
    )
    assert process.stdout is not None
    await process.stdout.receive()
    await stop_group(process, grace_s=0.2)
    assert process.returncode == -signal.SIGKILL

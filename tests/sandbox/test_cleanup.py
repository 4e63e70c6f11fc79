"""No sandbox outlives its session: close, failure, cancellation, shutdown, signals, dead clients."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import anyio
import pytest

from smolwf.sandbox import ExecEvent, ExecRequest, open_sandbox

from .conftest import PROFILE, RawServer, worktrees

pytestmark = pytest.mark.anyio

NEVER_ENDS = (sys.executable, "-c", "import time\nwhile True: time.sleep(60)")


def assert_no_sandbox_left(repo: Path, sandbox_root: Path) -> None:
    assert worktrees(repo) == [str(repo)]
    assert list(sandbox_root.iterdir()) == []


def assert_process_gone(pid: int) -> None:
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_closing_the_session_removes_the_worktree(repo: Path, sandbox_root: Path) -> None:
    async with open_sandbox(PROFILE, repo) as session:
        assert session.cwd is not None
        assert len(worktrees(repo)) == 2
        assert await anyio.Path(session.cwd, "README.md").read_text() == "hello from HEAD\n"

    assert not await anyio.Path(session.cwd).exists()
    assert_no_sandbox_left(repo, sandbox_root)


async def test_a_failing_block_still_removes_the_worktree(repo: Path, sandbox_root: Path) -> None:
    with pytest.raises(RuntimeError, match="workflow bug"):
        async with open_sandbox(PROFILE, repo):
            raise RuntimeError("workflow bug")

    assert_no_sandbox_left(repo, sandbox_root)


async def test_cancelling_an_exec_kills_the_command_and_removes_the_worktree(
    repo: Path, sandbox_root: Path
) -> None:
    started: list[int] = []

    with anyio.CancelScope() as scope:

        def cancel_once_started(event: ExecEvent) -> None:
            if event.type == "started" and event.process_id is not None:
                started.append(event.process_id)
                scope.cancel()

        async with open_sandbox(PROFILE, repo) as session:
            await session.exec(ExecRequest(argv=NEVER_ENDS), cancel_once_started)

    assert scope.cancelled_caught
    assert_process_gone(started[0])
    assert_no_sandbox_left(repo, sandbox_root)


def test_shutdown_closes_sessions_the_client_left_open(
    raw_server: RawServer, repo: Path, sandbox_root: Path
) -> None:
    raw_server.open(repo)
    raw_server.open(repo)
    assert len(worktrees(repo)) == 3

    assert raw_server.call("shutdown", {})["result"] == {}

    assert raw_server.process.wait(timeout=60) == 0
    assert_no_sandbox_left(repo, sandbox_root)


def test_eof_on_stdin_mid_exec_kills_the_command_and_removes_the_worktree(
    raw_server: RawServer, repo: Path, sandbox_root: Path
) -> None:
    session = raw_server.open(repo)
    raw_server.send("exec", {"session": session, "argv": list(NEVER_ENDS)})
    started = raw_server.receive()["event"]
    assert started["type"] == "started"

    assert raw_server.close_stdin_and_wait() == 0

    assert_process_gone(started["process_id"])
    assert_no_sandbox_left(repo, sandbox_root)


def test_sigterm_removes_open_worktrees(
    raw_server: RawServer, repo: Path, sandbox_root: Path
) -> None:
    raw_server.open(repo)

    raw_server.process.send_signal(signal.SIGTERM)

    assert raw_server.process.wait(timeout=60) == 0
    assert_no_sandbox_left(repo, sandbox_root)


def test_cleanup_group_closes_the_sessions_of_that_group(
    raw_server: RawServer, repo: Path, sandbox_root: Path
) -> None:
    raw_server.open(repo)

    assert raw_server.call("cleanup_group", {"sandbox_group_id": "g"})["result"] == {"closed": 1}

    assert_no_sandbox_left(repo, sandbox_root)


CLIENT = """
import json, sys
from pathlib import Path
import anyio
from smolwf.sandbox import open_sandbox

async def main():
    async with open_sandbox("local-worktree/default", Path(sys.argv[1])) as session:
        print(json.dumps({"server_pid": session.client.pid, "cwd": session.cwd}), flush=True)
        await anyio.sleep_forever()

anyio.run(main)
"""


def exit_watch(pid: int) -> int:
    """A pidfd for ``pid`` (not our child): readable once it has exited."""
    return os.pidfd_open(pid)


def wait_for_exit(pidfd: int) -> None:
    """Block until the watched process has exited, without polling."""
    try:
        readable, _, _ = select.select([pidfd], [], [], 60)
        assert readable, "the sandbox provider did not exit"
    finally:
        os.close(pidfd)


@pytest.mark.skipif(not hasattr(os, "pidfd_open"), reason="needs Linux pidfd_open")
def test_a_killed_client_leaves_no_worktree_behind(repo: Path, sandbox_root: Path) -> None:
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, str(repo)], stdout=subprocess.PIPE, text=True
    )
    assert client.stdout is not None
    opened = json.loads(client.stdout.readline())
    assert Path(opened["cwd"]).is_dir()
    server = exit_watch(opened["server_pid"])

    client.kill()
    client.wait()
    wait_for_exit(server)

    assert not Path(opened["cwd"]).exists()
    assert_no_sandbox_left(repo, sandbox_root)

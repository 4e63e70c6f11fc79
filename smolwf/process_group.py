"""Child processes in a process group of their own, so that stopping one stops everything
it started (a dev server, a ``sleep``, a subagent), and none outlives its owner.

Agent CLIs, opencode's private server, sandbox providers and the commands a sandbox runs
are all started with ``open_group`` (no shell, a new session: the child's pid is its group
id) and stopped with ``stop_group``.
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import anyio
from anyio.abc import Process

TERM_GRACE_S = 2.0
"""How long a stopped process gets between one step of ``stop_group`` and the next."""

Stdio = int | IO[Any] | None
"""What ``subprocess`` accepts for a standard stream: ``PIPE``, ``DEVNULL``, a file."""


async def open_group(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    stdin: Stdio,
    stdout: Stdio,
    stderr: Stdio,
) -> Process:
    """Start ``argv`` (no shell) as the leader of a new process group. ``OSError`` when it
    cannot start: each caller words that failure for its own users."""
    return await anyio.open_process(
        list(argv),
        stdin=stdin,
        stdout=stdout,
        stderr=stderr,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        start_new_session=True,
    )


def signal_group(process: Process, sig: signal.Signals) -> None:
    """Send ``sig`` to every process left in ``process``'s group (none left is fine)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


async def stop_group(
    process: Process, grace_s: float = TERM_GRACE_S, *, close_stdin: bool = False
) -> None:
    """Stop ``process`` and its group, waiting at most ``grace_s`` at each step.

    ``close_stdin`` first asks politely (a server that cleans up on EOF). A process still
    running gets SIGTERM; then the whole group gets SIGKILL, even when the leader already
    exited, so tools it left behind go too. Last, the pipes are read to their end, so
    their transports close before the event loop does.
    """
    if close_stdin and process.stdin is not None:
        with contextlib.suppress(OSError, anyio.BrokenResourceError, anyio.ClosedResourceError):
            await process.stdin.aclose()
        with anyio.move_on_after(grace_s):
            await process.wait()
    if process.returncode is None:
        signal_group(process, signal.SIGTERM)
        with anyio.move_on_after(grace_s):
            await process.wait()
    signal_group(process, signal.SIGKILL)
    await process.wait()
    with anyio.move_on_after(grace_s):
        for output in (process.stdout, process.stderr):
            if output is not None:
                with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                    async for _chunk in output:
                        pass
    await process.aclose()

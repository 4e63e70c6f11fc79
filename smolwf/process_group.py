"""Child processes in a process group of their own, so that stopping one stops everything
it started (a dev server, a ``sleep``, a subagent), and none outlives its owner.

Agent CLIs, opencode's private server, sandbox providers and the commands a sandbox runs
are all started with ``open_group`` (no shell, a new session: the child's pid is its group
id) and stopped with ``stop_group``. Each runs under a guard (``process_guard``) that
leads the group and stops the whole tree, ``setsid()`` descendants included, when it
ends, when it is stopped, and when smol-wf dies (even by ``kill -9``).
"""

from __future__ import annotations

import contextlib
import errno
import functools
import os
import select
import signal
import sys
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from pathlib import Path
from typing import IO, Any, Protocol

import anyio
from anyio.abc import Process

from smolwf import process_guard
from smolwf.records import record

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
    polite_stop_s: float = 0.0,
) -> Process:
    """Start ``argv`` (no shell) under its guard, the leader of a new process group.
    ``OSError`` when it cannot start: each caller words that failure for its own users.

    Should smol-wf die, ``argv`` gets ``polite_stop_s`` to exit on its own (its stdin
    has closed) before its tree is stopped; an agent CLI gets none."""
    report_read, report_write = os.pipe()
    lifeline = _lifeline()
    guard = [sys.executable, "-I", "-S", process_guard.__file__]
    guard += [str(lifeline), str(report_write), f"{polite_stop_s:g}", "--"]
    try:
        process = await anyio.open_process(
            [*guard, *argv],
            stdin=stdin,
            stdout=stdout,
            stderr=stderr,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            start_new_session=True,
            pass_fds=(lifeline, report_write),
        )
    finally:
        os.close(report_write)
    try:
        report = await anyio.to_thread.run_sync(os.read, report_read, 32)
    finally:
        os.close(report_read)
    if report != b"0":  # the exec failed (its errno), or the guard died first
        await process.wait()
        await process.aclose()
        number = int(report) if report.isdigit() else errno.EIO
        raise OSError(number, os.strerror(number), argv[0])
    watcher = group_watcher.get()
    if watcher is not None:
        record = GroupRecord.of(process.pid)
        if record is not None:
            watcher.opened(record)
    return process


@record
class GroupRecord:
    """A guard as a later process can verify it: its pid (the group id), its start time
    in clock ticks since boot, and the boot it started in."""

    pid: int
    start_ticks: int
    boot_id: str

    @classmethod
    def of(cls, pid: int) -> GroupRecord | None:
        ticks = _start_ticks(pid)
        return None if ticks is None else cls(pid, ticks, _boot_id())


class GroupWatcher(Protocol):
    """Told of each guarded group this context opens and stops (a run records them, so a
    takeover of the run after its owner died can stop what is left)."""

    def opened(self, record: GroupRecord) -> None: ...

    def closed(self, pid: int) -> None: ...


group_watcher: ContextVar[GroupWatcher | None] = ContextVar("group_watcher", default=None)


def stop_leftover(record: GroupRecord, grace_s: float = 5.0) -> bool:
    """Stop a guarded group a dead owner left, if it is still that guard (same boot, same
    start time, the guard's command line); whether one was stopped."""
    if record.boot_id != _boot_id() or _start_ticks(record.pid) != record.start_ticks:
        return False
    try:
        cmdline = Path(f"/proc/{record.pid}/cmdline").read_bytes()
    except OSError:
        return False
    if process_guard.MARKER.encode() not in cmdline:
        return False
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(record.pid, signal.SIGCONT)  # a stopped guard cannot clean up
        os.kill(record.pid, signal.SIGTERM)  # it stops its whole tree, then exits
        _wait_exit(record.pid, grace_s)
        os.killpg(record.pid, signal.SIGKILL)
    return True


def _wait_exit(pid: int, within_s: float) -> None:
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return
    try:
        select.select([fd], [], [], within_s)
    finally:
        os.close(fd)


def _start_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2 :].split()[19])


@functools.cache
def _boot_id() -> str:
    """This boot's id: read once, it cannot change while the process lives."""
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


_lifeline_fds: tuple[int, int] | None = None


def _lifeline() -> int:
    """The read end of this process's lifeline: its write end is held here, and only
    here (never inherited), so every guard sees it close when smol-wf exits."""
    global _lifeline_fds
    if _lifeline_fds is None:
        _lifeline_fds = os.pipe()
    return _lifeline_fds[0]


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
    watcher = group_watcher.get()
    if watcher is not None:
        watcher.closed(process.pid)
    with anyio.move_on_after(grace_s):
        for output in (process.stdout, process.stderr):
            if output is not None:
                with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
                    async for _chunk in output:
                        pass
    await process.aclose()

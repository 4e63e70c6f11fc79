"""Run one command on this host for a Python sandbox provider, streaming protocol events.

The command gets its own process group, no shell, and never outlives the request: when it
exits, or the request is cancelled, whatever is left of its group is killed.
"""

from __future__ import annotations

import base64
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

import anyio
from anyio.abc import ByteReceiveStream, ByteSendStream, Process

from smolwf.jsontypes import JSONObject
from smolwf.process_group import open_group, signal_group, stop_group
from smolwf.sandbox.server import EventEmitter, RequestFailed


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def exit_code_of(returncode: int) -> int:
    """Exit status like a shell reports it: a death by signal N is 128 + N."""
    return 128 - returncode if returncode < 0 else returncode


async def _spawn(argv: Sequence[str], cwd: Path, env: dict[str, str], stdin: bool) -> Process:
    try:
        return await open_group(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
    except FileNotFoundError:
        raise RequestFailed(
            "spawn_failed", f"command {argv[0]!r} not found on the sandbox PATH"
        ) from None
    except OSError as error:
        raise RequestFailed(
            "spawn_failed", f"cannot run {argv[0]!r}: {error.strerror or error}"
        ) from None


async def _feed(stream: ByteSendStream, data: bytes) -> None:
    try:
        async with stream:
            await stream.send(data)
    except (anyio.BrokenResourceError, BrokenPipeError, ConnectionResetError):
        pass  # the command did not read all of its stdin; that is its business


async def _pump(stream: ByteReceiveStream, kind: str, into: bytearray, emit: EventEmitter) -> None:
    async for chunk in stream:
        into += chunk
        emit({"type": kind, "data_base64": _b64(chunk)})


async def _reap(process: Process, exit_codes: list[int]) -> None:
    exit_codes.append(exit_code_of(await process.wait()))
    signal_group(process, signal.SIGKILL)  # leftover background children hold the pipes open


async def run_command(
    argv: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    stdin: bytes | None,
    emit: EventEmitter,
) -> JSONObject:
    """Run ``argv``; answer ``{exit_code, stdout_base64, stderr_base64}`` after the events."""
    process = await _spawn(argv, cwd, env, stdin is not None)
    emit({"type": "started", "process_id": process.pid})
    stdout, stderr = bytearray(), bytearray()
    exit_codes: list[int] = []
    try:
        async with anyio.create_task_group() as tasks:
            if process.stdin is not None and stdin is not None:
                tasks.start_soon(_feed, process.stdin, stdin)
            assert process.stdout is not None and process.stderr is not None
            tasks.start_soon(_pump, process.stdout, "stdout", stdout, emit)
            tasks.start_soon(_pump, process.stderr, "stderr", stderr, emit)
            tasks.start_soon(_reap, process, exit_codes)
    finally:
        with anyio.CancelScope(shield=True):
            # Cancelled (the client is gone or gave up): no grace, the command goes now.
            await stop_group(process, grace_s=0)
    emit({"type": "exited", "exit_code": exit_codes[0]})
    return {
        "exit_code": exit_codes[0],
        "stdout_base64": _b64(bytes(stdout)),
        "stderr_base64": _b64(bytes(stderr)),
    }

"""Client side of the JSONL sandbox protocol (``sandbox.v1``), so sandboxes stay out-of-process.

A sandbox provider is an executable ``smol-sandbox-<provider>`` on PATH, started as
``<exe> serve`` in its own process group, without a shell. This module frames requests and
answers on its stdin/stdout, one request in flight at a time, and turns every failure into a
one-line ``SandboxError``. It knows nothing about workflows.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import IO, Any

import anyio
from anyio.abc import Process
from anyio.streams.buffered import BufferedByteReceiveStream

from smolwf.defaults import (
    SANDBOX_CLOSE_TIMEOUT_S,
    SANDBOX_MAX_MESSAGE_BYTES,
    SANDBOX_OPEN_TIMEOUT_S,
    SANDBOX_STOP_GRACE_S,
)
from smolwf.errors import SandboxError
from smolwf.excerpts import one_line
from smolwf.ids import new_id
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject
from smolwf.process_group import open_group, stop_group
from smolwf.records import record

PROTOCOL_VERSION = "sandbox.v1"
EXECUTABLE_PREFIX = "smol-sandbox-"
EXEC_EVENT_TYPES = ("started", "stdout", "stderr", "exited")

_PROVIDER_NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_PROFILE_NAME = re.compile(r"[^\s/]+")
_STDERR_TAIL_BYTES = 600


def validate_provider_name(provider: str) -> str:
    """``provider`` if it is lowercase alphanumeric plus inner hyphens; else ``SandboxError``."""
    if not _PROVIDER_NAME.fullmatch(provider):
        raise SandboxError(
            f"invalid sandbox provider name {provider!r}: use lowercase letters, digits and "
            "hyphens, starting and ending with a letter or digit (e.g. 'local-worktree')"
        )
    return provider


@record
class SandboxProfile:
    """``<provider>/<name>``: which provider executable to start and which of its profiles."""

    provider: str
    name: str

    def __str__(self) -> str:
        return f"{self.provider}/{self.name}"

    @property
    def executable(self) -> str:
        """The executable name looked up on PATH."""
        return EXECUTABLE_PREFIX + self.provider

    @classmethod
    def parse(cls, text: str) -> SandboxProfile:
        """Split ``<provider>/<profile>``; raise a ``SandboxError`` saying what is wrong."""
        provider, slash, name = text.partition("/")
        if not slash or not provider or not name:
            raise SandboxError(
                f"invalid sandbox profile {text!r}: expected '<provider>/<profile>', "
                "e.g. 'local-worktree/default'"
            )
        validate_provider_name(provider)
        if not _PROFILE_NAME.fullmatch(name):
            raise SandboxError(
                f"invalid sandbox profile name {name!r} in {text!r}: "
                "it must be non-empty, without whitespace or '/'"
            )
        return cls(provider, name)


def find_provider_executable(provider: str) -> str:
    """Absolute path of ``smol-sandbox-<provider>``: on PATH, else next to the running
    smol-wf (a venv's ``bin/`` that is not on PATH holds both), else a ``SandboxError``."""
    executable = EXECUTABLE_PREFIX + validate_provider_name(provider)
    found = shutil.which(executable)
    for directory in _own_directories():
        if found is not None:
            break
        found = shutil.which(executable, path=str(directory))
    if found is None:
        raise SandboxError(
            f"sandbox provider {provider!r} is not installed: no executable {executable!r} "
            "found on PATH or next to smol-wf; install it or add its directory to PATH"
        )
    return found


def _own_directories() -> list[Path]:
    """Where this smol-wf's console scripts are: beside the command (when it was started
    by path, never the bare current directory) and beside the interpreter."""
    places = [Path(sys.executable).parent]
    if os.sep in sys.argv[0]:
        places.insert(0, Path(sys.argv[0]).parent)
    return [place for place in dict.fromkeys(places) if place.is_dir()]


@record
class SandboxTimeouts:
    """Seconds each kind of request may take; ``None`` waits for ever (exec, like ``agent()``)."""

    open_s: float | None = SANDBOX_OPEN_TIMEOUT_S
    exec_s: float | None = None
    close_s: float | None = SANDBOX_CLOSE_TIMEOUT_S
    stop_grace_s: float = SANDBOX_STOP_GRACE_S


@record
class ExecEvent:
    """One streamed exec event: ``started``, ``stdout``/``stderr`` (a raw chunk) or ``exited``."""

    type: str
    process_id: int | None = None
    data: bytes = b""
    exit_code: int | None = None


ExecEventSink = Callable[[ExecEvent], None]
"""Receives exec events as they arrive, before the exec answer."""


@record
class ExecResult:
    """A finished command: its exit code and exact output bytes. Non-zero is not an error."""

    exit_code: int
    stdout: bytes
    stderr: bytes


@record
class SessionInfo:
    """An open session as the provider described it; ``raw`` is passed back in later calls."""

    id: str
    cwd: str | None
    raw: JSONObject


def _field(value: JSONObject, key: str, kind: type[Any], what: str) -> Any:
    item = value.get(key)
    if not isinstance(item, kind) or (isinstance(item, bool) and kind is not bool):
        raise SandboxError(f"{what}: field {key!r} is missing or not a {kind.__name__}")
    return item


def _decode_base64(value: JSON, what: str) -> bytes:
    if value is None:
        return b""
    if not isinstance(value, str):
        raise SandboxError(f"{what}: base64 data must be a string")
    try:
        return base64.b64decode(value, validate=True)
    except ValueError as error:
        raise SandboxError(f"{what}: invalid base64 data ({error})") from None


def _parse_event(value: JSON, what: str) -> ExecEvent:
    if not isinstance(value, dict) or value.get("type") not in EXEC_EVENT_TYPES:
        raise SandboxError(
            f"{what}: event must be an object with type {'|'.join(EXEC_EVENT_TYPES)}"
        )
    process_id, exit_code = value.get("process_id"), value.get("exit_code")
    return ExecEvent(
        type=str(value["type"]),
        process_id=process_id if isinstance(process_id, int) else None,
        data=_decode_base64(value.get("data_base64"), what),
        exit_code=exit_code if isinstance(exit_code, int) else None,
    )


def _error_answer(provider: str, method: str, error: JSON) -> SandboxError:
    if not isinstance(error, dict):
        return SandboxError(f"sandbox provider {provider!r} failed {method!r} without details")
    message = one_line(str(error.get("message") or "no message"))
    code = error.get("code")
    return SandboxError(
        f"sandbox provider {provider!r} failed {method!r}: {message}",
        code=str(code) if code is not None else None,
        retryable=error.get("retryable") is True,
    )


class SandboxClient:
    """One running provider process. Requests are serialized; a broken stream stays broken."""

    def __init__(
        self, provider: str, process: Process, stderr: IO[bytes], timeouts: SandboxTimeouts
    ) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.provider = provider
        self.timeouts = timeouts
        self.group_id = new_id("sbxgrp")
        self._process = process
        self._stdin = process.stdin
        self._stdout = BufferedByteReceiveStream(process.stdout)
        self._stderr = stderr
        self._lock = anyio.Lock()
        self._next_id = 0
        self.broken = False

    @property
    def pid(self) -> int:
        """Process id (and process group id) of the provider process."""
        return self._process.pid

    def stderr_tail(self) -> str:
        """The end of what the provider wrote on stderr, on one line, for error messages."""
        self._stderr.seek(0, os.SEEK_END)
        size = self._stderr.tell()
        self._stderr.seek(max(0, size - _STDERR_TAIL_BYTES))
        tail = one_line(self._stderr.read().decode("utf-8", errors="replace"))
        return f"; provider stderr: {tail}" if tail else ""

    def _fail(self, message: str) -> SandboxError:
        self.broken = True
        return SandboxError(f"sandbox provider {self.provider!r} {message}{self.stderr_tail()}")

    async def request(
        self,
        method: str,
        params: JSONObject,
        *,
        limit_s: float | None,
        on_event: ExecEventSink | None = None,
    ) -> JSONObject:
        """Send one request and wait for its answer, passing its events to ``on_event``."""
        async with self._lock:
            if self.broken:
                raise SandboxError(
                    f"sandbox provider {self.provider!r} connection is unusable after an "
                    f"earlier failure; cannot send {method!r}"
                )
            self._next_id += 1
            request_id = str(self._next_id)
            completed = False
            try:
                with anyio.fail_after(limit_s):
                    await self._send({"id": request_id, "method": method, "params": params})
                    answer = await self._await_answer(request_id, method, on_event)
                completed = True
                return answer
            except TimeoutError:
                raise self._fail(
                    f"did not answer {method!r} within {limit_s:g}s; it may be stuck"
                ) from None
            finally:
                # Cancelled or failed half-way: the stream position is unknown from now on.
                self.broken = self.broken or not completed

    async def _send(self, message: JSONObject) -> None:
        line = compact(message) + "\n"
        try:
            await self._stdin.send(line.encode("utf-8"))
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            raise self._fail(f"exited before it read {message['method']!r}") from None

    async def _receive(self, method: str) -> JSONObject:
        try:
            line = await self._stdout.receive_until(b"\n", SANDBOX_MAX_MESSAGE_BYTES)
        except (anyio.IncompleteRead, anyio.EndOfStream, anyio.BrokenResourceError):
            raise self._fail(f"exited while answering {method!r}") from None
        except anyio.DelimiterNotFound:
            raise self._fail(
                f"sent a line longer than {SANDBOX_MAX_MESSAGE_BYTES} bytes answering {method!r}"
            ) from None
        try:
            message = json.loads(line)
        except ValueError:
            raise self._fail(
                f"wrote a non-JSON line on stdout answering {method!r} "
                f"({one_line(line[:80].decode('utf-8', 'replace'))!r}); "
                "providers must write diagnostics to stderr"
            ) from None
        if not isinstance(message, dict):
            raise self._fail(f"wrote a non-object JSON line answering {method!r}")
        return message

    async def _await_answer(
        self, request_id: str, method: str, on_event: ExecEventSink | None
    ) -> JSONObject:
        what = f"sandbox provider {self.provider!r} answering {method!r}"
        while True:
            message = await self._receive(method)
            if message.get("id") != request_id:
                raise self._fail(
                    f"answered id {message.get('id')!r} while request {request_id!r} "
                    f"({method!r}) was in flight"
                )
            if "event" in message:
                event = _parse_event(message["event"], what)
                if on_event is not None:
                    on_event(event)
            elif "error" in message:
                raise _error_answer(self.provider, method, message["error"])
            elif isinstance(message.get("result"), dict):
                result: JSONObject = message["result"]  # type: ignore[assignment]
                return result
            else:
                raise self._fail(f"sent a message without result, error or event for {method!r}")

    async def open(
        self, profile: SandboxProfile, host_path: Path, *, cwd: str | None = None
    ) -> SessionInfo:
        """Open a session whose workspace is synced from ``host_path``."""
        params: JSONObject = {
            "metadata": {
                "protocol_version": PROTOCOL_VERSION,
                "request_id": new_id("sbxreq"),
                "sandbox_group_id": self.group_id,
            },
            "profile": {"provider": profile.provider, "name": profile.name},
            "workspace_sync": {"host_path": str(host_path)},
        }
        if cwd is not None:
            params["cwd"] = cwd
        answer = await self.request("open", params, limit_s=self.timeouts.open_s)
        session = answer.get("session", answer)
        if not isinstance(session, dict):
            raise self._fail("answered 'open' without a session object")
        what = f"sandbox provider {self.provider!r} answering 'open'"
        session_cwd = session.get("cwd")
        return SessionInfo(
            id=_field(session, "id", str, what),
            cwd=session_cwd if isinstance(session_cwd, str) else None,
            raw=session,
        )

    async def exec(
        self,
        session: SessionInfo,
        argv: Sequence[str],
        *,
        cwd: str | None = None,
        env: Mapping[str, str] | None = None,
        stdin: bytes | None = None,
        on_event: ExecEventSink | None = None,
    ) -> ExecResult:
        """Run ``argv`` in the session; a non-zero exit is returned, a spawn failure raises."""
        params: JSONObject = {"session": session.raw, "argv": list(argv)}
        if cwd is not None:
            params["cwd"] = cwd
        if env:
            params["env"] = dict(env)
        if stdin is not None:
            params["stdin_base64"] = base64.b64encode(stdin).decode("ascii")
        answer = await self.request("exec", params, limit_s=self.timeouts.exec_s, on_event=on_event)
        what = f"sandbox provider {self.provider!r} answering 'exec'"
        return ExecResult(
            exit_code=_field(answer, "exit_code", int, what),
            stdout=_decode_base64(answer.get("stdout_base64"), what),
            stderr=_decode_base64(answer.get("stderr_base64"), what),
        )

    async def close(self, session: SessionInfo) -> None:
        """Close the session; the provider discards its workspace."""
        await self.request("close", {"session": session.raw}, limit_s=self.timeouts.close_s)

    async def shutdown(self) -> None:
        """Ask the provider to exit after closing whatever it still has open."""
        await self.request("shutdown", {}, limit_s=self.timeouts.close_s)


async def _spawn(executable: str, provider: str, stderr: IO[bytes]) -> Process:
    try:
        return await open_group(
            [executable, "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            polite_stop_s=SANDBOX_STOP_GRACE_S,  # it closes its sessions when stdin ends
        )
    except OSError as error:
        raise SandboxError(
            f"could not start sandbox provider {provider!r} ({executable} serve): "
            f"{error.strerror or error}; check that the file is an executable program"
        ) from None


@asynccontextmanager
async def connect_provider(
    provider: str, *, timeouts: SandboxTimeouts | None = None
) -> AsyncIterator[SandboxClient]:
    """Start ``smol-sandbox-<provider> serve``; shut it down (and wait for it) on exit."""
    timeouts = timeouts or SandboxTimeouts()
    executable = find_provider_executable(provider)
    with tempfile.TemporaryFile() as stderr:
        process = await _spawn(executable, provider, stderr)
        client = SandboxClient(provider, process, stderr, timeouts)
        try:
            yield client
            if not client.broken:
                # Best effort: a provider that ignores it still exits on EOF below.
                with suppress(SandboxError):
                    await client.shutdown()
        finally:
            with anyio.CancelScope(shield=True):
                # EOF on stdin first: the provider closes its sessions before it exits.
                await stop_group(process, timeouts.stop_grace_s, close_stdin=True)

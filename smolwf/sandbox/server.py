"""Server side of the JSONL sandbox protocol, so sandbox providers can be written in Python.

A provider implements ``SandboxBackend``; ``serve`` answers requests one at a time and, however
it ends (``shutdown``, EOF on stdin, SIGTERM/SIGHUP/SIGINT, a crash), closes every session it
opened before it returns. EOF on stdin means the client is gone: the request in flight is
cancelled and queued ones are dropped.
"""

from __future__ import annotations

import json
import os
import select
import signal
import sys
import traceback
from collections.abc import Callable
from typing import Protocol

import anyio
from anyio import CancelScope
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from smolwf.defaults import SANDBOX_MAX_MESSAGE_BYTES
from smolwf.excerpts import one_line
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON, JSONObject

PROTOCOL_METHODS = (
    "capabilities",
    "open",
    "close",
    "cleanup_group",
    "create_temp_dir",
    "create_dir_all",
    "write_file",
    "read_file",
    "remove",
    "exec",
    "spawn",
    "shutdown",
)
SERVED_METHODS = ("capabilities", "open", "exec", "close", "cleanup_group", "shutdown")

EventEmitter = Callable[[JSONObject], None]
"""Writes one ``{"id", "event"}`` line for the request being served."""


class RequestFailed(Exception):
    """Answer the current request with ``{"error": {code, message, retryable}}``."""

    def __init__(self, code: str, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.message = one_line(message)
        self.retryable = retryable

    def as_json(self) -> JSONObject:
        return {"code": self.code, "message": self.message, "retryable": self.retryable}


class ClientGone(Exception):
    """stdout is a broken pipe: nobody is listening any more."""


class SandboxBackend(Protocol):
    """What a provider implements; ``serve`` does framing, dispatch and lifetime."""

    def capabilities(self) -> JSONObject: ...

    async def open(self, params: JSONObject) -> JSONObject: ...

    async def exec(self, params: JSONObject, emit: EventEmitter) -> JSONObject: ...

    async def close(self, params: JSONObject) -> JSONObject: ...

    async def cleanup_group(self, params: JSONObject) -> JSONObject: ...

    async def close_all(self) -> None:
        """Discard every open session; called once, shielded, when serving ends."""
        ...


def param_str(params: JSONObject, key: str, *, required: bool = True) -> str | None:
    """``params[key]`` as a non-empty string, or ``invalid_params``."""
    value = params.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise RequestFailed("invalid_params", f"params.{key} must be a non-empty string")
    return value


def param_object(params: JSONObject, key: str, *, required: bool = True) -> JSONObject:
    """``params[key]`` as an object (``{}`` if optional and absent), or ``invalid_params``."""
    value = params.get(key)
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise RequestFailed("invalid_params", f"params.{key} must be an object")
    return value


class _LineReader:
    """Non-blocking line reader on a file descriptor, so EOF is noticed while work runs."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._buffer = bytearray()
        self._scanned = 0
        self._was_blocking = os.get_blocking(fd)
        os.set_blocking(fd, False)

    def restore(self) -> None:
        os.set_blocking(self._fd, self._was_blocking)

    async def readline(self) -> bytes | None:
        """The next line without its newline; ``None`` at EOF (a partial last line is dropped)."""
        while True:
            newline = self._buffer.find(b"\n", self._scanned)
            if newline >= 0:
                line = bytes(self._buffer[:newline])
                del self._buffer[: newline + 1]
                self._scanned = 0
                return line
            self._scanned = len(self._buffer)
            if self._scanned > SANDBOX_MAX_MESSAGE_BYTES:
                raise RequestFailed("invalid_request", "request line too long")
            await anyio.wait_readable(self._fd)
            try:
                chunk = os.read(self._fd, 1 << 16)
            except BlockingIOError:
                continue
            if not chunk:
                return None
            self._buffer += chunk


class _Outbox:
    """Writes whole JSON lines to a file descriptor; a closed reader raises ``ClientGone``."""

    def __init__(self, fd: int) -> None:
        self._fd = fd

    def send(self, message: JSONObject) -> None:
        view = memoryview((compact(message) + "\n").encode("utf-8"))
        while view:
            try:
                written = os.write(self._fd, view)
            except BlockingIOError:
                # stdin and stdout can share one file description (a terminal) made non-blocking.
                select.select([], [self._fd], [])
                continue
            except (BrokenPipeError, ConnectionResetError):
                raise ClientGone from None
            view = view[written:]


def _parse_request(line: bytes) -> tuple[JSON, str, JSONObject]:
    try:
        request = json.loads(line)
    except ValueError:
        raise RequestFailed("invalid_request", "request is not valid JSON") from None
    if not isinstance(request, dict):
        raise RequestFailed("invalid_request", "request must be a JSON object")
    request_id = request.get("id")
    if not isinstance(request_id, str | int) or isinstance(request_id, bool):
        raise RequestFailed("invalid_request", "request id must be a string or an integer")
    method = request.get("method")
    if not isinstance(method, str):
        raise RequestFailed("invalid_request", "request method must be a string")
    params = request.get("params", {})
    if not isinstance(params, dict):
        raise RequestFailed("invalid_request", "request params must be an object")
    return request_id, method, params


async def _call(
    backend: SandboxBackend, method: str, params: JSONObject, emit: EventEmitter
) -> JSONObject:
    if method == "capabilities":
        return backend.capabilities()
    if method == "shutdown":
        return {}
    if method == "open":
        return await backend.open(params)
    if method == "exec":
        return await backend.exec(params, emit)
    if method == "close":
        return await backend.close(params)
    if method == "cleanup_group":
        return await backend.cleanup_group(params)
    if method in PROTOCOL_METHODS:
        raise RequestFailed(
            "unsupported_method",
            f"method {method!r} is not supported by this provider; "
            f"supported: {', '.join(SERVED_METHODS)}",
        )
    raise RequestFailed("unknown_method", f"unknown method {method!r}")


async def _handle(line: bytes, backend: SandboxBackend, outbox: _Outbox) -> bool:
    """Answer one request line; ``True`` once ``shutdown`` has been answered."""
    request_id: JSON = None
    method = ""
    try:
        request_id, method, params = _parse_request(line)

        def emit(event: JSONObject) -> None:
            outbox.send({"id": request_id, "event": event})

        result = await _call(backend, method, params, emit)
        outbox.send({"id": request_id, "result": result})
    except RequestFailed as failure:
        outbox.send({"id": request_id, "error": failure.as_json()})
    except ClientGone:
        raise
    except Exception as error:  # a provider bug: report it, keep serving
        traceback.print_exc(file=sys.stderr)
        bug = RequestFailed("internal", f"internal error: {type(error).__name__}: {error}")
        outbox.send({"id": request_id, "error": bug.as_json()})
    return method == "shutdown"


async def _read_requests(
    reader: _LineReader,
    requests: MemoryObjectSendStream[bytes],
    outbox: _Outbox,
    scope: CancelScope,
) -> None:
    async with requests:
        try:
            while (line := await reader.readline()) is not None:
                await requests.send(line)
        except RequestFailed as failure:
            outbox.send({"id": None, "error": failure.as_json()})
    scope.cancel()  # EOF: the client is gone, so is any reason to finish the work in flight


async def _stop_on_signals(scope: CancelScope) -> None:
    with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGHUP, signal.SIGINT) as signals:
        async for _ in signals:
            scope.cancel()
            return


async def _dispatch(
    requests: MemoryObjectReceiveStream[bytes], backend: SandboxBackend, outbox: _Outbox
) -> None:
    async with requests:
        async for line in requests:
            if await _handle(line, backend, outbox):
                return


async def serve(backend: SandboxBackend, *, stdin_fd: int = 0, stdout_fd: int = 1) -> None:
    """Serve the protocol on ``stdin_fd``/``stdout_fd`` until shutdown, EOF or a signal."""
    reader = _LineReader(stdin_fd)
    outbox = _Outbox(stdout_fd)
    send, receive = anyio.create_memory_object_stream[bytes](16)
    try:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(_read_requests, reader, send, outbox, tasks.cancel_scope)
            tasks.start_soon(_stop_on_signals, tasks.cancel_scope)
            await _dispatch(receive, backend, outbox)
            tasks.cancel_scope.cancel()
    except* ClientGone:
        pass
    finally:
        with anyio.CancelScope(shield=True):
            await backend.close_all()
        reader.restore()

"""A scripted LLM server on 127.0.0.1 that the real code-agent CLIs can talk to offline.

It speaks just enough Anthropic Messages, OpenAI Chat Completions and OpenAI Responses
(streaming and not) for claude, codex, pi and opencode to complete turns, answers from
``script.choose_reply`` and logs every request so tests can assert on what a CLI sent::

    with FakeLLM() as llm:
        run_cli(env={"ANTHROPIC_BASE_URL": llm.base_url, ...})
        assert llm.requests[0]["usage"] == {"input": ..., "output": ...}

Beyond the prompt markers, a test can script the server itself: ``fail_next(429, 429,
retry_after="1.5")`` answers the next model calls with those statuses,
``concurrency_limit`` answers 429 to a model call that arrives while that many are being
answered (an API's rate limit), ``hold_until(n)`` keeps each model call waiting until
``n`` are in flight (to prove a client sends them together), and ``max_in_flight`` is the
most model calls ever answered at once.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, NoReturn
from urllib.parse import urlsplit

from tests.fakellm import wire
from tests.fakellm.script import (
    SLOW_CHUNK_DELAY_S,
    ErrorReply,
    HangReply,
    Reply,
    TextReply,
    ToolReply,
    choose_reply,
    is_slow,
    output_tokens,
)
from tests.fakellm.turns import Api, JSONDict, count_tokens, read_turn

HOST = "127.0.0.1"
MODEL_IDS = ("fake-model",)
REDACTED_HEADERS = frozenset(
    {"authorization", "x-api-key", "api-key", "cookie", "proxy-authorization"}
)
_ROUTES: tuple[tuple[str, Api], ...] = (
    ("/chat/completions", "chat"),
    ("/responses", "responses"),
    ("/messages", "anthropic"),
)
_CLOSE_JOIN_TIMEOUT_S = 5.0


class _Aborted(Exception):
    """The server is closing or the client went away: drop the connection."""


class FakeLLM:
    """The scripted server, serving from a background thread while open."""

    def __init__(self, *, slow_delay_s: float = SLOW_CHUNK_DELAY_S) -> None:
        self.slow_delay_s = slow_delay_s
        self.requests: list[JSONDict] = []
        self.sticky_status: int | None = None
        """When set, every model call answers this HTTP status (a provider that is down)."""
        self.retry_after = "0"
        """The ``retry-after`` header of 429 and 500 answers."""
        self.concurrency_limit: int | None = None
        """When set, a model call that arrives while this many are in flight answers 429."""
        self.in_flight = 0
        self.max_in_flight = 0
        self._scripted: list[int] = []
        self._hold: tuple[int, float] | None = None
        self._closing = threading.Event()
        self._changed = threading.Condition()
        self._ids = itertools.count(1)
        self._connections: dict[threading.Thread, socket.socket] = {}
        self._httpd = _Server((HOST, 0), _Handler, self)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``, without ``/v1`` (add it where the client wants it)."""
        return f"http://{HOST}:{self.port}"

    def start(self) -> FakeLLM:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and end every handler, hung ones included, before returning."""
        self._closing.set()
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join()
        with self._changed:
            connections = list(self._connections.items())
        for _, connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)
        for thread, _ in connections:
            thread.join(_CLOSE_JOIN_TIMEOUT_S)
        self._httpd.server_close()

    def __enter__(self) -> FakeLLM:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def wait_for_requests(self, count: int, timeout: float = 30.0) -> list[JSONDict]:
        """Block until at least ``count`` requests arrived (for hung or concurrent clients)."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.requests) >= count, timeout):
                raise TimeoutError(f"{len(self.requests)} of {count} requests after {timeout}s")
            return list(self.requests)

    def fail_next(self, *statuses: int, retry_after: str = "0") -> None:
        """Answer the next model calls with ``statuses``, in order, then as scripted."""
        with self._changed:
            self._scripted.extend(statuses)
            self.retry_after = retry_after

    def hold_until(self, count: int, timeout: float = 10.0) -> None:
        """Keep each model call waiting until ``count`` are in flight (or ``timeout``)."""
        self._hold = (count, timeout)

    def model_requests(self) -> list[JSONDict]:
        """The logged model calls (Messages, Chat Completions, Responses) in arrival order."""
        with self._changed:
            return [r for r in self.requests if r["api"] in ("anthropic", "chat", "responses")]

    # --- used by the handler threads ---------------------------------------------------------

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_fake_{next(self._ids):06d}"

    def _log(self, entry: JSONDict) -> None:
        with self._changed:
            self.requests.append(entry)
            self._changed.notify_all()

    def _track(self, connection: socket.socket) -> None:
        with self._changed:
            self._connections[threading.current_thread()] = connection

    def _untrack(self) -> None:
        with self._changed:
            self._connections.pop(threading.current_thread(), None)

    def _pause(self, seconds: float) -> None:
        """Wait between chunks; a closing server cuts the wait (and the stream) short."""
        if self._closing.wait(seconds):
            raise _Aborted

    def _arrive(self) -> int | None:
        """Count a model call in; the status it must answer instead, if any."""
        with self._changed:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self._changed.notify_all()
            if self._scripted:
                return self._scripted.pop(0)
            if self.concurrency_limit is not None and self.in_flight > self.concurrency_limit:
                return 429
        if self._hold is not None:
            count, timeout = self._hold
            with self._changed:
                self._changed.wait_for(lambda: self.max_in_flight >= count, timeout)
        return None

    def _leave(self) -> None:
        with self._changed:
            self.in_flight -= 1
            self._changed.notify_all()

    def _hang(self) -> NoReturn:
        self._closing.wait()
        raise _Aborted


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[_Handler], llm: FakeLLM) -> None:
        self.llm = llm
        super().__init__(address, handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-request are normal here (killed CLIs); stay quiet."""
        if self.llm._closing.is_set():
            return
        super().handle_error(request, client_address)


def _reply_log(reply: Reply) -> JSONDict:
    if isinstance(reply, TextReply):
        return {"kind": "text", "text": reply.text}
    if isinstance(reply, ToolReply):
        tool: JSONDict = {"name": reply.name, "input": reply.input}
        if reply.text is not None:
            tool["text"] = reply.text
        return {"kind": "tool", "tool": tool}
    if isinstance(reply, ErrorReply):
        return {"kind": "error", "status": reply.status}
    return {"kind": "hang"}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.llm._track(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.llm._untrack()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the request log is ``FakeLLM.requests``."""

    def do_GET(self) -> None:
        self._handle()

    def do_POST(self) -> None:
        self._handle()

    # --- plumbing ----------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks: list[bytes] = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _send_json(self, status: int, body: JSONDict, headers: dict[str, str]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _start_stream(self, headers: dict[str, str]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()

    def _send_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    # --- routing -----------------------------------------------------------------------------

    def _handle(self) -> None:
        path = urlsplit(self.path).path.rstrip("/")
        raw = self._read_body()
        entry: JSONDict = {
            "t": time.time(),
            "method": self.command,
            "path": self.path,
            "headers": {
                name: "<redacted>" if name.lower() in REDACTED_HEADERS else value
                for name, value in self.headers.items()
            },
            "body": None,
            "api": None,
            "status": None,
            "reply": None,
            "usage": None,
        }
        try:
            entry["body"] = json.loads(raw) if raw else None
        except ValueError:
            entry["body"] = raw.decode(errors="replace")
        try:
            self._route(path, entry)
        except (_Aborted, OSError):
            self.close_connection = True

    def _route(self, path: str, entry: JSONDict) -> None:
        llm = self.server.llm
        body = entry["body"] if isinstance(entry["body"], dict) else None
        if self.command == "GET" and path.endswith("/models"):
            entry.update(api="models", status=200)
            llm._log(entry)
            self._send_json(200, _models(), {})
            return
        if self.command == "POST" and path.endswith("/messages/count_tokens") and body:
            entry.update(api="count_tokens", status=200)
            llm._log(entry)
            self._send_json(200, {"input_tokens": count_tokens(body)}, {})
            return
        api = next((api for suffix, api in _ROUTES if path.endswith(suffix)), None)
        if self.command != "POST" or api is None or body is None:
            status = 404 if api is None or self.command != "POST" else 400
            entry.update(status=status)
            llm._log(entry)
            self._send_json(status, wire.error_body(api, status), {})
            return
        entry["api"] = api
        self._answer(api, body, entry)

    def _answer(self, api: Api, body: JSONDict, entry: JSONDict) -> None:
        llm = self.server.llm
        forced = llm._arrive()
        try:
            self._reply(api, body, entry, forced)
        finally:
            llm._leave()

    def _reply(self, api: Api, body: JSONDict, entry: JSONDict, forced: int | None) -> None:
        llm = self.server.llm
        turn = read_turn(api, body)
        reply: Reply = choose_reply(turn)
        if llm.sticky_status is not None:
            reply = ErrorReply(llm.sticky_status)
        if forced is not None:
            reply = ErrorReply(forced)
        headers = {wire.request_id_header(api): llm._new_id("req")}
        entry["reply"] = _reply_log(reply)
        if isinstance(reply, ErrorReply):
            entry["status"] = reply.status
            llm._log(entry)
            if reply.status in (429, 500):
                headers["retry-after"] = llm.retry_after
            self._send_json(reply.status, wire.error_body(api, reply.status), headers)
            return
        entry["status"] = 200
        if isinstance(reply, HangReply):
            llm._log(entry)
            self._start_stream(headers)
            for frame in wire.hang_frames(turn, llm._new_id):
                self._send_chunk(frame)
            llm._hang()
        output = output_tokens(reply)
        entry["usage"] = {"input": turn.input_tokens, "output": output}
        llm._log(entry)
        if not turn.stream:
            self._send_json(200, wire.whole_response(turn, reply, output, llm._new_id), headers)
            return
        frames = wire.stream_frames(turn, reply, output, llm._new_id, body)
        self._start_stream(headers)
        delay = llm.slow_delay_s if is_slow(turn) else 0.0
        for index, frame in enumerate(frames):
            if delay and index:
                llm._pause(delay)
            self._send_chunk(frame)
        self.wfile.write(b"0\r\n\r\n")


def _models() -> JSONDict:
    data = [
        {
            "id": model_id,
            "object": "model",
            "created": 0,
            "owned_by": "fakellm",
            "type": "model",
            "display_name": model_id,
            "created_at": "1970-01-01T00:00:00Z",
        }
        for model_id in MODEL_IDS
    ]
    return {
        "object": "list",
        "data": data,
        "has_more": False,
        "first_id": MODEL_IDS[0],
        "last_id": MODEL_IDS[-1],
    }

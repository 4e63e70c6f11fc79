"""opencode's server transport, for structured output: a private ``opencode serve``.

``opencode run`` cannot take a JSON Schema; ``POST /session/{id}/message`` can
(``format: {type: "json_schema"}``). So a structured call starts a private
``opencode serve`` on a free 127.0.0.1 port, in its own process group, and talks to it
with httpx: no shell, no curl. While the answer is computed it follows the server's
``GET /event`` bus, forwarding the call's events live (they also feed the idle
watchdog). The call's permission level is the session's own rules (applied after any
agent or config rule) and the server's environment (``permissions``); a permission
request that still comes is refused (approved under ``full``, as ``opencode run --auto``
does), since nobody could answer it. The whole process group is stopped at the end,
whatever happened. What is sent and read over HTTP is ``server_api``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
from collections.abc import Awaitable, Callable, Mapping
from subprocess import DEVNULL, PIPE
from typing import TypeVar

import anyio
import httpx
from anyio.abc import ByteReceiveStream, Process

from smolwf.errors import FailureKind, ProviderError
from smolwf.excerpts import cut_to_bytes, one_line
from smolwf.jsontypes import JSON, JSONObject
from smolwf.lines import StreamLines
from smolwf.process_group import TERM_GRACE_S, open_group, stop_group
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from smolwf.providers.failures import kind_for_status, kind_for_text
from smolwf.providers.json_fields import as_list, as_object
from smolwf.providers.opencode.permissions import (
    ask_refusal,
    collect_refusals,
    opencode_dirs,
    permission_env,
)
from smolwf.providers.opencode.server_api import (
    assistant_infos,
    bus_tool_part,
    message_body,
    parse_response,
    session_body,
    split_model,
    sse_data,
    tool_parts,
)
from smolwf.providers.opencode.wire import DISPLAY_NAME, sum_usage
from smolwf.providers.process import FAILURE_TEXT_BYTES
from smolwf.providers.watchdog import Watchdog, WatchdogLimits

T = TypeVar("T")

READY_TIMEOUT_S = 60.0
"""How long the server may take to print its listening line (about 1 s normally)."""
EVENTS_CONNECT_S = 5.0
"""How long to wait for the event bus before sending the prompt anyway."""
EVENTS_DRAIN_S = 2.0
"""How long, after the answer, to wait for the bus to report the session idle (its
last events may still be in flight)."""
LOG_KEEP_BYTES = 16 * 1024
"""How much of the server's own output is kept for error messages (the end of it)."""
_LISTENING = re.compile(r"opencode server listening on (http://\S+)")


def free_port() -> int:
    """A port nothing listens on now (``opencode serve --port 0`` means its default, 4096)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def run_structured(
    binary: str, request: AgentRequest, env: Mapping[str, str], events: ProviderEventSink
) -> AgentResult:
    """Answer ``request`` (which has a schema) with a private ``opencode serve``."""
    split_model(request.model)  # a bare model id fails before anything starts
    inherited = {**os.environ, **env}
    process_env = {
        **inherited,
        **permission_env(request.permissions, request.agent_type, inherited),
    }
    return await _ServerCall(binary, request, process_env, events).run()


async def _guard(work: Callable[[], Awaitable[T]]) -> T | ProviderError:
    """``work()``'s value, or the ``ProviderError`` it raised: raising inside a task group
    would wrap it in an ``ExceptionGroup``."""
    try:
        return await work()
    except ProviderError as error:
        return error


def _cut(text: str) -> str:
    return cut_to_bytes(one_line(text), FAILURE_TEXT_BYTES)


class _ServerCall:
    """One structured call: the server process, its HTTP conversation, and what was seen."""

    def __init__(
        self,
        binary: str,
        request: AgentRequest,
        env: Mapping[str, str],
        events: ProviderEventSink,
    ) -> None:
        self.binary = binary
        self.request = request
        self.env = env
        """The server's whole environment."""
        self.dirs = opencode_dirs(env)
        self.events = events
        self.watchdog = Watchdog(DISPLAY_NAME, WatchdogLimits.of(request))
        self.params = {"directory": str(request.cwd)}
        self.session_id: str | None = None
        self.logs = bytearray()
        self.bus_infos: dict[str, JSONObject] = {}
        """The latest info of each assistant message the event bus reported."""
        self.bus_tools: dict[str, JSONObject] = {}
        """The latest state of each tool part the bus reported, subagents' included."""
        self.asked: list[tuple[str, list[str]]] = []
        """``(permission, patterns)`` of every permission request turned down."""
        self.idle = anyio.Event()
        """Set when the bus reports the session idle: its events are all in."""

    async def run(self) -> AgentResult:
        try:
            outcome = await self.watchdog.run(lambda: _guard(self._serve))
        except ProviderError as error:  # a watchdog limit tripped
            self._annotate(error)
            raise
        if isinstance(outcome, ProviderError):
            raise self._annotate(outcome)
        return outcome

    def _annotate(self, error: ProviderError) -> ProviderError:
        error.session_id = error.session_id or self.session_id
        if error.usage is None and self.bus_infos:
            error.usage = sum_usage(list(self.bus_infos.values()))
        if not error.refusals and self.asked:
            level = self.request.permissions
            error.refusals = tuple(ask_refusal(p, ps, level, self.dirs) for p, ps in self.asked)
        return error

    def _log_text(self) -> str:
        return _cut(self.logs.decode("utf-8", "replace")) or "(no output)"

    async def _serve(self) -> AgentResult:
        process = await self._spawn()
        outcome: AgentResult | ProviderError
        try:
            async with anyio.create_task_group() as group:
                ready = _Readiness()
                assert process.stdout is not None and process.stderr is not None
                group.start_soon(self._read_output, process.stdout, ready)
                group.start_soon(self._read_output, process.stderr, None)
                outcome = await _guard(lambda: self._when_ready(process, ready))
                group.cancel_scope.cancel()
        finally:
            with anyio.CancelScope(shield=True):
                await stop_group(process)
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    async def _spawn(self) -> Process:
        argv = [self.binary, "serve", "--hostname", "127.0.0.1", "--port", str(free_port())]
        try:
            return await open_group(
                argv, cwd=self.request.cwd, env=self.env, stdin=DEVNULL, stdout=PIPE, stderr=PIPE
            )
        except OSError as error:
            raise ProviderError(
                f"failed to spawn command `{self.binary}`: {error.strerror or error}",
                kind=FailureKind.CONFIG,
            ) from error

    async def _read_output(self, stream: ByteReceiveStream, ready: _Readiness | None) -> None:
        """Keep the server's output (for error messages), spot the listening line."""
        async for raw in StreamLines(stream, self.watchdog.touch):
            line = raw.decode("utf-8", "replace").rstrip("\r")
            self.logs.extend(line.encode("utf-8") + b"\n")
            del self.logs[: max(0, len(self.logs) - LOG_KEEP_BYTES)]
            match = _LISTENING.search(line)
            if ready is not None and match is not None and ready.url is None:
                ready.url = match.group(1).rstrip("/")
                ready.event.set()
        if ready is not None:
            ready.event.set()  # stdout closed: the server is gone

    async def _when_ready(self, process: Process, ready: _Readiness) -> AgentResult:
        with anyio.move_on_after(READY_TIMEOUT_S):
            await ready.event.wait()
        if ready.url is not None:
            return await self._converse(ready.url)
        if not ready.event.is_set():
            raise ProviderError(
                f"OpenCode server did not report its URL within {READY_TIMEOUT_S:g} s: "
                f"{self._log_text()}",
                kind=FailureKind.TRANSIENT,
            )
        with anyio.move_on_after(TERM_GRACE_S):
            await process.wait()
        code = process.returncode
        logs = self._log_text()
        raise ProviderError(
            f"OpenCode server exited with code {code} before it was ready: {logs}",
            kind=kind_for_text(logs),
        )

    async def _converse(self, url: str) -> AgentResult:
        timeout = httpx.Timeout(None)  # the watchdog bounds the call
        async with httpx.AsyncClient(base_url=url, timeout=timeout, trust_env=False) as client:
            outcome: AgentResult | ProviderError
            async with anyio.create_task_group() as group:
                connected = anyio.Event()
                group.start_soon(self._follow_bus, client, connected)
                with anyio.move_on_after(EVENTS_CONNECT_S):
                    await connected.wait()
                outcome = await _guard(lambda: self._prompt(client))
                with anyio.move_on_after(EVENTS_DRAIN_S):
                    await self.idle.wait()
                group.cancel_scope.cancel()
        if isinstance(outcome, ProviderError):
            raise outcome
        return outcome

    async def _prompt(self, client: httpx.AsyncClient) -> AgentResult:
        body = session_body(self.request, self.dirs)
        session = await self._request(client, "POST", "/session", body)
        session_id = as_object(session).get("id")
        if not isinstance(session_id, str) or not session_id:
            raise ProviderError(
                f"OpenCode provider POST /session answered without a session id: "
                f"{_cut(json.dumps(session))}"
            )
        self.session_id = session_id
        path = f"/session/{session_id}/message"
        response = await self._request(client, "POST", path, message_body(self.request))
        try:
            messages = await self._request(client, "GET", path)
        except ProviderError:
            messages = None  # opencode 1.18.33 answers 400 after a structured call
        info = as_object(as_object(response).get("info"))
        usage_records = assistant_infos(messages) or list(self.bus_infos.values()) or [info]
        parts = self._tool_parts(messages if isinstance(messages, list) else response)
        return parse_response(
            session,
            response,
            usage_records,
            self.request.model,
            [f"{name} {', '.join(patterns)}".strip() for name, patterns in self.asked],
            collect_refusals(parts, self.asked, self.request.permissions, self.dirs),
        )

    def _tool_parts(self, listed: JSON) -> list[JSONObject]:
        """Every tool part of the call: the bus's (which has subagents' too), then any
        part of ``listed`` (the message list, else the answer) it did not report."""
        parts = dict(self.bus_tools)
        for part in tool_parts(listed):
            parts.setdefault(str(part.get("id")), part)
        return list(parts.values())

    async def _request(
        self, client: httpx.AsyncClient, method: str, path: str, body: JSONObject | None = None
    ) -> JSON:
        try:
            reply = await client.request(method, path, params=self.params, json=body)
        except httpx.HTTPError as error:
            raise ProviderError(
                f"OpenCode provider {method} {path} failed: {one_line(str(error)) or error!r}; "
                f"server output: {self._log_text()}",
                kind=FailureKind.TRANSIENT,
            ) from error
        if reply.is_error:
            raise ProviderError(
                f"OpenCode provider {method} {path} failed with HTTP {reply.status_code} "
                f"{reply.reason_phrase}: {_cut(reply.text)}",
                kind=kind_for_status(reply.status_code),
            )
        try:
            value: JSON = reply.json()
        except ValueError as error:
            raise ProviderError(
                f"OpenCode provider {method} {path} answered with invalid JSON: {_cut(reply.text)}"
            ) from error
        return value

    async def _follow_bus(self, client: httpx.AsyncClient, connected: anyio.Event) -> None:
        """Forward this server's session events live until cancelled."""
        try:
            async with client.stream("GET", "/event", params=self.params) as reply:
                connected.set()
                async for line in reply.aiter_lines():
                    event = sse_data(line)
                    if event is not None:
                        await self._on_bus_event(client, event)
        except httpx.HTTPError:
            pass  # the bus is a convenience: the answer comes from the message response
        finally:
            connected.set()
            self.idle.set()  # nothing more will come

    async def _on_bus_event(self, client: httpx.AsyncClient, event: JSONObject) -> None:
        properties = as_object(event.get("properties"))
        session_id = properties.get("sessionID")
        if not isinstance(session_id, str):
            return  # server-wide chatter (heartbeats, plugins) is not the call's
        self.watchdog.touch()
        info = as_object(properties.get("info"))
        if event.get("type") == "message.updated" and info.get("role") == "assistant":
            self.bus_infos[str(info.get("id"))] = info
        part = bus_tool_part(event)
        if part is not None:
            self.bus_tools[str(part.get("id"))] = part
        self.events(event, self.session_id or session_id)
        if event.get("type") == "session.idle" and session_id == self.session_id:
            self.idle.set()
        if event.get("type") == "permission.asked":
            await self._answer(client, properties)

    async def _answer(self, client: httpx.AsyncClient, request: JSONObject) -> None:
        """Answer a permission request nobody else could (the server would wait forever):
        turn it down, as headless ``opencode run`` does, or under ``full`` approve it once,
        as ``opencode run --auto`` does."""
        reply = "once" if self.request.permissions == "full" else "reject"
        if reply == "reject":
            patterns = [str(p) for p in as_list(request.get("patterns"))]
            self.asked.append((str(request.get("permission")), patterns))
        with contextlib.suppress(ProviderError):
            path = f"/permission/{request.get('id')}/reply"
            await self._request(client, "POST", path, {"reply": reply})


class _Readiness:
    """Set once the server printed its URL (``url``) or closed its stdout (``url`` None)."""

    def __init__(self) -> None:
        self.event = anyio.Event()
        self.url: str | None = None

"""Running one code-agent CLI: no shell, its own process group, stdout read line by line.

Every CLI provider goes through ``run_cli`` so that all of them get the same
watchdogs (``timeout`` and ``idleTimeout``), the same clean-up (the whole process
group is stopped, whatever the agent started) and the same error wording.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import DEVNULL, PIPE

import anyio
from anyio.abc import Process

from smolwf.errors import FailureKind, ProviderError
from smolwf.excerpts import cut_to_bytes
from smolwf.jsontypes import JSON
from smolwf.lines import StreamLines
from smolwf.process_group import open_group, stop_group
from smolwf.providers.base import AgentRequest
from smolwf.providers.watchdog import Watchdog, WatchdogLimits
from smolwf.records import record
from smolwf.usage import Usage

STDERR_KEEP_BYTES = 64 * 1024
"""How much of a CLI's stderr is kept for error messages (the end of it)."""
FAILURE_TEXT_BYTES = 4000
"""The longest stderr/stdout excerpt an error message quotes (as the reference does)."""
FINAL_GRACE_S = 5.0
"""How long a CLI may keep running after it printed its final result; then its group is
stopped and the call keeps that result (a paid answer is never thrown away)."""


@record
class CliCommand:
    """One CLI invocation under its watchdogs. ``stdin`` of ``None`` gives the CLI
    ``/dev/null``."""

    display_name: str
    argv: Sequence[str]
    cwd: Path
    stdin: bytes | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    """Added to (and overriding) the inherited environment."""
    limits: WatchdogLimits = field(default_factory=WatchdogLimits)

    @classmethod
    def for_request(
        cls,
        display_name: str,
        argv: Sequence[str],
        request: AgentRequest,
        *,
        env: Mapping[str, str],
        prompt: str | None = None,
    ) -> CliCommand:
        """The invocation that answers ``request``: in its cwd, under its limits, with
        ``prompt`` (the request's own by default) on stdin."""
        text = request.prompt if prompt is None else prompt
        return cls(
            display_name,
            argv,
            request.cwd,
            stdin=text.encode("utf-8"),
            env=env,
            limits=WatchdogLimits.of(request),
        )


@dataclass(slots=True)
class CliOutcome:
    """What the CLI printed and how it ended. ``events`` are its JSON stdout lines."""

    returncode: int
    events: list[JSON] = field(default_factory=list)
    other_lines: list[str] = field(default_factory=list)
    stderr: str = ""
    stopped_after_final: bool = False
    """The CLI printed its final result and did not exit; it was stopped after
    ``FINAL_GRACE_S`` and counts as exited 0."""

    def failure_text(self) -> str:
        """The trimmed stderr, else the non-JSON stdout, cut to 4,000 bytes."""
        text = self.stderr.strip() or "\n".join(self.other_lines).strip()
        return cut_to_bytes(text, FAILURE_TEXT_BYTES)


LineHandler = Callable[[JSON], None]
"""Called with each JSON line of stdout as soon as it arrives."""
FinalEvent = Callable[[JSON], bool]
"""Whether a line is the CLI's final result (claude's ``result``, codex's
``turn.completed``…): each provider says which."""


async def run_cli(
    command: CliCommand, on_event: LineHandler, *, final: FinalEvent | None = None
) -> CliOutcome:
    """Run ``command`` to its end under its limits; the process group never outlives it.
    Once a ``final`` line arrived, the CLI has ``FINAL_GRACE_S`` to exit."""
    outcome = CliOutcome(returncode=-1)
    await _run_into(outcome, command, on_event, final)
    return outcome


async def run_agent_cli(
    command: CliCommand,
    events: Callable[[JSON, str | None], None],
    *,
    session_id_of: Callable[[JSON], str | None],
    final: FinalEvent,
    usage_of: Callable[[list[JSON]], Usage | None] | None = None,
) -> CliOutcome:
    """``run_cli`` for an agent CLI: each event goes to ``events`` live with the first
    session id the stream named; a failure (a watchdog, a spawn error) carries that
    session id and the usage the events so far report, so a stopped call is still
    accounted for and can be inspected."""
    outcome = CliOutcome(returncode=-1)
    session: str | None = None

    def on_event(event: JSON) -> None:
        nonlocal session
        if session is None:
            session = session_id_of(event)
        events(event, session)

    try:
        await _run_into(outcome, command, on_event, final)
    except ProviderError as error:
        error.session_id = error.session_id or session
        if usage_of is not None:
            error.usage = error.usage or usage_of(outcome.events)
        raise
    return outcome


async def _run_into(
    outcome: CliOutcome, command: CliCommand, on_event: LineHandler, final: FinalEvent | None
) -> None:
    watchdog = Watchdog(command.display_name, command.limits)
    env = {**os.environ, **command.env}
    try:
        process = await open_group(
            command.argv,
            cwd=command.cwd,
            env=env,
            stdin=PIPE if command.stdin is not None else DEVNULL,
            stdout=PIPE,
            stderr=PIPE,
        )
    except OSError as error:
        raise ProviderError(
            f"failed to spawn command `{command.argv[0]}`: {error.strerror or error}",
            kind=FailureKind.CONFIG,
        ) from error
    try:
        await watchdog.run(
            lambda: _communicate(process, command.stdin, outcome, watchdog, on_event, final)
        )
    finally:
        with anyio.CancelScope(shield=True):
            await stop_group(process)
    returncode = process.returncode if process.returncode is not None else -1
    outcome.returncode = 0 if outcome.stopped_after_final else returncode


async def _communicate(
    process: Process,
    stdin: bytes | None,
    outcome: CliOutcome,
    watchdog: Watchdog,
    on_event: LineHandler,
    final: FinalEvent | None,
) -> None:
    stderr_tail = bytearray()
    grace = anyio.CancelScope()
    timing: list[bool] = []

    async def end_after_grace() -> None:
        """The final result is in: the CLI has a grace to exit, then it is stopped."""
        await anyio.sleep(FINAL_GRACE_S)
        outcome.stopped_after_final = True
        grace.cancel()

    async def feed() -> None:
        assert process.stdin is not None
        try:
            await process.stdin.send(stdin or b"")
        except (anyio.BrokenResourceError, anyio.ClosedResourceError, OSError):
            pass  # the CLI closed stdin early; what it printed says why
        finally:
            await process.stdin.aclose()

    async def read_stdout() -> None:
        assert process.stdout is not None
        async for line in StreamLines(process.stdout, watchdog.touch):
            text = line.decode("utf-8", "replace").rstrip("\r")
            if not text.strip():
                continue
            event = _json_line(text)
            if event is None:
                outcome.other_lines.append(text)
            else:
                outcome.events.append(event)
                on_event(event)
                if final is not None and not timing and final(event):
                    timing.append(True)
                    timer.start_soon(end_after_grace)

    async def read_stderr() -> None:
        assert process.stderr is not None
        async for chunk in process.stderr:
            watchdog.touch()
            stderr_tail.extend(chunk)
            if len(stderr_tail) > STDERR_KEEP_BYTES:
                del stderr_tail[: len(stderr_tail) - STDERR_KEEP_BYTES]

    with grace:
        async with anyio.create_task_group() as timer:
            async with anyio.create_task_group() as group:
                if stdin is not None:
                    group.start_soon(feed)
                group.start_soon(read_stdout)
                group.start_soon(read_stderr)
            await process.wait()
            timer.cancel_scope.cancel()
    outcome.stderr = stderr_tail.decode("utf-8", "replace")


def _json_line(text: str) -> JSON:
    """The line as JSON when it is an object or array, else ``None`` (a log line)."""
    stripped = text.strip()
    if not stripped.startswith(("{", "[")):
        return None
    try:
        value: JSON = json.loads(stripped)
    except ValueError:
        return None
    return value if isinstance(value, dict | list) else None

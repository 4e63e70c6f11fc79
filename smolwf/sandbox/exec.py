"""``workflow:sandbox`` for the engine: validate an ``exec`` request, run it in a fresh sandbox.

Also the session context manager (``open_sandbox``) that ``agent({isolation: {type:'sandbox'}})``
needs: open a session on the workflow cwd, run things in it, always close it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager, suppress
from dataclasses import field
from pathlib import Path

import anyio

from smolwf.errors import SandboxError
from smolwf.jsontypes import JSON, JSONObject, clean_text
from smolwf.records import record
from smolwf.sandbox.protocol import (
    ExecEventSink,
    ExecResult,
    SandboxClient,
    SandboxProfile,
    SandboxTimeouts,
    SessionInfo,
    connect_provider,
)

EXEC_REQUEST_KEYS = ("command", "args", "cwd", "env", "stdin")
_PREFIX = "sandbox exec: "


@record
class ExecRequest:
    """A validated command: ``argv[0]`` is looked up on the sandbox's PATH, no shell involved."""

    argv: tuple[str, ...]
    cwd: str | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    stdin: bytes | None = None


def _type_name(value: JSON) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    return "string" if isinstance(value, str) else "number"


def _check_text(value: JSON, what: str, *, empty_ok: bool = True) -> str:
    if not isinstance(value, str):
        raise SandboxError(f"{_PREFIX}{what} must be a string, got {_type_name(value)}")
    if not value and not empty_ok:
        raise SandboxError(f"{_PREFIX}{what} must not be empty")
    if "\0" in value:
        raise SandboxError(f"{_PREFIX}{what} must not contain NUL characters")
    return value


def _parse_args(value: JSON) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise SandboxError(f"{_PREFIX}'args' must be an array of strings, got {_type_name(value)}")
    return [_check_text(item, f"'args[{index}]'") for index, item in enumerate(value)]


def _parse_env(value: JSON) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SandboxError(f"{_PREFIX}'env' must be an object of strings, got {_type_name(value)}")
    env: dict[str, str] = {}
    for name, item in value.items():
        if not name or "=" in name or "\0" in name:
            raise SandboxError(f"{_PREFIX}'env' has an invalid variable name {name!r}")
        env[name] = _check_text(item, f"'env.{name}'")
    return env


def parse_exec_request(request: JSON) -> ExecRequest:
    """Check ``{command, args?, cwd?, env?, stdin?}``; raise a ``SandboxError`` naming the field."""
    if not isinstance(request, dict):
        raise SandboxError(
            f"{_PREFIX}request must be an object {{command, args?, cwd?, env?, stdin?}}, "
            f"got {_type_name(request)}"
        )
    unknown = sorted(set(request) - set(EXEC_REQUEST_KEYS))
    if unknown:
        raise SandboxError(
            f"{_PREFIX}unknown request field(s) {', '.join(map(repr, unknown))}; "
            f"known fields: {', '.join(EXEC_REQUEST_KEYS)}"
        )
    if "command" not in request:
        raise SandboxError(f"{_PREFIX}'command' is required (the program to run, e.g. 'ls')")
    command = _check_text(request["command"], "'command'", empty_ok=False)
    cwd = request.get("cwd")
    stdin = request.get("stdin")
    return ExecRequest(
        argv=(command, *_parse_args(request.get("args"))),
        cwd=None if cwd is None else _check_text(cwd, "'cwd'", empty_ok=False),
        env=_parse_env(request.get("env")),
        stdin=None if stdin is None else clean_text(_check_text(stdin, "'stdin'")).encode(),
    )


@record
class SandboxSession:
    """An open sandbox session; valid inside its ``open_sandbox`` block only."""

    profile: SandboxProfile
    host_path: Path
    info: SessionInfo
    client: SandboxClient

    @property
    def id(self) -> str:
        return self.info.id

    @property
    def cwd(self) -> str | None:
        """The session's working directory inside the sandbox, if the provider reported one."""
        return self.info.cwd

    async def exec(self, request: ExecRequest, on_event: ExecEventSink | None = None) -> ExecResult:
        """Run one command; relative ``cwd`` resolves against the session cwd."""
        return await self.client.exec(
            self.info,
            request.argv,
            cwd=request.cwd,
            env=request.env,
            stdin=request.stdin,
            on_event=on_event,
        )

    def isolation_record(self) -> JSONObject:
        """What an agent result records as ``isolation`` (reference-runtime §1.4)."""
        return {
            "kind": "sandbox",
            "profile": str(self.profile),
            "provider": self.profile.provider,
            "cwd": self.cwd if self.cwd is not None else str(self.host_path),
            "sessionId": self.id,
        }


async def _close_quietly(client: SandboxClient, info: SessionInfo) -> None:
    """Close after the block failed; the block's error wins. A broken stream is left to EOF."""
    if client.broken:
        return
    with anyio.CancelScope(shield=True), suppress(SandboxError):
        await client.close(info)


@asynccontextmanager
async def open_sandbox(
    profile: str | SandboxProfile,
    host_path: Path,
    *,
    cwd: str | None = None,
    timeouts: SandboxTimeouts | None = None,
) -> AsyncIterator[SandboxSession]:
    """Start the provider, open a session synced from ``host_path``, close both on exit.

    A failed close raises after a successful block. If the block fails or is cancelled, close is
    attempted quietly; either way the provider's stdin is closed and it is waited for, so its
    cleanup has finished when this returns.
    """
    if isinstance(profile, str):
        profile = SandboxProfile.parse(profile)
    host_path = Path(await anyio.Path(host_path).resolve())
    async with connect_provider(profile.provider, timeouts=timeouts) as client:
        info = await client.open(profile, host_path, cwd=cwd)
        try:
            yield SandboxSession(profile, host_path, info, client)
        except BaseException:
            await _close_quietly(client, info)
            raise
        await client.close(info)


def lossy_text(data: bytes) -> str:
    """Output as the workflow sees it: UTF-8 with invalid bytes replaced by U+FFFD."""
    return data.decode("utf-8", errors="replace")


async def sandbox_exec(
    profile: str,
    request: JSON,
    *,
    cwd: Path,
    on_event: ExecEventSink | None = None,
    timeouts: SandboxTimeouts | None = None,
) -> JSONObject:
    """``exec(profile, request)`` of ``workflow:sandbox``: a fresh sandbox per call.

    Returns ``{exitCode, stdout, stderr}`` (lossy UTF-8); a non-zero exit is returned. Invalid
    requests and open, RPC or close failures raise ``SandboxError`` (an ``AgentCallError``).
    """
    if not isinstance(profile, str):
        raise SandboxError(f"{_PREFIX}profile must be a string '<provider>/<profile>'")
    parsed_profile = SandboxProfile.parse(profile)
    exec_request = parse_exec_request(request)
    async with open_sandbox(parsed_profile, cwd, timeouts=timeouts) as session:
        result = await session.exec(exec_request, on_event)
    return {
        "exitCode": result.exit_code,
        "stdout": lossy_text(result.stdout),
        "stderr": lossy_text(result.stderr),
    }

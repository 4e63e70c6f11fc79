"""The Python API: the same run ``smol-wf run`` does, callable from programs, tests and
notebooks (see ``docs/python.md``).

``run_workflow_async`` takes the run's inputs as typed keyword parameters (the CLI's
flags under Python names) and returns a ``RunReport``; ``run_workflow`` is the same call
for code without an event loop; ``stream_workflow`` hands over the run's events as an
async iterator. Every failure is a ``SmolWfError`` subclass: ``UsageError`` for a bad
parameter, ``ScriptError``, ``WorkflowFailed``, ``WorkflowCancelled``, ``WorkflowWaiting``,
``StoreError``.
"""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, ParamSpec, TextIO, TypeVar

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from smolwf.cluster.settings import (
    EXECUTORS,
    WORKDIR_MODES,
    ExecutorKind,
    ResourceSpecError,
    WorkdirMode,
    parse_resources,
)
from smolwf.engine.config import ON_WAIT_MODES, REPLAY_MISSING, OnWait, ReplayMissing, RunConfig
from smolwf.engine.inputs import (
    check_choice,
    check_provider,
    check_provider_options,
    check_rate_limits,
)
from smolwf.engine.report import RunReport
from smolwf.engine.reuse import check_reuse_flags
from smolwf.engine.run import WorkflowRun
from smolwf.errors import UsageError, WorkflowCancelled
from smolwf.events.sinks import EventSink
from smolwf.events.types import Event
from smolwf.jsontypes import JSON
from smolwf.permissions import (
    PERMISSION_LEVELS,
    REFUSAL_POLICIES,
    PermissionLevel,
    RefusalPolicy,
)
from smolwf.providers.base import Provider, ProviderSettings

P = ParamSpec("P")
T = TypeVar("T")

EventCallback = Callable[[Event], None]
"""Receives each event of the run once it is durable (see ``docs/events.md``)."""

_PARAMETER_FIELDS = {"script": "script_path", "provider_settings": "provider_options"}
"""Parameters whose ``RunConfig`` field has another name."""
_NOT_FIELDS = frozenset({"provider_binaries", "provider_env", "on_event"})


async def run_workflow_async(
    script: str | Path | None = None,
    *,
    args: Mapping[str, JSON] | None = None,
    db_path: str | Path | None = None,
    resume_run_id: str | None = None,
    fork_run_id: str | None = None,
    rerun: Sequence[str] | None = None,
    cache: bool | None = None,
    cache_ttl_s: float | None = None,
    record_path: str | Path | None = None,
    replay_path: str | Path | None = None,
    replay_missing: ReplayMissing | None = None,
    on_wait: OnWait | None = None,
    cwd: str | Path | None = None,
    provider: str | None = None,
    providers: Mapping[str, Provider] | None = None,
    provider_settings: Mapping[str, Mapping[str, str]] | None = None,
    provider_binaries: Mapping[str, str] | None = None,
    provider_env: Mapping[str, str] | None = None,
    provider_concurrency: Mapping[str, int] | None = None,
    provider_rpm: Mapping[str, int] | None = None,
    model_map: Mapping[str, str] | None = None,
    agent_permissions: PermissionLevel | None = None,
    on_refusal: RefusalPolicy | None = None,
    agent_timeout_s: float | None = None,
    agent_idle_timeout_s: float | None = None,
    budget_allowance: int | None = None,
    max_output_tokens: int | None = None,
    max_total_tokens: int | None = None,
    max_cost_usd: float | None = None,
    max_parallel_agents: int | None = None,
    max_agents: int | None = None,
    max_workflow_depth: int | None = None,
    js_memory_mib: int | None = None,
    js_slice_timeout_s: float | None = None,
    js_stack_kib: int | None = None,
    raw_sessions_dir: str | Path | None = None,
    executor: ExecutorKind | None = None,
    ray_address: str | None = None,
    ray_agent_resources: Mapping[str, float] | None = None,
    ray_workdir: WorkdirMode | None = None,
    on_event: EventCallback | None = None,
    sinks: Sequence[EventSink] | None = None,
    progress_stream: TextIO | None = None,
    events_stream: TextIO | None = None,
) -> RunReport:
    """Run one workflow to its end and return its report.

    Every parameter but ``script`` is keyword-only and optional: ``None`` leaves the CLI's
    default (and, on resume, the recorded input) in place. ``script`` may be omitted with
    ``resume_run_id`` or ``fork_run_id``. ``agent_timeout_s``/``agent_idle_timeout_s`` of
    ``0`` mean no limit. ``providers`` hands the engine provider objects by name (they win
    over the registry's); ``provider_settings`` are ``--provider-setting`` values
    (``{"anthropic": {"model": "…"}}``); ``provider_env`` is extra environment for
    providers (API keys), never recorded. ``on_event`` receives every event, as do
    ``sinks`` (an OpenTelemetry trace sink…); with either (and no ``progress_stream`` or
    ``events_stream``) no progress lines are written, else they go to ``progress_stream``
    (default stderr). ``on_wait="exit"`` raises ``WorkflowWaiting`` once only a person's
    answer can move the run on. ``executor="ray"`` runs provider calls on a Ray cluster
    (``ray_*``: its address, what each call reserves, how the directory reaches it).
    Raises ``UsageError`` for a bad parameter before anything starts.
    """
    # The parameters, as the caller gave them: every local at this point is one.
    config = _config({name: value for name, value in locals().items() if value is not None})
    return await WorkflowRun(config).execute()


def _blocking(function: Callable[P, Awaitable[T]]) -> Callable[P, T]:
    """``function`` run to its end in a new event loop, with the same parameters."""

    @functools.wraps(function)
    def blocking(*args: P.args, **kwargs: P.kwargs) -> T:
        return anyio.run(functools.partial(function, *args, **kwargs))

    return blocking


run_workflow = _blocking(run_workflow_async)
run_workflow.__doc__ = """Run one workflow to its end and return its report, for code
without an event loop (a script, a test, a notebook cell). Takes the parameters of
``run_workflow_async``.

>>> report = run_workflow("examples/hello.mjs", db_path="runs.db")  # doctest: +SKIP
"""


def _config(given: dict[str, Any]) -> RunConfig:
    """The ``RunConfig`` of the parameters the caller gave (``explicit``: those fields)."""
    fields: dict[str, Any] = {
        _PARAMETER_FIELDS.get(name, name): value
        for name, value in given.items()
        if name not in _NOT_FIELDS
    }
    for name in ("db_path", "cwd", "raw_sessions_dir", "script_path", "record_path", "replay_path"):
        if name in fields:
            fields[name] = Path(str(fields[name]))
    for name in ("agent_timeout_s", "agent_idle_timeout_s"):
        if name in fields:
            fields[name] = fields[name] or None  # 0: no limit
    for name in ("args", "model_map", "provider_options"):
        if name in fields:
            fields[name] = _plain(fields[name])
    fields["provider_settings"] = ProviderSettings(
        binaries=dict(_mapping(given.get("provider_binaries"))),
        env=dict(_mapping(given.get("provider_env"))),
    )
    if "rerun" in fields:
        fields["rerun"] = tuple(fields["rerun"])
    if "ray_agent_resources" in fields:
        fields["ray_agent_resources"] = _resources(fields["ray_agent_resources"])
    callback = given.get("on_event")
    sinks = tuple(fields.get("sinks", ()))
    fields["sinks"] = sinks if callback is None else (*sinks, CallbackSink(callback))
    explicit = frozenset(fields) - {"provider_settings", "sinks"}
    if given.get("provider_binaries") is not None:
        explicit |= {"provider_settings"}
    fields.setdefault("script_path", None)
    config = RunConfig(**fields, explicit=explicit)
    _check(config)
    return config


def _check(config: RunConfig) -> None:
    """The checks the CLI makes of its flags, for the same values given from Python."""
    if config.script_path is None and config.resume_run_id is None and config.fork_run_id is None:
        raise UsageError(
            "run_workflow needs a script path, or resume_run_id to resume a run "
            "(fork_run_id to fork one)"
        )
    for name in ("max_parallel_agents", "max_agents", "max_workflow_depth"):
        if getattr(config, name) < 1:
            raise UsageError(f"{name} must be at least 1")
    handed = set(config.providers or ())
    check_provider(config.provider, "provider", handed)
    check_choice(config.agent_permissions, "agent_permissions", PERMISSION_LEVELS)
    check_choice(config.on_refusal, "on_refusal", REFUSAL_POLICIES)
    check_choice(config.replay_missing, "replay_missing", REPLAY_MISSING)
    check_choice(config.on_wait, "on_wait", ON_WAIT_MODES)
    check_choice(config.executor, "executor", EXECUTORS)
    if config.ray_workdir is not None:
        check_choice(config.ray_workdir, "ray_workdir", WORKDIR_MODES)
    if config.cache_ttl_s is not None and not config.cache_ttl_s > 0:
        raise UsageError(f"cache_ttl_s must be more than 0 seconds, got {config.cache_ttl_s!r}")
    check_provider_options(config.provider_options, "provider_settings", handed)
    check_rate_limits(config.provider_concurrency, "provider_concurrency", handed)
    check_rate_limits(config.provider_rpm, "provider_rpm", handed)
    check_reuse_flags(config)


def _resources(value: object) -> dict[str, float]:
    plain = _plain(value)
    try:
        return parse_resources(plain if isinstance(plain, dict) else None)
    except ResourceSpecError as error:
        raise UsageError(f"ray_agent_resources {error}") from None


def _mapping(value: object) -> Mapping[str, str]:
    return value if isinstance(value, Mapping) else {}


def _plain(value: object) -> object:
    """A mapping of the caller's as plain dicts (the store encodes them as JSON)."""
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    return value


class CallbackSink:
    """An ``EventSink`` that hands every event to a callable."""

    def __init__(self, callback: EventCallback) -> None:
        self._callback = callback

    def emit(self, event: Event, text: str) -> None:
        self._callback(event)

    def flush(self) -> None:
        pass


class WorkflowStream:
    """A run whose events arrive as an async iterator (``stream_workflow``).

    ``async with`` starts the run; iterating gives each event once it is durable, and ends
    when the run ends. Leaving the block then raises the run's failure (``WorkflowFailed``…)
    if it failed; leaving it before the run ended (a ``break``, an exception) cancels the
    run, which stays resumable. ``report`` is the ``RunReport`` of a run that completed,
    ``run_id`` the run's id.
    """

    def __init__(self) -> None:
        self.workflow: WorkflowRun | None = None
        self.report: RunReport | None = None
        self._error: Exception | None = None
        self._stopping = False
        self._send: MemoryObjectSendStream[Event]
        self._receive: MemoryObjectReceiveStream[Event]
        self._send, self._receive = anyio.create_memory_object_stream[Event](math.inf)
        self._group: TaskGroup | None = None

    @property
    def run_id(self) -> str | None:
        """The run's id once it started (for ``resume_run_id`` after a stop)."""
        return self.workflow.run_id if self.workflow is not None else None

    def forward(self, also: EventCallback | None) -> EventCallback:
        """The callback that queues each event for the iterator (and calls ``also``)."""

        def callback(event: Event) -> None:
            self._send.send_nowait(event)
            if also is not None:
                also(event)

        return callback

    async def __aenter__(self) -> WorkflowStream:
        self._group = anyio.create_task_group()
        await self._group.__aenter__()
        self._group.start_soon(self._run)
        return self

    async def _run(self) -> None:
        assert self.workflow is not None
        try:
            self.report = await self.workflow.execute()
        except WorkflowCancelled as error:
            self._error = None if self._stopping else error
        except Exception as error:  # raised to the caller by __aexit__, not in a group
            self._error = error
        finally:
            self._send.close()

    def __aiter__(self) -> WorkflowStream:
        return self

    async def __anext__(self) -> Event:
        try:
            return await self._receive.receive()
        except anyio.EndOfStream:
            raise StopAsyncIteration from None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self._group is not None and self.workflow is not None
        if self.report is None and self._error is None:
            self._stopping = True  # left before the run ended: stop it, resumable
            self.workflow.cancel()
        await self._group.__aexit__(None, None, None)
        self._receive.close()
        if exc is None and self._error is not None:
            raise self._error


def _streaming(function: Callable[P, Awaitable[RunReport]]) -> Callable[P, WorkflowStream]:
    """A function with ``function``'s parameters that streams the run's events."""

    @functools.wraps(function)
    def stream(*args: P.args, **kwargs: P.kwargs) -> WorkflowStream:
        try:
            bound = inspect.signature(function).bind(*args, **kwargs)
        except TypeError as error:
            raise UsageError(f"stream_workflow: {error}") from None
        given = {name: value for name, value in bound.arguments.items() if value is not None}
        events = WorkflowStream()
        also = given.get("on_event")
        given["on_event"] = events.forward(also if callable(also) else None)
        events.workflow = WorkflowRun(_config(given))
        return events

    return stream


stream_workflow = _streaming(run_workflow_async)
stream_workflow.__doc__ = """The run of ``run_workflow_async`` with the same parameters, its
events as an async iterator (a ``WorkflowStream``)::

    async with smolwf.stream_workflow("triage.mjs", provider="anthropic") as run:
        async for event in run:
            print(event.type, event.data)
    print(run.report.result)
"""

"""The Ray executor: the same tries, provider chain and structured-output rounds as the
local executor, with every provider call run as a Ray task on the cluster.

Only the provider call moves: the checkpoint, the ledger, the budget and the events stay
with the engine in this process. A provider call's raw events stream back while it runs;
a worker or node that dies mid-call is a ``crash`` failure of that call (the retry policy
and the provider chain decide what next), and Ray never retries a task on its own, so no
call is run twice behind the engine's back. Loaded only with ``--executor ray``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from smolwf.cluster.connect import connect, offering_nodes, shutdown
from smolwf.cluster.settings import RaySettings, TaskResources, WorkdirMode
from smolwf.cluster.shipping import GitShipping, current_branch
from smolwf.cluster.stream import ENDED, TIMED_OUT, TaskStream
from smolwf.cluster.wire import EventBatch, RemoteCall, RemoteOutcome, SharedDir, Workspace
from smolwf.cluster.worker import run_provider_call
from smolwf.engine.agent_call import execute_agent
from smolwf.engine.executor import Answer, CallContext
from smolwf.engine.options import PreparedCall
from smolwf.engine.worktree import BRANCH_PREFIX
from smolwf.errors import ClusterError, FailureKind, ProviderError, ProviderUnavailable
from smolwf.events.raw_sessions import RawSessions
from smolwf.excerpts import clip
from smolwf.git import GitNotFound, run_git
from smolwf.ids import new_id
from smolwf.jsontypes import JSON, JSONObject
from smolwf.providers.base import (
    AgentRequest,
    AgentResult,
    Provider,
    ProviderEventSink,
    ProviderSettings,
)
from smolwf.providers.registry import check_provider_name
from smolwf.records import record
from smolwf.usage import Usage

CANCEL_GRACE_S = 15.0
"""How long a cancelled call's task may take to stop its CLI before the driver leaves it."""
START_WATCH_S = 5.0
"""How often a call whose task has not started checks that some node can still run it."""


@asynccontextmanager
async def ray_executor(
    settings: RaySettings,
    cwd: Path,
    provider_settings: ProviderSettings,
    overrides: Mapping[str, Provider] | None,
    debug_log: Callable[[str], None] | None,
) -> AsyncIterator[RayExecutor]:
    """Join the cluster (a ``ClusterError`` before any call starts), leave it at the end;
    the cluster's own messages go to ``debug_log``."""
    ray = connect(settings.address, debug_log)
    try:
        workdir = settings.workdir
        if workdir != "shared":
            inside = await _in_git(cwd)
            if workdir == "git" and not inside:
                raise ClusterError(
                    f"--ray-workdir git needs the run's directory {cwd} inside a git "
                    "repository; use --ray-workdir shared when every node sees it at the same path"
                )
            workdir = "git" if inside else "shared"
        executor = RayExecutor(ray, settings, workdir, provider_settings, set(overrides or ()))
        executor.check_resources(settings.agent_resources, startup=True)
        yield executor
    finally:
        shutdown(ray)


async def _in_git(cwd: Path) -> bool:
    try:
        done = await run_git(["rev-parse", "--is-inside-work-tree"], cwd)
    except (GitNotFound, NotADirectoryError):
        return False
    return done.returncode == 0 and done.stdout.strip() == b"true"


@dataclass(eq=False)
class RayExecutor:
    """Runs each provider call of a prepared call as a Ray task (``run_provider_call``)."""

    ray: ModuleType
    settings: RaySettings
    workdir: WorkdirMode
    provider_settings: ProviderSettings
    overrides: set[str]
    shipping: GitShipping = field(init=False)
    task: Any = field(init=False)
    """``run_provider_call`` as a Ray remote function."""
    _feasible: set[frozenset[tuple[str, float]]] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.shipping = GitShipping(self.ray.put)
        self.task = self.ray.remote(run_provider_call)

    async def execute(self, call: PreparedCall, context: CallContext) -> Answer:
        return await execute_agent(call, _OnCluster(context, self, call))

    def check_resources(self, amounts: Mapping[str, float], *, startup: bool = False) -> None:
        """Refuse a request no live node can ever grant (Ray would queue it forever)."""
        key = frozenset(amounts.items())
        if key in self._feasible:
            return
        if offering_nodes(self.ray, amounts):
            self._feasible.add(key)
            return
        shown = _shown(amounts)
        where = self.settings.address or "the default address"
        if startup:
            raise ClusterError(
                f"no node of the Ray cluster at {where} offers {{{shown}}} "
                "(--ray-agent-resources): start nodes with `ray start --resources ...` "
                "or ask for less"
            )
        raise ProviderUnavailable(
            f"no node of the Ray cluster at {where} offers {{{shown}}} for this call: "
            "start nodes that do or change its resources option"
        )

    def resources_of(self, call: PreparedCall) -> Mapping[str, float]:
        return call.plan.resources or self.settings.agent_resources

    async def workspace(self, cwd: Path, isolated: bool) -> tuple[Workspace, str | None]:
        """Where the worker runs the agent, and the branch its commits go to (None: they
        fast-forward smol-wf's own isolated directory)."""
        if self.workdir == "shared":
            return SharedDir(cwd), None
        branch = await current_branch(cwd) if isolated else None
        if isolated and branch is not None and branch.startswith(BRANCH_PREFIX):
            suffix, keep_as = branch.removeprefix(BRANCH_PREFIX), None
        else:
            suffix = new_id("run").removeprefix("run_")
            keep_as = BRANCH_PREFIX + suffix
        spec = await self.shipping.checkout_for(cwd, f"smol-wf agent run {suffix}")
        return spec, keep_as


@record
class _OnCluster:
    """The engine's ``CallContext`` for one call, whose providers are remote proxies."""

    inner: CallContext
    executor: RayExecutor
    call: PreparedCall

    @property
    def step_id(self) -> str:
        return self.inner.step_id

    @property
    def cwd(self) -> Path:
        return self.inner.cwd

    @property
    def who(self) -> str:
        return self.inner.who

    @property
    def raw_sessions(self) -> RawSessions | None:
        return self.inner.raw_sessions

    def record(
        self,
        provider: str,
        usage: Usage | None,
        outcome: str,
        model: str | None,
        kind: FailureKind | None = None,
    ) -> None:
        self.inner.record(provider, usage, outcome, model, kind)

    def event(self, provider: str, event: JSON, session_id: str | None) -> None:
        self.inner.event(provider, event, session_id)

    def note_isolation(self, record: JSONObject) -> None:
        self.inner.note_isolation(record)

    def another_try(self) -> str | None:
        return self.inner.another_try()

    def provider(self, name: str) -> Provider:
        if name in self.executor.overrides:
            raise ProviderError(
                f"the {name} provider was handed to run_workflow as an object, which only "
                "the local executor can run; the Ray executor runs the registry's providers",
                kind=FailureKind.CONFIG,
            )
        check_provider_name(name)
        return self.metered(name, _RemoteProvider(name, self))

    def metered(self, name: str, provider: Provider) -> Provider:
        return self.inner.metered(name, provider)


class _RemoteProvider:
    """One provider, one call at a time, on the cluster."""

    def __init__(self, name: str, on: _OnCluster) -> None:
        self.name = name
        self.on = on

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        executor, call = self.on.executor, self.on.call
        amounts = executor.resources_of(call)
        executor.check_resources(amounts)
        isolated = call.plan.options.get("isolation") is not None
        workspace, keep_as = await executor.workspace(request.cwd, isolated)
        remote = RemoteCall(self.name, executor.provider_settings, request, workspace)
        outcome = await self._stream(remote, amounts, events)
        if outcome.commits is not None:
            await executor.shipping.bring_back(request.cwd, outcome.commits, branch=keep_as)
            if keep_as is not None:
                self.on.note_isolation(_kept(keep_as, outcome.commits.head, workspace))
        if outcome.failure is not None:
            raise outcome.failure.error()
        assert outcome.result is not None
        return outcome.result

    async def _stream(
        self, remote: RemoteCall, amounts: Mapping[str, float], events: ProviderEventSink
    ) -> RemoteOutcome:
        ray = self.on.executor.ray
        need = TaskResources.of(amounts)
        stream = self.on.executor.task.options(
            num_returns="streaming",
            max_retries=0,
            num_cpus=need.num_cpus,
            num_gpus=need.num_gpus,
            memory=need.memory,
            resources=need.custom,
            scheduling_strategy="SPREAD",
        ).remote(remote)
        reader = TaskStream(ray, stream)
        session: str | None = None
        started = False
        try:
            while True:
                item = await reader.next(None if started else START_WATCH_S)
                if item is TIMED_OUT:
                    self._still_offered(amounts)
                    continue
                if isinstance(item, EventBatch):
                    started = True
                    for event, session_id in item.events:
                        session = session_id or session
                        events(event, session_id)
                elif isinstance(item, RemoteOutcome):
                    return item
                elif item is ENDED:
                    message = f"{self.name} provider call on the Ray cluster sent no outcome"
                    raise ProviderError(message, session_id=session)
        except ray.exceptions.RayTaskError as error:  # a bug on the worker, not an agent's
            message = f"{self.name} provider call failed on the Ray worker: {_first_line(error)}"
            raise ProviderError(message, session_id=session) from None
        except ray.exceptions.RayError as error:
            raise ProviderError(_lost(self.name, error), session_id=session) from None
        except BaseException:  # cancelled, or no node offers the resources any more
            await reader.cancel(CANCEL_GRACE_S)
            raise

    def _still_offered(self, amounts: Mapping[str, float]) -> None:
        """A task not started yet waits for a node that offers its resources; when the
        last one died, it would wait forever."""
        if not offering_nodes(self.on.executor.ray, amounts):
            shown = _shown(amounts)
            raise ProviderUnavailable(  # no call was made: nothing to count
                f"{self.name} provider call cannot start: no live node of the Ray cluster "
                f"offers {{{shown}}} any more"
            )


def _shown(amounts: Mapping[str, float]) -> str:
    return ", ".join(f"{name}: {amount:g}" for name, amount in amounts.items())


def _lost(name: str, error: Exception) -> str:
    """A failure of the cluster, not of the agent: the call's ``crash``."""
    return f"{name} provider call was lost: the Ray worker running it died ({_first_line(error)})"


def _first_line(error: Exception) -> str:
    kind = type(error).__name__
    first = next((line.strip() for line in str(error).splitlines() if line.strip()), "")
    return clip(f"{kind}: {first}" if first else kind, 300)


def _kept(branch: str, head: str, workspace: Workspace) -> JSONObject:
    """The isolation record of a call that changed files without asking for isolation."""
    start = getattr(workspace, "start", None)
    return {"kind": "ray-git", "branch": branch, "changed": True, "commit": head, "base": start}

"""One provider call on a Ray worker: the CLI, its watchdogs and its raw events, streamed
back to the driver while it runs.

``run_provider_call`` is the body of a Ray streaming-generator task: it yields an empty
``EventBatch`` as soon as it starts, then batches as the provider prints, and one
``RemoteOutcome`` last. The provider runs
on an event loop of its own thread, so the task's thread stays free to stream; a
cancelled task (Ctrl-C on the driver) cancels that loop, and the provider stops its
process group as it does locally.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

from smolwf.cluster.checkout import Checkout, checked_out
from smolwf.cluster.wire import (
    Commits,
    EventBatch,
    GitCheckout,
    RemoteCall,
    RemoteFailure,
    RemoteOutcome,
    SharedDir,
)
from smolwf.errors import AgentCallError, FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentResult
from smolwf.providers.registry import create_provider

POLL_S = 0.25
"""How long the task's thread blocks at a time waiting for the provider (a cancelled task
is told between two waits); an event or the provider's end wakes it at once."""
STOP_GRACE_S = 30.0
"""How long a cancelled call may take to stop its processes before the task ends anyway."""

_Item = tuple[JSON, "str | None"]
_ENDED = None
"""Queued by the provider's thread when ``run`` returned or raised."""


def run_provider_call(call: RemoteCall) -> Iterator[EventBatch | RemoteOutcome]:
    """The Ray task: run ``call`` where this worker has it checked out, stream its events."""
    import ray

    node_id = ray.get_runtime_context().get_node_id()
    yield EventBatch(())  # started: the driver stops checking that a node can take it
    workspace = call.workspace
    if isinstance(workspace, SharedDir):
        attempt = _Attempt(call, workspace.path)
        yield from attempt.stream()
        yield RemoteOutcome(attempt.result, attempt.failure, None, node_id)
        return
    assert isinstance(workspace, GitCheckout)
    commits: Commits | None = None
    try:
        with checked_out(workspace, ray.get(workspace.base_bundle)) as checkout:
            attempt = _Attempt(call, checkout.cwd)
            yield from attempt.stream()
            commits = _commits(checkout, attempt)
    except ProviderError as error:  # the checkout itself failed: the call made no attempt
        yield RemoteOutcome(None, RemoteFailure.of(error), None, node_id)
        return
    yield RemoteOutcome(attempt.result, attempt.failure, commits, node_id)


def _commits(checkout: Checkout, attempt: _Attempt) -> Commits | None:
    try:
        return checkout.commits()
    except ProviderError as error:
        if attempt.failure is None:
            attempt.result, attempt.failure = None, RemoteFailure.of(error)
        return None


class _Attempt:
    """The provider's ``run`` on a thread with its own event loop, and what it ended with."""

    def __init__(self, call: RemoteCall, cwd: Path) -> None:
        self.call = call
        self.request = replace(call.request, cwd=cwd)
        self.result: AgentResult | None = None
        self.failure: RemoteFailure | None = None
        self._events: queue.Queue[_Item | None] = queue.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="smol-wf-provider", daemon=True)

    def stream(self) -> Iterator[EventBatch]:
        """Batches of events until the provider returns; stops it if the task is cancelled."""
        self._thread.start()
        try:
            ended = False
            while not ended:
                batch, ended = self._take()
                if batch:
                    yield EventBatch(tuple(batch))
        except BaseException:  # KeyboardInterrupt (ray.cancel) or GeneratorExit
            self._cancel()
            raise

    def _take(self) -> tuple[list[_Item], bool]:
        """The events queued now (waiting up to ``POLL_S`` for one), and whether the
        provider has ended."""
        batch: list[_Item] = []
        with contextlib.suppress(queue.Empty):
            item = self._events.get(timeout=POLL_S)
            while item is not _ENDED:
                batch.append(item)
                item = self._events.get_nowait()
            return batch, True
        return batch, False

    def _cancel(self) -> None:
        self._ready.wait()
        if self._loop is not None and self._task is not None:
            self._loop.call_soon_threadsafe(self._task.cancel)
        self._thread.join(STOP_GRACE_S)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        finally:
            self._events.put(_ENDED)

    async def _run(self) -> None:
        self._loop, self._task = asyncio.get_running_loop(), asyncio.current_task()
        self._ready.set()
        name = self.call.provider

        def forward(event: JSON, session_id: str | None) -> None:
            self._events.put((event, session_id))

        try:
            provider = create_provider(name, self.call.settings)
            result = await provider.run(self.request, forward)
            self.result = replace(result, raw=[])  # the driver has every event already
        except ProviderError as error:
            self.failure = RemoteFailure.of(error)
        except AgentCallError as error:
            self.failure = RemoteFailure.of(ProviderError(error.message, kind=FailureKind.CONFIG))
        except Exception as error:  # a provider bug fails the call, as it does locally
            message = f"{name} provider failed unexpectedly: {type(error).__name__}: {error}"
            self.failure = RemoteFailure.of(ProviderError(message))

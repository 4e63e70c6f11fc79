"""The executor seam: from a prepared call, ready to run, to its answer.

Between the agent kind (which keys, queues, records and settles calls) and the providers
sits one method, ``Executor.execute``. The local executor (``agent_call.LocalExecutor``)
runs retries around a provider chain around a structured-output loop in this process;
the Ray executor (``ray_executor.RayExecutor``) runs the same loop with every provider
call on a cluster, and reports each through the same ``CallContext``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from smolwf.engine.options import PreparedCall
from smolwf.errors import FailureKind
from smolwf.events.raw_sessions import RawSessions
from smolwf.jsontypes import JSON, JSONObject
from smolwf.providers.base import AgentResult, Provider
from smolwf.records import record
from smolwf.usage import Usage


@record
class Answer:
    """A successful call: the result and the provider of the chain that gave it."""

    provider: str
    result: AgentResult


class CallContext(Protocol):
    """Where one call runs and whom it tells about each provider call it makes."""

    @property
    def step_id(self) -> str: ...

    @property
    def cwd(self) -> Path: ...

    @property
    def who(self) -> str:
        """How messages name the call: its label, else its step id."""

    @property
    def raw_sessions(self) -> RawSessions | None: ...

    def record(
        self,
        provider: str,
        usage: Usage | None,
        outcome: str,
        model: str | None,
        kind: FailureKind | None = None,
    ) -> None:
        """One provider call ended: ``ok``, ``failed`` (``kind`` says why) or
        ``invalid-output``, with its cost."""

    def event(self, provider: str, event: JSON, session_id: str | None) -> None:
        """A raw provider event, live, with the session id known so far."""

    def provider(self, name: str) -> Provider:
        """The provider called ``name`` for this run, timed and with every usage priced."""

    def metered(self, name: str, provider: Provider) -> Provider:
        """``provider`` (a stand-in for ``name``, e.g. on a cluster) timed, priced and
        throttled the way ``provider(name)`` is."""

    def note_isolation(self, record: JSONObject) -> None:
        """Where the call's work went (a kept branch), for its result and its error."""

    def another_try(self) -> str | None:
        """Count one more try of the call against ``--max-agents``; the refusal when the
        run has none left."""


class Executor(Protocol):
    """Runs one prepared call to an answer, or raises ``AgentCallError``."""

    async def execute(self, call: PreparedCall, context: CallContext) -> Answer: ...

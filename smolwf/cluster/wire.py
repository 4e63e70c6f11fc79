"""What crosses the wire between the driver and a worker for one provider call.

Plain frozen dataclasses, pickled by Ray: a provider error is sent back as a
``RemoteFailure`` (exceptions with keyword fields do not survive pickling), and the
agent's work comes back as a git bundle, never as files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from smolwf.errors import FailureKind, ProviderError, ProviderUnavailable
from smolwf.jsontypes import JSON
from smolwf.permissions import Refusal
from smolwf.providers.base import AgentRequest, AgentResult, ProviderSettings
from smolwf.records import record
from smolwf.usage import Usage


@record
class SharedDir:
    """``shared`` mode: the worker sees the driver's path (NFS, one big box)."""

    path: Path


@record
class GitCheckout:
    """``git`` mode: the worker checks out ``start`` at ``subdir`` of a repository made
    from ``base_bundle`` (one object in the store per run) plus ``delta`` (commits of
    ``start`` the base lacks), and sends back what the agent committed."""

    base_bundle: Any
    """The ``ray.ObjectRef`` of a bundle of ``base``."""
    base: str
    start: str
    delta: bytes | None
    subdir: str
    message: str
    """The commit message of what the agent leaves (a local worktree's own)."""


Workspace = SharedDir | GitCheckout


@record
class RemoteCall:
    """One provider call, as a worker runs it: the registry's provider ``provider`` with the
    run's provider settings, the request (its ``cwd`` is the worker's to choose)."""

    provider: str
    settings: ProviderSettings
    request: AgentRequest
    workspace: Workspace


@record
class EventBatch:
    """Raw provider events that arrived together, each with the session id known then."""

    events: tuple[tuple[JSON, str | None], ...]


@record
class RemoteFailure:
    """A ``ProviderError`` in a picklable shape."""

    message: str
    kind: FailureKind
    usage: Usage | None
    session_id: str | None
    retry_after_s: float | None
    refusals: tuple[Refusal, ...]
    unavailable: bool

    @classmethod
    def of(cls, error: ProviderError) -> RemoteFailure:
        return cls(
            error.message,
            error.kind,
            error.usage,
            error.session_id,
            error.retry_after_s,
            error.refusals,
            isinstance(error, ProviderUnavailable),
        )

    def error(self) -> ProviderError:
        if self.unavailable:
            return ProviderUnavailable(self.message)
        return ProviderError(
            self.message,
            kind=self.kind,
            usage=self.usage,
            session_id=self.session_id,
            retry_after_s=self.retry_after_s,
            refusals=self.refusals,
        )


@record
class Commits:
    """What the agent committed on the worker: a bundle of ``head`` over the call's start."""

    head: str
    bundle: bytes


@record
class RemoteOutcome:
    """The last item of a call's stream: its result or failure, and the agent's commits."""

    result: AgentResult | None
    failure: RemoteFailure | None
    commits: Commits | None
    node_id: str

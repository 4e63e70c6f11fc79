"""Every user-facing error in one place: each class knows its exit code.

The CLI prints ``error: <message>`` for any ``SmolWfError`` and exits with its
``exit_code``; nothing else may reach the user as a traceback.
"""

from __future__ import annotations

from enum import StrEnum

from smolwf.permissions import Refusal
from smolwf.usage import Usage


class SmolWfError(Exception):
    """Base of every error smol-wf reports to a user.

    ``run_id`` names the run the failure was recorded on (its ``workflow.error`` event
    was emitted); ``hint`` is a second line the CLI prints after the error, e.g. how to
    resume that run.
    """

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
        self.run_id: str | None = None
        self.hint: str | None = None


class UsageError(SmolWfError):
    """Bad command line: unknown flag, bad value, unreadable args file."""

    exit_code = 2


class ScriptError(SmolWfError):
    """The workflow script cannot be started: missing file, bad meta, syntax, imports."""


class ScriptUnreadable(ScriptError):
    """There is no script to run: the path is missing, a directory, unreadable or not UTF-8.

    Unlike a script with bad meta or imports, no run is recorded for it."""


class WorkflowFailed(SmolWfError):
    """The workflow started and then failed (a throw, a rejected agent it awaited, a limit)."""


class WorkflowCancelled(SmolWfError):
    """The run was interrupted by a signal; it is marked cancelled and can be resumed."""

    def __init__(self, message: str = "workflow cancelled", *, exit_code: int = 130) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class WorkflowWaiting(SmolWfError):
    """Only a person can move the run on and ``--on-wait exit`` asked to stop: the run
    stays ``waiting``; answer its requests, then resume it."""

    exit_code = 3
    run_id: str
    """The run that waits (never None here)."""

    def __init__(self, run_id: str) -> None:
        super().__init__(f"workflow run {run_id} is waiting for an answer")
        self.run_id = run_id


class StoreError(SmolWfError):
    """The SQLite store is missing, foreign, newer than us, corrupt or locked."""


class RunStoppedByStore(StoreError):
    """A run stopped because its database refused a write; the message already says how
    to resume it, so no second resume line is printed."""


class ClusterError(SmolWfError):
    """The Ray executor cannot be used: Ray is not installed, the cluster cannot be
    reached, or none of its nodes offers what a call reserves."""


class AnswerRefused(SmolWfError):
    """An approval or signal cannot be given: the request is answered, timed out, unknown
    or its run ended, or a signal's payload does not match its schema."""


class FailureKind(StrEnum):
    """Why one provider call failed; decides whether a retry can help."""

    QUOTA = "quota"
    AUTH = "auth"
    TRANSIENT = "transient"
    INVALID_OUTPUT = "invalid-output"
    TIMEOUT = "timeout"
    CRASH = "crash"
    CONFIG = "config"
    REFUSED = "refused"
    """A tool use was refused and the call asked to fail on refusals (``onRefusal``)."""

    @property
    def retryable(self) -> bool:
        """Whether the same call can succeed if tried again (auth and config cannot)."""
        return self not in (FailureKind.AUTH, FailureKind.CONFIG, FailureKind.REFUSED)

    @property
    def falls_back(self) -> bool:
        """Whether a ``provider: [...]`` chain moves on to its next provider."""
        return self in (
            FailureKind.QUOTA,
            FailureKind.AUTH,
            FailureKind.TRANSIENT,
            FailureKind.CONFIG,
        )


class AgentCallError(Exception):
    """Rejects one ``agent()`` promise; the workflow decides whether that is fatal."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AgentOptionError(AgentCallError):
    """The options of an ``agent()`` call are invalid; no provider was called."""


class ProviderError(AgentCallError):
    """One provider call failed. ``usage`` carries what the failed call still cost."""

    def __init__(
        self,
        message: str,
        *,
        kind: FailureKind = FailureKind.CRASH,
        usage: Usage | None = None,
        session_id: str | None = None,
        retry_after_s: float | None = None,
        refusals: tuple[Refusal, ...] = (),
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.usage = usage
        self.session_id = session_id
        self.retry_after_s = retry_after_s
        """Seconds until a quota resets, when the provider said so."""
        self.refusals = refusals
        """Tool uses the CLI refused before the call failed."""


class ProviderUnavailable(ProviderError):
    """The provider cannot be started at all (its CLI is not installed): no call was made."""

    def __init__(self, message: str) -> None:
        super().__init__(message, kind=FailureKind.CONFIG)


class SandboxError(AgentCallError):
    """A sandbox provider could not start, answered with an error, or broke the protocol.

    ``code`` and ``retryable`` come from the provider's error answer when there was one.
    """

    def __init__(self, message: str, *, code: str | None = None, retryable: bool = False) -> None:
        super().__init__(message)
        self.code = code
        self.retryable = retryable

"""Sandboxes out of process: the ``workflow:sandbox`` exec and sandbox isolation for agents.

The engine uses ``sandbox_exec`` and ``open_sandbox``; providers are separate executables
(``smol-sandbox-<provider> serve``) speaking the JSONL protocol in ``protocol``.
"""

from smolwf.sandbox.exec import (
    ExecRequest,
    SandboxSession,
    open_sandbox,
    parse_exec_request,
    sandbox_exec,
)
from smolwf.sandbox.protocol import (
    ExecEvent,
    ExecEventSink,
    ExecResult,
    SandboxProfile,
    SandboxTimeouts,
)

__all__ = [
    "ExecEvent",
    "ExecEventSink",
    "ExecRequest",
    "ExecResult",
    "SandboxProfile",
    "SandboxSession",
    "SandboxTimeouts",
    "open_sandbox",
    "parse_exec_request",
    "sandbox_exec",
]

"""Every user-facing default in one place, so ``--help``, docs and code agree."""

from __future__ import annotations

import os

DEFAULT_PROVIDER = "debug"
"""The provider of ``agent()`` calls that name none (the registry lists them all)."""

JS_MEMORY_MIB = 256
"""QuickJS heap limit of a run (``--js-memory``), shared by the root and its children."""
JS_SLICE_TIMEOUT_S = 5.0
"""CPU seconds one synchronous JS slice may run before it is stopped (``--js-slice-timeout``)."""
JS_STACK_KIB = 1024
"""QuickJS stack limit (``--js-stack``)."""

SCRIPT_MAX_BYTES = 4 * 1024 * 1024
"""Largest workflow script smol-wf reads (the root's, a child's, one ``smol-wf check`` reads)."""

MAX_AGENTS_PER_RUN = 1000
"""``agent()`` calls one run may start (``--max-agents``), like Claude Code."""

MAX_WORKFLOW_DEPTH = 1
"""How deep ``workflow()`` calls nest (``--max-workflow-depth``): children, no grandchildren."""

SLEEP_MAX_MS = 365 * 24 * 60 * 60 * 1000
"""Longest ``sleep(ms)`` a workflow may request."""

PROMPT_PREVIEW_CHARS = 200


def default_max_parallel_agents() -> int:
    """min(16, max(2, cpus - 2)), like Claude Code; respects the CPU affinity mask."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cpus = os.cpu_count() or 2
    return min(16, max(2, cpus - 2))


SANDBOX_OPEN_TIMEOUT_S = 600.0
"""How long a sandbox provider may take to open a session (remote VMs can take minutes)."""
SANDBOX_CLOSE_TIMEOUT_S = 120.0
"""How long a sandbox provider may take to close a session or answer a control request."""
SANDBOX_STOP_GRACE_S = 10.0
"""After its stdin closes, how long a sandbox provider may exit in before SIGTERM, then SIGKILL."""
SANDBOX_MAX_MESSAGE_BYTES = 256 * 1024 * 1024
"""Longest JSONL line either side of the sandbox protocol accepts (base64 output included)."""

AGENT_TIMEOUT_S: float | None = None
"""Total time one provider call may take (``--agent-timeout``); none by default, since
real agent tasks legitimately run for hours."""
AGENT_IDLE_TIMEOUT_S: float | None = 600.0
"""How long a provider may print nothing before it is stopped (``--agent-idle-timeout``):
a hung model or CLI can never hang a run. Long silent tool runs may need more."""
SCHEMA_VALIDATION_LIMIT_S = 5.0
"""How long validating one structured output against its schema may take; a model's
output that costs more (a pattern that backtracks, a huge array) fails that call."""
MAX_QUOTA_WAIT_S = 900.0
"""The longest quota reset a ``retry`` waits for; a later reset fails the call at once
(a provider chain moves on instead)."""

VIEW_PORT = 8765
"""``smol-wf view``'s port on 127.0.0.1 (``--port``)."""

"""smol-wf: run sandboxed JavaScript workflows that orchestrate coding agents, durably.

The public Python API; everything else in the package is internal. Names load on first
use, so commands that do not run a workflow (``history``, ``--version``) start fast.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "run_workflow": "smolwf.api",
    "run_workflow_async": "smolwf.api",
    "RunConfig": "smolwf.engine.config",
    "RunReport": "smolwf.engine.report",
    "WorkflowRun": "smolwf.engine.run",
    "AnswerRefused": "smolwf.errors",
    "ScriptError": "smolwf.errors",
    "SmolWfError": "smolwf.errors",
    "StoreError": "smolwf.errors",
    "UsageError": "smolwf.errors",
    "WorkflowCancelled": "smolwf.errors",
    "WorkflowFailed": "smolwf.errors",
    "WorkflowWaiting": "smolwf.errors",
    "AgentRequest": "smolwf.providers.base",
    "AgentResult": "smolwf.providers.base",
    "Provider": "smolwf.providers.base",
    "Usage": "smolwf.usage",
}

__all__ = [
    "AgentRequest",
    "AgentResult",
    "AnswerRefused",
    "Provider",
    "RunConfig",
    "RunReport",
    "ScriptError",
    "SmolWfError",
    "StoreError",
    "Usage",
    "UsageError",
    "WorkflowCancelled",
    "WorkflowFailed",
    "WorkflowRun",
    "WorkflowWaiting",
    "__version__",
    "run_workflow",
    "run_workflow_async",
]

if TYPE_CHECKING:
    from smolwf.api import run_workflow, run_workflow_async
    from smolwf.engine.config import RunConfig
    from smolwf.engine.report import RunReport
    from smolwf.engine.run import WorkflowRun
    from smolwf.errors import (
        AnswerRefused,
        ScriptError,
        SmolWfError,
        StoreError,
        UsageError,
        WorkflowCancelled,
        WorkflowFailed,
        WorkflowWaiting,
    )
    from smolwf.providers.base import AgentRequest, AgentResult, Provider
    from smolwf.usage import Usage


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'smolwf' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

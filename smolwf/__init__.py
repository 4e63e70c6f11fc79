"""smol-wf: run sandboxed JavaScript workflows that orchestrate coding agents, durably.

The public Python API; everything else in the package is internal.
"""

from smolwf.api import run_workflow, run_workflow_async
from smolwf.engine.config import RunConfig
from smolwf.engine.run import RunReport, WorkflowRun
from smolwf.errors import (
    ScriptError,
    SmolWfError,
    StoreError,
    UsageError,
    WorkflowCancelled,
    WorkflowFailed,
)
from smolwf.providers.base import AgentRequest, AgentResult, Provider
from smolwf.usage import Usage

__version__ = "0.1.0"

__all__ = [
    "AgentRequest",
    "AgentResult",
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
    "__version__",
    "run_workflow",
    "run_workflow_async",
]

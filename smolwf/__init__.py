"""smol-wf: run sandboxed JavaScript workflows that orchestrate coding agents, durably.

The public Python API (``docs/python.md``); everything else in the package is internal.
Names load on first use, so commands that do not run a workflow (``history``,
``--version``) start fast. ``tests/test_public_api.py`` keeps ``__all__``, ``_EXPORTS``
and the ``TYPE_CHECKING`` imports in agreement.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "run_workflow": "smolwf.api",
    "run_workflow_async": "smolwf.api",
    "stream_workflow": "smolwf.api",
    "WorkflowStream": "smolwf.api",
    "answer": "smolwf.engine.answers",
    "AnswerOutcome": "smolwf.engine.answers",
    "RunConfig": "smolwf.engine.config",
    "RunReport": "smolwf.engine.report",
    "WorkflowRun": "smolwf.engine.run",
    "AnswerRefused": "smolwf.errors",
    "FailureKind": "smolwf.errors",
    "ProviderError": "smolwf.errors",
    "ScriptError": "smolwf.errors",
    "SmolWfError": "smolwf.errors",
    "StoreError": "smolwf.errors",
    "UsageError": "smolwf.errors",
    "WorkflowCancelled": "smolwf.errors",
    "WorkflowFailed": "smolwf.errors",
    "WorkflowWaiting": "smolwf.errors",
    "EventSink": "smolwf.events.sinks",
    "Event": "smolwf.events.types",
    "EventType": "smolwf.events.types",
    "Refusal": "smolwf.permissions",
    "AgentRequest": "smolwf.providers.base",
    "AgentResult": "smolwf.providers.base",
    "Provider": "smolwf.providers.base",
    "ProviderEventSink": "smolwf.providers.base",
    "ProviderSettings": "smolwf.providers.base",
    "Capabilities": "smolwf.providers.capabilities",
    "EffortLevels": "smolwf.providers.capabilities",
    "ModelRules": "smolwf.providers.capabilities",
    "SchemaMode": "smolwf.providers.capabilities",
    "Setting": "smolwf.providers.settings",
    "Decision": "smolwf.store.human",
    "HumanRequest": "smolwf.store.human",
    "Payload": "smolwf.store.human",
    "Reply": "smolwf.store.human",
    "Usage": "smolwf.usage",
}

__all__ = [
    "AgentRequest",
    "AgentResult",
    "AnswerOutcome",
    "AnswerRefused",
    "Capabilities",
    "Decision",
    "EffortLevels",
    "Event",
    "EventSink",
    "EventType",
    "FailureKind",
    "HumanRequest",
    "ModelRules",
    "Payload",
    "Provider",
    "ProviderError",
    "ProviderEventSink",
    "ProviderSettings",
    "Refusal",
    "Reply",
    "RunConfig",
    "RunReport",
    "SchemaMode",
    "ScriptError",
    "Setting",
    "SmolWfError",
    "StoreError",
    "Usage",
    "UsageError",
    "WorkflowCancelled",
    "WorkflowFailed",
    "WorkflowRun",
    "WorkflowStream",
    "WorkflowWaiting",
    "__version__",
    "answer",
    "run_workflow",
    "run_workflow_async",
    "stream_workflow",
]

if TYPE_CHECKING:
    from smolwf.api import WorkflowStream, run_workflow, run_workflow_async, stream_workflow
    from smolwf.engine.answers import AnswerOutcome, answer
    from smolwf.engine.config import RunConfig
    from smolwf.engine.report import RunReport
    from smolwf.engine.run import WorkflowRun
    from smolwf.errors import (
        AnswerRefused,
        FailureKind,
        ProviderError,
        ScriptError,
        SmolWfError,
        StoreError,
        UsageError,
        WorkflowCancelled,
        WorkflowFailed,
        WorkflowWaiting,
    )
    from smolwf.events.sinks import EventSink
    from smolwf.events.types import Event, EventType
    from smolwf.permissions import Refusal
    from smolwf.providers.base import (
        AgentRequest,
        AgentResult,
        Provider,
        ProviderEventSink,
        ProviderSettings,
    )
    from smolwf.providers.capabilities import Capabilities, EffortLevels, ModelRules, SchemaMode
    from smolwf.providers.settings import Setting
    from smolwf.store.human import Decision, HumanRequest, Payload, Reply
    from smolwf.usage import Usage


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'smolwf' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value

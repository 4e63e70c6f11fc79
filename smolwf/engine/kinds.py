"""The request kinds a script can send, and the one registration that routes them.

Each kind lives in its own module (``agents``, ``children``, ``timers``, ``human``,
``messages``) with its handler and, when its work ends later, its typed completion. A new
kind is a new module plus one line in ``register``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from smolwf.engine.agents import Agents
from smolwf.engine.children import Children
from smolwf.engine.context import RunContext
from smolwf.engine.executor import Executor
from smolwf.engine.human import Human
from smolwf.engine.lookup import Lookup
from smolwf.engine.messages import Messages
from smolwf.engine.scope import Scope
from smolwf.engine.timers import Timers
from smolwf.js.requests import (
    AgentCall,
    ApprovalCall,
    ExecCall,
    JsRequest,
    LogEvent,
    PhaseEvent,
    SignalCall,
    SleepCall,
    WarningEvent,
    WorkflowCall,
)
from smolwf.records import record
from smolwf.store.human import HumanRequests

if TYPE_CHECKING:
    from smolwf.engine.cassettes import CassetteRecorder

Handler = Callable[[Scope, Any], None]


@record
class Kinds:
    """The handlers of one run; the loop reaches agents (slots), children (polls) and the
    requests to a person (what is left when a run stops to wait) too."""

    agents: Agents
    children: Children
    human: Human
    handlers: dict[type[JsRequest], Handler]

    def handle(self, scope: Scope, request: JsRequest) -> None:
        self.handlers[type(request)](scope, request)


def register(
    ctx: RunContext,
    executor: Executor,
    lookup: Lookup,
    requests: HumanRequests,
    recorder: CassetteRecorder | None = None,
) -> Kinds:
    agents, children = Agents(ctx, executor, lookup, recorder), Children(ctx)
    timers, messages, human = Timers(ctx), Messages(ctx), Human(ctx, lookup, requests)
    handlers: dict[type[JsRequest], Handler] = {
        AgentCall: agents.request,
        WorkflowCall: children.request,
        SleepCall: timers.sleep,
        ExecCall: timers.exec,
        ApprovalCall: human.approval,
        SignalCall: human.signal,
        PhaseEvent: messages.phase,
        LogEvent: messages.log,
        WarningEvent: messages.warning,
    }
    return Kinds(agents, children, human, handlers)

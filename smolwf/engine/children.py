"""``workflow()``: child workflows, each a scope polled by the same loop as its parent.

A child is checkpointed as a ``workflow`` step keyed by what the parent asked (the
reference and the args); a resumed run replays a finished child from its stored result.
Children run concurrently with their parent and each other; their spend rolls up.
"""

from __future__ import annotations

import os
from pathlib import Path

import anyio

from smolwf import defaults
from smolwf.clock import now_ms, rfc3339_now
from smolwf.engine.caps import js_budget_total
from smolwf.engine.context import RunContext
from smolwf.engine.keys import workflow_key
from smolwf.engine.scope import Scope
from smolwf.errors import ScriptError, WorkflowFailed
from smolwf.events.types import EventType
from smolwf.ids import new_id
from smolwf.js.host import JsHost, JsPoll
from smolwf.js.requests import WorkflowCall
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.script.discovery import WORKFLOW_DIRS, LookupFailed, find_by_name, workflow_root
from smolwf.script.reading import size_limit_text
from smolwf.script.source import PreparedScript, load_script
from smolwf.store.batch import StepEnd
from smolwf.store.runs import StepRecord, dumps
from smolwf.usage import ZERO_USAGE, Usage

MODULE_PREFIXES = ("workflow module evaluation rejected: ", "workflow module rejected: ")


@record
class ChildLoaded:
    """A ``workflow()`` call's script was read (or could not be: the message)."""

    children: Children
    scope: Scope
    request: WorkflowCall
    found: PreparedScript | str

    def apply(self) -> None:
        if isinstance(self.found, str):
            self.scope.settle(self.request.id, False, self.found, None)
        elif self.scope.open:
            self.children.loaded(self.scope, self.request, self.found)


class Children:
    """The ``workflow`` request kind of one run."""

    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    @property
    def unfinished(self) -> int:
        return len(self.ctx.scopes) - 1

    def request(self, scope: Scope, request: WorkflowCall) -> None:
        depth = scope.depth + 1
        limit = self.ctx.config.max_workflow_depth
        if depth > limit:
            message = (
                "Nested workflow() calls are limited to one level"
                if limit == 1
                else f"Nested workflow() calls are limited to {limit} levels (--max-workflow-depth)"
            )
            scope.settle(request.id, False, message, None)
            return
        self.ctx.spawn(self._load, scope, request)

    async def _load(self, scope: Scope, request: WorkflowCall) -> None:
        """Find and read the child's script on a worker thread: a path may name anything."""
        found: PreparedScript | str
        try:
            found = await anyio.to_thread.run_sync(self._script_of, scope, request.ref)
        except (LookupFailed, ScriptError) as error:
            found = str(error)
        self.ctx.pending.post(ChildLoaded(self, scope, request, found))

    def loaded(self, scope: Scope, request: WorkflowCall, script: PreparedScript) -> None:
        """The child's script is ready: replay its stored result, or start it."""
        checkpoint = scope.occurrences.checkpoint(
            workflow_key(scope=scope.key, ref=request.ref, args=request.args)
        )
        stored = self.ctx.checkpoints.get(checkpoint)
        if stored is not None and stored.result is not None:
            self._replay(scope, request, script, stored)
            return
        self._start(scope, request, script, checkpoint, stored)

    def _script_of(self, scope: Scope, ref: str | JSONObject) -> PreparedScript:
        root = workflow_root(self.ctx.cwd)
        if not isinstance(ref, dict):
            return load_script(find_by_name(ref, root))
        given = str(ref.get("scriptPath"))
        path = Path(os.path.normpath(scope.script.path.parent / given))  # lexical: no lookups
        try:
            return load_script(path)
        except ScriptError:
            known = (scope.script.path.parent, *(root / folder for folder in WORKFLOW_DIRS))
            if any(path.is_relative_to(folder) for folder in known):
                raise
        # Elsewhere, whether the path exists is not the script's (or a model's) business.
        shown = given.replace("\0", "\\0")
        raise ScriptError(
            f"workflow script {shown} cannot be run: it is not a readable workflow script of "
            f"at most {size_limit_text()} (outside the workflow's directory, "
            f"{', '.join(WORKFLOW_DIRS)} no reason is given; `smol-wf check {shown}` says why)"
        )

    def _replay(
        self, scope: Scope, request: WorkflowCall, script: PreparedScript, stored: StepRecord
    ) -> None:
        emitter = self.ctx.emitter
        result = stored.result or {}
        usage_json = result.get("usage")
        usage = Usage.from_json(usage_json) if isinstance(usage_json, dict) else ZERO_USAGE
        started = _started(scope, script)
        started["replayed"] = True
        emitter.emit(EventType.STARTED, started, depth=scope.depth + 1, parent=stored.step_id)
        emitter.emit(
            EventType.RESULT,
            {"tokenUsage": usage.report_json(), "results": result.get("output"), "replayed": True},
            depth=scope.depth + 1,
            parent=stored.step_id,
        )
        scope.spent.add(usage)
        spent = self.ctx.budget.charge(usage.output_tokens)
        scope.settle(request.id, True, result.get("output"), spent)

    def _start(
        self,
        scope: Scope,
        request: WorkflowCall,
        script: PreparedScript,
        checkpoint: str,
        stored: StepRecord | None,
    ) -> None:
        ctx = self.ctx
        step_id = stored.step_id if stored is not None else new_id("step")
        ctx.start_step(
            scope,
            step_id,
            checkpoint,
            "workflow",
            dumps({"ref": request.ref, "args": request.args, "scriptPath": str(script.path)}),
            label=script.meta.name,
        )
        host = JsHost(script, ctx.js_limits, display_path=script.path.name)
        child = Scope(
            f"{scope.key}/{checkpoint}",
            scope.depth + 1,
            script,
            host,
            parent=scope,
            parent_request=request.id,
            step_id=step_id,
            answering=scope.answering,
        )
        ctx.emit(child, EventType.STARTED, _started(scope, script))
        try:
            host.limit_memory(ctx.memory.limit_for(child, [*ctx.scopes, child]))
            host.begin_start(
                args=request.args,
                args_undefined=script.form == "claude-code" and not request.args_given,
                budget_total=js_budget_total(ctx.config.budget_allowance, ctx.caps),
                budget_spent=ctx.budget.spent,
                sleep_max_ms=defaults.SLEEP_MAX_MS,
            )
            host.wait_started()
        except WorkflowFailed as error:
            self._failed(child, error.message)
            return
        ctx.scopes.append(child)
        ctx.memory.note(child, host.memory_used())

    def finished(self, child: Scope, poll: JsPoll) -> None:
        """The child's script ended (its last poll said so): settle the parent's promise."""
        if poll.status != "done":
            self._failed(child, poll.error or "workflow failed")
            return
        spent = child.spent.usage()
        self.ctx.emit(
            child, EventType.RESULT, {"tokenUsage": spent.report_json(), "results": poll.result}
        )
        result = {"output": poll.result, "usage": spent.to_json()}
        end = StepEnd("completed", now_ms(), dumps(result))
        self._end(child, end, ok=True, value=poll.result)

    def _failed(self, child: Scope, message: str) -> None:
        self.ctx.emit(child, EventType.ERROR, {"message": message})
        end = StepEnd("failed", now_ms(), None, dumps({"message": message}))
        detail = message
        for prefix in MODULE_PREFIXES:
            if detail.startswith(prefix):
                detail = detail[len(prefix) :]
        self._end(child, end, ok=False, value=f"workflow {child.script.meta.name} failed: {detail}")

    def _end(self, child: Scope, end: StepEnd, *, ok: bool, value: JSON) -> None:
        """Close the child's JS, record its step, roll its spend up, settle the parent."""
        child.open = False
        self.ctx.memory.forget(child)
        if child in self.ctx.scopes:
            self.ctx.scopes.remove(child)
        child.host.close()
        parent = child.parent
        assert parent is not None and child.parent_request is not None and child.step_id is not None
        self.ctx.end_step(child.step_id, end)
        parent.spent.add(child.spent)
        parent.settle(child.parent_request, ok, value, self.ctx.budget.spent)


def _started(caller: Scope, script: PreparedScript) -> JSONObject:
    """A child's ``workflow.started`` data; ``callerStepId`` names the calling child."""
    data: JSONObject = {"startTime": rfc3339_now(), "name": script.meta.name}
    if caller.step_id is not None:
        data["callerStepId"] = caller.step_id
    return data

"""One run of a workflow: opening the store, resolving resume inputs, starting the root.

The turns themselves live in ``engine/loop.py``; this module builds what they share
(``RunContext``) and hands the loop a ``Cancellation`` rather than itself.
"""

from __future__ import annotations

import contextlib
import shlex
import sys
from contextlib import AbstractAsyncContextManager, nullcontext
from pathlib import Path

import anyio

from smolwf import defaults
from smolwf.clock import rfc3339_now
from smolwf.engine.agent_call import LocalExecutor
from smolwf.engine.budget import Budget
from smolwf.engine.cancel import Cancellation
from smolwf.engine.caps import BudgetCaps, js_budget_total
from smolwf.engine.config import RunConfig, ray_settings, with_meta_executor
from smolwf.engine.context import RunContext
from smolwf.engine.emitter import Emitter
from smolwf.engine.executor import Executor
from smolwf.engine.kinds import register
from smolwf.engine.loop import Loop
from smolwf.engine.memory import MemoryBudget
from smolwf.engine.processes import RunProcesses, stop_leftovers
from smolwf.engine.rate_limits import rate_limits
from smolwf.engine.report import RunReport
from smolwf.engine.resume import args_given, recorded_params, resume_config
from smolwf.engine.reuse import (
    Reuse,
    cassette_recorder,
    check_reuse_flags,
    lookup_chain,
    prepare_reuse,
)
from smolwf.engine.scope import Scope
from smolwf.errors import (
    ScriptError,
    ScriptUnreadable,
    SmolWfError,
    StoreError,
    UsageError,
    WorkflowFailed,
)
from smolwf.events.sinks import EventSink, JsonlSink, PlainProgressSink
from smolwf.events.types import EventType
from smolwf.ids import new_id
from smolwf.js.host import JsHost, JsLimits
from smolwf.jsontypes import JSONObject
from smolwf.process_group import group_watcher
from smolwf.script.source import PreparedScript, load_script
from smolwf.store.batch import WriteBatch
from smolwf.store.db import connect
from smolwf.store.human import HumanRequests
from smolwf.store.paths import default_db_path, ensure_directory
from smolwf.store.runs import FORK_PARAM, Attempt, RunRecord, RunStore, ScriptIdentity

__all__ = ["RunReport", "WorkflowRun"]


class WorkflowRun:
    """Executes one ``RunConfig``; ``cancel()`` may be called from a signal handler task."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.run_id: str | None = None
        self.cancellation = Cancellation()

    def cancel(self, exit_code: int = 130) -> None:
        """Stop the run: in-flight calls are cancelled, the run is marked cancelled."""
        self.cancellation.cancel(exit_code)

    async def execute(self) -> RunReport:
        """Run to the end. A failure after the run was recorded carries its ``run_id``:
        the run is marked failed or cancelled and its ``workflow.error`` was emitted."""
        check_reuse_flags(self.config)
        store = self._open_store()
        try:
            record, notes = self._inputs_of(store, self.config.resume_run_id)
            source, fork_notes = self._inputs_of(store, self.config.fork_run_id)
            notes += fork_notes
            if self.config.script_path is None:
                raise UsageError(
                    "missing workflow script: pass a script path, --resume-run or --fork-run"
                )
            reuse = prepare_reuse(self.config, store, record)
            try:
                script = load_script(self.config.script_path)
            except ScriptUnreadable:
                raise
            except ScriptError as error:
                attempt = self._attempt(store, record, None, reuse)
                raise self._unstartable(store, attempt, error) from None
            if record is not None:
                notes += refuse_replacing_result(record, script)
            elif source is not None and source.script_sha256 not in ("", script.sha256):
                notes.append("the script changed since the run was recorded")
            self.config = with_meta_executor(self.config, script.meta.raw.get("executor"))
            notes += reuse.notes
            async with self._executor() as executor:  # a cluster that cannot be joined: no run
                return await self._execute(script, store, record, notes, reuse, executor)
        finally:
            store.close()

    # ---- set-up ----------------------------------------------------------

    def _open_store(self) -> RunStore:
        path = self.config.db_path
        if path is None:
            path = default_db_path()
            ensure_directory(path.parent)
        return RunStore(connect(path, create=True), path)

    def _inputs_of(self, store: RunStore, run_id: str | None) -> tuple[RunRecord | None, list[str]]:
        """The run resumed or forked, whose inputs this run takes unless the caller sets them."""
        if run_id is None:
            return None, []
        record = store.find_run(run_id)
        if record is None:
            raise StoreError(f"workflow run {run_id} was not found in {store.path}; check --db")
        self.config, notes = resume_config(self.config, record)
        return record, notes

    def _attempt(
        self,
        store: RunStore,
        record: RunRecord | None,
        script: PreparedScript | None,
        reuse: Reuse,
    ) -> Attempt:
        """Create the run (a fork names its source), or open a new attempt of the resumed
        one (taking its script)."""
        identity = _identity(script) if script is not None else None
        if record is not None:
            attempt = store.resume_run(record.run_id, script=identity)
            stop_leftovers(store, record.run_id)  # before any new agent starts
        else:
            attempt = store.create_run(self._record(identity, reuse), meta=_meta(script))
        self.run_id = attempt.run_id
        return attempt

    def _unstartable(self, store: RunStore, attempt: Attempt, error: SmolWfError) -> SmolWfError:
        """Record a run that failed before its script ran: ``workflow.started``, then
        ``workflow.error``, the run marked failed (the reference does the same)."""
        batch = WriteBatch(attempt.run_id, attempt.attempt_id)
        emitter = self._emitter(store, attempt, batch)
        emitter.emit(EventType.STARTED, {"startTime": rfc3339_now()})
        emitter.emit(EventType.ERROR, {"message": error.message, "status": "failed"})
        store.finish_run(attempt, "failed", error=error.message, batch=batch)
        emitter.release()
        error.run_id = attempt.run_id
        return error

    def _executor(self) -> AbstractAsyncContextManager[Executor]:
        """Where provider calls run; the Ray executor joins its cluster on entry."""
        config = self.config
        if config.executor != "ray":
            return nullcontext(LocalExecutor())
        from smolwf.engine.ray_executor import ray_executor  # ray loads only when asked for

        cwd = config.cwd or Path.cwd()
        return ray_executor(
            ray_settings(config),
            cwd,
            config.settings_for_providers(),
            config.providers,
            config.debug_log,
        )

    async def _execute(
        self,
        script: PreparedScript,
        store: RunStore,
        record: RunRecord | None,
        notes: list[str],
        reuse: Reuse,
        executor: Executor,
    ) -> RunReport:
        config = self.config
        caps = BudgetCaps.from_sources(
            script.meta.raw.get("budget"),
            output=config.max_output_tokens,
            total=config.max_total_tokens,
            usd=config.max_cost_usd,
        )
        throttled = rate_limits(
            script.meta.raw.get("rateLimits"), config.provider_concurrency, config.provider_rpm
        )
        limits = self.js_limits()
        attempt = self._attempt(store, record, script, reuse)
        host = JsHost(script, limits, display_path=config.display_path or script.path.name)
        try:
            host.begin_start(
                args=config.args,
                args_undefined=script.form == "claude-code" and not args_given(config),
                budget_total=js_budget_total(config.budget_allowance, caps),
                sleep_max_ms=defaults.SLEEP_MAX_MS,
            )
            ctx = self._context(store, attempt, caps, limits)  # a resume loads its steps
            host.wait_started()
        except WorkflowFailed as error:
            host.close()
            raise self._unstartable(store, attempt, error) from None
        except BaseException:
            host.close()
            raise
        if config.debug_log is not None:
            config.debug_log(
                f"run_workflow start script={script.path} provider={config.provider} "
                f"nesting_depth=0 budget_total={config.budget_allowance} budget_spent=0 "
                f"run_id={attempt.run_id}"
            )
        ctx.rate_limits = throttled
        note = None
        if notes:
            what = (
                f"resuming {attempt.run_id}"
                if record is not None
                else f"forking {config.fork_run_id}"
            )
            note = f"{what} with different inputs: " + "; ".join(notes)
        root = Scope("root", 0, script, host)
        lookup = lookup_chain(reuse, config, store, attempt.run_id, ctx.checkpoints)
        recorder = cassette_recorder(reuse, config)
        requests = HumanRequests(store.conn, store.path)
        kinds = register(ctx, executor, lookup, requests, recorder)
        loop = Loop(ctx, store, root, kinds, self.cancellation, resume_note=note)
        watching = group_watcher.set(RunProcesses(ctx.batch, ctx.pending))
        try:
            report = await loop.run()
        except BaseException as error:
            if isinstance(error, SmolWfError):
                error.run_id = attempt.run_id  # the loop marked the run and emitted its end
            if recorder is not None:
                with contextlib.suppress(StoreError):  # the run's own failure is the one to say
                    recorder.write()
            raise
        finally:
            with anyio.CancelScope(shield=True):
                await kinds.agents.close_providers()
            group_watcher.reset(watching)
        if recorder is not None:
            recorder.write()
        return report

    def _context(
        self, store: RunStore, attempt: Attempt, caps: BudgetCaps, limits: JsLimits
    ) -> RunContext:
        config = self.config
        batch = WriteBatch(attempt.run_id, attempt.attempt_id)
        emitter = self._emitter(store, attempt, batch)
        return RunContext(
            config=config,
            attempt=attempt,
            batch=batch,
            emitter=emitter,
            cwd=config.cwd or Path.cwd(),
            js_limits=limits,
            checkpoints=store.load_steps(attempt.run_id),
            budget=Budget(config.budget_allowance),
            caps=caps,
            spent_before=store.ledger_total(attempt.run_id),
            memory=MemoryBudget(limits.memory_mib * 1024 * 1024),
        )

    def _emitter(self, store: RunStore, attempt: Attempt, batch: WriteBatch) -> Emitter:
        return Emitter(
            run_id=attempt.run_id,
            attempt_id=attempt.attempt_id,
            first_seq=store.next_event_seq(attempt.run_id),
            sinks=self._sinks(),
            batch=batch,
        )

    def _sinks(self) -> list[EventSink]:
        c = self.config
        if c.events_stream is not None:
            return [JsonlSink(c.events_stream), *c.sinks]
        if c.sinks and c.progress_stream is None:
            return list(c.sinks)
        return [PlainProgressSink(c.progress_stream or sys.stderr), *c.sinks]

    def js_limits(self) -> JsLimits:
        c = self.config
        return JsLimits(
            memory_mib=c.js_memory_mib,
            slice_timeout_s=c.js_slice_timeout_s,
            stack_kib=c.js_stack_kib,
        )

    def _record(self, identity: ScriptIdentity | None, reuse: Reuse) -> RunRecord:
        c = self.config
        params = recorded_params(c)
        if reuse.fork is not None:
            params[FORK_PARAM] = reuse.fork.to_json()
        path = str(_absolute(c.script_path)) if c.script_path is not None else ""
        return RunRecord(
            new_id("run"),
            identity.name if identity is not None else "",
            identity.path if identity is not None else path,
            "running",
            c.args,
            params,
            identity.sha256 if identity is not None else "",
        )


def refuse_replacing_result(record: RunRecord, script: PreparedScript) -> list[str]:
    """Notes on a resume with another script; refused when the run already completed, as
    its result and metadata would be replaced by those of a different script."""
    moved = str(script.path) != record.script_path
    edited = record.script_sha256 not in ("", script.sha256)
    if record.status == "completed" and (moved or edited):
        what = f"with {script.path}" if moved else f"after {script.path} changed"
        raise UsageError(
            f"run {record.run_id} already completed; resuming it {what} would replace its "
            f"result; start a new run, or fork it: smol-wf run {shlex.quote(str(script.path))} "
            f"--fork-run {record.run_id}"
        )
    return ["the script changed since the run was recorded"] if edited else []


def _identity(script: PreparedScript) -> ScriptIdentity:
    return ScriptIdentity(str(script.path), script.sha256, script.meta.name, script.meta.to_json())


def _meta(script: PreparedScript | None) -> JSONObject:
    return script.meta.to_json() if script is not None else {}


def _absolute(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()

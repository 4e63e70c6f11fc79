"""One run of a workflow: opening the store, resolving resume inputs, starting the root.

The loop itself lives in ``engine/driver.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import anyio

from smolwf import defaults
from smolwf.engine.caps import BudgetCaps, js_budget_total
from smolwf.engine.config import RunConfig
from smolwf.engine.driver import Driver
from smolwf.engine.resume import recorded_params, resume_config
from smolwf.errors import (
    StoreError,
    UsageError,
)
from smolwf.ids import new_id
from smolwf.js.host import JsHost, JsLimits
from smolwf.jsontypes import JSON, JSONObject
from smolwf.script.source import PreparedScript, load_script
from smolwf.store.db import connect
from smolwf.store.paths import default_db_path
from smolwf.store.runs import (
    RunRecord,
    RunStore,
)
from smolwf.usage import Usage


@dataclass(frozen=True, slots=True)
class RunReport:
    """The outcome of a successful run, as ``smol-wf run`` prints it."""

    run_id: str
    token_usage: Usage
    result: JSON

    def to_json(self) -> JSONObject:
        return {
            "tokenUsage": self.token_usage.report_json(),
            "runID": self.run_id,
            "results": self.result,
        }


class WorkflowRun:
    """Executes one ``RunConfig``; ``cancel()`` may be called from a signal handler task."""

    def __init__(self, config: RunConfig) -> None:
        self.config = config
        self.run_id: str | None = None
        self.cancel_scope: anyio.CancelScope | None = None
        """Set by the driver while it runs (a scope needs a running event loop)."""
        self.cancel_exit_code: int | None = None

    def cancel(self, exit_code: int = 130) -> None:
        """Stop the run: in-flight calls are cancelled, the run is marked cancelled."""
        if self.cancel_exit_code is None:
            self.cancel_exit_code = exit_code
        if self.cancel_scope is not None:
            self.cancel_scope.cancel()

    async def execute(self) -> RunReport:
        store = self._open_store()
        try:
            record, notes = self._resume_inputs(store)
            if self.config.script_path is None:
                raise UsageError(
                    "missing workflow script: pass a script path or --resume-run RUN_ID"
                )
            script = load_script(self.config.script_path)
            if record is not None and record.script_sha256 not in ("", script.sha256):
                notes.append("the script changed since the run was recorded")
            return await self._execute(script, store, record, notes)
        finally:
            store.conn.close()

    def debug(self, line: str) -> None:
        if self.config.debug_log is not None:
            self.config.debug_log(line)

    # ---- set-up ----------------------------------------------------------

    def _open_store(self) -> RunStore:
        path = self.config.db_path
        if path is None:
            path = default_db_path()
            path.parent.mkdir(parents=True, exist_ok=True)
        return RunStore(connect(path, create=True), path)

    def _resume_inputs(self, store: RunStore) -> tuple[RunRecord | None, list[str]]:
        run_id = self.config.resume_run_id
        if run_id is None:
            return None, []
        record = store.find_run(run_id)
        if record is None:
            raise StoreError(f"workflow run {run_id} was not found in {store.path}; check --db")
        self.config, notes = resume_config(self.config, record)
        return record, notes

    async def _execute(
        self, script: PreparedScript, store: RunStore, record: RunRecord | None, notes: list[str]
    ) -> RunReport:
        config = self.config
        caps = BudgetCaps.from_sources(
            script.meta.raw.get("budget"),
            output=config.max_output_tokens,
            total=config.max_total_tokens,
            usd=config.max_cost_usd,
        )
        host = JsHost(script, self.limits(), display_path=self._display_path(script))
        host.start(
            args=config.args,
            budget_total=js_budget_total(config.budget_allowance, caps),
            sleep_max_ms=defaults.SLEEP_MAX_MS,
        )
        if record is not None:
            attempt = store.resume_run(record.run_id)
        else:
            attempt = store.create_run(self._record(script), meta=script.meta.to_json())
        self.run_id = attempt.run_id
        self.debug(
            f"run_workflow start script={script.path} provider={config.provider} nesting_depth=0 "
            f"budget_total={config.budget_allowance} budget_spent=0 run_id={attempt.run_id}"
        )
        driver = Driver(self, script, store, host, attempt, caps)
        if notes:
            driver.resume_note = f"resuming {attempt.run_id} with different inputs: " + "; ".join(
                notes
            )
        return await driver.run()

    def limits(self) -> JsLimits:
        c = self.config
        return JsLimits(
            memory_mib=c.js_memory_mib,
            slice_timeout_s=c.js_slice_timeout_s,
            stack_kib=c.js_stack_kib,
        )

    def _display_path(self, script: PreparedScript) -> str:
        return self.config.display_path or script.path.name

    def _record(self, script: PreparedScript) -> RunRecord:
        c = self.config
        params = recorded_params(c, c.cwd or Path.cwd())
        return RunRecord(
            new_id("run"),
            script.meta.name,
            str(script.path),
            "running",
            c.args,
            params,
            script.sha256,
        )

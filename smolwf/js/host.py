"""One QuickJS context running one workflow script, driven slice by slice from Python.

The binding cannot call Python while a time limit is set, so the direction is one
way: Python runs a JS slice (module evaluation, a settle, the pending jobs), then
drains the outbox of requests the script queued. Nothing the script can reach
leads to the host; every value crossing the boundary is JSON text.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from importlib import resources
from typing import Any

import quickjs

from smolwf.errors import WorkflowFailed
from smolwf.js.requests import HostProtocolError, JsRequest, parse_requests
from smolwf.jsontypes import JSON, JSONObject
from smolwf.script.source import PreparedScript

_PRELUDE_LINE_OFFSET = 100_000
"""QuickJS names every script ``<input>``; the prelude starts this far down so its stack
frames can be told apart from the user's and left out of error messages."""
_PRELUDE = "\n" * _PRELUDE_LINE_OFFSET + resources.files("smolwf.js").joinpath(
    "prelude.js"
).read_text(encoding="utf-8")
_FRAME = re.compile(r"^\s+at .*\((?:<input>:(\d+):\d+|native)\)$")
_BOOT_MODULE = "import * as ns from '<input>'; globalThis.__smolwf_namespace = ns;"
_MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class JsLimits:
    """Resource limits of one context; each failure names its flag."""

    memory_mib: int
    slice_timeout_s: float
    stack_kib: int


@dataclass(frozen=True, slots=True)
class JsPoll:
    """What one slice produced: queued requests and where the workflow stands."""

    requests: list[JsRequest]
    status: str
    pending: int
    result: JSON = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


Settlement = tuple[int, bool, JSON, int | None]
"""(request id, ok, value or error message, budget spent after it, if changed)."""


class JsHost:
    """Owns the QuickJS context of one workflow scope; not thread-safe, use from one thread."""

    def __init__(self, script: PreparedScript, limits: JsLimits, *, display_path: str) -> None:
        self._script = script
        self._limits = limits
        self._display_path = display_path
        self._context = quickjs.Context()
        self._context.set_memory_limit(limits.memory_mib * _MIB)
        self._context.set_max_stack_size(limits.stack_kib * 1024)
        self._context.set_time_limit(limits.slice_timeout_s)
        self._dispatch: Any = None
        self._booted = False

    def start(self, *, args: JSONObject, budget_total: int | None, sleep_max_ms: int) -> None:
        """Install the globals, then declare the module and run its synchronous top level."""
        config = {"args": args, "budgetTotal": budget_total, "sleepMaxMs": sleep_max_ms}
        self._dispatch = self._guard(lambda: self._context.eval(_PRELUDE))
        self._call("install", json.dumps(config))
        try:
            evaluation = self._context.module(self._script.module_source)
        except quickjs.JSException as error:
            raise self._start_error(error) from None
        self._call("watch", evaluation)

    def poll(self) -> JsPoll:
        """Run pending jobs, start the default export once the module is evaluated, drain."""
        self._run_jobs()
        status = self._status()
        if status == "evaluated" and not self._booted:
            self._booted = True
            self._guard(lambda: self._context.module(_BOOT_MODULE))
            self._call("boot", None)
            self._run_jobs()
        data = json.loads(self._call("poll", None))
        try:
            requests = parse_requests(data["out"])
        except HostProtocolError as error:
            raise WorkflowFailed(f"workflow host protocol error: {error}") from None
        error_text = data.get("error")
        return JsPoll(
            requests=requests,
            status=data["status"],
            pending=data["pending"],
            result=data.get("result"),
            error=self.render(error_text) if isinstance(error_text, str) else None,
        )

    def settle(self, settlements: list[Settlement]) -> None:
        """Resolve or reject host promises in JS; follow-up work surfaces on the next poll."""
        if settlements:
            self._call("settle", json.dumps([list(item) for item in settlements]))

    def memory_used(self) -> int:
        used: int = self._context.memory()["memory_used_size"]
        return used

    # ---- internals ---------------------------------------------------------

    def _status(self) -> str:
        return str(self._call("status", None))

    def _call(self, op: str, arg: Any) -> Any:
        return self._guard(lambda: self._dispatch(op, arg))

    def _run_jobs(self) -> None:
        deadline = time.process_time() + self._limits.slice_timeout_s
        while self._guard(self._context.execute_pending_job):
            if time.process_time() > deadline:
                raise WorkflowFailed(self._timeout_message())

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except quickjs.JSException as error:
            raise self._runtime_error(error) from None

    def _runtime_error(self, error: Exception) -> WorkflowFailed:
        text = str(error).strip()
        if "InternalError: interrupted" in text:
            return WorkflowFailed(self._timeout_message())
        if text in ("", "null") or "out of memory" in text:
            return WorkflowFailed(
                "workflow script ran out of memory: it used more than "
                f"{self._limits.memory_mib} MiB "
                "(limit --js-memory)"
            )
        if isinstance(error, quickjs.StackOverflow) or "Maximum call stack size" in text:
            return WorkflowFailed(
                f"workflow script overflowed its {self._limits.stack_kib} KiB stack "
                "(limit --js-stack)"
            )
        return WorkflowFailed(f"workflow host error: {self.render(text)}")

    def _start_error(self, error: Exception) -> WorkflowFailed:
        text = str(error).strip()
        if "could not load module" in text:
            return WorkflowFailed(
                "workflow imports are restricted; only workflow:extra and workflow:sandbox are "
                f"available: {self.render(text)}"
            )
        if "InternalError: interrupted" in text or text in ("", "null"):
            return self._runtime_error(error)
        return WorkflowFailed(f"failed to evaluate workflow module: {self.render(text)}")

    def _timeout_message(self) -> str:
        seconds = f"{self._limits.slice_timeout_s:g}"
        return f"workflow script ran {seconds} s without yielding (limit --js-slice-timeout)"

    def render(self, text: str) -> str:
        """Name the script instead of QuickJS's ``<input>`` and add the limit to stack errors."""
        rendered = _drop_internal_frames(text).replace("<input>", self._display_path).rstrip()
        if "Maximum call stack size exceeded" in rendered and "--js-stack" not in rendered:
            first, _, rest = rendered.partition("\n")
            rendered = f"{first} (limit --js-stack)" + (f"\n{rest}" if rest else "")
        if "InternalError: interrupted" in rendered:
            return self._timeout_message()
        return rendered


def _drop_internal_frames(text: str) -> str:
    """Remove prelude frames, and the native frames they call through, from a stack."""
    lines = text.split("\n")
    internal = [_is_internal(line) for line in lines]
    native = [line.rstrip().endswith("(native)") for line in lines]
    kept = []
    for index, line in enumerate(lines):
        if internal[index]:
            continue
        near_internal = (index > 0 and internal[index - 1]) or (
            index + 1 < len(lines) and internal[index + 1]
        )
        if native[index] and near_internal:
            continue
        kept.append(line)
    return "\n".join(kept)


def _is_internal(line: str) -> bool:
    match = _FRAME.match(line)
    return bool(match and match.group(1) and int(match.group(1)) > _PRELUDE_LINE_OFFSET)

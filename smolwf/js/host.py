"""One QuickJS context running one workflow script, driven slice by slice from Python.

The binding cannot call Python while a time limit is set, so the direction is one
way: Python runs a JS slice (module evaluation, a settle, the pending jobs), then
drains the outbox of requests the script queued. Nothing the script can reach
leads to the host; every value crossing the boundary is JSON text, and what comes
back is checked before the engine sees it.

Every QuickJS call runs on one worker thread per context (see ``_JsThread``), so a
slice that QuickJS cannot interrupt still ends the run on time.
"""

from __future__ import annotations

import contextlib
import json
import queue
import re
import threading
import time
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import quickjs

from smolwf.errors import WorkflowFailed
from smolwf.js.requests import HostProtocolError, JsRequest, parse_requests
from smolwf.jsontypes import JSON, JSONObject, without_lone_surrogates
from smolwf.records import record
from smolwf.script.source import IMPORTS_RESTRICTED, MODULE_EXPORTS, PreparedScript

_PRELUDE_LINE_OFFSET = 100_000
"""QuickJS names every script ``<input>``; the prelude starts this far down so its stack
frames can be told apart from the user's and left out of error messages."""
_PRELUDE = "\n" * _PRELUDE_LINE_OFFSET + Path(__file__).with_name("prelude.js").read_text(
    encoding="utf-8"
)
"""Read beside this module, not through ``importlib.resources``, whose import would bring
``tempfile``, ``random`` and ``zipfile`` into every run (a run that checks its script
still imports them, through tree-sitter's grammar package)."""
_FRAME = re.compile(r"^\s+at .*\((?:<input>:(\d+):\d+|native)\)$")
_BOOT_MODULE = "import * as ns from '<input>'; globalThis.__smolwf_namespace = ns;"
_MIB = 1024 * 1024

MAX_JSON_DEPTH = 128
"""How deeply a value the script hands the host may nest (serde_json's default limit);
deeper values would overflow Python's recursion limit in the engine."""
_ENVELOPE_DEPTH = 3  # reply object -> "out" list -> request object
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")
_NULL_HINT = (
    " (QuickJS throws null when it runs out of memory: unless the script threw null "
    "itself, raise --js-memory)"
)
_LIMIT_SYMPTOMS = (
    ("Maximum call stack size exceeded", "--js-stack"),
    ("out of memory", "--js-memory"),
)
_FULL = 0.75
"""A heap this full when null was thrown means QuickJS ran out of memory."""
_JS_VALUE_BYTES = 16
"""Size of one QuickJS value: no array longer than memory / this can be dense."""
_WATCH_INTERVAL_S = 0.05
_RECHECK_S = 0.005
"""Between two reads of the CPU clock while jobs run: CPU time never outruns wall time."""
_THREAD_STACK_MIN = 8 * _MIB
_THREAD_STACK_MARGIN = 4 * _MIB
"""Room on the worker's stack beyond --js-stack for the frames below QuickJS."""


@record
class JsLimits:
    """Resource limits of one context; each failure names its flag."""

    memory_mib: int
    slice_timeout_s: float
    stack_kib: int


@record
class JsPoll:
    """What one slice produced: queued requests and where the workflow stands."""

    requests: list[JsRequest]
    status: str
    pending: int
    result: JSON = None
    error: str | None = None
    memory_used: int | None = None
    """Bytes of JS heap after the slice, when the poll was asked to measure it."""

    @property
    def finished(self) -> bool:
        return self.status in ("done", "failed")


@record
class Settlement:
    """The answer to one request: JS resolves (``ok``) or rejects its promise with ``value``
    (a rejection's value is the error message) and then sees ``budget_spent``, if given."""

    request_id: int
    ok: bool
    value: JSON
    budget_spent: int | None = None


class JsHost:
    """Owns the QuickJS context of one workflow scope; not thread-safe, use from one thread."""

    def __init__(self, script: PreparedScript, limits: JsLimits, *, display_path: str) -> None:
        self._script = script
        self._limits = limits
        self._display_path = display_path
        self._booted = False
        self._abandoned = False
        self._settlements: list[Settlement] = []
        self._busy = False
        """A job handed over by ``begin_poll`` or ``begin_start`` is not taken yet."""
        # A single QuickJS call may overrun the slice limit only by what QuickJS needs to
        # notice it; beyond this much CPU time the call is stuck in native code.
        self._overrun_s = limits.slice_timeout_s * 1.5 + 0.5
        self._memory_limit = limits.memory_mib * _MIB
        self._worker = _JsThread(limits.stack_kib)
        weakref.finalize(self, self._worker.stop)
        self._on_worker(self._create_context)

    def begin_start(
        self,
        *,
        args: JSON,
        budget_total: int | None,
        sleep_max_ms: int,
        args_undefined: bool = False,
        budget_spent: int = 0,
    ) -> None:
        """Install the globals, then declare the module and run its synchronous top level,
        on the JS thread while the caller goes on (a resumed run loads its checkpoints
        meanwhile); ``wait_started`` then takes its outcome. Meanwhile only ``close`` may
        be called.

        ``args_undefined``: the script sees ``args === undefined`` (a Claude Code-form
        script given none); ``budget_spent``: what ``budget.spent()`` starts at (a child
        starts where its parent is)."""
        config = {
            "args": args,
            "argsUndefined": args_undefined,
            "budgetTotal": budget_total,
            "budgetSpent": budget_spent,
            "sleepMaxMs": sleep_max_ms,
            "maxArrayLength": self._limits.memory_mib * _MIB // _JS_VALUE_BYTES,
            "modules": {
                specifier.removeprefix("workflow:"): list(exports)
                for specifier, exports in MODULE_EXPORTS.items()
            },
        }
        text = json.dumps(config)
        self._begin(lambda: self._start(text), None)

    def wait_started(self) -> None:
        """Wait for the top level ``begin_start`` ran; raise the script's failure to start."""
        self._take()

    def poll(self, *, memory_limit: int | None = None, measure: bool = False) -> JsPoll:
        """Settle, run pending jobs, start the default export once evaluated, drain the outbox.

        One round trip to the JS thread. ``memory_limit`` (bytes) replaces the heap limit
        first; ``measure`` reports the heap's size after.
        """
        return self._poll_of(*self._on_worker(self._poll_job(memory_limit, measure)))

    def begin_poll(
        self, notify: Callable[[], None], *, memory_limit: int | None = None, measure: bool = False
    ) -> None:
        """``poll`` without waiting: the JS thread runs it while the caller goes on (QuickJS
        lets go of the GIL), then calls ``notify`` on that thread; the caller then takes
        the poll with ``end_poll``. Meanwhile only ``overrun`` and ``close`` may be called."""
        self._begin(self._poll_job(memory_limit, measure), notify)

    def end_poll(self) -> JsPoll:
        """The poll ``begin_poll`` started, once its ``notify`` was called."""
        self._busy = False
        return self._poll_of(*self._worker.reply())

    def overrun(self) -> str | None:
        """While a poll runs: the timeout message once it ran far past the slice limit
        without QuickJS interrupting it (the host is then abandoned), else None."""
        if self._busy and self._worker.overran(self._overrun_s):
            self._abandoned = True
            return self._timeout_message()
        return None

    def _begin(self, job: Callable[[], Any], notify: Callable[[], None] | None) -> None:
        """Hand ``job`` to the JS thread without waiting for it."""
        if self._abandoned:
            raise WorkflowFailed(self._timeout_message())
        assert not self._busy, "one job at a time: end_poll() or wait_started() first"
        self._busy = True
        self._worker.submit(job, notify)

    def _poll_job(
        self, memory_limit: int | None, measure: bool
    ) -> Callable[[], tuple[str, int | None]]:
        """One JS-thread job: the new heap limit, the settlements, the slice, the heap size."""
        limit = None
        if memory_limit is not None and memory_limit != self._memory_limit:
            self._memory_limit = limit = memory_limit
        settlements, self._settlements = self._settlements, []
        payload = (
            json.dumps([[s.request_id, s.ok, s.value, s.budget_spent] for s in settlements])
            if settlements
            else None
        )

        def job() -> tuple[str, int | None]:
            context = self._worker.context
            if limit is not None:
                context.set_memory_limit(limit)
            text = self._poll_text(payload)
            return text, (context.memory()["malloc_size"] if measure else None)

        return job

    def _poll_of(self, text: str, used: int | None) -> JsPoll:
        data = self._decode(text)
        try:
            requests = parse_requests(data["out"])
        except HostProtocolError as problem:
            raise WorkflowFailed(f"workflow host protocol error: {problem}") from None
        error_text = data.get("error")
        error = self._failure(error_text) if isinstance(error_text, str) else None
        status, pending = data["status"], data["pending"]
        assert isinstance(status, str) and isinstance(pending, int)  # checked by _decode
        return JsPoll(
            requests=requests,
            status=status,
            pending=pending,
            result=data.get("result"),
            error=error,
            memory_used=used,
        )

    def settle(self, settlements: list[Settlement]) -> None:
        """Resolve or reject host promises; JS sees them, in order, at the next poll."""
        self._settlements.extend(settlements)

    def close(self) -> None:
        """Stop the JS thread now (a finished child scope); the context is dropped there."""
        self._worker.stop()

    def limit_memory(self, limit: int) -> None:
        """Give the heap ``limit`` bytes from now on (a share of the run's budget)."""
        if limit != self._memory_limit:
            self._memory_limit = limit
            self._on_worker(lambda: self._worker.context.set_memory_limit(limit))

    def memory_used(self) -> int:
        """Bytes the heap holds now (QuickJS's count of what it allocated)."""
        used: int = self._on_worker(lambda: self._worker.context.memory()["malloc_size"])
        return used

    def out_of_memory(self) -> str | None:
        """The out-of-memory message when the heap is (nearly) at its limit, else None."""
        return self._oom_message() if self._heap_full_now() else None

    def _heap_full_now(self) -> bool:
        return bool(self._on_worker(self._heap_full))

    def _heap_full(self) -> bool:
        """On the JS thread: whether QuickJS ran into its memory limit."""
        memory = self._worker.context.memory()
        return bool(memory["malloc_size"] >= _FULL * memory["malloc_limit"])

    def _create_context(self) -> None:
        context = quickjs.Context()
        context.set_memory_limit(self._limits.memory_mib * _MIB)
        context.set_max_stack_size(self._limits.stack_kib * 1024)
        context.set_time_limit(self._limits.slice_timeout_s)
        self._worker.context = context

    def _start(self, config: str) -> None:
        context = self._worker.context
        self._worker.dispatch = self._guard(lambda: context.eval(_PRELUDE))
        self._call("install", config)
        try:
            self._worker.mark()
            evaluation = context.module(self._script.module_source)
        except quickjs.JSException as error:
            raise self._start_error(error) from None
        self._call("watch", evaluation)

    def _poll_text(self, settlements: str | None) -> str:
        if settlements is not None:
            self._call("settle", settlements)
        self._run_jobs()
        if self._status() == "evaluated" and not self._booted:
            self._booted = True
            self._call("arm", None)
            self._guard(lambda: self._worker.context.module(_BOOT_MODULE))
            self._call("boot", None)
            self._run_jobs()
        return str(self._call("poll", None))

    def _status(self) -> str:
        return str(self._call("status", None))

    def _call(self, op: str, arg: Any) -> Any:
        dispatch = self._worker.dispatch
        return self._guard(lambda: dispatch(op, arg))

    def _run_jobs(self) -> None:
        """Run the pending jobs (promise reactions) as one slice under the slice limit.

        Reading this thread's CPU clock is a system call, as dear as a short job, so it is
        read only once the wall clock (cheap) says enough time passed for it to matter.
        """
        context = self._worker.context
        deadline = time.thread_time() + self._limits.slice_timeout_s
        self._worker.mark()
        checked = time.perf_counter()
        while True:
            try:
                if not context.execute_pending_job():
                    return
            except quickjs.JSException as error:
                raise self._runtime_error(error, "workflow script threw in a queued job") from None
            now = time.perf_counter()
            if now - checked > _RECHECK_S:
                checked = now
                if time.thread_time() > deadline:
                    raise WorkflowFailed(self._timeout_message())
                self._worker.mark()

    def _guard(self, action: Callable[[], Any]) -> Any:
        self._worker.mark()
        try:
            return action()
        except quickjs.JSException as error:
            raise self._runtime_error(error) from None

    # ---- on the caller's thread ----------------------------------------------

    def _on_worker(self, action: Callable[[], Any]) -> Any:
        self._begin(action, None)
        return self._take()

    def _take(self) -> Any:
        """Wait for the job handed over last; a job far past its limit abandons the host."""
        self._busy = False
        try:
            return self._worker.wait(self._overrun_s)
        except _Overrun:
            self._abandoned = True
            raise WorkflowFailed(self._timeout_message()) from None

    def _decode(self, text: str) -> JSONObject:
        """Parse the prelude's reply; never trust its size, depth or string contents."""
        try:
            data = json.loads(text)
        except RecursionError:
            raise WorkflowFailed(_too_deep_message()) from None
        except ValueError as error:
            message = f"workflow host protocol error: unreadable reply: {error}"
            raise WorkflowFailed(message) from None
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("status"), str)
            or not isinstance(data.get("pending"), int)
        ):
            raise WorkflowFailed("workflow host protocol error: malformed reply")
        maybe_deep = text.count("[") + text.count("{") > MAX_JSON_DEPTH
        if maybe_deep and _nesting_exceeds(data, MAX_JSON_DEPTH + _ENVELOPE_DEPTH):
            raise WorkflowFailed(_too_deep_message())
        if _SURROGATE_ESCAPE.search(text):
            cleaned = without_lone_surrogates(data)
            assert isinstance(cleaned, dict)
            return cleaned
        return data

    def _failure(self, error_text: str) -> str:
        """The message of a failed workflow; QuickJS throws null when memory runs out."""
        if "out of memory" in error_text.partition("\n")[0]:
            return self._oom_message()
        if not error_text.endswith((": null", ": InternalError")):
            return self.render(error_text)
        if self._heap_full_now():
            return self._oom_message()
        if error_text.endswith(": InternalError"):
            return self.render(error_text)
        return self.render(error_text) + _NULL_HINT

    # ---- error messages --------------------------------------------------------

    def _runtime_error(
        self, error: Exception, prefix: str = "workflow host error"
    ) -> WorkflowFailed:
        text = str(error).strip()
        if "InternalError: interrupted" in text:
            return WorkflowFailed(self._timeout_message())
        if text in ("", "null") or "out of memory" in text:
            return WorkflowFailed(self._oom_message())
        if text.partition("\n")[0] == "InternalError" and self._heap_full():  # no memory left
            return WorkflowFailed(self._oom_message())
        if isinstance(error, quickjs.StackOverflow) or "Maximum call stack size" in text:
            return WorkflowFailed(
                f"workflow script overflowed its {self._limits.stack_kib} KiB stack "
                "(limit --js-stack)"
            )
        return WorkflowFailed(f"{prefix}: {self.render(text)}")

    def _start_error(self, error: Exception) -> WorkflowFailed:
        text = str(error).strip()
        if "could not load module" in text:
            return WorkflowFailed(f"{IMPORTS_RESTRICTED}: {self.render(text)}")
        if "InternalError: interrupted" in text or text in ("", "null"):
            return self._runtime_error(error)
        return WorkflowFailed(f"failed to evaluate workflow module: {self.render(text)}")

    def _oom_message(self) -> str:
        return (
            f"workflow script {self._display_path} ran out of memory: the run's JS scripts "
            f"may use {self._limits.memory_mib} MiB together (limit --js-memory, shared by "
            "a workflow and its children)"
        )

    def _timeout_message(self) -> str:
        seconds = f"{self._limits.slice_timeout_s:g}"
        return f"workflow script ran {seconds} s without yielding (limit --js-slice-timeout)"

    def render(self, text: str) -> str:
        """Name the script instead of QuickJS's ``<input>`` and add the limit to stack errors."""
        rendered = _drop_internal_frames(text).replace("<input>", self._display_path).rstrip()
        for symptom, flag in _LIMIT_SYMPTOMS:
            first, _, rest = rendered.partition("\n")
            if symptom in first and flag not in rendered:
                rendered = f"{first} (limit {flag})" + (f"\n{rest}" if rest else "")
        if "InternalError: interrupted" in rendered:
            return self._timeout_message()
        return rendered


class _Overrun(Exception):
    """A QuickJS call ran far past the slice limit without QuickJS interrupting it."""


class _JsThread:
    """The one thread that makes every QuickJS call of a context, with a watchdog.

    QuickJS must run on the thread that created it, whose stack must exceed --js-stack
    (deep recursion would otherwise overrun the real stack and crash the process).
    QuickJS checks its time limit only every ~10000 jumps and calls, so a loop of long
    native calls can run far past it; the caller then stops waiting, reports the
    timeout, and leaves the thread to finish on its own (it is a daemon thread).
    """

    def __init__(self, stack_kib: int) -> None:
        self.context: Any = None
        self.dispatch: Any = None
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._replies: queue.SimpleQueue[tuple[bool, Any]] = queue.SimpleQueue()
        self._started_at = 0.0
        stack = max(_THREAD_STACK_MIN, stack_kib * 1024 + _THREAD_STACK_MARGIN)
        stack = -(-stack // _MIB) * _MIB
        thread = threading.Thread(target=_serve, args=(self, self._jobs, self._replies))
        thread.daemon = True
        thread.name = "smolwf-js"
        previous = threading.stack_size()
        try:
            threading.stack_size(stack)
            thread.start()
        except (RuntimeError, ValueError) as error:
            raise WorkflowFailed(
                f"cannot start the JavaScript thread with a {stack_kib} KiB stack "
                f"(--js-stack): {error}"
            ) from None
        finally:
            threading.stack_size(previous)
        self._clock = _cpu_clock(thread)

    def mark(self) -> None:
        """Called on the worker before each QuickJS call: the watchdog measures from here."""
        self._started_at = self._clock()

    def submit(self, action: Callable[[], Any], notify: Callable[[], None] | None) -> None:
        """Queue ``action``; ``notify`` is called on this thread once its reply is queued."""
        self._jobs.put((action, notify))

    def reply(self) -> Any:
        """The reply of the job whose ``notify`` was called (its error is raised)."""
        ok, value = self._replies.get_nowait()
        if ok:
            return value
        raise value

    def overran(self, overrun_s: float) -> bool:
        """Whether the job running now used ``overrun_s`` of CPU since its last QuickJS call
        began (an idle thread uses none); the thread is then told to stop."""
        if self._replies.empty() and self._clock() - self._started_at > overrun_s:
            self.stop()
            return True
        return False

    def wait(self, overrun_s: float) -> Any:
        """The reply of the job submitted last; ``_Overrun`` when it ran far too long."""
        while True:
            try:
                ok, value = self._replies.get(timeout=_WATCH_INTERVAL_S)
            except queue.Empty:
                if self.overran(overrun_s):
                    raise _Overrun from None
                continue
            if ok:
                return value
            raise value

    def stop(self) -> None:
        self._jobs.put(None)


_Job = tuple[Callable[[], Any], Callable[[], None] | None]
"""An action for the JS thread, and what to call once its reply is queued."""


def _serve(
    owner: _JsThread,
    jobs: queue.SimpleQueue[_Job | None],
    replies: queue.SimpleQueue[tuple[bool, Any]],
) -> None:
    """The worker's loop; it drops the context itself, on its own thread, when stopped."""
    while True:
        job = jobs.get()
        if job is None:
            break
        action, notify = job
        try:
            reply = (True, action())
        except BaseException as error:  # handed to the caller, which re-raises it
            reply = (False, error)
        del job, action  # the job's closure holds the host; let it be collected
        replies.put(reply)
        del reply
        if notify is not None:
            with contextlib.suppress(Exception):  # a run that ended no longer listens
                notify()
            del notify
    owner.context = owner.dispatch = None


def _cpu_clock(thread: threading.Thread) -> Callable[[], float]:
    """The CPU time of ``thread``, readable from any thread; wall time where unsupported."""
    try:
        clock_id = time.pthread_getcpuclockid(thread.ident or 0)
        time.clock_gettime(clock_id)
    except (AttributeError, OSError):  # pragma: no cover - not Linux
        return time.monotonic
    return lambda: time.clock_gettime(clock_id)


def _nesting_exceeds(value: JSON, limit: int) -> bool:
    """Whether containers nest deeper than ``limit``; level by level, without recursion.

    Values come from ``json.loads``, so containers are exactly dicts and lists (compared by
    type: a fan-out's reply holds thousands of them)."""
    level: list[list[JSON] | dict[str, JSON]] = (
        [value] if type(value) is dict or type(value) is list else []
    )
    for _ in range(limit):
        below: list[list[JSON] | dict[str, JSON]] = []
        append = below.append
        for item in level:
            for child in item.values() if type(item) is dict else item:
                if type(child) is dict or type(child) is list:
                    append(child)
        if not below:
            return False
        level = below
    return True


def _too_deep_message() -> str:
    return (
        f"a value the workflow passed to the host is nested more than {MAX_JSON_DEPTH} "
        "levels deep; flatten it"
    )


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

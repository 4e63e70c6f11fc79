"""The JS host on its own: injected globals, hidden internals, error rendering, the worker.

Ports the reference's raw-runtime tests (spec §8.1) that apply to smol-wf, plus what
only the host can show: the JS thread, its watchdog, and the request vocabulary.
"""

from __future__ import annotations

import gc
import io
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from smolwf import RunReport, WorkflowFailed, run_workflow
from smolwf.defaults import SLEEP_MAX_MS
from smolwf.js.host import JsHost, JsLimits, JsPoll, Settlement
from smolwf.js.requests import (
    AgentCall,
    HostProtocolError,
    LogEvent,
    SleepCall,
    parse_requests,
)
from smolwf.script.source import prepare_source

META = "export const meta = { name: 'x', description: 'y' }\n"

REFERENCE_BLOCKED = [
    "eval", "Function", "AsyncFunction", "Date", "fetch", "XMLHttpRequest", "WebSocket",
    "EventSource", "navigator", "location", "Deno", "Bun", "process", "require", "Buffer",
    "__dirname", "__filename",
]  # fmt: skip
"""The reference's 17 blocked globals; smol-wf keeps a clock-free ``Date`` instead."""
PROTECTED = ["args", "budget", "agent", "workflow", "log", "phase", "parallel", "pipeline", "SW"]


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., RunReport]:
    def call(body: str, name: str = "wf.mjs", **options: Any) -> RunReport:
        path = tmp_path / name
        path.write_text(META + body, encoding="utf-8")
        options.setdefault("progress_stream", io.StringIO())
        return run_workflow(path, db_path=tmp_path / "t.db", **options)

    return call


@pytest.fixture
def fails(run: Callable[..., RunReport]) -> Callable[..., str]:
    def call(body: str, **options: Any) -> str:
        with pytest.raises(WorkflowFailed) as caught:
            run(body, **options)
        return caught.value.message

    return call


# ---- injected globals (reference §8.1) ------------------------------------------


def test_blocks_common_host_access_and_randomness(run: Callable[..., RunReport]) -> None:
    names = [name for name in REFERENCE_BLOCKED if name != "Date"]
    report = run(
        f"const names = {names!r}\n"
        "const assign = (name) => { try { globalThis[name] = 1; return 'assigned' } catch (e) { return e.name } }\n"
        "let random\ntry { Math.random() } catch (e) { random = e.message }\n"
        "let replace\ntry { Math.random = () => 4 } catch (e) { replace = e.name }\n"
        "export default {\n"
        "  types: names.map((name) => typeof globalThis[name]),\n"
        "  assigned: names.map(assign),\n"
        "  random, replace,\n"
        "}\n"
    )
    assert report.result == {
        "types": ["undefined"] * len(names),
        "assigned": ["TypeError"] * len(names),
        "random": report.result["random"],
        "replace": "TypeError",
    }
    assert report.result["random"].startswith("Math.random() is disabled in workflows")


def test_date_is_a_clock_free_replacement_that_cannot_be_reassigned(
    run: Callable[..., RunReport],
) -> None:
    assert run(
        "let assigned\ntry { Date = null } catch (e) { assigned = e.name }\n"
        "export default [typeof Date, assigned, new Date(0) instanceof Date, Object.isFrozen(Date)]\n"
    ).result == ["function", "TypeError", True, True]


def test_hides_internal_helpers_and_blocks_additional_host_access(
    run: Callable[..., RunReport],
) -> None:
    report = run(
        f"const protectedNames = {PROTECTED!r}\n"
        "const refused = protectedNames.filter((name) => {\n"
        "  try { globalThis[name] = null; return false } catch (e) { return e instanceof TypeError }\n"
        "})\n"
        "let extraWrite\ntry { SW.extra.sleep = null } catch (e) { extraWrite = e.name }\n"
        "let extraAdd\ntry { SW.extra.other = 1 } catch (e) { extraAdd = e.name }\n"
        "export default {\n"
        "  internals: [typeof __readonly, typeof __smolwf_namespace, globalThis.__smolwf_namespace],\n"
        "  refused, extraWrite, extraAdd,\n"
        "  leaked: Object.getOwnPropertyNames(globalThis).filter((n) => /^__/.test(n) && globalThis[n] !== undefined),\n"
        "}\n"
    )
    assert report.result == {
        "internals": ["undefined", "undefined", None],
        "refused": PROTECTED,
        "extraWrite": "TypeError",
        "extraAdd": "TypeError",
        "leaked": [],
    }


def test_readonly_args_preserve_identity_and_refuse_nested_writes(
    run: Callable[..., RunReport],
) -> None:
    report = run(
        "let nested\ntry { args.nested.value = 2 } catch (e) { nested = e.name }\n"
        "let item\ntry { args.items.push(3) } catch (e) { item = e.name }\n"
        "export default [args.nested === args.nested, args.items === args.items,\n"
        "  Array.isArray(args.items), nested, item, args.nested.value]\n",
        args={"nested": {"value": 1}, "items": [1, 2]},
    )
    assert report.result == [True, True, True, "TypeError", "TypeError", 1]


def test_budget_global_is_readonly(run: Callable[..., RunReport]) -> None:
    body = (
        "const attempts = [\n"
        "  () => { budget.total = 5 },\n"
        "  () => { budget.extra = 1 },\n"
        "  () => { delete budget.spent },\n"
        "  () => { budget.remaining = () => 1e9 },\n"
        "]\n"
        "export default [attempts.map((f) => { try { f(); return 'allowed' } catch (e) { return e.name } }),\n"
        "  budget.total, budget.spent(), budget.remaining()]\n"
    )
    refused = ["TypeError"] * 4
    assert run(body, budget_allowance=100).result == [refused, 100, 0, 100]
    assert run(body).result == [refused, None, 0, None]  # Infinity converts to null


def test_extra_and_sandbox_exist_only_under_sw_and_ctx(run: Callable[..., RunReport]) -> None:
    report = run(
        "import { sleep } from 'workflow:extra'\n"
        "export default async function (input, ctx) {\n"
        "  return [typeof extra, typeof sandbox, typeof SW.extra.sleep, typeof SW.sandbox.exec,\n"
        "    sleep === SW.extra.sleep, typeof ctx.extra.sleep, typeof ctx.SW, typeof ctx.sandbox,\n"
        "    await ctx.extra.sleep(1)]\n"
        "}\n"
    )
    assert report.result == [
        "undefined",
        "undefined",
        "function",
        "function",
        True,
        "function",
        "undefined",
        "undefined",
        None,
    ]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (f"sleep({SLEEP_MAX_MS + 1})", "sleep(ms) duration exceeds the maximum allowed delay"),
        ("sleep(-1)", "sleep(ms) requires a finite non-negative number"),
        ("sleep(Infinity)", "sleep(ms) requires a finite non-negative number"),
        ("sleep(NaN)", "sleep(ms) requires a finite non-negative number"),
        ("sleep('5')", "sleep(ms) requires a finite non-negative number"),
    ],
)
def test_validates_workflow_extra_sleep_bounds(
    run: Callable[..., RunReport], call: str, message: str
) -> None:
    report = run(
        "import { sleep } from 'workflow:extra'\n"
        f"let seen\ntry {{ {call} }} catch (e) {{ seen = e.name + ': ' + e.message }}\n"
        "export default seen\n"
    )
    assert report.result == f"TypeError: {message}"


# ---- exception messages (reference §1.16) ----------------------------------------


def test_exception_messages_include_stack_for_module_errors(fails: Callable[..., str]) -> None:
    message = fails(
        "function fail() { throw new Error('boom from module') }\nfail()\nexport default 1\n"
    )
    assert message.startswith("workflow module evaluation rejected: boom from module\n")
    assert "at fail (wf.mjs:2:" in message
    assert "prelude" not in message and "<input>" not in message


def test_exception_messages_include_stack_for_default_function_errors(
    fails: Callable[..., str],
) -> None:
    message = fails(
        "function fail() { throw new Error('boom from function') }\n"
        "export default async function () { fail() }\n"
    )
    assert message.startswith("workflow module rejected: boom from function\n")
    assert "at fail (wf.mjs:2:" in message


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("throw 'boom from string'\n", "workflow module evaluation rejected: boom from string"),
        ("throw 42\n", "workflow module evaluation rejected: 42"),
        ("throw { code: 7 }\n", 'workflow module evaluation rejected: {"code":7}'),
        (
            "export default () => { throw 'boom from string' }\n",
            "workflow module rejected: boom from string",
        ),
    ],
)
def test_exception_messages_render_thrown_values(
    fails: Callable[..., str], body: str, message: str
) -> None:
    assert fails(body) == message


def test_a_message_that_appears_in_a_stack_frame_is_not_lost(fails: Callable[..., str]) -> None:
    message = fails("function fail() { throw new Error('fail') }\nfail()\nexport default 1\n")
    assert message.startswith("workflow module evaluation rejected: fail\n    at fail (wf.mjs:2:")


def test_a_thrown_null_mentions_that_quickjs_throws_null_when_memory_runs_out(
    fails: Callable[..., str],
) -> None:
    assert fails("throw null\n").startswith(
        "workflow module evaluation rejected: null (QuickJS throws null when it runs out of memory"
    )


# ---- the host itself ---------------------------------------------------------------


def _host(body: str, **limits: Any) -> JsHost:
    script = prepare_source(META + body, path=Path("/nowhere/wf.mjs"))
    values = {"memory_mib": 64, "slice_timeout_s": 5.0, "stack_kib": 1024, **limits}
    host = JsHost(script, JsLimits(**values), display_path="wf.mjs")
    host.begin_start(args={}, budget_total=None, sleep_max_ms=SLEEP_MAX_MS)
    host.wait_started()
    return host


def _drive(host: JsHost) -> JsPoll:
    """Poll until the workflow finishes, answering nothing (enough for these scripts)."""
    for _ in range(10):
        poll = host.poll()
        if poll.finished:
            return poll
    return poll


def _raw_host(module_source: str) -> JsHost:
    """A host for module text that skipped the static import check, as an attacker would."""
    script = prepare_source(META + "export default 1\n", path=Path("/nowhere/wf.mjs"))
    script = replace(script, module_source=module_source)
    host = JsHost(script, JsLimits(64, 5.0, 1024), display_path="wf.mjs")
    host.begin_start(args={}, budget_total=None, sleep_max_ms=SLEEP_MAX_MS)
    host.wait_started()
    return host


@pytest.fixture
def js_threads() -> Iterator[Callable[[], list[threading.Thread]]]:
    """Lists the JS worker threads started by the test; waits for them to end afterwards."""
    before = set(threading.enumerate())

    def started() -> list[threading.Thread]:
        return [t for t in threading.enumerate() if t.name == "smolwf-js" and t not in before]

    yield started
    gc.collect()
    for thread in started():
        thread.join(30)


@pytest.mark.parametrize(
    "specifier", ["node:fs", "/etc/passwd", "os", "std", "https://example.com/x.js"]
)
def test_the_binding_has_no_module_loader_even_without_the_static_check(specifier: str) -> None:
    poll = _drive(
        _raw_host(
            f"export default await import({specifier!r}).then(() => 'loaded', (e) => e.message)\n"
        )
    )
    assert poll.result == f"could not load module '{specifier}'"


def test_a_self_import_past_the_check_only_sees_the_scripts_own_namespace() -> None:
    poll = _drive(
        _raw_host(
            "import('<input>').then((m) => log(Object.keys(m).join()))\n"
            "export const x = 1\nexport default 2\n"
        )
    )
    assert (poll.status, poll.result, poll.requests) == ("done", 2, [LogEvent("default,x")])


def test_an_awaited_self_import_just_waits_for_itself() -> None:
    # The engine reports this state as "workflow can never finish".
    poll = _drive(_raw_host("export default await import('<input>')\n"))
    assert (poll.status, poll.pending, poll.requests) == ("running", 0, [])


def test_a_static_import_past_the_check_still_fails_at_start() -> None:
    with pytest.raises(WorkflowFailed, match="workflow imports are restricted"):
        _raw_host("import fs from 'node:fs'\nexport default 1\n")


def test_quickjs_runs_on_a_worker_thread_that_ends_with_the_host(
    js_threads: Callable[[], list[threading.Thread]],
) -> None:
    host = _host("export default 1\n")
    assert _drive(host).result == 1
    workers = js_threads()
    assert len(workers) == 1 and workers[0] is not threading.current_thread()
    del host
    gc.collect()
    workers[0].join(10)
    assert not workers[0].is_alive()


NATIVE_LOOP = (
    "export default function () {\n"
    "  const s = 'a'.repeat(1 << 19)\n"
    "  let n = 0\n  for (let i = 0; i < 3000; i++) n += s.indexOf('b')\n  return n\n}\n"
)
"""QuickJS checks its time limit every ~10000 jumps and calls; 3000 long native calls
never reach a check. The watchdog gives up after 1.5 x the limit + 0.5 s of the worker's
CPU time, while the worker finishes the loop on its own."""


def test_a_native_loop_quickjs_cannot_interrupt_is_abandoned_on_time(
    js_threads: Callable[[], list[threading.Thread]],
) -> None:
    host = _host(NATIVE_LOOP, slice_timeout_s=0.1)
    with pytest.raises(WorkflowFailed) as caught:
        host.poll()
    assert caught.value.message == (
        "workflow script ran 0.1 s without yielding (limit --js-slice-timeout)"
    )
    with pytest.raises(WorkflowFailed, match="without yielding"):
        host.poll()  # an abandoned host never touches its context again


def test_a_poll_on_its_thread_that_quickjs_cannot_interrupt_is_abandoned_on_time(
    js_threads: Callable[[], list[threading.Thread]],
) -> None:
    host = _host(NATIVE_LOOP, slice_timeout_s=0.1)
    ended = threading.Event()
    host.begin_poll(ended.set)
    deadline = time.monotonic() + 10
    message = host.overrun()
    while message is None and not ended.is_set() and time.monotonic() < deadline:
        ended.wait(0.05)
        message = host.overrun()
    assert message == "workflow script ran 0.1 s without yielding (limit --js-slice-timeout)"
    with pytest.raises(WorkflowFailed, match="without yielding"):
        host.poll()  # an abandoned host never touches its context again


def test_a_poll_on_its_thread_hands_back_what_the_script_asked() -> None:
    host = _host("export default await agent('x')\n")
    ended = threading.Event()
    host.begin_poll(ended.set)
    assert ended.wait(10)
    poll = host.end_poll()
    assert [request.prompt for request in poll.requests] == ["x"]  # type: ignore[attr-defined]
    host.settle([Settlement(poll.requests[0].id, True, "answer", None)])  # type: ignore[attr-defined]
    assert _drive(host).result == "answer"


def test_runaway_top_level_code_fails_naming_the_flag() -> None:
    host = _host("for (;;) {}\nexport default 1\n", slice_timeout_s=0.2)
    with pytest.raises(WorkflowFailed, match=r"^workflow script ran 0\.2 s without yielding"):
        host.poll()


def test_the_slice_limit_counts_cpu_time_per_slice_not_per_run() -> None:
    # Reference: rquickjs_timeout_is_refreshed_after_host_request_wait. Each slice spins
    # ~0.3 s; together they run past the 1 s limit, each one alone does not.
    host = _host(
        "const spin = () => { let x = 0; for (let i = 0; i < 1e7; i++) x += i; return x }\n"
        "for (let i = 0; i < 4; i++) { spin(); await agent('x' + i) }\nexport default 'done'\n",
        slice_timeout_s=1.0,
    )
    for _ in range(5):
        poll = host.poll()
        calls = [r for r in poll.requests if isinstance(r, AgentCall)]
        host.settle([Settlement(call.id, True, "ok", None) for call in calls])
    assert host.poll().result == "done"


def test_settling_unknown_or_repeated_ids_is_ignored() -> None:
    host = _host("export default await agent('x')\n")
    poll = host.poll()
    (call,) = poll.requests
    assert isinstance(call, AgentCall) and call.id == 1
    host.settle([Settlement(99, True, "forged", None), Settlement(0, False, "forged", None)])
    host.settle([Settlement(1, True, "real", None), Settlement(1, True, "again", None)])
    assert host.poll().result == "real"


def test_agent_inherits_the_current_phase_in_request_options() -> None:
    host = _host(
        "phase('Research')\nawait agent('hello')\nawait agent('x', { model: 'm' })\n"
        "await agent('y', { phase: null })\nexport default 1\n"
    )
    seen = []
    for _ in range(5):
        poll = host.poll()
        for request in poll.requests:
            if isinstance(request, AgentCall):
                seen.append((request.id, request.options))
                host.settle([Settlement(request.id, True, None, None)])
    assert seen == [
        (1, {"phase": "Research"}),
        (2, {"model": "m", "phase": "Research"}),
        (3, {"phase": None}),
    ]


# ---- the request vocabulary --------------------------------------------------------


@pytest.mark.parametrize(
    "entry",
    [
        {"kind": "sleep", "id": 1, "ms": SLEEP_MAX_MS + 1},
        {"kind": "sleep", "id": 1, "ms": -1},
        {"kind": "sleep", "id": 1, "ms": 1.5},
        {"kind": "sleep", "id": 0, "ms": 1},
        {"kind": "agent", "id": True, "prompt": "x", "options": {}},
        {"kind": "agent", "id": 1, "prompt": 5, "options": {}},
        {"kind": "agent", "id": 1, "prompt": "x", "options": 5},
        {"kind": "exec", "id": 1, "profile": "p", "request": "ls"},
        {"kind": "warning", "source": "parallel", "index": "1", "message": "m"},
        {"kind": "spawn", "id": 1},
        "agent",
    ],
)
def test_requests_that_the_prelude_never_writes_are_refused(entry: Any) -> None:
    with pytest.raises(HostProtocolError):
        parse_requests([entry])


def test_a_sleep_request_at_the_maximum_is_accepted() -> None:
    assert parse_requests([{"kind": "sleep", "id": 3, "ms": SLEEP_MAX_MS}]) == [
        SleepCall(3, SLEEP_MAX_MS)
    ]


def test_wall_time_of_a_slow_slice_is_bounded_by_the_limit(fails: Callable[..., str]) -> None:
    started = time.monotonic()
    assert "without yielding" in fails("for (;;) {}\nexport default 1\n", js_slice_timeout_s=0.2)
    assert time.monotonic() - started < 5

"""Hostile workflow scripts: none reaches the file system, network, processes or Python.

Every attack ends in a result the script is entitled to, or a clean JS error; the run
never hangs, crashes or shows a Python traceback. Most cases run through the Python
API (fast); a representative handful runs through the real CLI.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smolwf import RunReport, ScriptError, SmolWfError, WorkflowFailed, run_workflow
from tests.fakes import RecordingProvider

META = "export const meta = { name: 'x', description: 'y' }\n"
FAST = {"js_slice_timeout_s": 0.3}
"""Keeps the runaway-script cases fast; QuickJS checks the limit many times a second."""

# Runs `f` and says how it went, without ever handing the caller the global object.
ATTEMPT = """
function attempt(f) {
  try {
    const value = f();
    if (value === globalThis) return 'ESCAPED: got the global object';
    return typeof value === 'function' ? 'got a function' : 'no-op: ' + typeof value;
  } catch (error) {
    return 'threw ' + error.name + ': ' + error.message;
  }
}
"""


@pytest.fixture
def script(tmp_path: Path) -> Callable[[str], Path]:
    def write(body: str) -> Path:
        path = tmp_path / "wf.mjs"
        path.write_text(META + body, encoding="utf-8")
        return path

    return write


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., tuple[RunReport, str]]:
    """Run through the Python API; returns the report and the progress output."""

    def call(path: Path, **options: Any) -> tuple[RunReport, str]:
        progress = io.StringIO()
        report = run_workflow(path, db_path=tmp_path / "t.db", progress_stream=progress, **options)
        return report, progress.getvalue()

    return call


@pytest.fixture
def result(script: Callable[[str], Path], run: Callable[..., tuple[RunReport, str]]) -> Any:
    def call(body: str, **options: Any) -> Any:
        return run(script(body), **options)[0].result

    return call


@pytest.fixture
def failure(script: Callable[[str], Path], tmp_path: Path) -> Callable[..., str]:
    """Run a script that must fail; return the one message the CLI would print."""

    def call(body: str, **options: Any) -> str:
        with pytest.raises(SmolWfError) as caught:
            run_workflow(
                script(body),
                db_path=tmp_path / "t.db",
                progress_stream=io.StringIO(),
                **options,
            )
        assert isinstance(caught.value, WorkflowFailed | ScriptError)
        assert "Traceback" not in caught.value.message
        return caught.value.message

    return call


# ---- constructor tricks ------------------------------------------------------------

CODE_GENERATION = [
    "(function(){}).constructor('return this')()",
    "(async function(){}).constructor('return this')",
    "(function*(){}).constructor('yield this')",
    "(async function*(){}).constructor('yield this')",
    "(() => 1).constructor('return this')()",
    "(class {}).constructor('return this')()",
    "(function(){}).bind().constructor('return this')()",
    "Function('return this')()",
    "new Function('return this')()",
    "eval('globalThis')",
    "(0, eval)('globalThis')",
    "globalThis.constructor.constructor('return this')()",
    "[].map.constructor('return this')()",
    "agent.constructor('return this')()",
    "Object.getPrototypeOf(agent).constructor('return this')()",
    "Reflect.construct(Object.getPrototypeOf(function(){}).constructor, ['return this'])()",
    "Reflect.construct(Object.getPrototypeOf(async function(){}).constructor, ['return 1'])",
    "Object.getOwnPropertyDescriptor(Function.prototype, 'constructor').value('return this')()",
    "new Proxy(agent, {}).constructor('return this')()",
    "new Proxy(function(){}, { get: (t, k) => Reflect.get(t, k) }).constructor('return this')()",
    "Object.defineProperty(Function.prototype, 'constructor', { value: 1 })",
]


@pytest.mark.parametrize("expression", CODE_GENERATION)
def test_constructor_tricks_cannot_compile_code(result: Any, expression: str) -> None:
    outcome = result(ATTEMPT + f"export default attempt(() => {expression})\n")
    assert outcome.startswith("threw TypeError"), outcome


def test_function_constructors_are_gone_from_every_function_prototype(result: Any) -> None:
    outcome = result(
        "const samples = [function(){}, async function(){}, function*(){}, async function*(){},"
        " () => 1, class {}, agent, log, Math.max]\n"
        "export default samples.map((f) => typeof f.constructor)\n"
    )
    assert outcome == ["undefined"] * 9


def test_stack_trace_call_sites_cannot_hand_out_the_dispatcher(result: Any) -> None:
    # V8-style prepareStackTrace would give CallSite objects, whose getFunction() would
    # return the prelude's functions (the dispatcher among them) from the stack.
    outcome = result(
        ATTEMPT + "export default [\n"
        "  attempt(() => { Error.prepareStackTrace = (e, sites) => sites }),\n"
        "  attempt(() => Object.defineProperty(Error, 'prepareStackTrace', { get: () => 1 })),\n"
        "  typeof Error.prepareStackTrace,\n"
        "]\n"
    )
    assert outcome[0].startswith("threw TypeError")
    assert outcome[1].startswith("threw TypeError")
    assert outcome[2] == "undefined"


def test_function_caller_cannot_walk_up_to_the_host(result: Any) -> None:
    outcome = result(
        ATTEMPT + "export default function f() {\n"
        "  return [attempt(() => f.caller), attempt(() => arguments.callee.caller)]\n"
        "}\n"
    )
    assert all(item.startswith("threw TypeError") for item in outcome), outcome


# ---- reaching the host -------------------------------------------------------------

HOST_NAMES = [
    "std", "os", "require", "process", "fetch", "XMLHttpRequest", "WebSocket", "EventSource",
    "navigator", "location", "Deno", "Bun", "Buffer", "__dirname", "__filename", "module",
    "exports", "scriptArgs", "print", "bjson", "importScripts", "Worker", "open", "python",
]  # fmt: skip


def test_no_host_api_is_defined(result: Any) -> None:
    names = ", ".join(f"typeof {name}" for name in HOST_NAMES)
    assert result(f"export default [{names}]\n") == ["undefined"] * len(HOST_NAMES)


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("export default await import('node:fs')\n", "dynamic import() is not allowed"),
        ("export default await import /* x */ ('node:fs')\n", "dynamic import() is not allowed"),
        ("export default await import(`node:fs`)\n", "dynamic import() is not allowed"),
        ("export default await import('<input>')\n", "dynamic import() is not allowed"),
        ("import fs from 'node:fs'\nexport default 1\n", "cannot import 'node:fs'"),
        ("import * as os from 'os'\nexport default 1\n", "cannot import 'os'"),
        ("import x from './other.mjs'\nexport default 1\n", "cannot import './other.mjs'"),
        ("import x from '/etc/passwd'\nexport default 1\n", "cannot import '/etc/passwd'"),
        ("export * from 'node:fs'\nexport default 1\n", "is not allowed"),
        ("export default import.meta\n", "import.meta is not available"),
    ],
)
def test_imports_other_than_the_workflow_modules_are_rejected_before_the_run(
    script: Callable[[str], Path], tmp_path: Path, body: str, reason: str
) -> None:
    # A ScriptError is raised while preparing the script, before any JS is evaluated.
    with pytest.raises(ScriptError) as caught:
        run_workflow(script(body), db_path=tmp_path / "t.db", progress_stream=io.StringIO())
    assert "workflow imports are restricted" in caught.value.message
    assert reason in caught.value.message


def test_every_route_to_a_secret_file_fails_and_nothing_is_written(
    tmp_path: Path, script: Callable[[str], Path], run: Callable[..., tuple[RunReport, str]]
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-7731", encoding="utf-8")
    path = str(secret).replace("\\", "\\\\")
    wf = script(
        ATTEMPT + "export default [\n"
        f"  attempt(() => std.loadFile('{path}')),\n"
        f"  attempt(() => os.open('{path}')),\n"
        f"  attempt(() => require('fs').readFileSync('{path}', 'utf8')),\n"
        f"  attempt(() => process.binding('fs')),\n"
        f"  attempt(() => fetch('file://{path}')),\n"
        f"  attempt(() => new XMLHttpRequest()),\n"
        f"  attempt(() => new WebSocket('ws://127.0.0.1:1')),\n"
        f"  attempt(() => Function('return std')()),\n"
        f"  attempt(() => globalThis.os.system('touch {tmp_path}/pwned')),\n"
        "]\n"
    )
    before = sorted(p.name for p in tmp_path.iterdir())
    report, progress = run(wf)
    assert all(
        item.startswith(("threw TypeError", "threw ReferenceError")) for item in report.result
    ), report.result
    assert "TOP-SECRET" not in repr(report.result) + progress
    assert secret.read_text(encoding="utf-8") == "TOP-SECRET-7731"
    created = sorted(set(p.name for p in tmp_path.iterdir()) - set(before))
    assert all(name.startswith("t.db") for name in created), created


# ---- prototype pollution -----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # A thenable default export is adopted, as JS does: a polluted `then` decides.
        (
            "Object.prototype.then = function (resolve) { resolve(42) }\nexport default { a: 1 }\n",
            42,
        ),
        (
            "Array.prototype.map = () => { throw new Error('map') }\nexport default await parallel([() => agent('a')])\n",
            ["echo: a"],
        ),
        (
            "Array.prototype.push = () => { throw new Error('push') }\nexport default await parallel([() => agent('a')])\n",
            ["echo: a"],
        ),
        (
            "Promise.prototype.then = function () { return this }\nexport default await agent('x')\n",
            "echo: x",
        ),
        (
            "Promise.prototype.then = () => { throw new Error('then') }\nexport default await agent('x')\n",
            "echo: x",
        ),
        (
            "Promise.resolve = () => { throw new Error('resolve') }\nexport default function () { return 1 }\n",
            1,
        ),
        ("Promise.resolve = () => 5\nexport default async function () { return 1 }\n", 1),
        (
            "JSON.parse = () => 1\nJSON.stringify = () => '1'\nexport default await agent('x', { model: undefined })\n",
            "echo: x",
        ),
        (
            "Object.prototype.toJSON = function () { return { kind: 'sleep', id: 1, ms: 1e13 } }\nexport default await agent('x')\n",
            "echo: x",
        ),
        (
            "const p = agent('x')\nArray.prototype.toJSON = () => [{ kind: 'sleep', id: 1, ms: 1e13 }]\nlog('a')\nexport default await p\n",
            "echo: x",
        ),
        (
            "Object.defineProperty(Array.prototype, '4', { set() {} })\nlog('a')\nexport default await agent('x')\n",
            "echo: x",
        ),
        (
            "Object.defineProperty(Array.prototype, '0', { set() {} })\nlog('a')\nexport default await agent('x')\n",
            "echo: x",
        ),
        (
            "Object.defineProperty(Object.prototype, 'kind', { set() {} })\nexport default await agent('x')\n",
            "echo: x",
        ),
        (
            "Object.defineProperty(Object.prototype, 'id', { get: () => 1, set() {} })\nexport default [await agent('x'), await agent('y')]\n",
            ["echo: x", "echo: y"],
        ),
        (
            "Object.defineProperty(Object.prototype, 'get', { value: () => 1 })\nexport default await agent('x')\n",
            "echo: x",
        ),
        (
            "Array.prototype[Symbol.iterator] = function* () { yield 99 }\nexport default [await agent('x'), await agent('y')]\n",
            ["echo: x", "echo: y"],
        ),
        (
            "String = null\nSymbol = null\nObject = null\nexport default function () { throw { get message() { throw 1 } } }\n",
            None,
        ),
    ],
)
def test_prototype_pollution_never_confuses_the_host(
    script: Callable[[str], Path], tmp_path: Path, body: str, expected: Any
) -> None:
    try:
        outcome = run_workflow(
            script(body), db_path=tmp_path / "t.db", progress_stream=io.StringIO(), **FAST
        ).result
    except WorkflowFailed as error:
        assert "Traceback" not in error.message
        assert "protocol error" not in error.message
        assert expected is None, error.message
        return
    assert outcome == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            "Object.prototype.then = function () {}\nexport default { a: 1 }\n",
            "workflow can never finish",
        ),
        (
            "Object.prototype.then = function (resolve) { resolve(this) }\nexport default { a: 1 }\n",
            "without yielding",
        ),
        (
            "Object.defineProperty(Object.prototype, 'then', { get() { for (;;) {} } })\nexport default await agent('x', { schema: { type: 'object', properties: { a: { type: 'string' } }, required: ['a'] } })\n",
            "without yielding",
        ),
        (
            "Promise.prototype.constructor = { [Symbol.species]: function () { throw new Error('species') } }\nexport default await agent('x')\n",
            "workflow module evaluation rejected: species",
        ),
        (
            "Object.defineProperty(Promise, Symbol.species, { value: function () { throw new Error('species') } })\nexport default await agent('x')\n",
            "workflow can never finish",
        ),
        (
            "throw { get message() { throw new Error('getter') } }\n",
            "workflow module evaluation rejected: a thrown value that cannot be described",
        ),
        (
            "const { proxy, revoke } = Proxy.revocable({}, {}); revoke()\nexport default function () { throw proxy }\n",
            "workflow module rejected: a thrown value that cannot be described",
        ),
    ],
)
def test_sabotaged_promises_and_errors_end_in_a_clean_error(
    failure: Callable[..., str], body: str, message: str
) -> None:
    assert message in failure(body, **FAST)


def test_globals_cannot_be_redefined_with_define_property(result: Any) -> None:
    outcome = result(
        ATTEMPT + "export default ['agent', 'log', 'args', 'SW', 'console', 'Date', 'eval',"
        " 'globalThis', '__smolwf_namespace'].map((name) =>\n"
        "  attempt(() => Object.defineProperty(globalThis, name, { value: 1 })))\n"
    )
    assert all(item.startswith("threw TypeError") for item in outcome), outcome


# ---- redefinition and deletion of globals ------------------------------------------


def test_protects_workflow_globals_from_user_mutation(
    script: Callable[[str], Path], run: Callable[..., tuple[RunReport, str]]
) -> None:
    """Port of the reference's protects_workflow_globals_from_user_mutation."""
    wf = script(
        "const originalAgent = agent\n"
        "const originalSleep = SW.extra.sleep\n"
        "const originalRandom = Math.random\n"
        "const attempts = {\n"
        "  assignAgent: () => { agent = 1 },\n"
        "  deleteAgent: () => { delete globalThis.agent },\n"
        "  defineAgent: () => Object.defineProperty(globalThis, 'agent', { value: () => 'fake' }),\n"
        "  argsWrite: () => { args.x = 1 },\n"
        "  nestedArgsWrite: () => { args.nested.y = 1 },\n"
        "  budgetTotal: () => { budget.total = 5 },\n"
        "  extraSleep: () => { SW.extra.sleep = null },\n"
        "  mathRandom: () => { Math.random = () => 4 },\n"
        "}\n"
        "const blocked = {}\n"
        "for (const [name, attempt] of Object.entries(attempts)) {\n"
        "  try { attempt(); blocked[name] = false } catch (e) { blocked[name] = e instanceof TypeError }\n"
        "}\n"
        "export default {\n"
        "  blocked,\n"
        "  unchanged: agent === originalAgent && SW.extra.sleep === originalSleep &&\n"
        "    Math.random === originalRandom && args.x === undefined && args.nested.y === undefined &&\n"
        "    budget.total === 100 && typeof agent === 'function',\n"
        "  answer: await agent('still works'),\n"
        "}\n"
    )
    report, _ = run(wf, args={"nested": {"value": 1}}, budget_allowance=100)
    assert report.result == {
        "blocked": dict.fromkeys(
            [
                "assignAgent",
                "deleteAgent",
                "defineAgent",
                "argsWrite",
                "nestedArgsWrite",
                "budgetTotal",
                "extraSleep",
                "mathRandom",
            ],
            True,
        ),
        "unchanged": True,
        "answer": "echo: still works",
    }


# ---- determinism guard -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expression", "what"),
    [
        ("Date.now()", "Date.now() reads the clock"),
        ("new Date()", "new Date() without arguments reads the clock"),
        ("Date()", "Date() reads the clock"),
        ("new (new Date(0).constructor)()", "new Date() without arguments reads the clock"),
        ("Reflect.construct(Date, [])", "new Date() without arguments reads the clock"),
        ("Math.random()", "Math.random() is disabled in workflows"),
    ],
)
def test_clock_and_randomness_throw_an_explaining_error(
    result: Any, expression: str, what: str
) -> None:
    outcome = result(ATTEMPT + f"export default attempt(() => {expression})\n")
    assert outcome.startswith("threw Error: " + what), outcome
    assert "resume" in outcome


def test_dates_from_a_value_still_work(result: Any) -> None:
    assert result(
        "export default [new Date(0).toISOString(), new Date('2020-01-01T00:00:00Z').getTime(),"
        " Date.UTC(2020, 0, 1), Date.parse('2020-01-01T00:00:00Z')]\n"
    ) == ["1970-01-01T00:00:00.000Z", 1577836800000, 1577836800000, 1577836800000]


def test_time_and_shared_memory_apis_are_undefined(result: Any) -> None:
    names = [
        "performance", "setTimeout", "setInterval", "clearTimeout", "clearInterval",
        "setImmediate", "Atomics", "SharedArrayBuffer", "WeakRef", "FinalizationRegistry",
    ]  # fmt: skip
    assert result(f"export default [{', '.join(f'typeof {n}' for n in names)}]\n") == [
        "undefined"
    ] * len(names)


# ---- resource limits ---------------------------------------------------------------

TIMEOUT = "workflow script ran 0.3 s without yielding (limit --js-slice-timeout)"


@pytest.mark.parametrize(
    "body",
    [
        "for (;;) {}\nexport default 1\n",
        "await agent('x')\nwhile (true) {}\nexport default 1\n",
        "export default async function () { await agent('x'); while (true) {} }\n",
        "async function f() { while (true) await null }\nawait f()\nexport default 1\n",
        "async function f() { while (true) await null }\nf()\nexport default 1\n",
        "const loop = () => queueMicrotask(loop)\nloop()\nexport default 1\n",
        "export default /(a*)*b/.test('a'.repeat(40))\n",
    ],
    ids=[
        "top-level",
        "after-await",
        "function-style",
        "microtask-chain",
        "detached-microtask-chain",
        "queue-microtask",
        "regex-backtracking",
    ],
)
def test_runaway_scripts_are_stopped_by_the_slice_timeout(
    failure: Callable[..., str], body: str
) -> None:
    started = time.monotonic()
    assert failure(body, **FAST) == TIMEOUT
    assert time.monotonic() - started < 10


@pytest.mark.parametrize(
    "body",
    [
        "const a = []\nfor (;;) a.push(new Array(1000).fill(1))\nexport default 1\n",
        "let s = 'xy'\nfor (;;) { s = s + s; s.indexOf('z') }\nexport default 1\n",
        "const parts = []\nfor (let i = 0; ; i++) parts.push('x'.repeat(1 << 20) + i)\nexport default 1\n",
        "export default new Uint8Array(1 << 30).length\n",
    ],
    ids=["array-growth", "string-doubling", "many-strings", "typed-array"],
)
def test_memory_bombs_run_out_of_memory_naming_the_flag(
    failure: Callable[..., str], body: str
) -> None:
    message = failure(body, js_memory_mib=32)
    assert "out of memory" in message
    assert "--js-memory" in message


def test_string_growth_past_the_engine_maximum_is_a_clean_error(
    failure: Callable[..., str],
) -> None:
    message = failure("let s = 'xy'\nfor (;;) s = s + s\nexport default 1\n", js_memory_mib=32)
    assert message.startswith("workflow module evaluation rejected: InternalError: string too long")


@pytest.mark.parametrize(
    ("body", "prefix"),
    [
        (
            "function f() { return f() }\nf()\nexport default 1\n",
            "workflow module evaluation rejected",
        ),
        (
            "function f() { return f() }\nexport default function () { return f() }\n",
            "workflow module rejected",
        ),
        (
            "export default JSON.parse('['.repeat(100000) + ']'.repeat(100000))\n",
            "workflow module evaluation rejected",
        ),
        (
            "const a = []; a.push(a)\nexport default String(a.map(function f(x) { return x.map(f) }))\n",
            "workflow module evaluation rejected",
        ),
    ],
)
def test_deep_recursion_is_a_clean_range_error(
    failure: Callable[..., str], body: str, prefix: str
) -> None:
    message = failure(body)
    first_line = message.split("\n", 1)[0]
    assert first_line == (
        f"{prefix}: RangeError: Maximum call stack size exceeded (limit --js-stack)"
    )


def test_recursion_caught_by_the_script_is_just_a_range_error(result: Any) -> None:
    assert (
        result(
            "function f() { return [f()] }\n"
            "let seen\ntry { f() } catch (e) { seen = e.name + ': ' + e.message }\n"
            "export default seen\n"
        )
        == "RangeError: Maximum call stack size exceeded"
    )


def test_a_large_stack_limit_does_not_crash_the_process(result: Any) -> None:
    # The JS thread's own stack is sized from --js-stack; on the 8 MiB main thread a
    # 64 MiB limit would let QuickJS overrun the real stack and segfault.
    assert (
        result(
            "function f(n) { return n === 0 ? 0 : 1 + f(n - 1) }\n"
            "let seen\ntry { f(1e9) } catch (e) { seen = e.message }\nexport default seen\n",
            js_stack_kib=64 * 1024,
        )
        == "Maximum call stack size exceeded"
    )


def test_huge_strings_are_fine_until_they_do_not_fit(
    result: Any, failure: Callable[..., str]
) -> None:
    assert result("export default 'y'.repeat(64 * 1024 * 1024).length\n") == 64 * 1024 * 1024
    assert "--js-memory" in failure(
        "export default 'y'.repeat(100 * 1024 * 1024)\n", js_memory_mib=64
    )


def test_a_five_megabyte_prompt_reaches_the_provider(
    script: Callable[[str], Path], run: Callable[..., tuple[RunReport, str]]
) -> None:
    provider = RecordingProvider(answer=lambda request: len(request.prompt))
    report, _ = run(
        script("export default await agent('p'.repeat(5 * 1024 * 1024))\n"),
        providers={"debug": provider},
    )
    assert report.result == 5 * 1024 * 1024
    assert provider.prompts[0] == "p" * (5 * 1024 * 1024)


@pytest.mark.parametrize(
    "body",
    [
        "await new Promise(() => {})\nexport default 1\n",
        "export default new Promise(() => {})\n",
        "export default async function () { await new Promise(() => {}) }\n",
        "export default { then() {} }\n",
    ],
)
def test_a_promise_nothing_can_settle_never_hangs(failure: Callable[..., str], body: str) -> None:
    assert failure(body).startswith("workflow can never finish: ")


# ---- natives QuickJS cannot interrupt ----------------------------------------------

HUGE = "const huge = []; huge.length = 2 ** 32 - 1\n"


@pytest.mark.parametrize(
    ("call", "name"),
    [
        ("huge.join('')", "Array.prototype.join"),
        ("String(huge)", "Array.prototype.join"),
        ("huge.toLocaleString()", "Array.prototype.toLocaleString"),
        ("huge.reverse()", "Array.prototype.reverse"),
        ("huge.sort()", "Array.prototype.sort"),
        ("huge.shift()", "Array.prototype.shift"),
        ("huge.slice()", "Array.prototype.slice"),
        ("huge.splice(0, 1)", "Array.prototype.splice"),
        ("huge.copyWithin(0, 1)", "Array.prototype.copyWithin"),
        ("huge.fill(0)", "Array.prototype.fill"),
        ("huge.flat()", "Array.prototype.flat"),
        ("huge.flatMap((x) => x)", "Array.prototype.flat"),
        ("[huge].flat()", "Array.prototype.flat"),
        ("[].concat(huge)", "Array.prototype.concat"),
        (
            "[].concat({ length: 2 ** 53 - 2, [Symbol.isConcatSpreadable]: true })",
            "Array.prototype.concat",
        ),
        ("Array.prototype.join.call({ length: 2 ** 53 - 1 }, '')", "Array.prototype.join"),
        ("Array.prototype.unshift.call({ length: 2 ** 53 - 2 }, 1)", "Array.prototype.unshift"),
        ("String.raw({ raw: { length: 2 ** 53 - 1 } })", "String.raw"),
        ("huge.keys().drop(2 ** 32).toArray()", "Iterator.prototype.drop"),
    ],
)
def test_natives_that_cannot_be_interrupted_refuse_impossible_lengths(
    failure: Callable[..., str], call: str, name: str
) -> None:
    started = time.monotonic()
    message = failure(HUGE + f"export default {call}\n", **FAST)
    assert message.startswith(f"workflow module evaluation rejected: RangeError: {name}() refuses")
    assert "--js-memory" in message
    assert time.monotonic() - started < 5


def test_array_natives_keep_their_behaviour(result: Any) -> None:
    assert result(
        "const a = [3, 1, [2, [4]]]\n"
        "export default [a.join('-'), String([1, 2]), [3, 1, 2].sort(), [1, 2].reverse(),"
        " a.flat(), a.flat(Infinity), [1, 2].flatMap((x) => [x, x * 10]), [1].concat([2], 3),"
        " [1, 2, 3].slice(1), [1, 2, 3].splice(1, 1), String.raw`a\\nb${1}`,"
        " [5, 6, 7].keys().drop(1).toArray(), Array.prototype.flat.length, Array.prototype.flatMap.length,"
        " Array.prototype.join.length, Array.prototype.join.name, [, 1].flat().length]\n"
    ) == [
        "3-1-2,4",
        "1,2",
        [1, 2, 3],
        [2, 1],
        [3, 1, 2, [4]],
        [3, 1, 2, 4],
        [1, 10, 2, 20],
        [1, 2, 3],
        [2, 3],
        [2],
        "a\\nb1",
        [1, 2],
        0,
        1,
        1,
        "join",
        1,
    ]


def test_nested_native_work_still_respects_the_slice_timeout(failure: Callable[..., str]) -> None:
    assert (
        failure(
            "const b = []; b.length = 2 ** 22\n"
            "export default [Array(1000).fill(b).flat().length, Array(1000).fill(b).join('').length]\n",
            **FAST,
        )
        == TIMEOUT
    )


# ---- host protocol integrity -------------------------------------------------------


def test_the_namespace_handover_slot_is_invisible_and_cannot_be_faked(result: Any) -> None:
    assert result(
        "Object.defineProperty(Object.prototype, '__smolwf_namespace', {\n"
        "  get: () => ({ default: 'fake' }), set() {}, configurable: true })\n"
        "Object.setPrototypeOf(globalThis, new Proxy(Object.getPrototypeOf(globalThis), {\n"
        "  get: () => ({ default: 'fake' }), set: () => true }))\n"
        "__smolwf_namespace = { default: 'fake' }\n"
        "export default [typeof __smolwf_namespace, 'real']\n"
    ) == ["undefined", "real"]


def test_the_module_cannot_replace_global_this(failure: Callable[..., str]) -> None:
    assert "'globalThis' is read-only" in failure("globalThis = {}\nexport default 1\n")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("export default '\\uD800'\n", "\ufffd"),
        ("export default { '\\uDC00key': ['a\\uD800b'] }\n", {"\ufffdkey": ["a\ufffdb"]}),
        ("export default await agent('\\uD800 lone')\n", "echo: \ufffd lone"),
        ("export default '\\uD83D\\uDE00'\n", "\U0001f600"),
    ],
)
def test_lone_surrogates_from_the_script_become_replacement_characters(
    result: Any, body: str, expected: Any
) -> None:
    assert result(body) == expected


def test_lone_surrogates_in_logs_phases_and_errors_do_not_crash_the_host(
    script: Callable[[str], Path],
    run: Callable[..., tuple[RunReport, str]],
    failure: Callable[..., str],
) -> None:
    _, progress = run(
        script("log('\\uD800'); console.warn('x\\uDFFF'); phase('\\uDBFF')\nexport default 1\n")
    )
    assert "[log] \ufffd" in progress
    assert "[log] x\ufffd" in progress
    assert "[phase] \ufffd" in progress
    assert failure("throw new Error('\\uDC00 lone')\n").startswith(
        "workflow module evaluation rejected: \ufffd lone"
    )
    assert (
        failure("export default function () { throw '\\uD800' }\n")
        == "workflow module rejected: \ufffd"
    )


def test_lone_surrogates_from_a_provider_reach_the_script_and_come_back_clean(
    script: Callable[[str], Path], run: Callable[..., tuple[RunReport, str]]
) -> None:
    provider = RecordingProvider(answer=lambda request: "odd\ud800")
    report, _ = run(
        script("const out = await agent('x')\nexport default [out.length, out]\n"),
        providers={"debug": provider},
    )
    assert report.result == [4, "odd\ufffd"]


@pytest.mark.parametrize(
    "body",
    [
        "let a = []; for (let i = 0; i < 1500; i++) a = [a]\nexport default a\n",
        "let a = {}; for (let i = 0; i < 2000; i++) a = { a }\nexport default await agent('x', { deep: a })\n",
        "let a = {}; for (let i = 0; i < 300; i++) a = { a }\nphase('p', a)\nexport default 1\n",
    ],
    ids=["result", "agent-options", "phase-options"],
)
def test_deeply_nested_values_are_refused_without_a_recursion_error(
    failure: Callable[..., str], body: str
) -> None:
    assert failure(body) == (
        "a value the workflow passed to the host is nested more than 128 levels deep; flatten it"
    )


def test_nesting_within_the_limit_round_trips(result: Any) -> None:
    outcome = result("let a = []; for (let i = 0; i < 100; i++) a = [a]\nexport default a\n")
    depth = 0
    while outcome:
        outcome, depth = outcome[0], depth + 1
    assert depth == 100


def test_options_that_convert_to_a_non_object_are_a_catchable_type_error(result: Any) -> None:
    assert result(
        ATTEMPT + "export default [\n"
        "  attempt(() => agent('x', { toJSON: () => 5 })),\n"
        "  attempt(() => agent('x', { toJSON: () => [1] })),\n"
        "  attempt(() => SW.sandbox.exec('p/q', { command: 'ls', toJSON: () => 'ls' })),\n"
        "]\n"
    ) == [
        "threw TypeError: agent() options must convert to a JSON object, got a number",
        "threw TypeError: agent() options must convert to a JSON object, got an array",
        "threw TypeError: exec() request must convert to a JSON object, got a string",
    ]


def test_console_methods_log_like_log(
    script: Callable[[str], Path], run: Callable[..., tuple[RunReport, str]]
) -> None:
    _, progress = run(
        script(
            "console.log('a', 1); console.info({ b: 2 }); console.warn('c')\n"
            "console.error(new Error('d')); console.debug([3])\nexport default 1\n"
        )
    )
    lines = progress.splitlines()
    assert lines[:3] == ["[log] a 1", '[log] {"b":2}', "[log] c"]
    assert lines[3].startswith("[log] Error: d") or lines[3].startswith("[log] d")
    assert lines[-1] == "[log] [3]"


# ---- through the real CLI ----------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "flags", "expected"),
    [
        ("for (;;) {}\nexport default 1\n", ["--js-slice-timeout", "0.3"], "without yielding"),
        (
            "const a = []\nfor (;;) a.push(new Array(1000).fill(1))\nexport default 1\n",
            ["--js-memory", "32"],
            "out of memory",
        ),
        (
            "export default (function(){}).constructor('return this')()\n",
            [],
            "TypeError: not a function",
        ),
        ("import fs from 'node:fs'\nexport default 1\n", [], "workflow imports are restricted"),
        (
            "throw new Error('\\uD800 lone')\n",
            [],
            "workflow module evaluation rejected: \ufffd lone",
        ),
        (
            "let a = []; for (let i = 0; i < 1500; i++) a = [a]\nexport default a\n",
            [],
            "nested more than 128 levels",
        ),
        (
            "const s = 'a'.repeat(2 ** 24)\nlet n = 0\nfor (;;) n += s.indexOf('b')\nexport default n\n",
            ["--js-slice-timeout", "0.2"],
            "without yielding",
        ),
        ("await new Promise(() => {})\nexport default 1\n", [], "workflow can never finish"),
    ],
    ids=[
        "loop",
        "memory",
        "constructor",
        "import",
        "surrogate",
        "nesting",
        "native-loop",
        "pending",
    ],
)
def test_hostile_scripts_through_the_cli_exit_1_with_one_error_line(
    tmp_path: Path, body: str, flags: list[str], expected: str
) -> None:
    path = tmp_path / "wf.mjs"
    path.write_text(META + body, encoding="utf-8")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), PYTHONIOENCODING="utf-8")
    started = time.monotonic()
    # --no-check: the sandbox and the loader must stop these even when nothing checked them.
    run = ["run", str(path), "--db", str(tmp_path / "t.db"), "--no-check"]
    completed = subprocess.run(
        [sys.executable, "-m", "smolwf", *run, *flags],
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        cwd=tmp_path,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stderr.startswith("error: "), completed.stderr
    assert expected in completed.stderr.splitlines()[0] or expected in completed.stderr
    assert "Traceback" not in completed.stderr + completed.stdout
    assert completed.stdout == ""
    assert time.monotonic() - started < 30

"""Script loading: file errors, import vetting and rewriting, Claude Code form, line numbers.

Rewritten sources are evaluated in a real QuickJS context, so the tests prove the output
is valid JS that behaves like the imports it replaced.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import quickjs
from hypothesis import given
from hypothesis import strategies as st

from smolwf.errors import ScriptError
from smolwf.jsontypes import JSON
from smolwf.script import (
    IMPORTS_RESTRICTED,
    META_ERROR,
    PreparedScript,
    load_script,
    prepare_source,
)

META = 'export const meta = { name: "test", description: "a test workflow" };\n'
SCRIPT = Path("/work/flows/test.js")
FAKE_SW = """
globalThis.SW = {
  extra: { sleep: () => "slept", parallelSettled: () => "ps", pipelineSettled: () => "pl" },
  sandbox: { exec: () => "ran" },
};
"""


def prepare(body: str, *, meta: str = META) -> PreparedScript:
    return prepare_source(meta + body, path=SCRIPT)


def evaluate(prepared: PreparedScript) -> quickjs.Context:
    """Evaluate the module with a fake ``SW``; a rejection's stack lands in ``failure``."""
    ctx = quickjs.Context()
    ctx.eval(FAKE_SW + "globalThis.failure = null;")
    ctx.set("evaluation", ctx.module(prepared.module_source))
    ctx.eval("evaluation.catch((e) => { globalThis.failure = String(e && e.stack || e); });")
    while ctx.execute_pending_job():
        pass
    return ctx


def global_json(ctx: quickjs.Context, name: str) -> JSON:
    result = ctx.eval(f"JSON.stringify(globalThis.{name})")
    assert isinstance(result, str)
    decoded: JSON = json.loads(result)
    return decoded


def default_export(ctx: quickjs.Context) -> JSON:
    ctx.module("import * as ns from '<input>'; globalThis.ns = ns;")
    while ctx.execute_pending_job():
        pass
    return global_json(ctx, "ns.default")


def restricted_error(body: str) -> str:
    with pytest.raises(ScriptError) as caught:
        prepare(body)
    message = caught.value.message
    assert message.startswith(IMPORTS_RESTRICTED + ": ")
    return message


# ------------------------------------------------------------ rewriting allowed imports


@pytest.mark.parametrize(
    ("statement", "rewritten"),
    [
        ("import {sleep} from 'workflow:extra';", "const {sleep} = SW.extra;"),
        ('import { sleep } from "workflow:extra"', "const {sleep} = SW.extra;"),
        ("import {sleep as nap} from 'workflow:extra';", "const {sleep: nap} = SW.extra;"),
        ("import extra from 'workflow:extra';", "const extra = SW.extra;"),
        ("import * as extra from 'workflow:extra';", "const extra = SW.extra;"),
        (
            "import extra, {sleep} from 'workflow:extra';",
            "const extra = SW.extra; const {sleep} = SW.extra;",
        ),
        (
            "import sb, * as ns from 'workflow:sandbox';",
            "const sb = SW.sandbox; const ns = SW.sandbox;",
        ),
        ("import {default as e} from 'workflow:extra';", "const e = SW.extra;"),
        ("import {exec,} from 'workflow:sandbox';", "const {exec} = SW.sandbox;"),
        ("import {'exec' as run} from 'workflow:sandbox';", "const {exec: run} = SW.sandbox;"),
        ("import from from 'workflow:extra';", "const from = SW.extra;"),
    ],
)
def test_allowed_import_is_rewritten_in_place_to_a_const(statement: str, rewritten: str) -> None:
    prepared = prepare(statement + "\nexport default 1;\n")
    first_line = prepared.module_source.splitlines()[1]
    assert first_line.rstrip() == rewritten


def test_rewritten_imports_run_in_quickjs() -> None:
    body = """
import extra, { sleep as nap, parallelSettled } from 'workflow:extra';
import * as sandbox from "workflow:sandbox"
import { exec } from 'workflow:sandbox';
globalThis.seen = [extra.sleep(), nap(), parallelSettled(), sandbox.exec(), exec()];
export default "done";
"""
    ctx = evaluate(prepare(body))
    assert global_json(ctx, "failure") is None
    assert global_json(ctx, "seen") == ["slept", "slept", "ps", "ran", "ran"]
    assert default_export(ctx) == "done"


def test_import_split_across_lines_keeps_line_count() -> None:
    body = "import {\n  sleep,\n  pipelineSettled as pl,\n} from\n  'workflow:extra'\n;after()\n"
    prepared = prepare(body)
    assert prepared.module_source.count("\n") == prepared.source.count("\n")
    lines = prepared.module_source.splitlines()
    assert lines[1].strip() == "const {sleep, pipelineSettled: pl} = SW.extra;"
    assert all(not line.strip() for line in lines[2:6])
    assert lines[6] == " after()"  # the `;` that ended the import became a space


def test_code_after_an_import_on_the_same_line_keeps_its_column() -> None:
    prepared = prepare("import {sleep} from 'workflow:extra'; globalThis.x = sleep();\n")
    original, rewritten = prepared.source.splitlines()[1], prepared.module_source.splitlines()[1]
    assert rewritten.index("globalThis") == original.index("globalThis")


def test_side_effect_import_of_an_allowed_module_is_removed() -> None:
    prepared = prepare("import 'workflow:extra';\nexport default 1;\n")
    assert prepared.module_source.splitlines()[1].strip() == ""


def test_stack_trace_line_numbers_match_the_original_file() -> None:
    body = (
        "import {\n  sleep,\n} from 'workflow:extra';\n"  # lines 2-4
        "import * as sb from 'workflow:sandbox';\n"  # line 5
        "\n"
        "throw new Error('boom');\n"  # line 7
        "export default 1;\n"
    )
    ctx = evaluate(prepare(body))
    failure = global_json(ctx, "failure")
    assert isinstance(failure, str)
    assert "<input>:7:" in failure


# ------------------------------------------------------------ rejected imports


@pytest.mark.parametrize(
    ("body", "line", "what"),
    [
        ("import fs from 'node:fs';\n", 2, "cannot import 'node:fs'"),
        ('\nimport { readFile } from "fs"\n', 3, 'cannot import "fs"'),
        ("import './helper.js';\n", 2, "cannot import './helper.js'"),
        ("import * as x from 'extra';\n", 2, "cannot import 'extra'"),
        ("export * from 'workflow:extra';\n", 2, "export … from"),
        ("export { sleep } from 'workflow:extra';\n", 2, "export … from"),
        ("export * as ns from 'node:os';\n", 2, "export … from"),
        ("async function f() {\n  return import('workflow:extra');\n}\n", 3, "import()"),
        ("const m = 'node:fs';\nawait import(m);\n", 3, "import()"),
        ("const url = import.meta.url;\n", 2, "import.meta"),
        (
            "import data from 'workflow:extra' with { type: 'json' };\n",
            2,
            "import attributes",
        ),
        ("import data from 'workflow:extra' assert { type: 'json' };\n", 2, "import attributes"),
        ("import { sleep } 'workflow:extra';\n", 2, "unsupported import statement"),
    ],
)
def test_restricted_import_is_rejected_with_file_and_line(body: str, line: int, what: str) -> None:
    message = restricted_error(body + "export default 1;\n")
    assert f": {SCRIPT}:{line}: " in message
    assert what in message
    assert "\n" not in message


def test_importing_an_unknown_name_lists_the_available_exports() -> None:
    with pytest.raises(ScriptError) as caught:
        prepare("\nimport { open } from 'workflow:sandbox';\n")
    assert caught.value.message == (
        f"{SCRIPT}:3: workflow:sandbox has no export named 'open'; available: exec, default"
    )


def test_unknown_extra_export_is_rejected() -> None:
    with pytest.raises(ScriptError, match="available: sleep, parallelSettled, pipelineSettled"):
        prepare("import { sleep, setTimeout } from 'workflow:extra';\n")


def test_import_text_inside_strings_templates_and_comments_is_ignored() -> None:
    body = """
// import fs from 'node:fs'
/* import('x') */
const a = "import fs from 'node:fs'";
const b = `import.meta ${"import('x')"} return`;
globalThis.texts = [a, b];
export default 1;
"""
    prepared = prepare(body)
    assert prepared.form == "module"
    ctx = evaluate(prepared)
    assert global_json(ctx, "texts") == [
        "import fs from 'node:fs'",
        "import.meta import('x') return",
    ]


def test_import_as_a_property_name_is_not_an_import() -> None:
    prepared = prepare("const o = { import: 1 };\nglobalThis.v = o.import;\nexport default 1;\n")
    assert global_json(evaluate(prepared), "v") == 1


# ------------------------------------------------------------ meta errors


def test_missing_meta_is_reported_with_the_reference_message() -> None:
    with pytest.raises(ScriptError) as caught:
        prepare_source("export default 1;\n", path=SCRIPT)
    assert caught.value.message.startswith(f"{SCRIPT}:1: the script has no `export const meta")
    assert caught.value.message.endswith(META_ERROR)


def test_meta_error_comes_before_import_errors() -> None:
    with pytest.raises(ScriptError) as caught:
        prepare_source("import fs from 'node:fs';\nexport default 1;\n", path=SCRIPT)
    assert caught.value.message.endswith(META_ERROR)


@pytest.mark.parametrize(
    ("source", "line", "rule"),
    [
        ("", 1, "the script has no `export const meta"),
        ("export const meta = { name: 1, description: 'd' }\n", 1, "meta.name must be a string"),
        (
            "export const meta = {\n  name: 'n',\n}\n",
            1,
            "meta.description is missing",
        ),
        (
            "export const meta = {\n  name: 'n',\n  description: 2,\n}\n",
            3,
            "meta.description must be a string",
        ),
        (
            "const n = 'a'\nexport const meta = {\n  name: n,\n  description: 'd' }\n",
            3,
            "meta must be a pure literal, but `n` is not one",
        ),
        ("export const meta = ['n']\n", 1, "meta must be an object literal"),
    ],
    ids=[
        "empty-file",
        "name-not-a-string",
        "no-description",
        "description-line",
        "variable",
        "array",
    ],
)
def test_every_meta_problem_names_its_rule_and_line(source: str, line: int, rule: str) -> None:
    with pytest.raises(ScriptError) as caught:
        prepare_source(source + "export default 1\n", path=SCRIPT)
    assert caught.value.message.startswith(f"{SCRIPT}:{line}: {rule}")
    assert caught.value.message.endswith(META_ERROR)


def test_prepared_script_carries_meta_and_source() -> None:
    prepared = prepare_source(META + "export default 1;\n", path=SCRIPT, sha256="abc")
    assert prepared.meta.name == "test"
    assert prepared.source == META + "export default 1;\n"
    assert (prepared.path, prepared.sha256, prepared.form) == (SCRIPT, "abc", "module")


# ------------------------------------------------------------ script form


def test_module_form_source_is_only_import_rewritten() -> None:
    source = META + "export default async function (args) { return args; }\n"
    prepared = prepare_source(source, path=SCRIPT)
    assert prepared.form == "module"
    assert prepared.module_source == source


def test_top_level_return_without_default_export_is_claude_code_form() -> None:
    body = (
        "import { sleep } from 'workflow:extra';\n"
        "const x = await Promise.resolve(20);\n"
        "return { x, s: sleep(), name: meta.name };\n"
    )
    prepared = prepare(body)
    assert prepared.form == "claude-code"
    source_lines = prepared.source.splitlines()
    module_lines = prepared.module_source.splitlines()
    assert module_lines[0].startswith("export default await (async () => {")
    assert module_lines[0].endswith("       const meta = {" + source_lines[0].split("{", 1)[1])
    assert module_lines[3] == source_lines[3]
    assert prepared.module_source.endswith("\n})();\n")
    ctx = evaluate(prepared)
    assert global_json(ctx, "failure") is None
    assert default_export(ctx) == {"x": 20, "s": "slept", "name": "test"}


def test_claude_code_form_keeps_line_numbers_in_stack_traces() -> None:
    body = "const a = 1;\n\nif (a) throw new Error('cc boom');\nreturn a;\n"
    prepared = prepare(body)
    assert prepared.form == "claude-code"
    failure = global_json(evaluate(prepared), "failure")
    assert isinstance(failure, str)
    assert "<input>:4:" in failure


def test_claude_code_form_with_hashbang_still_evaluates() -> None:
    prepared = prepare_source("#!/usr/bin/env smol-wf\n" + META + "return 7;\n", path=SCRIPT)
    assert prepared.form == "claude-code"
    assert default_export(evaluate(prepared)) == 7


def test_return_inside_functions_does_not_make_claude_code_form() -> None:
    body = """
function f() { return 1; }
const g = () => { return 2; };
class C { m() { return 3; } }
const o = { h() { return 4; } };
globalThis.sum = f() + g() + new C().m() + o.h();
"""
    prepared = prepare(body)
    assert prepared.form == "module"
    assert global_json(evaluate(prepared), "sum") == 10


def test_return_property_or_text_does_not_make_claude_code_form() -> None:
    body = (
        "const o = { return: 1 };\n"
        "const r = o.return / 2;\n"
        "const s = 'return';\n"
        "const t = `return ${1}`;\n"
    )
    assert prepare(body).form == "module"


def test_default_export_wins_over_top_level_return_detection() -> None:
    assert prepare("export default 1;\nif (false) return;\n").form == "module"
    assert prepare("const x = 1;\nexport { x as default };\nreturn 1;\n").form == "module"
    assert prepare("const x = 1;\nexport { x as 'default' };\nreturn 1;\n").form == "module"


def test_regex_with_slashes_and_quotes_does_not_confuse_the_scanner() -> None:
    body = """
const url = /https?:\\/\\/[^'" ]+/g;
const other = "a" / 1 || /[/"']/;
return ["see http://x.y 'q'".match(url)[0], other.source];
"""
    prepared = prepare(body)
    assert prepared.form == "claude-code"
    assert default_export(evaluate(prepared)) == ["http://x.y", "[/\"']"]


def test_template_with_return_and_import_text_in_claude_code_form() -> None:
    body = "const name = 'x';\nreturn `import ${name} from 'y'; return ${'}'}`;\n"
    prepared = prepare(body)
    assert prepared.form == "claude-code"
    assert default_export(evaluate(prepared)) == "import x from 'y'; return }"


# ------------------------------------------------------------ loading files


def test_load_script_reads_resolves_and_hashes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = (META + "export default '→ café';\n").encode()
    (tmp_path / "flow.js").write_bytes(data)
    monkeypatch.chdir(tmp_path)
    prepared = load_script(Path("flow.js"))
    assert prepared.path == (tmp_path / "flow.js").resolve()
    assert prepared.path.is_absolute()
    assert prepared.sha256 == hashlib.sha256(data).hexdigest()
    assert prepared.source == data.decode()


def test_missing_script_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "nope.js"
    with pytest.raises(ScriptError) as caught:
        load_script(missing)
    assert caught.value.message == f"failed to resolve workflow script {missing}: no such file"


def test_directory_is_not_a_script(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as caught:
        load_script(tmp_path)
    assert caught.value.message.startswith(f"failed to resolve workflow script {tmp_path}: ")
    assert "directory" in caught.value.message


def test_non_utf8_script_is_reported_with_byte_offset(tmp_path: Path) -> None:
    script = tmp_path / "latin1.js"
    script.write_bytes(META.encode() + b"// caf\xe9\n")
    with pytest.raises(ScriptError) as caught:
        load_script(script)
    message = caught.value.message
    assert message.startswith(f"workflow script {script} is not valid UTF-8 text")
    assert str(len(META.encode()) + 6) in message


def test_script_errors_from_files_name_the_absolute_path(tmp_path: Path) -> None:
    script = tmp_path / "bad.js"
    script.write_text(META + "\n\nimport fs from 'node:fs';\n")
    with pytest.raises(ScriptError) as caught:
        load_script(script)
    assert f": {script.resolve()}:4: cannot import 'node:fs'" in caught.value.message


_SOUP_WORDS = ["return", "import", "export", "default", "from", " as ", " 'workflow:extra'"]
_JS_SOUP = st.lists(
    st.sampled_from([*"ab1 \n'\"`/*${}();,.=#", *_SOUP_WORDS, "{sleep}", "* as x"]),
    max_size=40,
).map("".join)


@given(body=_JS_SOUP)
def test_any_text_either_prepares_line_exact_or_raises_script_error(body: str) -> None:
    try:
        prepared = prepare(body)
    except ScriptError:
        return
    extra_lines = 2 if prepared.form == "claude-code" else 0
    assert prepared.module_source.count("\n") == prepared.source.count("\n") + extra_lines

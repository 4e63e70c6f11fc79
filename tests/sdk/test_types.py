"""The TypeScript SDK (sdk-ts/) type-checks every example and rejects every known misuse.

Runs the pinned local ``tsc`` (``npm ci --prefix sdk-ts``). Without it the tests skip,
except in CI, where a missing compiler is a failure.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from smolwf.script.source import MODULE_EXPORTS, prepare_source

ROOT = Path(__file__).resolve().parents[2]
SDK = ROOT / "sdk-ts"
TSC = SDK / "node_modules" / ".bin" / "tsc"
DECLARATIONS = SDK / "index.d.ts"
EXAMPLES = ROOT / "examples"
MISUSE = sorted((SDK / "test" / "misuse").glob("*.mjs"))
EXPECT = re.compile(r"^// expect: (TS\d+) (.+)$", re.MULTILINE)
DIAGNOSTIC = re.compile(r"^(?P<file>[^\s(][^(]*)\(\d+,\d+\): error (?P<code>TS\d+): ", re.MULTILINE)


@pytest.fixture(scope="module")
def compiler() -> None:
    """Skip (fail in CI) when the pinned compiler is not installed."""
    if TSC.exists():
        return
    reason = f"{TSC.relative_to(ROOT)} is missing: run `npm ci --prefix sdk-ts`"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass(frozen=True)
class Checked:
    """One ``tsc`` run: its exit code and its diagnostics (stdout)."""

    returncode: int
    output: str

    def files_with_errors(self) -> set[str]:
        return {match["file"] for match in DIAGNOSTIC.finditer(self.output)}


def tsc(*arguments: str | Path, cwd: Path = ROOT) -> Checked:
    done = subprocess.run(
        [str(TSC), *map(str, arguments)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return Checked(done.returncode, done.stdout + done.stderr)


def check_alone(script: Path, config_dir: Path) -> Checked:
    """Type-check one script with the SDK's test options and nothing else."""
    config = config_dir / f"{script.stem}.json"
    config.write_text(
        json.dumps(
            {
                "extends": str(SDK / "test" / "tsconfig.json"),
                # index.d.ts itself is checked by the sdk-ts/test and examples projects.
                "compilerOptions": {"skipLibCheck": True},
                "include": [],
                "files": [str(DECLARATIONS), str(script)],
            }
        )
    )
    return tsc("-p", config)


# ---------------------------------------------------------------- what must pass


@pytest.mark.usefixtures("compiler")
def test_every_example_type_checks() -> None:
    checked = tsc("--noEmit", "-p", EXAMPLES / "jsconfig.json")
    assert checked.returncode == 0, checked.output


@pytest.mark.usefixtures("compiler")
def test_the_examples_project_covers_every_module_form_example() -> None:
    """Every example with a default export is checked; only the Claude Code form is not."""
    listed = tsc("--listFilesOnly", "-p", EXAMPLES / "jsconfig.json")
    assert listed.returncode == 0, listed.output
    checked = {Path(line).resolve() for line in listed.output.splitlines() if line.strip()}
    for script in sorted(EXAMPLES.rglob("*.mjs")):
        form = prepare_source(script.read_text(), path=script).form
        if form == "module":
            assert script in checked, f"{script} is not type-checked by examples/jsconfig.json"
        else:
            assert script not in checked, (
                f"{script} is in the Claude Code form (top-level return), which tsc rejects: "
                "add it to `exclude` in examples/jsconfig.json"
            )


@pytest.mark.usefixtures("compiler")
def test_correct_usage_type_checks_with_the_inferred_types_pinned() -> None:
    checked = tsc("-p", SDK / "test")
    assert checked.returncode == 0, checked.output


@pytest.mark.usefixtures("compiler")
def test_the_package_resolves_by_name(tmp_path: Path) -> None:
    """Installed as @smol-wf/sdk: `/// <reference types>` and jsconfig `types` both work."""
    package = tmp_path / "node_modules" / "@smol-wf" / "sdk"
    package.mkdir(parents=True)
    for name in ("package.json", "index.d.ts"):
        (package / name).write_text((SDK / name).read_text())
    meta = "export const meta = { name: 'n', description: 'd' }\n"
    (tmp_path / "by-reference.mjs").write_text(
        '/// <reference types="@smol-wf/sdk" />\n' + meta + "export default await agent('x')\n"
    )
    (tmp_path / "by-types.mjs").write_text(
        meta + "/** @type {number} */\nconst text = await agent('x')\nexport default text\n"
    )
    base = {
        "allowJs": True,
        "checkJs": True,
        "noEmit": True,
        "strict": True,
        "module": "esnext",
        "moduleResolution": "bundler",
        "target": "es2022",
        "lib": ["es2022"],
    }
    by_reference = tmp_path / "by-reference.json"
    by_reference.write_text(
        json.dumps({"compilerOptions": {**base, "types": []}, "files": ["by-reference.mjs"]})
    )
    by_types = tmp_path / "by-types.json"
    by_types.write_text(
        json.dumps(
            {"compilerOptions": {**base, "types": ["@smol-wf/sdk"]}, "files": ["by-types.mjs"]}
        )
    )
    referenced = tsc("-p", by_reference, cwd=tmp_path)
    assert referenced.returncode == 0, referenced.output
    # The types are in effect: agent() resolves to a string, not to any.
    typed = tsc("-p", by_types, cwd=tmp_path)
    assert typed.returncode == 2, typed.output
    assert "Type 'string' is not assignable to type 'number'" in typed.output


# ---------------------------------------------------------------- what must fail


@pytest.fixture(scope="module")
def misuse_results(
    compiler: None, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[Path, Checked]]:
    """Every misuse file checked alone, a few at a time (each tsc takes about a second)."""
    config_dir = tmp_path_factory.mktemp("misuse")
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = dict(
            zip(
                MISUSE,
                pool.map(lambda script: check_alone(script, config_dir), MISUSE),
                strict=True,
            )
        )
    yield results


def test_there_are_misuse_files() -> None:
    assert len(MISUSE) >= 20


@pytest.mark.parametrize("script", MISUSE, ids=[script.stem for script in MISUSE])
def test_misuse_fails_to_type_check(script: Path, misuse_results: dict[Path, Checked]) -> None:
    expected = EXPECT.search(script.read_text())
    assert expected, f"{script.name} needs a `// expect: TSnnnn <message text>` line"
    code, text = expected.groups()
    checked = misuse_results[script]
    assert checked.returncode == 2, f"{script.name} type-checked:\n{checked.output}"
    # The errors are the script's own, not a broken declaration file.
    assert checked.files_with_errors() == {str(script.relative_to(ROOT))}, checked.output
    assert f"error {code}:" in checked.output, checked.output
    assert text in checked.output, checked.output


# ---------------------------------------------------------------- drift from the runtime


def _module_exports(module: str) -> set[str]:
    block = re.search(
        rf"declare module '{module}' \{{(.*?)\n\}}", DECLARATIONS.read_text(), re.DOTALL
    )
    assert block, module
    names = set(re.findall(r"export const (\w+)", block[1]))
    if "export default" in block[1]:
        names.add("default")
    return names


@pytest.mark.parametrize("module", list(MODULE_EXPORTS))
def test_module_declarations_match_what_the_runtime_exports(module: str) -> None:
    assert _module_exports(module) == {*MODULE_EXPORTS[module], "default"}


def test_the_sw_global_declares_every_module() -> None:
    interface = re.search(r"interface SW \{(.*?)\n  \}", DECLARATIONS.read_text(), re.DOTALL)
    assert interface
    declared = set(re.findall(r"readonly (\w+):", interface[1]))
    assert declared == {module.removeprefix("workflow:") for module in MODULE_EXPORTS}


def test_context_declaration_matches_the_prelude() -> None:
    prelude = (ROOT / "smolwf" / "js" / "prelude.js").read_text()
    ctx = re.search(r"const ctx = \{(.*?)\};", prelude)
    assert ctx
    runtime = {entry.split(":")[0].strip() for entry in ctx[1].split(",")}
    interface = re.search(
        r"interface WorkflowContext \{(.*?)\n  \}", DECLARATIONS.read_text(), re.DOTALL
    )
    assert interface
    declared = set(re.findall(r"^\s*(\w+):", interface[1], re.MULTILINE))
    assert declared == runtime


def test_agent_options_declaration_matches_the_option_set() -> None:
    from smolwf.engine.options import AGENT_OPTIONS

    interface = re.search(
        r"interface AgentOptions \{(.*?)\n  \}", DECLARATIONS.read_text(), re.DOTALL
    )
    assert interface
    declared = set(re.findall(r"^\s{4}(\w+)\?:", interface[1], re.MULTILINE))
    assert declared == set(AGENT_OPTIONS)

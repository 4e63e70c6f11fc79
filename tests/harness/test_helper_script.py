"""The helper script drives the real ``smol-wf`` console script (spec §5, ``smol-wf.sh``)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HELPER = ROOT / "harness" / "plugins" / "smol-workflows" / "skills" / "scripts" / "smol-wf.sh"
OPENCODE = ROOT / "harness" / "opencode"
SMOL_WF = Path(sys.executable).with_name("smol-wf")
BASH = shutil.which("bash") or "/bin/bash"

pytestmark = pytest.mark.skipif(not SMOL_WF.is_file(), reason="smol-wf console script missing")

WORKFLOW = """export const meta = { name: 'echo-args', description: 'Return the args and budget' }
const answer = await agent(`hello ${args.who}`)
export default { args, total: budget.total, answer }
"""


def helper_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("SMOL_WF_") and not key.startswith("SMOLWF_")
    }
    env["SMOL_WF_BIN"] = str(SMOL_WF)
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    env.update(extra)
    return env


def run_helper(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, str(HELPER), *args],
        cwd=tmp_path,
        env=helper_env(tmp_path) if env is None else env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def workflow(tmp_path: Path) -> Path:
    path = tmp_path / "echo.mjs"
    path.write_text(WORKFLOW, encoding="utf-8")
    return path


def test_list_prints_workflow_names(tmp_path: Path) -> None:
    folder = tmp_path / ".agents" / "workflows"
    folder.mkdir(parents=True)
    (folder / "x.mjs").write_text(
        "export const meta = { name: 'x-flow', description: 'lists fine' }\nexport default 1\n",
        encoding="utf-8",
    )
    result = run_helper(tmp_path, "list")
    assert result.returncode == 0, result.stderr
    header, *rows = result.stdout.splitlines()
    assert header.split() == ["NAME", "PATH", "DESCRIPTION"]
    assert len(rows) == 1
    assert rows[0].split()[:2] == ["x-flow", ".agents/workflows/x.mjs"]


@pytest.mark.parametrize(
    ("name", "content", "who"),
    [("args.json", '{"who": "json"}\n', "json"), ("args.yaml", "who: yaml\n", "yaml")],
)
def test_run_prints_report(
    tmp_path: Path, workflow: Path, name: str, content: str, who: str
) -> None:
    args_file = tmp_path / name
    args_file.write_text(content, encoding="utf-8")
    env = helper_env(tmp_path, SMOL_WF_AGENT_PROVIDER="debug")
    result = run_helper(tmp_path, "run", str(workflow), str(args_file), "500", env=env)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["results"]["args"] == {"who": who}
    assert report["results"]["answer"] == f"echo: hello {who}"
    assert report["results"]["total"] == 500
    assert report["runID"].startswith("run_")
    assert "--agent-provider debug" in result.stderr
    assert "--max-parallel-agents 4" in result.stderr


@pytest.mark.parametrize("budget", ["0", "none", "-"])
def test_zero_budget_omits_the_flag(tmp_path: Path, workflow: Path, budget: str) -> None:
    args_file = tmp_path / "args.json"
    args_file.write_text('{"who": "b"}', encoding="utf-8")
    result = run_helper(tmp_path, "run", str(workflow), str(args_file), budget)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]["total"] is None
    assert "--budget-allowance" not in result.stderr
    # No SMOL_WF_AGENT_PROVIDER: smol-wf's own default applies.
    assert "--agent-provider" not in result.stderr


def test_run_without_run_word_and_extra_flags(tmp_path: Path, workflow: Path) -> None:
    args_file = tmp_path / "args.json"
    args_file.write_text('{"who": "x"}', encoding="utf-8")
    env = helper_env(tmp_path, SMOL_WF_MAX_PARALLEL_AGENTS="2")
    result = run_helper(
        tmp_path, str(workflow), str(args_file), "0", "--", "--args-who", "flag", env=env
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"]["args"] == {"who": "flag"}
    assert "--max-parallel-agents 2" in result.stderr


def test_invalid_args_file_is_reported_by_smol_wf(tmp_path: Path, workflow: Path) -> None:
    args_file = tmp_path / "args.yaml"
    args_file.write_text("key: [not closed\n", encoding="utf-8")
    result = run_helper(tmp_path, "run", str(workflow), str(args_file), "0")
    assert result.returncode == 2
    assert "is not valid YAML" in result.stderr


def test_missing_args_file(tmp_path: Path, workflow: Path) -> None:
    result = run_helper(tmp_path, "run", str(workflow), "nope.json", "0")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "smol-wf helper: error: args file does not exist: nope.json"
    ]


def test_missing_workflow(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text("{}", encoding="utf-8")
    result = run_helper(tmp_path, "run", "nope.mjs", "a.json", "0")
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "smol-wf helper: error: workflow script does not exist: nope.mjs"
    ]


@pytest.mark.parametrize(
    "argv",
    [(), ("run", "only-one"), ("list", "extra"), ("--bogus",), ("a.mjs", "a.json", "0", "junk")],
    ids=["nothing", "too-few", "list-extra", "unknown-option", "junk-after-budget"],
)
def test_bad_invocation(tmp_path: Path, argv: tuple[str, ...]) -> None:
    result = run_helper(tmp_path, *argv)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("smol-wf helper: error: ")
    assert "usage: smol-wf.sh list" in line


def test_help(tmp_path: Path) -> None:
    result = run_helper(tmp_path, "--help")
    assert result.returncode == 0
    assert "pipx install smolwf" in result.stdout


@pytest.mark.parametrize("mode", [("list",), ("run", "echo.mjs", "args.json", "0")])
def test_missing_binary_prints_install_hint(
    tmp_path: Path, workflow: Path, mode: tuple[str, ...]
) -> None:
    (tmp_path / "args.json").write_text("{}", encoding="utf-8")
    empty = tmp_path / "empty-path"
    empty.mkdir()
    env = helper_env(tmp_path, PATH=str(empty))
    del env["SMOL_WF_BIN"]
    result = run_helper(tmp_path, *mode, env=env)
    assert result.returncode == 127
    [line] = result.stderr.splitlines()
    assert "smol-wf is not installed" in line
    for hint in ("pipx install smolwf", "uv tool install smolwf", "pip install smolwf"):
        assert hint in line


def test_smol_wf_bin_not_executable(tmp_path: Path) -> None:
    env = helper_env(tmp_path, SMOL_WF_BIN=str(tmp_path / "missing-smol-wf"))
    result = run_helper(tmp_path, "list", env=env)
    assert result.returncode == 127
    assert result.stderr.splitlines() == [
        f"smol-wf helper: error: SMOL_WF_BIN is not an executable file: {tmp_path / 'missing-smol-wf'}"
    ]


# A stand-in for @opencode-ai/plugin: tool() returns its definition, tool.schema chains.
PLUGIN_STUB = """
const chain = () => new Proxy(function () {}, { get: () => chain, apply: () => chain() })
export function tool(definition) { return definition }
tool.schema = chain()
"""

DRIVER = """
import { SmolWorkflowsPlugin } from './plugin.js'
const plugin = await SmolWorkflowsPlugin()
const directory = process.argv[2]
const list = await plugin.tool.smol_workflows_list.execute({}, { directory })
const run = await plugin.tool.smol_workflows_run.execute(
  { path: 'echo.mjs', argsFile: 'args.yaml', tokenBudget: 0, agentProvider: 'debug', maxParallelAgents: 3 },
  { directory },
)
let missing = null
try {
  await plugin.tool.smol_workflows_run.execute({ path: 'echo.mjs', argsFile: 'nope.json' }, { directory })
} catch (error) {
  missing = error.message
}
console.log(JSON.stringify({ tools: Object.keys(plugin.tool), list: list.output, run, missing }))
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_opencode_plugin_runs_the_helper(tmp_path: Path, workflow: Path) -> None:
    plugin_dir = tmp_path / "plugin"
    shutil.copytree(OPENCODE, plugin_dir)
    stub = plugin_dir / "node_modules" / "@opencode-ai" / "plugin"
    stub.mkdir(parents=True)
    (stub / "package.json").write_text(
        '{"name": "@opencode-ai/plugin", "type": "module", "main": "index.js"}', encoding="utf-8"
    )
    (stub / "index.js").write_text(PLUGIN_STUB, encoding="utf-8")
    (plugin_dir / "driver.mjs").write_text(DRIVER, encoding="utf-8")
    (tmp_path / "args.yaml").write_text("who: opencode\n", encoding="utf-8")
    result = subprocess.run(
        ["node", str(plugin_dir / "driver.mjs"), str(tmp_path)],
        env=helper_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["tools"] == ["smol_workflows_list", "smol_workflows_run"]
    assert out["list"].split() == ["NAME", "PATH", "DESCRIPTION"]
    report = out["run"]["metadata"]["report"]
    assert report["results"]["answer"] == "echo: hello opencode"
    assert report["results"]["total"] is None
    assert "--agent-provider debug --max-parallel-agents 3" in out["run"]["metadata"]["stderr"]
    assert out["missing"] == "args file does not exist: nope.json"

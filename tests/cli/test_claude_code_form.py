"""Claude Code-form scripts (top-level ``return``) in the styles public scripts use, run through
the real command: ``args`` passed verbatim (undefined without args), a dead agent is ``null``.

The scripts in ``claude_code/`` were written for these tests after the patterns of public
workflow scripts: ``(args || 'GO').trim()``, an array of paths, no args at all, and
``if (!scope) return …`` after an agent that died.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
SCRIPTS = Path(__file__).parent / "claude_code"


def run_json(cli: Cli, script: str, *flags: str | Path) -> Any:
    done = cli("run", SCRIPTS / script, "--progress", "plain", *flags)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["results"]


@pytest.fixture
def crashing_codex(tmp_path: Path) -> Path:
    """A ``codex`` that dies on every call, as a CLI does on a terminal API error."""
    fake = tmp_path / "codex"
    fake.write_text("#!/bin/sh\necho 'fatal: the model crashed' >&2\nexit 1\n")
    fake.chmod(0o755)
    return fake


def test_string_args_arrive_verbatim(cli: Cli) -> None:
    results = run_json(cli, "triage.js", "--args-json", '"  the login page 500s  "')
    assert results["report"] == "the login page 500s"


def test_string_args_from_a_file(cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "report.yaml").write_text("the export button is grey\n")
    results = run_json(cli, "triage.js", "--args-from-file", tmp_path / "report.yaml")
    assert results["report"] == "the export button is grey"


def test_without_args_the_script_takes_its_default(cli: Cli) -> None:
    assert run_json(cli, "triage.js")["report"] == "GO"


def test_array_args_arrive_as_an_array(cli: Cli) -> None:
    results = run_json(cli, "review-files.js", "--args-json", '["a.py", "b.py"]')
    assert results["reviewed"] == 2
    assert results["reviews"] == ["echo: Review a.py", "echo: Review b.py"]


def test_no_args_is_undefined(cli: Cli) -> None:
    assert run_json(cli, "no-args.js")["argsType"] == "undefined"


def test_args_undefined_survives_a_resume(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "runs.db"
    first = cli("run", SCRIPTS / "no-args.js", "--db", db)
    run_id = json.loads(first.stdout)["runID"]
    again = cli("run", "--resume-run", run_id, "--db", db)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["results"]["argsType"] == "undefined"


def on_codex(codex: Path) -> tuple[str, ...]:
    return ("--agent-provider", "codex", "--provider-bin", f"codex={codex}")


def test_a_dead_agent_is_null_and_the_script_stops_early(cli: Cli, crashing_codex: Path) -> None:
    done = cli("run", SCRIPTS / "dead-agent.js", *on_codex(crashing_codex), "--progress", "plain")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == {"stopped": "the scout found nothing"}
    assert done.stderr.splitlines() == [
        "[warn] agent 'scout' failed, so agent() returned null: "
        "Codex provider exited with code 1: fatal: the model crashed"
    ]


def test_a_dead_agent_is_a_warning_event(cli: Cli, crashing_codex: Path) -> None:
    done = cli("run", SCRIPTS / "dead-agent.js", *on_codex(crashing_codex), "--events")
    events = [json.loads(line) for line in done.stdout.splitlines()]
    kinds = [event["type"] for event in events]
    assert kinds.index("workflow.agent_failed") < kinds.index("workflow.warning")
    assert kinds[-1] == "workflow.result"


def test_a_module_form_script_still_fails_on_a_dead_agent(
    cli: Cli, crashing_codex: Path, tmp_path: Path
) -> None:
    script = tmp_path / "module.mjs"
    script.write_text(
        "export const meta = { name: 'm', description: 'module form' }\n"
        "export default await agent('Find the files')\n"
    )
    done = cli("run", script, *on_codex(crashing_codex))
    assert done.returncode == 1
    assert done.stderr.startswith(
        "error: agent() failed: Codex provider exited with code 1: fatal: the model crashed\n"
    )


def test_a_schema_that_never_validates_still_throws(cli: Cli, tmp_path: Path) -> None:
    script = tmp_path / "strict.js"
    script.write_text(
        "export const meta = { name: 'strict', description: 'a schema debug cannot meet' }\n"
        "const x = await agent('x', { schema: { type: 'object', required: ['n'],"
        " properties: { n: { type: 'integer', minimum: 5, maximum: 3 } } } })\n"
        "return x\n"
    )
    done = cli("run", script)
    assert done.returncode == 1
    assert "Structured output did not match JSON Schema" in done.stderr


def test_deep_research_runs_on_debug_with_constrained_schemas(cli: Cli) -> None:
    results = run_json(cli, "deep-research.js", "--args-json", '"Why do cats purr?"')
    assert results["subQuestions"] == 3
    assert results["slug"] == "debug-string"

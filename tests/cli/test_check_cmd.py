"""``smol-wf check`` and the check ``smol-wf run`` makes, through the real command."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]

ROOT = Path(__file__).resolve().parents[2]
PHASES = "export const meta = { name: 'p', description: 'phases', phases: [{ title: 'Review' }] }\n"
WARNING = PHASES + "phase('Reveiw')\nexport default await agent('hi')\n"
ERROR = "const t = Date.now()\nexport default await agent(`at ${t}`)\n"


def test_text_lines_name_path_line_column_severity_code(write_script: Write, cli: Cli) -> None:
    script = write_script(ERROR)
    done = cli("check", script.name, cwd=script.parent)
    assert done.returncode == 1
    assert done.stdout.startswith("wf.mjs:2:11: error SW701 Date.now() reads the clock")
    assert done.stderr == "checked 1 workflow file: 1 error, 0 warnings\n"


def test_warnings_alone_exit_zero_and_strict_makes_them_errors(
    write_script: Write, cli: Cli
) -> None:
    script = write_script(WARNING, meta=False)
    done = cli("check", script)
    assert (done.returncode, done.stdout.count("warning SW201")) == (0, 1)
    strict = cli("check", "--strict", script)
    assert (strict.returncode, strict.stdout.count("error SW201")) == (1, 1)


def test_json_format_is_an_array_of_positioned_diagnostics(write_script: Write, cli: Cli) -> None:
    script = write_script(ERROR)
    done = cli("check", "--format", "json", script.name, cwd=script.parent)
    assert done.returncode == 1
    [diagnostic] = json.loads(done.stdout)
    assert diagnostic == {
        "path": "wf.mjs",
        "line": 2,
        "column": 11,
        "endLine": 2,
        "endColumn": 21,
        "severity": "error",
        "code": "SW701",
        "message": diagnostic["message"],
    }
    assert done.stderr == ""


def test_json_format_of_a_clean_file_is_an_empty_array(write_script: Write, cli: Cli) -> None:
    done = cli("check", "--format", "json", write_script("export default 1\n"))
    assert (done.returncode, json.loads(done.stdout)) == (0, [])


def test_github_format_is_workflow_command_annotations(write_script: Write, cli: Cli) -> None:
    script = write_script(WARNING, meta=False)
    done = cli("check", "--format", "github", script.name, cwd=script.parent)
    assert done.returncode == 0
    assert done.stdout.startswith(
        "::warning file=wf.mjs,line=2,col=7,endLine=2,endColumn=15,title=SW201::phase 'Reveiw'"
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "Missing argument 'PATH...'"),
        (("missing.mjs",), "no such file or folder: missing.mjs"),
        (("--format", "xml", "."), "Invalid value for '--format'"),
    ],
    ids=["no-path", "no-path-exists", "unknown-format"],
)
def test_bad_usage_exits_2_with_one_error_line(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    done = cli("check", *args)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("error: ") and message in line


def test_a_missing_file_beside_an_existing_one_is_an_error_diagnostic(
    write_script: Write, cli: Cli
) -> None:
    script = write_script("export default 1\n")
    done = cli("check", script.name, "missing.mjs", cwd=script.parent)
    assert done.returncode == 1
    assert (
        done.stdout
        == "missing.mjs:1:1: error SW000 cannot read the workflow script: no such file\n"
    )


def test_folders_are_searched_for_workflows(tmp_path: Path, write_script: Write, cli: Cli) -> None:
    write_script(ERROR, ".agents/workflows/deep/one.mjs")
    write_script(ERROR, "two.js")
    write_script(ERROR, "node_modules/pkg/three.mjs")
    write_script("export const helper = 1\n", "helper.mjs", meta=False)
    write_script(ERROR, "notes.txt")
    done = cli("check", ".", cwd=tmp_path)
    paths = sorted(line.split(":", 1)[0] for line in done.stdout.splitlines())
    assert paths == [".agents/workflows/deep/one.mjs", "two.js"]
    assert done.stderr == "checked 2 workflow files: 2 errors, 0 warnings\n"


def test_every_example_and_cookbook_script_checks_clean_in_one_call(cli: Cli) -> None:
    done = cli("check", ROOT / "examples")
    assert (done.returncode, done.stdout) == (0, "")
    assert done.stderr.endswith(": no problems\n")


def test_run_stops_on_check_errors_before_any_agent_starts(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(ERROR)
    done = cli("run", script.name, "--db", db, "--events", cwd=script.parent)
    assert done.returncode == 1
    first, last = done.stderr.splitlines()
    assert first.startswith("wf.mjs:2:11: error SW701")
    assert last.startswith("error: wf.mjs: the check found 1 error, so the run did not start")
    assert not db.exists()
    # The event stream still ends, with the same message.
    stream = [json.loads(line) for line in done.stdout.splitlines()]
    assert [event["type"] for event in stream] == ["workflow.started", "workflow.error"]
    assert last == "error: " + stream[1]["data"]["message"]


def test_run_prints_check_warnings_and_goes_on(write_script: Write, cli: Cli, db: Path) -> None:
    script = write_script(WARNING, meta=False)
    done = cli("run", script.name, "--db", db, "--progress", "plain", cwd=script.parent)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("[warn] wf.mjs:2:7: SW201 phase 'Reveiw'")
    assert json.loads(done.stdout)["results"] == "echo: hi"


def test_run_with_events_keeps_stderr_free_of_check_warnings(
    write_script: Write, cli: Cli, db: Path
) -> None:
    done = cli("run", write_script(WARNING, meta=False), "--db", db, "--events")
    assert (done.returncode, done.stderr) == (0, "")


def test_run_no_check_starts_the_script_as_written(write_script: Write, cli: Cli, db: Path) -> None:
    done = cli("run", write_script(ERROR), "--db", db, "--no-check")
    assert done.returncode == 1
    assert "SW701" not in done.stderr
    assert "Date.now() reads the clock" in done.stderr


def test_run_fails_with_the_loaders_one_message_where_it_rejects_the_script_too(
    write_script: Write, cli: Cli, db: Path
) -> None:
    done = cli("run", write_script("import fs from 'fs'\nexport default 1\n"), "--db", db)
    assert done.returncode == 1
    error, hint = done.stderr.splitlines()
    assert error.startswith("error: workflow imports are restricted")
    assert error.endswith("wf.mjs:2: cannot import 'fs'")
    assert hint.startswith("run run_") and "--resume-run" in hint


def test_tui_run_shows_the_check_errors_before_the_ui_starts(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(ERROR)
    done = cli("tui", "run", script.name, "--db", db, cwd=script.parent)
    assert done.returncode == 1
    assert done.stderr.startswith("wf.mjs:2:11: error SW701")

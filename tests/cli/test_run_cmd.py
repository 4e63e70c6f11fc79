"""``smol-wf run`` as a user drives it: flags, args, output, exit codes, signals."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]


def test_report_has_token_usage_run_id_and_results_in_order(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(
        "export default { result: await agent(`hello ${args['my-arg1']}`), args }\n"
    )
    done = cli(
        "run",
        script,
        "--db",
        db,
        "--args-my-arg1",
        "world",
        "--args-flag",
        "--args-repeat=one",
        "--args-repeat",
        "two",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert list(report) == ["tokenUsage", "runID", "results"]
    assert report["tokenUsage"] == {"inputTokens": 3, "outputTokens": 5, "totalTokens": 8}
    assert report["runID"].startswith("run_") and report["runID"] == report["runID"].lower()
    assert report["results"] == {
        "result": "echo: hello world",
        "args": {"my-arg1": "world", "flag": True, "repeat": ["one", "two"]},
    }
    assert done.stdout.startswith('{\n  "tokenUsage"')


def test_args_files_merge_and_command_line_wins(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    script = write_script("export default args\n")
    (tmp_path / "a.json").write_text('{"fromFile": 1, "nested": {"value": 2}, "who": "file"}')
    (tmp_path / "b.yaml").write_text("fromYaml: [1, 2]\nwho: yaml\n")
    done = cli(
        "run",
        script,
        "--db",
        db,
        "--args-from-file",
        "a.json",
        "--args-from-file",
        "b.yaml",
        "--args-who",
        "cli",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == {
        "fromFile": 1,
        "nested": {"value": 2},
        "who": "cli",
        "fromYaml": [1, 2],
    }


def test_bad_input_is_one_error_line_and_exit_2(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    script = write_script("export default 1\n")
    (tmp_path / "list.json").write_text("[1]")
    (tmp_path / "broken.json").write_text("{")
    cases = {
        (
            "--my-arg1",
            "x",
        ): "Unknown option: --my-arg1. Run arguments must use --args-<name> or --args-from-file.",
        ("--backend", "sqlite"): "Unknown option: --backend",
        ("--budget-allowance", "-1"): "--budget-allowance must be a non-negative integer",
        ("--budget-allowance", "01"): "--budget-allowance must be a non-negative integer",
        ("--max-parallel-agents", "0"): "--max-parallel-agents must be greater than zero",
        ("--agent-provider", "nope"): "Unknown agent provider: nope",
        (
            "--agent-provider",
            "--events",
        ): "'--agent-provider': needs a value, got the flag --events",
        ("--model-map", "deep"): "--model-map must use <alias>:<selector>",
        ("--log-level", "loud"): "--log-level must be one of off, error, warn, info, debug, trace",
        ("--args-from-file", "list.json"): "--args-from-file must contain a JSON or YAML object",
        ("--args-from-file", "broken.json"): "is not valid JSON",
        ("--args-from-file", "missing.json"): "no such file",
        ("--save-raw-sessions", "nodir"): "--save-raw-sessions must point to an existing directory",
    }
    for flags, message in cases.items():
        done = cli("run", script, "--db", db, *flags)
        assert done.returncode == 2, (flags, done.stderr)
        assert message in done.stderr, (flags, done.stderr)
        assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: "), done.stderr
        assert done.stdout == ""
    assert not db.exists()


def test_trailing_value_flag_is_a_usage_error(
    write_script: Write, cli: Cli, tmp_path: Path
) -> None:
    done = cli("run", write_script("export default 1\n"), "--db")
    assert done.returncode == 2
    assert "--db" in done.stderr and "requires an argument" in done.stderr
    assert not (tmp_path / "true").exists()


def test_workflow_failure_exits_1_without_a_report(write_script: Write, cli: Cli, db: Path) -> None:
    done = cli("run", write_script("log('before')\nthrow new Error('boom')\n"), "--db", db)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines()[0] == "[log] before"
    assert done.stderr.splitlines()[1].startswith(
        "error: workflow module evaluation rejected: boom"
    )
    assert "Traceback" not in done.stderr


def test_missing_script_and_missing_meta_are_errors(
    write_script: Write, cli: Cli, db: Path
) -> None:
    done = cli("run", "nope.mjs", "--db", db)
    assert done.returncode == 1
    assert "failed to resolve workflow script" in done.stderr
    done = cli("run", write_script("export default 1\n", meta=False), "--db", db)
    assert done.returncode == 1
    assert "Workflow script must export valid literal metadata" in done.stderr


def test_events_mode_streams_jsonl_and_keeps_stderr_empty(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(
        "phase('Inspect')\nlog('checking', { target: 'world' })\nexport default { ok: true }\n"
    )
    done = cli("run", script, "--db", db, "--events")
    assert done.returncode == 0
    assert done.stderr == ""
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["type"] for e in events] == [
        "workflow.started",
        "workflow.phase",
        "workflow.log",
        "workflow.result",
    ]
    assert events[-1]["data"]["results"] == {"ok": True}
    assert len({e["metadata"]["runId"] for e in events}) == 1


def test_events_mode_failure_ends_with_error_event(write_script: Write, cli: Cli, db: Path) -> None:
    done = cli("run", write_script("log('x')\nthrow new Error('boom')\n"), "--db", db, "--events")
    assert done.returncode == 1
    last = json.loads(done.stdout.splitlines()[-1])
    assert last["type"] == "workflow.error" and "boom" in last["data"]["message"]


def test_resolved_model_map_is_stored_with_the_step(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("export default await agent('x', { model: 'deep', provider: 'debug' })\n")
    done = cli(
        "run",
        script,
        "--db",
        db,
        "--model-map",
        "deep:gpt-5.5?provider=github-copilot&thinking=medium",
    )
    assert done.returncode == 0, done.stderr
    input_json, result_json = (
        sqlite3.connect(db).execute("SELECT input_json, result_json FROM steps").fetchone()
    )
    options = json.loads(input_json)["options"]
    assert options["model"] == "github-copilot/gpt-5.5"
    assert options["requestedModel"] == "deep"
    assert options["modelSelector"] == "gpt-5.5?provider=github-copilot&thinking=medium"
    assert json.loads(result_json)["model"] == "github-copilot/gpt-5.5"


def test_default_database_lives_in_the_state_directory(
    write_script: Write, cli: Cli, tmp_path: Path
) -> None:
    done = cli("run", write_script("export default await agent('sqlite')\n"))
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "state" / "smolwf" / "workflows.db").exists()
    assert not list(tmp_path.glob("*.db"))


def test_debug_logging_adds_dim_lines_and_keeps_stdout_json(
    write_script: Write, cli: Cli, db: Path
) -> None:
    done = cli("run", write_script("export default 1\n"), "--db", db, "--log-level", "debug")
    assert done.returncode == 0
    assert json.loads(done.stdout)["results"] == 1
    assert "\x1b[2m[debug] cli run script=" in done.stderr
    assert "run_workflow start" in done.stderr


def test_max_parallel_agents_flag_caps_the_scheduler(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(
        "export default await parallel([() => agent('first'), () => agent('second')])\n"
    )
    done = cli("run", script, "--db", db, "--max-parallel-agents", "1", "--debug")
    assert json.loads(done.stdout)["results"] == ["echo: first", "echo: second"]
    assert "starting agent request id=1 in_flight_after_start=1 max_parallel=1" in done.stderr
    assert "in_flight_after_start=2" not in done.stderr


def test_help_teaches_and_version_prints(cli: Cli) -> None:
    top = cli("--help")
    assert top.returncode == 0
    assert "smol-wf run ./workflow.mjs" in top.stdout
    run_help = cli("run", "-h")
    assert run_help.returncode == 0
    for flag in ("--resume-run", "--args-from-file", "--js-slice-timeout", "--max-parallel-agents"):
        assert flag in run_help.stdout
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("smol-wf ")


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_cancels_the_run_and_it_resumes(
    write_script: Write, db: Path, tmp_path: Path, cli: Cli, signum: int, code: int
) -> None:
    script = write_script(
        "import { sleep } from 'workflow:extra'\n"
        "const first = await agent('before the pause')\nlog('ready')\nawait sleep(600000)\n"
        "export default first\n"
    )
    process = subprocess.Popen(
        [*smol_wf_command(), "run", str(script), "--db", str(db)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    assert process.stderr is not None
    assert process.stderr.readline() == "[log] ready\n"
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == code
    assert "error: workflow cancelled" in stderr and "Traceback" not in stderr
    run_id, status = sqlite3.connect(db).execute("SELECT run_id, status FROM runs").fetchone()
    assert status == "cancelled"
    write_script("const first = await agent('before the pause')\nexport default first\n")
    resumed = cli("run", script, "--db", db, "--resume-run", run_id)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"] == "echo: before the pause"
    assert sqlite3.connect(db).execute("SELECT count(*) FROM usage_ledger").fetchone()[0] == 1


def test_a_database_whose_tables_changed_is_one_error_line(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("export default await agent('x')\n")
    assert cli("run", script, "--db", db).returncode == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE events")
        conn.execute("CREATE TABLE events (run_id TEXT, seq INTEGER)")
    done = cli("run", script, "--db", db)
    assert done.returncode == 1
    assert done.stderr.startswith("error: database error: ") and "Traceback" not in done.stderr

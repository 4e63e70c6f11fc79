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


def test_events_for_a_script_without_meta_end_with_an_error_and_a_failed_run(
    write_script: Write, cli: Cli, db: Path
) -> None:
    """Like the reference: the run is created, started, then fails; the stream ends."""
    done = cli("run", write_script("export default 1\n", meta=False), "--db", db, "--events")
    assert done.returncode == 1
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["type"] for e in events] == ["workflow.started", "workflow.error"]
    run_id = events[0]["metadata"]["runId"]
    assert events[1]["metadata"]["runId"] == run_id
    assert "must export valid literal metadata" in events[1]["data"]["message"]
    shown = json.loads(cli("history", run_id, "--db", db, "-o", "json").stdout)
    assert shown["workflowRun"]["state"] == "failed"


def test_events_end_with_an_error_when_no_run_could_be_created(
    write_script: Write, cli: Cli, tmp_path: Path
) -> None:
    state = tmp_path / "state-file"
    state.write_text("")
    done = cli(
        "run", write_script("export default 1\n"), "--events", env={"XDG_STATE_HOME": str(state)}
    )
    assert done.returncode == 1
    events = [json.loads(line) for line in done.stdout.splitlines()]
    assert [e["type"] for e in events] == ["workflow.started", "workflow.error"]
    assert "failed to create default database directory" in events[1]["data"]["message"]


def test_a_failed_run_prints_its_id_and_the_command_that_resumes_it(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("await agent('first')\nthrow new Error('boom')\n")
    done = cli("run", script, "--db", db, "--progress", "plain")
    assert done.returncode == 1
    lines = done.stderr.splitlines()
    assert [line for line in lines if line.startswith("error: ")] == [
        "error: workflow module evaluation rejected: boom"
    ]
    hint = lines[-1]
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    assert (
        hint == f"run {run_id} failed; resume it with: smol-wf run --resume-run {run_id} --db {db}"
    )
    write_script("export default await agent('first')\n")
    resumed = cli(*hint.split("resume it with: smol-wf ")[1].split())
    assert resumed.returncode == 0, resumed.stderr


def test_a_script_error_that_mentions_resume_run_still_gets_the_resume_line(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("throw new Error('do not use --resume-run here')\n")
    done = cli("run", script, "--db", db, "--progress", "plain")
    assert done.returncode == 1
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    assert done.stderr.splitlines()[-1] == (
        f"run {run_id} failed; resume it with: smol-wf run --resume-run {run_id} --db {db}"
    )


def test_a_child_sees_the_parents_spend_from_its_start(write_script: Write, cli: Cli) -> None:
    write_script(
        "export const meta = { name: 'budget-child', description: 'child' }\n"
        "const before = { spent: budget.spent(), remaining: budget.remaining() }\n"
        "await agent('child work')\n"
        "export default { before, after: { spent: budget.spent(), remaining: budget.remaining() } }\n",
        name="child.mjs",
        meta=False,
    )
    parent = write_script(
        "await agent('parent work')\n"
        "const child = await workflow({ scriptPath: './child.mjs' })\n"
        "export default { child, after: { spent: budget.spent(), remaining: budget.remaining() } }\n"
    )
    done = cli("run", parent, "--budget-allowance", "50")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"]
    before, after = result["child"]["before"], result["child"]["after"]
    parent_spend = len("echo: parent work") // 4 + 1  # the debug provider's estimate
    assert before == {"spent": parent_spend, "remaining": 50 - parent_spend}
    assert after["spent"] > before["spent"] and after["spent"] + after["remaining"] == 50
    assert result["after"] == after


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


COMMANDS = [
    (),
    ("run",),
    ("check",),
    ("history",),
    ("tui",),
    ("tui", "run"),
    ("tui", "replay"),
    ("llm",),
    ("llm", "txt"),
    ("llm", "skills"),
    ("llm", "list-workflows"),
    ("cache",),
    ("cache", "list"),
    ("cache", "clear"),
    ("approve",),
    ("deny",),
    ("signal",),
    ("inbox",),
    ("view",),
]


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) or "smol-wf" for c in COMMANDS])
def test_help_placeholders_are_words(command: tuple[str, ...], cli: Cli) -> None:
    done = cli(*command, "--help", env={"COLUMNS": "200"})
    assert done.returncode == 0
    for python_type in ("<str>", "<path>", "<bool>", "<int", "<float", "<list", "[x>=", "[x<="):
        assert python_type not in done.stdout


def test_tui_run_help_lists_the_run_flags_and_the_script(cli: Cli) -> None:
    done = cli("tui", "run", "--help", env={"COLUMNS": "200"})
    assert "Usage: smol-wf tui run [OPTIONS] [SCRIPT]" in done.stdout
    for flag in ("SCRIPT", "--args-from-file", "--args-json", "--agent-provider", "--db"):
        assert flag in done.stdout


def test_shell_completion_is_offered_and_answers(cli: Cli) -> None:
    assert "--install-completion" in cli("--help").stdout
    script = cli("--show-completion", "bash")
    assert script.returncode == 0 and "_SMOL_WF_COMPLETE=complete_bash" in script.stdout
    words = cli(
        env={"_SMOL_WF_COMPLETE": "complete_bash", "COMP_WORDS": "smol-wf hi", "COMP_CWORD": "1"}
    )
    assert words.stdout.split() == ["history"]


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
    assert stderr.splitlines()[-1] == (
        f"run {run_id} was cancelled; resume it with: smol-wf run --resume-run {run_id} --db {db}"
    )
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

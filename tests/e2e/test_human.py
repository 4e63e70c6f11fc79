"""A person in the loop, through the real commands: a run waits, someone answers from
another process (``approve``, ``deny``, ``signal``), the run goes on; or the run stops
(``--on-wait exit``, Ctrl-C, kill -9) and a resume after the answer finishes it without
paying for finished agents again."""

from __future__ import annotations

import json
import os
import shlex
import signal
import sqlite3
import subprocess
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import smol_wf_command

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]

PLAN = """import { requestApproval } from 'workflow:human'
const plan = await agent('Draft a plan')
const decision = await requestApproval(`Apply this plan? ${plan}`, { label: 'plan' })
export default { decision, applied: decision.approved ? await agent('Apply the plan') : null }
"""
DEPLOY = """import { waitForSignal } from 'workflow:human'
const target = await waitForSignal('deploy', {
  schema: { type: 'object', required: ['url'], properties: { url: { type: 'string' } } },
})
export default { target, checked: await agent(`Smoke-test ${target.url}`) }
"""


@dataclass
class WaitingRun:
    """``smol-wf run`` in the background, read line by line until it asks a person."""

    process: subprocess.Popen[str]

    @classmethod
    def start(cls, script: Path, db: Path, env: dict[str, str] | None = None) -> WaitingRun:
        command = [*smol_wf_command(), "run", str(script), "--db", str(db), "--progress", "plain"]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=script.parent,
            env={**os.environ, **(env or {})},
        )
        return cls(process)

    def wait_for(self, prefix: str) -> str:
        """The first stderr line starting with ``prefix`` (the process exiting fails)."""
        assert self.process.stderr is not None
        for line in self.process.stderr:
            if line.startswith(prefix):
                return line.rstrip("\n")
        raise AssertionError(f"the run ended without a {prefix!r} line")

    def finish(self) -> tuple[int, str, str]:
        out, err = self.process.communicate(timeout=60)
        return self.process.returncode, out, err

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.communicate(timeout=30)


@pytest.fixture
def waiting() -> list[WaitingRun]:
    """Runs a test started; any still going at its end are killed."""
    runs: list[WaitingRun] = []
    yield runs
    for run in runs:
        run.stop()


def start(runs: list[WaitingRun], script: Path, db: Path, **env: str) -> WaitingRun:
    run = WaitingRun.start(script, db, env)
    runs.append(run)
    return run


def only_run_id(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        (run_id,) = conn.execute("SELECT run_id FROM runs").fetchone()
    return str(run_id)


def run_state(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("SELECT status FROM runs").fetchone()[0])


def agent_calls(log: Path) -> list[str]:
    return [json.loads(line)["prompt"] for line in log.read_text().splitlines()]


def park(cli: Cli, script: Path, db: Path, **env: str) -> str:
    """Run with ``--on-wait exit`` until it waits (exit 3); its run id."""
    parked = cli("run", script, "--db", db, "--on-wait", "exit", env=env)
    assert parked.returncode == 3, parked.stderr
    return str(json.loads(parked.stdout)["runID"])


# ---- answering a waiting process ------------------------------------------------


def test_the_printed_approve_command_lets_the_waiting_run_finish(
    write_script: Write, cli: Cli, db: Path, waiting: list[WaitingRun]
) -> None:
    run = start(waiting, write_script(PLAN), db)
    line = run.wait_for("[approval]")
    assert line.startswith("[approval] plan: Apply this plan? echo: Draft a plan — answer: ")
    approve, deny = line.split(" — answer: ")[1].split(" | ")
    assert shlex.split(deny)[:2] == ["smol-wf", "deny"]
    inbox = json.loads(cli("inbox", "--db", db, "-o", "json").stdout)
    assert [(entry["workflow"], entry["label"], entry["runState"]) for entry in inbox] == [
        ("test", "plan", "waiting")
    ]
    assert inbox[0]["commands"] == [approve, deny]
    answered = cli(*shlex.split(approve)[1:], "--note", "ship it", "--by", "alice")
    assert answered.returncode == 0, answered.stderr
    code, out, err = run.finish()
    assert code == 0, err
    results = json.loads(out)["results"]
    assert results["applied"] == "echo: Apply the plan"
    assert results["decision"]["approved"] is True
    assert (results["decision"]["note"], results["decision"]["by"]) == ("ship it", "alice")
    assert "[approval] " in err and "approved by alice: ship it" in err
    assert json.loads(cli("inbox", "--db", db, "-o", "json").stdout) == []
    assert run_state(db) == "completed"


def test_a_denial_resolves_the_approval_with_approved_false(
    write_script: Write, cli: Cli, db: Path, waiting: list[WaitingRun]
) -> None:
    run = start(waiting, write_script(PLAN), db)
    run.wait_for("[approval]")
    denied = cli("deny", only_run_id(db), "plan", "--db", db, "--note", "too risky")
    assert denied.returncode == 0, denied.stderr
    assert denied.stdout.startswith("denied req_")
    code, out, err = run.finish()
    assert code == 0, err
    results = json.loads(out)["results"]
    assert results["applied"] is None
    assert results["decision"]["approved"] is False
    assert results["decision"]["note"] == "too risky"


@pytest.mark.parametrize("decision", ["approve", "deny"], ids=["approves", "denies"])
def test_an_unanswered_approval_times_out_to_its_on_timeout_decision(
    write_script: Write, cli: Cli, db: Path, decision: str
) -> None:
    script = write_script(
        "import { requestApproval } from 'workflow:human'\n"
        f"export default await requestApproval('Go?', {{ timeout: 300, onTimeout: '{decision}' }})\n"
    )
    done = cli("run", script, "--db", db)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)["results"]
    assert result["approved"] is (decision == "approve")
    assert result["by"] == "timeout"


def test_a_signal_that_never_comes_fails_the_run_with_one_line_naming_it(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(
        "import { waitForSignal } from 'workflow:human'\n"
        "export default await waitForSignal('deploy', { timeout: 200 })\n"
    )
    done = cli("run", script, "--db", db)
    assert done.returncode == 1
    error = done.stderr.splitlines()[-1]
    assert error.startswith("error: workflow module evaluation rejected: ")
    assert error.endswith("waitForSignal('deploy') timed out after 200 ms: no signal arrived")
    assert "[signal] 'deploy' timed out" in done.stderr


def test_a_signal_payload_is_checked_against_the_schema_at_the_sender(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path, waiting: list[WaitingRun]
) -> None:
    run = start(waiting, write_script(DEPLOY), db)
    line = run.wait_for("[signal]")
    assert "smol-wf signal run_" in line and " deploy --data '<json>' --db " in line
    run_id = only_run_id(db)
    refused = cli("signal", run_id, "deploy", "--data", '{"url": 3}', "--db", db)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "does not match the schema" in refused.stderr and "/url 3" in refused.stderr
    assert len(json.loads(cli("inbox", "--db", db, "-o", "json").stdout)) == 1
    payload = tmp_path / "deploy.json"
    payload.write_text('{"url": "https://staging.example"}')
    sent = cli("signal", run_id, "deploy", "--data-file", payload, "--db", db, "--by", "ci")
    assert sent.returncode == 0, sent.stderr
    code, out, err = run.finish()
    assert code == 0, err
    results = json.loads(out)["results"]
    assert results == {
        "target": {"url": "https://staging.example"},
        "checked": "echo: Smoke-test https://staging.example",
    }
    assert "[signal] 'deploy' received from ci" in err


def test_a_signal_payload_too_costly_to_check_is_refused_in_bounded_time(
    write_script: Write, cli: Cli, db: Path, waiting: list[WaitingRun]
) -> None:
    pattern = "url: { type: 'string', pattern: '^(a|aa)+$' }"
    run = start(waiting, write_script(DEPLOY.replace("url: { type: 'string' }", pattern)), db)
    run.wait_for("[signal]")
    payload = json.dumps({"url": "a" * 40 + "b"})  # minutes of backtracking, even for regex
    refused = cli("signal", only_run_id(db), "deploy", "--data", payload, "--db", db)
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert (
        "does not match the schema of request" in refused.stderr
        and "the payload could not be validated within 5 s (stopped at pattern" in refused.stderr
    )


# ---- stale-safe answers -----------------------------------------------------------


def test_a_second_answer_is_refused_saying_who_answered_first(
    write_script: Write, cli: Cli, db: Path
) -> None:
    run_id = park(cli, write_script(PLAN), db)
    assert cli("approve", run_id, "--db", db, "--by", "alice").returncode == 0
    for again in (("approve", run_id, "plan"), ("deny", run_id)):
        refused = cli(*again, "--db", db)
        assert refused.returncode == 1
        (line,) = refused.stderr.splitlines()
        assert "was already approved by alice at " in line


def test_of_two_concurrent_answers_exactly_one_wins(
    write_script: Write, cli: Cli, db: Path
) -> None:
    run_id = park(cli, write_script(PLAN), db)
    answers = [
        subprocess.Popen(
            [*smol_wf_command(), verb, run_id, "--db", str(db)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for verb in ("approve", "deny")
    ]
    outcomes = [(answer.wait(timeout=60), *answer.communicate()) for answer in answers]
    assert sorted(code for code, _, _ in outcomes) == [0, 1], outcomes
    (loser,) = [err for code, _, err in outcomes if code == 1]
    assert "was already" in loser
    with closing(sqlite3.connect(db)) as conn:
        rows = conn.execute("SELECT status FROM human_requests").fetchall()
    assert rows == [("answered",)]


@pytest.mark.parametrize(
    ("body", "ending", "said"),
    [
        (
            "export default await requestApproval('Go?', { timeout: 0 })\n",
            None,
            "has finished: its requests can no longer be answered",
        ),
        (
            "await requestApproval('Go?', { timeout: 0 })\nthrow new Error('boom')\n",
            None,
            "failed: its requests can no longer be answered",
        ),
        ("export default await requestApproval('Go?')\n", "delete", "was not found"),
    ],
    ids=["finished", "failed", "deleted"],
)
def test_an_answer_to_a_run_that_ended_is_refused_with_one_line(
    write_script: Write, cli: Cli, db: Path, body: str, ending: str | None, said: str
) -> None:
    script = write_script("import { requestApproval } from 'workflow:human'\n" + body)
    cli("run", script, "--db", db, *(["--on-wait", "exit"] if ending == "delete" else []))
    run_id = only_run_id(db)
    if ending == "delete":
        assert cli("history", "delete", run_id, "--db", db).returncode == 0
    refused = cli("approve", run_id, "--db", db)
    assert refused.returncode == 1
    (line,) = refused.stderr.splitlines()
    assert line.startswith(f"error: workflow run {run_id} ") and said in line


# ---- the run stops, the answer comes, a resume finishes -------------------------


def test_on_wait_exit_parks_the_run_and_a_resume_after_the_answer_finishes_it(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    log = tmp_path / "calls.jsonl"
    env = {"SMOLWF_DEBUG_CALL_LOG": str(log)}
    script = write_script(PLAN)
    parked = cli("run", script, "--db", db, "--on-wait", "exit", env=env)
    assert parked.returncode == 3, parked.stderr
    report = json.loads(parked.stdout)
    run_id = report["runID"]
    assert report["state"] == "waiting"
    assert [request["label"] for request in report["waitingFor"]] == ["plan"]
    assert f"smol-wf approve {run_id} req_" in parked.stderr
    assert f"smol-wf run --resume-run {run_id} --db {db}" in parked.stderr
    with closing(sqlite3.connect(db)) as conn:
        owner = conn.execute("SELECT status, owner_pid FROM runs").fetchone()
        attempt = conn.execute("SELECT status FROM attempts").fetchone()
    assert (owner, attempt) == (("waiting", None), ("waiting",))
    listed = json.loads(cli("history", "--status", "waiting", "--db", db, "-o", "json").stdout)
    assert [run["runID"] for run in listed] == [run_id]

    approved = cli("approve", run_id, "--db", db)
    assert approved.returncode == 0, approved.stderr
    assert f"to go on: smol-wf run --resume-run {run_id}" in approved.stdout
    resumed = cli("run", "--resume-run", run_id, "--db", db, env=env)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"]["applied"] == "echo: Apply the plan"
    assert agent_calls(log) == ["Draft a plan", "Apply the plan"]
    assert run_state(db) == "completed"


def test_a_waiting_process_killed_with_sigkill_resumes_after_the_answer(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path, waiting: list[WaitingRun]
) -> None:
    log = tmp_path / "calls.jsonl"
    script = write_script(PLAN)
    run = start(waiting, script, db, SMOLWF_DEBUG_CALL_LOG=str(log))
    run.wait_for("[approval]")
    run.process.send_signal(signal.SIGKILL)
    run.finish()
    run_id = only_run_id(db)
    assert run_state(db) == "waiting"
    approved = cli("approve", run_id, "plan", "--db", db)
    assert approved.returncode == 0, approved.stderr
    assert "no process is waiting" in approved.stdout
    resumed = cli(
        "run", "--resume-run", run_id, "--db", db, env={"SMOLWF_DEBUG_CALL_LOG": str(log)}
    )
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"]["decision"]["approved"] is True
    assert agent_calls(log) == ["Draft a plan", "Apply the plan"]


def test_ctrl_c_while_waiting_cancels_and_the_request_survives_for_a_resume(
    write_script: Write, cli: Cli, db: Path, waiting: list[WaitingRun]
) -> None:
    run = start(waiting, write_script(PLAN), db)
    run.wait_for("[approval]")
    run.process.send_signal(signal.SIGINT)
    code, _, _ = run.finish()
    assert code == 130
    assert run_state(db) == "cancelled"
    run_id = only_run_id(db)
    inbox = json.loads(cli("inbox", "--db", db, "-o", "json").stdout)
    assert [(entry["runID"], entry["runState"]) for entry in inbox] == [(run_id, "cancelled")]
    assert cli("deny", run_id, "--db", db).returncode == 0
    resumed = cli("run", "--resume-run", run_id, "--db", db)
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(resumed.stdout)["results"]["decision"]["approved"] is False


def test_on_wait_exit_with_events_streams_the_request_and_says_one_line(
    write_script: Write, cli: Cli, db: Path
) -> None:
    done = cli("run", write_script(PLAN), "--db", db, "--on-wait", "exit", "--events")
    assert done.returncode == 3
    events = [json.loads(line) for line in done.stdout.splitlines()]
    (asked,) = [e for e in events if e["type"] == "workflow.approval_requested"]
    assert asked["data"]["label"] == "plan" and asked["metadata"]["stepId"].startswith("step_")
    assert asked["data"]["commands"][0].startswith(f"smol-wf approve {only_run_id(db)} req_")
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"run {only_run_id(db)} is waiting for 1 answer(s)")

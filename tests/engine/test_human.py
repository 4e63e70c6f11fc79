"""``workflow:human`` in the engine: durable requests that replay, hold no agent slot,
reject bad arguments in the script and never look like a stuck workflow."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from smolwf import RunReport, WorkflowFailed, WorkflowWaiting
from smolwf.engine.answers import answer
from smolwf.store.human import Decision, Payload, Reply

Run = Callable[..., RunReport]
Write = Callable[..., Path]

HUMAN = "import { requestApproval, waitForSignal } from 'workflow:human'\n"


def park(run: Run, script: Path, **options: object) -> str:
    """Run until only an answer can move the run on; its run id."""
    with pytest.raises(WorkflowWaiting) as waiting:
        run(script, on_wait="exit", **options)
    assert waiting.value.exit_code == 3
    return waiting.value.run_id


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute(sql).fetchall()


def test_an_answered_approval_replays_on_every_later_resume_without_asking_again(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script(HUMAN + "export default await requestApproval('Ship it?')\n")
    run_id = park(run, script)
    answer(db, Reply(run_id, None, Decision(True, "yes"), "alice"))
    first = run(script, resume_run_id=run_id)
    again = run(script, resume_run_id=run_id)
    assert first.result == again.result
    assert isinstance(first.result, dict)
    assert (first.result["approved"], first.result["note"], first.result["by"]) == (
        True,
        "yes",
        "alice",
    )
    assert rows(db, "SELECT count(*) FROM human_requests") == [(1,)]
    bodies = [str(body) for (body,) in rows(db, "SELECT body FROM events")]
    events = [json.loads(line) for body in bodies for line in body.split("\n")]
    resolved = [e["data"] for e in events if e["type"] == "workflow.approval_resolved"]
    assert [data.get("replayed", False) for data in resolved] == [False, True]


def test_equal_requests_are_told_apart_by_their_order(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script(
        HUMAN + "const a = await requestApproval('Again?')\n"
        "const b = await requestApproval('Again?')\nexport default [a.approved, b.approved]\n"
    )
    run_id = park(run, script)
    answer(db, Reply(run_id, None, Decision(True), "alice"))
    park(run, script, resume_run_id=run_id)
    answer(db, Reply(run_id, None, Decision(False), "alice"))
    assert run(script, resume_run_id=run_id).result == [True, False]


def test_a_child_workflow_can_wait_for_an_answer(write_script: Write, run: Run, db: Path) -> None:
    write_script(
        "import { waitForSignal } from 'workflow:human'\n"
        "export default await waitForSignal('size')\n",
        name="child.mjs",
    )
    script = write_script("export default await workflow({ scriptPath: './child.mjs' })\n")
    run_id = park(run, script)
    answer(db, Reply(run_id, "size", Payload({"n": 3}), "ci"))
    assert run(script, resume_run_id=run_id).result == {"n": 3}


def test_a_waiting_request_holds_no_agent_slot(write_script: Write, run: Run, db: Path) -> None:
    script = write_script(
        HUMAN + "export default await parallel([\n"
        "  () => requestApproval('Go?'),\n"
        "  () => agent('meanwhile'),\n"
        "])\n"
    )
    park(run, script, max_parallel_agents=1)
    assert rows(db, "SELECT kind, status FROM steps ORDER BY kind") == [
        ("agent", "completed"),
        ("approval", "running"),
    ]


def test_a_signal_that_timed_out_asks_again_on_resume(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script(HUMAN + "export default await waitForSignal('go', { timeout: 0 })\n")
    with pytest.raises(WorkflowFailed, match=r"waitForSignal\('go'\) timed out after 0 ms"):
        run(script)
    run_id = rows(db, "SELECT run_id FROM runs")[0][0]
    park(run, script, resume_run_id=run_id)
    assert rows(db, "SELECT status FROM human_requests ORDER BY rowid") == [
        ("timed_out",),
        ("pending",),
    ]


def test_a_request_left_unawaited_is_closed_with_a_warning(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script(HUMAN + "requestApproval('Nobody waits for this')\nexport default 1\n")
    progress = io.StringIO()
    assert run(script, progress_stream=progress).result == 1
    assert (
        "1 requests to a person were still open when the workflow finished" in progress.getvalue()
    )
    assert rows(db, "SELECT status FROM human_requests") == [("closed",)]


def test_an_invalid_signal_schema_rejects_before_anyone_is_asked(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script(
        HUMAN + "export default await waitForSignal('x', { schema: { type: 'nope' } })"
        ".catch((e) => e.message)\n"
    )
    result = run(script).result
    assert isinstance(result, str)
    assert result.startswith("waitForSignal('x') / schema is invalid: ")
    assert rows(db, "SELECT count(*) FROM human_requests") == [(0,)]


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            "requestApproval(5)",
            "requestApproval(message, options?) needs a string message, got a number",
        ),
        (
            "requestApproval('x', 'soon')",
            "requestApproval() options must be an object, got a string",
        ),
        (
            "requestApproval('x', { color: 'red' })",
            "requestApproval() has no option 'color'; its options are label, timeout, onTimeout",
        ),
        (
            "requestApproval('x', { label: 3 })",
            "requestApproval() label must be a string, got a number",
        ),
        (
            "requestApproval('x', { timeout: -1 })",
            "requestApproval() timeout must be a finite non-negative number of milliseconds",
        ),
        (
            "requestApproval('x', { onTimeout: 'maybe' })",
            "requestApproval() onTimeout must be 'approve' or 'deny', got \"maybe\"",
        ),
        (
            "waitForSignal('')",
            "waitForSignal(name, options?) needs a non-empty string name, got a string",
        ),
        (
            "waitForSignal('x', { schema: [] })",
            "waitForSignal() schema must be a JSON Schema object, got an array",
        ),
        (
            "waitForSignal('x', { timeout: Infinity })",
            "waitForSignal() timeout must be a finite non-negative number of milliseconds",
        ),
    ],
    ids=[
        "message-not-string",
        "options-not-object",
        "unknown-option",
        "label-not-string",
        "negative-timeout",
        "bad-on-timeout",
        "empty-signal-name",
        "schema-not-object",
        "infinite-timeout",
    ],
)
def test_bad_arguments_throw_in_the_script(
    write_script: Write, run: Run, db: Path, call: str, message: str
) -> None:
    script = write_script(
        HUMAN + f"let caught\ntry {{ {call} }} catch (e) {{ caught = e.message }}\n"
        "export default caught\n"
    )
    assert run(script).result == message
    assert rows(db, "SELECT count(*) FROM human_requests") == [(0,)]


def test_a_deadline_that_passed_while_no_process_ran_decides_on_resume(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script(
        HUMAN
        + "export default await requestApproval('Go?', { timeout: 3600000, onTimeout: 'approve' })\n"
    )
    run_id = park(run, script)
    with closing(sqlite3.connect(db)) as conn:
        conn.execute("UPDATE human_requests SET deadline_at = created_at + 1")
        conn.commit()
    result = run(script, resume_run_id=run_id, on_wait="exit").result
    assert isinstance(result, dict)
    assert (result["approved"], result["by"]) == (True, "timeout")

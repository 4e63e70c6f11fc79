"""Resume: finished calls replay for free, everything else runs live, nothing is charged twice."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport, StoreError, UsageError, WorkflowFailed
from tests.fakes import FlakyProvider, RecordingProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def _failing_run_id(db: Path) -> str:
    row = sqlite3.connect(db).execute("SELECT run_id FROM runs ORDER BY created_at DESC").fetchone()
    return str(row[0])


def test_resume_replays_finished_calls_of_an_edited_script(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("const value = await agent('hello')\nthrow new Error('not yet')\n")
    fake = RecordingProvider(
        answer=lambda request: f"{request.prompt}:{1 + len(fake.requests) - 1}"
    )
    with pytest.raises(WorkflowFailed, match="not yet"):
        run(script, providers={"debug": fake})
    write_script("const value = await agent('hello')\nexport default { value }\n")
    report = run(script, providers={"debug": fake}, resume_run_id=_failing_run_id(db))
    assert report.result == {"value": "hello:1"}
    assert len(fake.requests) == 1


def _failed_run_id(run: Run, script: Path, fake: RecordingProvider) -> str:
    """Run a script that fails after its agent calls; the id of that failed run."""
    with pytest.raises(WorkflowFailed) as caught:
        run(script, providers={"debug": fake})
    assert caught.value.run_id is not None
    return caught.value.run_id


def test_resume_runs_only_changed_and_new_calls(write_script: Write, run: Run, db: Path) -> None:
    script = write_script(
        "const a = await agent('a')\nconst b = await agent('b')\nthrow new Error('stop')\n"
    )
    fake = RecordingProvider()
    first = _failed_run_id(run, script, fake)
    write_script(
        "const a = await agent('a')\nconst b = await agent('b2')\nconst c = await agent('c')\nexport default [a, b, c]\n"
    )
    second = run(script, providers={"debug": fake}, resume_run_id=first)
    assert second.result == ["fake: a", "fake: b2", "fake: c"]
    assert fake.prompts == ["a", "b", "b2", "c"]


def test_resume_survives_a_reordered_fan_out(write_script: Write, run: Run) -> None:
    script = write_script(
        "await parallel(['x', 'y', 'z'].map(p => () => agent(p)))\nthrow new Error('stop')\n"
    )
    fake = RecordingProvider()
    first = _failed_run_id(run, script, fake)
    write_script("export default await parallel(['z', 'x', 'y'].map(p => () => agent(p)))\n")
    second = run(script, providers={"debug": fake}, resume_run_id=first)
    assert second.result == ["fake: z", "fake: x", "fake: y"]
    assert len(fake.requests) == 3


def test_a_completed_run_is_not_resumed_with_a_changed_script(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("export default await agent('a')\n")
    first = run(script)
    write_script("export default await agent('b')\n")
    with pytest.raises(UsageError, match=r"already completed; resuming it after .* changed"):
        run(script, resume_run_id=first.run_id)
    row = sqlite3.connect(db).execute("SELECT status, result_json FROM runs").fetchone()
    assert row == ("completed", '{"result":"echo: a"}')


def test_identical_calls_replay_in_call_order(write_script: Write, run: Run) -> None:
    script = write_script("export default [await agent('same'), await agent('same')]\n")
    counter = iter(range(100))
    fake = RecordingProvider(answer=lambda request: next(counter))
    first = run(script, providers={"debug": fake})
    second = run(script, providers={"debug": fake}, resume_run_id=first.run_id)
    assert first.result == second.result == [0, 1]
    assert len(fake.requests) == 2


def test_resume_from_another_directory_still_replays(
    write_script: Write, run: Run, tmp_path: Path
) -> None:
    script = write_script("export default await agent('where am I')\n")
    fake = RecordingProvider()
    first = run(script, providers={"debug": fake}, cwd=tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    run(script, providers={"debug": fake}, cwd=other, resume_run_id=first.run_id)
    assert len(fake.requests) == 1


def test_resume_does_not_charge_replayed_calls_twice(write_script: Write, run: Run) -> None:
    script = write_script(
        "const a = await agent('a')\nexport default { a, spent: budget.spent() }\n"
    )
    fake = RecordingProvider()
    first = run(script, providers={"debug": fake})
    second = run(script, providers={"debug": fake}, resume_run_id=first.run_id)
    assert second.token_usage == first.token_usage
    assert second.result == first.result == {"a": "fake: a", "spent": 7}


def test_failed_calls_run_again_on_resume_and_their_spend_is_kept(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("export default await agent('x')\n")
    fake = FlakyProvider(failures=1)
    with pytest.raises(WorkflowFailed, match="flaky failure"):
        run(script, providers={"debug": fake})
    report = run(script, providers={"debug": fake}, resume_run_id=_failing_run_id(db))
    assert report.result == "fake: x"
    assert report.token_usage.output_tokens == 3 + 7
    steps = sqlite3.connect(db).execute("SELECT status, calls, output_tokens FROM steps").fetchall()
    assert steps == [("completed", 2, 10)]


def test_resume_of_an_unknown_run_names_the_database(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("export default 1\n")
    run(script)  # creates the database
    with pytest.raises(
        StoreError, match=f"workflow run run_nope was not found in {db}; check --db"
    ):
        run(script, resume_run_id="run_nope")


def test_every_attempt_and_event_is_recorded(write_script: Write, run: Run, db: Path) -> None:
    script = write_script("phase('P')\nlog('hi')\nexport default await agent('x')\n")
    report = run(script)
    run(script, resume_run_id=report.run_id)
    conn = sqlite3.connect(db)
    attempts = conn.execute("SELECT number, status FROM attempts ORDER BY number").fetchall()
    assert attempts == [(1, "completed"), (2, "completed")]
    chunks = conn.execute(
        "SELECT first_seq, last_seq, body FROM events ORDER BY first_seq"
    ).fetchall()
    seqs = [seq for first, last, _ in chunks for seq in range(first, last + 1)]
    assert seqs == list(range(1, len(seqs) + 1))
    assert sum(len(body.split("\n")) for _, _, body in chunks) == len(seqs)
    assert conn.execute("SELECT count(*) FROM usage_ledger").fetchone()[0] == 1


def test_a_finished_sleep_is_not_slept_again_on_resume(
    write_script: Write, run: Run, db: Path
) -> None:
    write_script(
        "import { sleep } from 'workflow:extra'\nawait sleep(20)\nthrow new Error('after the nap')\n"
    )
    script = write_script(
        "import { sleep } from 'workflow:extra'\nawait sleep(20)\nthrow new Error('after the nap')\n"
    )
    with pytest.raises(WorkflowFailed, match="after the nap"):
        run(script)
    write_script(
        "import { sleep } from 'workflow:extra'\nawait sleep(20)\nexport default 'awake'\n"
    )
    assert run(script, resume_run_id=_failing_run_id(db)).result == "awake"
    conn = sqlite3.connect(db)
    step = conn.execute(
        "SELECT kind, status, first_attempt_id = last_attempt_id FROM steps"
    ).fetchall()
    assert step == [("sleep", "completed", 1)]  # the resume never restarted it


def test_an_interrupted_sleep_keeps_its_wake_time(write_script: Write, run: Run, db: Path) -> None:
    script = write_script(
        "import { sleep } from 'workflow:extra'\n"
        "sleep(600000)  // not awaited: still pending when the workflow fails\n"
        "throw new Error('stop')\n"
    )
    with pytest.raises(WorkflowFailed):
        run(script)
    conn = sqlite3.connect(db)
    wake_before = conn.execute("SELECT json_extract(input_json, '$.wakeAt') FROM steps").fetchone()[
        0
    ]
    assert conn.execute("SELECT status FROM steps").fetchone()[0] == "cancelled"
    with pytest.raises(WorkflowFailed):
        run(script, resume_run_id=_failing_run_id(db))
    wake_after = conn.execute("SELECT json_extract(input_json, '$.wakeAt') FROM steps").fetchone()[
        0
    ]
    assert wake_after == wake_before

"""A turn's writes committed on the writer's thread: every row lands as given, whatever
the count, a failure is raised to the waiting loop with nothing half-written, and writes
that must stay in order with the store's own are never handed over."""

from __future__ import annotations

import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from smolwf.clock import now_ms
from smolwf.ids import new_id
from smolwf.store import writer
from smolwf.store.batch import LedgerEntry, RequestOpen, StepEnd, StepStart, WriteBatch
from smolwf.store.db import connect
from smolwf.store.problems import WriteFailed
from smolwf.store.runs import Attempt, RunRecord, RunStore
from smolwf.usage import Usage


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RunStore]:
    path = tmp_path / "runs.db"
    runs = RunStore(connect(path, create=True), path)
    yield runs
    runs.close()


def _attempt(store: RunStore) -> Attempt:
    record = RunRecord(new_id("run"), "wf", "wf.mjs", "running", {}, {})
    return store.create_run(record, meta={"name": "wf"})


def _finished_calls(attempt: Attempt, count: int) -> WriteBatch:
    """``count`` agent steps that started and finished in one turn, each with its ledger
    entry and two events, as a fan-out's turn holds them."""
    batch = WriteBatch(attempt.run_id, attempt.attempt_id)
    spent = Usage(input_tokens=3, output_tokens=5, total_tokens=8, cost_usd=0.0)
    for index in range(count):
        step_id = new_id("step")
        start = StepStart(step_id, "root", f"agent:{index:032x}", "agent", "{}", now_ms())
        batch.step_started(start)
        batch.ledger_entry(LedgerEntry(step_id, "debug", None, None, "ok", spent, now_ms()))
        result = f'{{"output":"echo: item {index}"}}'
        batch.step_finished(step_id, StepEnd("completed", now_ms(), result, calls=1, spent=spent))
        batch.event(2 * index, f'{{"n":{2 * index}}}')
        batch.event(2 * index + 1, f'{{"n":{2 * index + 1}}}')
    return batch


def _stored(path: Path, run_id: str) -> tuple[list[str], int, int]:
    """(step results in checkpoint order, ledger rows, events) as another reader sees them."""
    with sqlite3.connect(path) as conn:
        results = [
            row[0]
            for row in conn.execute(
                "SELECT result_json FROM steps WHERE run_id = ? ORDER BY checkpoint_key",
                (run_id,),
            )
        ]
        ledger = conn.execute(
            "SELECT count(*) FROM usage_ledger WHERE run_id = ?", (run_id,)
        ).fetchone()[0]
        events = conn.execute(
            "SELECT coalesce(sum(last_seq - first_seq + 1), 0) FROM events WHERE run_id = ?",
            (run_id,),
        ).fetchone()[0]
    return results, ledger, events


@pytest.mark.parametrize("count", [1, 5, 31, 32, 33, 1024, 1025, 2100])
def test_every_row_of_a_turn_lands_whatever_its_count(store: RunStore, count: int) -> None:
    attempt = _attempt(store)
    assert store.commit_in_background(_finished_calls(attempt, count))
    store.writer.wait()
    results, ledger, events = _stored(store.path, attempt.run_id)
    assert results == [f'{{"output":"echo: item {index}"}}' for index in range(count)]
    assert (ledger, events) == (count, 2 * count)


def test_rows_are_split_to_fit_a_low_variable_limit(store: RunStore) -> None:
    attempt = _attempt(store)
    store.conn.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, 100)  # 3 steps a statement
    store.commit(_finished_calls(attempt, 50))
    results, ledger, _ = _stored(store.path, attempt.run_id)
    assert (len(results), ledger) == (50, 50)


def test_a_failed_background_commit_is_raised_to_the_waiter_and_writes_nothing(
    store: RunStore,
) -> None:
    attempt = _attempt(store)
    batch = _finished_calls(attempt, 300)
    batch.ledger[-1] = ("run_unknown", *batch.ledger[-1][1:])  # refused: no such run
    assert store.commit_in_background(batch)
    with pytest.raises(WriteFailed, match="FOREIGN KEY"):
        store.writer.wait()
    assert _stored(store.path, attempt.run_id) == ([], 0, 0)
    assert store.commit_in_background(_finished_calls(attempt, 2))  # the writer goes on
    store.writer.wait()
    assert len(_stored(store.path, attempt.run_id)[0]) == 2


def test_a_request_to_a_person_is_never_committed_in_the_background(store: RunStore) -> None:
    attempt = _attempt(store)
    batch = _finished_calls(attempt, 300)
    request = RequestOpen(
        new_id("req"), new_id("step"), "approval", None, None, "Go?", None, "deny", None, now_ms()
    )
    batch.request_opened(request)
    assert not store.commit_in_background(batch)
    assert not store.writer.busy
    assert len(batch.finals) == 300  # nothing was taken: the caller commits it itself


def test_running_steps_a_ledger_entry_does_not_name_stay_for_a_later_commit(
    store: RunStore,
) -> None:
    attempt = _attempt(store)
    batch = _finished_calls(attempt, 300)
    waiting = StepStart(new_id("step"), "root", "agent:still-running", "agent", "{}", now_ms())
    batch.step_started(waiting)
    assert store.commit_in_background(batch)
    store.writer.wait()
    assert list(batch.running) == [waiting.step_id]
    with sqlite3.connect(store.path) as conn:
        row = conn.execute("SELECT 1 FROM steps WHERE step_id = ?", (waiting.step_id,)).fetchone()
    assert row is None


def test_closing_the_store_stops_the_writer_thread(tmp_path: Path) -> None:
    path = tmp_path / "runs.db"
    store = RunStore(connect(path, create=True), path)
    attempt = _attempt(store)
    assert store.commit_in_background(_finished_calls(attempt, 300))
    store.close()  # waits for the commit under way
    assert not [thread for thread in threading.enumerate() if thread.name == "smolwf-writer"]
    assert len(_stored(path, attempt.run_id)[0]) == 300


def test_the_gil_changes_hands_sooner_only_while_a_commit_runs(store: RunStore) -> None:
    attempt = _attempt(store)
    original = sys.getswitchinterval()
    sys.setswitchinterval(0.004)
    try:
        assert store.commit_in_background(_finished_calls(attempt, 300))
        assert sys.getswitchinterval() == pytest.approx(writer.SWITCH_INTERVAL_S)
        store.writer.wait()
        assert sys.getswitchinterval() == pytest.approx(0.004)
    finally:
        sys.setswitchinterval(original)

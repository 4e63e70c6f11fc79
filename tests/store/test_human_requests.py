"""The requests table: which request an answer names, one answer per request, deadlines
that lose to an answer written first, and the inbox."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from smolwf.clock import now_ms
from smolwf.errors import AnswerRefused
from smolwf.ids import new_id
from smolwf.store.batch import RequestOpen, StepStart, WriteBatch
from smolwf.store.db import connect
from smolwf.store.human import Decision, HumanRequests, Payload, Reply
from smolwf.store.runs import Attempt, RunRecord, RunStore


class Store:
    """One database with runs that ask; ``ask`` opens a request as the engine does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.conn = connect(path, create=True)
        self.runs = RunStore(self.conn, path)
        self.requests = HumanRequests(self.conn, path)

    def run(self) -> Attempt:
        record = RunRecord(new_id("run"), "wf", "wf.mjs", "running", {}, {})
        return self.runs.create_run(record, meta={"name": "wf"})

    def ask(
        self,
        attempt: Attempt,
        kind: str = "approval",
        *,
        label: str | None = None,
        name: str | None = None,
        deadline: int | None = None,
    ) -> str:
        batch = WriteBatch(attempt.run_id, attempt.attempt_id)
        request_id = new_id("req")
        batch.request_opened(
            RequestOpen(
                request_id, new_id("step"), kind, name, label, "Go?", None, "deny", deadline,
                now_ms(),
            )
        )  # fmt: skip
        self.runs.commit(batch)
        return request_id

    def answer(self, reply: Reply) -> list[str]:
        targets = self.requests.targets(reply)
        return [row.request_id for row in self.requests.answer(reply, targets)]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "runs.db")
    yield opened
    opened.conn.close()


def approve(run_id: str, target: str | None, by: str = "alice") -> Reply:
    return Reply(run_id, target, Decision(True, None), by)


@pytest.mark.parametrize("naming", ["id", "label", "nothing"], ids=["by-id", "by-label", "alone"])
def test_an_approval_is_named_by_id_by_label_or_not_at_all_when_alone(
    store: Store, naming: str
) -> None:
    attempt = store.run()
    request_id = store.ask(attempt, label="plan")
    target = {"id": request_id, "label": "plan", "nothing": None}[naming]
    assert store.answer(approve(attempt.run_id, target)) == [request_id]


def test_two_pending_approvals_must_be_named(store: Store) -> None:
    attempt = store.run()
    first, second = store.ask(attempt, label="a"), store.ask(attempt)
    with pytest.raises(AnswerRefused, match="has 2 pending approvals; name one") as refused:
        store.answer(approve(attempt.run_id, None))
    assert f"{first} (a)" in refused.value.message and second in refused.value.message


def test_a_label_two_pending_approvals_share_asks_for_a_request_id(store: Store) -> None:
    attempt = store.run()
    ids = [store.ask(attempt, label="plan") for _ in range(2)]
    with pytest.raises(AnswerRefused, match="names 2 pending approvals") as refused:
        store.answer(approve(attempt.run_id, "plan"))
    assert all(request_id in refused.value.message for request_id in ids)


def test_an_answered_request_refuses_a_second_answer_naming_the_first(store: Store) -> None:
    attempt = store.run()
    request_id = store.ask(attempt)
    store.answer(approve(attempt.run_id, request_id, by="alice"))
    with pytest.raises(AnswerRefused, match=f"{request_id} was already approved by alice at "):
        store.answer(Reply(attempt.run_id, request_id, Decision(False), "bob"))


def test_an_answer_after_the_deadline_is_refused_and_the_deadline_decides(store: Store) -> None:
    attempt = store.run()
    request_id = store.ask(attempt, deadline=now_ms() - 1)
    with pytest.raises(AnswerRefused, match=r"timed out at .* and was denied"):
        store.answer(approve(attempt.run_id, request_id))
    (row,) = store.requests.settled([request_id])
    assert (row.status, row.approval()["approved"], row.answered_by) == (
        "timed_out",
        False,
        "timeout",
    )


def test_a_deadline_loses_to_an_answer_written_before_it_was_applied(store: Store) -> None:
    attempt = store.run()
    request_id = store.ask(attempt, deadline=now_ms() + 60_000)
    store.answer(approve(attempt.run_id, request_id))
    (pending,) = store.requests.settled([request_id])
    decided = store.requests.expire(pending, now_ms() + 120_000)
    assert decided is not None
    assert (decided.status, decided.answered_by) == ("answered", "alice")


def test_a_signal_reaches_every_pending_wait_of_its_name_and_no_other(store: Store) -> None:
    attempt = store.run()
    waits = [store.ask(attempt, "signal", name="go") for _ in range(2)]
    other = store.ask(attempt, "signal", name="stop")
    answered = store.answer(Reply(attempt.run_id, "go", Payload({"n": 1}), "ci"))
    assert sorted(answered) == sorted(waits)
    assert store.requests.settled([other]) == []
    with pytest.raises(AnswerRefused, match="already received signal 'go' from ci"):
        store.answer(Reply(attempt.run_id, "go", Payload(2), "ci"))


def test_a_signal_nobody_waits_for_is_refused(store: Store) -> None:
    attempt = store.run()
    with pytest.raises(AnswerRefused, match="is not waiting for signal 'go'; see smol-wf inbox"):
        store.answer(Reply(attempt.run_id, "go", Payload(None), "ci"))


def test_changed_sees_commits_of_other_connections_only(store: Store) -> None:
    attempt = store.run()
    store.requests.changed()
    store.ask(attempt)
    assert store.requests.changed() is False
    other = sqlite3.connect(store.path)
    other.execute("UPDATE runs SET updated_at = 1")
    other.commit()
    other.close()
    assert store.requests.changed() is True
    assert store.requests.changed() is False


def test_the_inbox_lists_pending_requests_of_unfinished_runs_oldest_first(store: Store) -> None:
    live, cancelled, finished = store.run(), store.run(), store.run()
    first = store.ask(live, label="first")
    second = store.ask(cancelled, "signal", name="go")
    store.ask(finished, label="never answered")
    store.runs.finish_run(cancelled, "cancelled")
    store.runs.finish_run(finished, "completed")
    entries = store.requests.inbox()
    assert [(e.request.request_id, e.run_state) for e in entries] == [
        (first, "running"),
        (second, "cancelled"),
    ]
    assert [e.request.request_id for e in store.requests.inbox(cancelled.run_id)] == [second]


def test_lone_surrogates_from_a_command_line_are_stored_as_replacement_characters(
    store: Store,
) -> None:
    attempt = store.run()
    approval, signal = store.ask(attempt), store.ask(attempt, "signal", name="go")
    store.answer(Reply(attempt.run_id, approval, Decision(True, "note \udcff"), "bob \ud800"))
    store.answer(Reply(attempt.run_id, "go", Payload({"text": "\ud800 ok"}), "ci"))
    approved, signalled = store.requests.settled([approval, signal])
    assert approved.approval()["note"] == "note \ufffd" and approved.answered_by == "bob \ufffd"
    assert signalled.answer == {"text": "\ufffd ok"}


def test_a_request_is_committed_with_the_step_it_was_made_for(store: Store) -> None:
    # A process killed right after this commit leaves a request a resume must find again
    # through its step: the step's running row cannot wait for a later flush.
    attempt = store.run()
    batch = WriteBatch(attempt.run_id, attempt.attempt_id)
    step_id = new_id("step")
    batch.step_started(StepStart(step_id, "root", "approval:k", "approval", "{}", now_ms()))
    batch.request_opened(
        RequestOpen(
            new_id("req"), step_id, "approval", None, "plan", "Go?", None, "deny", None, now_ms()
        )
    )
    store.runs.commit(batch)
    steps = store.conn.execute("SELECT step_id, status FROM steps").fetchall()
    assert steps == [(step_id, "running")]

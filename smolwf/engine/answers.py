"""Answering a workflow's requests from anywhere: the one call behind ``smol-wf approve``,
``deny`` and ``signal``, the TUI's keys and any other front end (a web view).

The answer is written in one IMMEDIATE transaction (``HumanRequests.answer``); the
process that waits notices it within about a second. A run no process waits for any
more (``--on-wait exit``, a crash, Ctrl-C) goes on when it is resumed.
"""

from __future__ import annotations

import getpass
from pathlib import Path

from smolwf.engine.structured import errors_within
from smolwf.errors import AnswerRefused
from smolwf.records import record
from smolwf.store.db import connect
from smolwf.store.human import HumanRequest, HumanRequests, Payload, Reply
from smolwf.store.runs import RunStore


@record
class AnswerOutcome:
    """The requests an answer settled, and whether their run needs a resume to go on."""

    requests: list[HumanRequest]
    needs_resume: bool
    """No live process waits for the run: ``smol-wf run --resume-run`` takes it on."""


def answer(db_path: Path, reply: Reply) -> AnswerOutcome:
    """Record ``reply``; ``AnswerRefused`` (one line) when it cannot be given."""
    conn = connect(db_path, create=False)
    try:
        requests = HumanRequests(conn, db_path)
        targets = requests.targets(reply)
        if isinstance(reply.answer, Payload):
            for target in targets:
                _check_payload(target, reply.answer)
        answered = requests.answer(reply, targets)
        waited_on = RunStore(conn, db_path).owned_by_live_process(reply.run_id)
        return AnswerOutcome(answered, needs_resume=not waited_on)
    finally:
        conn.close()


def who_answers() -> str:
    """The OS user, as ``by`` records who answered (``--by`` names someone else)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry and no $USER: a bare container
        return "unknown"


def _check_payload(target: HumanRequest, payload: Payload) -> None:
    if target.schema is None:
        return
    errors = errors_within(payload.data, target.schema, what="the payload")
    if errors:
        raise AnswerRefused(
            f"signal '{target.name}' refused: the payload does not match the schema of "
            f"request {target.request_id}: " + "; ".join(errors)
        )

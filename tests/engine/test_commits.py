"""A large turn commits on the writer's thread, and the turn rule still holds: a sink sees
an event, and JS an answer, only once the commit holding it is durable, in order."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf.engine.report import RunReport
from smolwf.errors import StoreError
from smolwf.events.types import Event, EventType
from smolwf.js.host import JsHost, Settlement
from smolwf.store import writer
from smolwf.store.batch import WriteBatch
from smolwf.store.runs import RunStore

Write = Callable[..., Path]
Run = Callable[..., RunReport]

FANOUT = (
    "const r = await parallel(Array.from({length: 1000}, (_, i) => () => agent('item ' + i)))\n"
    "export default r.filter((x, i) => x === 'echo: item ' + i).length\n"
)


@pytest.fixture
def background(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of rows of each turn handed to the writer's thread."""
    handed: list[int] = []
    original = RunStore.commit_in_background

    def counting(self: RunStore, batch: WriteBatch) -> bool:
        rows = batch.rows
        started = original(self, batch)
        if started:
            handed.append(rows)
        return started

    monkeypatch.setattr(RunStore, "commit_in_background", counting)
    return handed


def test_a_sink_sees_a_finished_call_only_once_its_row_is_durable(
    write_script: Write, run: Run, db: Path, background: list[int]
) -> None:
    seen: list[int] = []
    not_durable: list[str] = []

    def check(event: Event) -> None:
        seen.append(event.seq)
        if event.type != EventType.AGENT_COMPLETED:
            return
        step_id = event.metadata["stepId"]
        with sqlite3.connect(db) as reader:  # another connection: only what is committed
            row = reader.execute("SELECT status FROM steps WHERE step_id = ?", (step_id,))
            if row.fetchone() != ("completed",):
                not_durable.append(str(step_id))

    assert run(write_script(FANOUT), max_parallel_agents=16, on_event=check).result == 1000
    assert background, "no turn was large enough to commit on the writer's thread"
    assert not_durable == []
    assert seen == sorted(seen) and len(seen) == len(set(seen))


def test_js_is_handed_an_answer_only_once_its_call_is_durable(
    write_script: Write,
    run: Run,
    db: Path,
    background: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    not_durable: list[str] = []
    original = JsHost.settle

    def checked(self: JsHost, settlements: list[Settlement]) -> None:
        with sqlite3.connect(db) as reader:
            for settlement in settlements:
                prompt = str(settlement.value).removeprefix("echo: ")
                row = reader.execute(
                    "SELECT status FROM steps WHERE json_extract(input_json, '$.prompt') = ?",
                    (prompt,),
                ).fetchone()
                if row != ("completed",):
                    not_durable.append(prompt)
        original(self, settlements)

    monkeypatch.setattr(JsHost, "settle", checked)
    assert run(write_script(FANOUT), max_parallel_agents=10_000).result == 1000
    assert background
    assert not_durable == []


def test_a_writer_that_cannot_open_leaves_every_commit_to_the_loop(
    write_script: Write,
    run: Run,
    db: Path,
    background: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(path: Path) -> sqlite3.Connection:
        raise StoreError(f"database {path} cannot be opened a second time")

    monkeypatch.setattr(writer, "open_writer", refuse)
    assert run(write_script(FANOUT), max_parallel_agents=16).result == 1000
    assert background == []
    with sqlite3.connect(db) as reader:
        done = reader.execute("SELECT count(*) FROM steps WHERE status = 'completed'")
        assert done.fetchone() == (1000,)

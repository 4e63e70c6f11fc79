"""workflow(): children run concurrently, durably, in their own scope, and report honestly."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from smolwf import RunReport, WorkflowFailed
from tests.fakes import GatedProvider, RecordingProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def child_meta(name: str) -> str:
    return f"export const meta = {{ name: '{name}', description: 'a child' }}\n"


def events(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_child_by_path_gets_args_and_returns_its_result(write_script: Write, run: Run) -> None:
    write_script(
        child_meta("kid") + "export default { got: args, echo: await agent('from child') }\n",
        name="kid.mjs",
        meta=False,
    )
    parent = write_script(
        "export default { child: await workflow({ scriptPath: './kid.mjs' }, { item: 'cli' }) }\n"
    )
    assert run(parent).result == {"child": {"got": {"item": "cli"}, "echo": "echo: from child"}}


def test_child_args_are_null_when_omitted(write_script: Write, run: Run) -> None:
    write_script(child_meta("kid") + "export default args\n", name="kid.mjs", meta=False)
    assert (
        run(write_script("export default await workflow({ scriptPath: 'kid.mjs' })\n")).result
        is None
    )


def test_child_by_name_is_found_in_the_workflow_folders(
    write_script: Write, run: Run, tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()
    write_script(
        child_meta("helper") + "export default 'named'\n",
        name=".claude/workflows/deep/helper.mjs",
        meta=False,
    )
    parent = write_script("export default await workflow('helper')\n", name="sub/parent.mjs")
    assert run(parent, cwd=tmp_path / "sub").result == "named"


def test_ambiguous_and_unknown_names_are_errors(
    write_script: Write, run: Run, tmp_path: Path
) -> None:
    (tmp_path / ".git").mkdir()
    write_script(
        child_meta("twin") + "export default 1\n", name=".agents/workflows/a.mjs", meta=False
    )
    write_script(
        child_meta("twin") + "export default 2\n", name=".claude/workflows/b.js", meta=False
    )
    parent = write_script(
        "const errors = []\n"
        "for (const name of ['twin', 'nobody']) { try { await workflow(name) } catch (e) { errors.push(e.message) } }\n"
        "export default errors\n"
    )
    ambiguous, unknown = run(parent, cwd=tmp_path).result
    assert "ambiguous" in ambiguous and "a.mjs" in ambiguous and "b.js" in ambiguous
    assert unknown.startswith("Unknown workflow: nobody")


def test_nesting_is_limited_to_one_level_unless_allowed(write_script: Write, run: Run) -> None:
    write_script(
        child_meta("grandkid") + "export default 'deep'\n", name="grandkid.mjs", meta=False
    )
    write_script(
        child_meta("kid") + "export default await workflow({ scriptPath: './grandkid.mjs' })\n",
        name="kid.mjs",
        meta=False,
    )
    parent = write_script("export default await workflow({ scriptPath: './kid.mjs' })\n")
    with pytest.raises(
        WorkflowFailed, match="Nested workflow\\(\\) calls are limited to one level"
    ):
        run(parent)
    assert run(parent, max_workflow_depth=2, resume_run_id=None).result == "deep"


def test_children_in_parallel_run_at_the_same_time(write_script: Write, run: Run) -> None:
    write_script(
        child_meta("a") + "export default await agent('wait: for b')\n", name="a.mjs", meta=False
    )
    write_script(
        child_meta("b") + "export default await agent('release')\n", name="b.mjs", meta=False
    )
    parent = write_script(
        "export default await parallel([\n"
        "  () => workflow({ scriptPath: './a.mjs' }),\n"
        "  () => workflow({ scriptPath: './b.mjs' }),\n"
        "])\n"
    )
    # a blocks until b's agent runs: serialized children would never finish.
    assert run(parent, providers={"debug": GatedProvider()}).result == [
        "fake: wait: for b",
        "fake: release",
    ]


def test_child_events_carry_depth_and_parent_step_id(write_script: Write, run: Run) -> None:
    write_script(
        child_meta("kid") + "phase('Child')\nlog('in child')\nexport default { item: args.item }\n",
        name="kid.mjs",
        meta=False,
    )
    parent = write_script(
        "log('before')\nconst child = await workflow({ scriptPath: './kid.mjs' }, { item: 'cli' })\n"
        "log('after')\nexport default { child }\n"
    )
    stream = io.StringIO()
    run(parent, events_stream=stream)
    seen = events(stream)
    assert [(e["type"], e["metadata"]["workflowDepth"]) for e in seen] == [
        ("workflow.started", 0),
        ("workflow.log", 0),
        ("workflow.started", 1),
        ("workflow.phase", 1),
        ("workflow.log", 1),
        ("workflow.result", 1),
        ("workflow.log", 0),
        ("workflow.result", 0),
    ]
    parents = {
        e["metadata"].get("parentStepId") for e in seen if e["metadata"]["workflowDepth"] == 1
    }
    assert len(parents) == 1 and None not in parents
    assert all(
        "parentStepId" not in e["metadata"] for e in seen if e["metadata"]["workflowDepth"] == 0
    )
    assert seen[-1]["data"]["results"] == {"child": {"item": "cli"}}


def test_child_failure_rejects_the_parent_once_with_its_message(
    write_script: Write, run: Run
) -> None:
    write_script(
        child_meta("kid") + "log('child log')\nthrow new Error('child exploded')\n",
        name="kid.mjs",
        meta=False,
    )
    parent = write_script("await workflow({ scriptPath: './kid.mjs' })\nexport default 1\n")
    stream = io.StringIO()
    with pytest.raises(WorkflowFailed) as caught:
        run(parent, events_stream=stream)
    seen = events(stream)
    assert [e["type"] for e in seen] == [
        "workflow.started",
        "workflow.started",
        "workflow.log",
        "workflow.error",
        "workflow.error",
    ]
    assert (
        "child exploded" in seen[3]["data"]["message"]
        and "child exploded" in seen[4]["data"]["message"]
    )
    # What failed, once: the child, not where its rejection escaped the parent.
    assert "rejected:" not in caught.value.message
    assert caught.value.message.startswith("workflow kid failed: child exploded")


def test_a_failed_childs_spend_still_counts(write_script: Write, run: Run) -> None:
    write_script(
        child_meta("kid") + "await agent('costly')\nthrow new Error('then failed')\n",
        name="kid.mjs",
        meta=False,
    )
    parent = write_script(
        "try { await workflow({ scriptPath: './kid.mjs' }) } catch (e) {}\n"
        "export default budget.spent()\n"
    )
    report = run(parent, providers={"debug": RecordingProvider()})
    assert report.result == 7
    assert report.token_usage.output_tokens == 7


def test_resume_replays_a_finished_child_and_resumes_a_half_done_one(
    write_script: Write, run: Run, db: Path
) -> None:
    write_script(
        child_meta("done") + "export default await agent('a1')\n", name="done.mjs", meta=False
    )
    half = child_meta("half") + "const x = await agent('b1')\n"
    write_script(half + "throw new Error('half way')\n", name="half.mjs", meta=False)
    parent = write_script(
        "const a = await workflow({ scriptPath: './done.mjs' })\n"
        "const b = await workflow({ scriptPath: './half.mjs' })\nexport default { a, b }\n"
    )
    fake = RecordingProvider()
    with pytest.raises(WorkflowFailed, match="half way"):
        run(parent, providers={"debug": fake})
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    write_script(half + "export default [x, await agent('b2')]\n", name="half.mjs", meta=False)
    report = run(parent, providers={"debug": fake}, resume_run_id=run_id)
    assert report.result == {"a": "fake: a1", "b": ["fake: b1", "fake: b2"]}
    assert fake.prompts == ["a1", "b1", "b2"]


def test_parent_and_child_making_the_same_call_never_collide(write_script: Write, run: Run) -> None:
    write_script(
        child_meta("kid") + "export default await agent('same')\n", name="kid.mjs", meta=False
    )
    parent = write_script(
        "const mine = await agent('same')\nexport default [mine, await workflow({ scriptPath: './kid.mjs' })]\n"
    )
    counter = iter(range(10))
    fake = RecordingProvider(answer=lambda request: next(counter))
    first = run(parent, providers={"debug": fake})
    assert first.result == [0, 1]
    assert run(parent, providers={"debug": fake}, resume_run_id=first.run_id).result == [0, 1]
    assert len(fake.requests) == 2

"""Where an answer comes from, through the Python API: the lookup chain's rules."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport, WorkflowFailed
from smolwf.engine.lookup import Found, LookupChain, Stage, Unanswered, Wanted
from smolwf.engine.rerun import Selectors
from tests.fakes import RecordingProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def _wanted(label: str | None = None, phase: str | None = None) -> Wanted:
    return Wanted("agent", "agent:k", "prompt", label, phase)


MATCHES = [
    pytest.param("summary", "summary", None, True, id="a-label"),
    pytest.param("Review", None, "Review", True, id="a-phase"),
    pytest.param("review:*", "review:a.py", None, True, id="a-glob"),
    pytest.param("*", None, "Anything", True, id="a-lone-star"),
    pytest.param("review", "review:a.py", None, False, id="a-prefix-is-not-a-match"),
    pytest.param("a[1].py", "a[1].py", None, True, id="brackets-are-literal"),
    pytest.param("a?.py", "ab.py", None, False, id="a-question-mark-is-literal"),
    pytest.param("Review", None, None, False, id="a-call-with-no-names"),
]


@pytest.mark.parametrize(("selector", "label", "phase", "matched"), MATCHES)
def test_a_selector_matches_a_label_or_a_phase_with_star_globs(
    selector: str, label: str | None, phase: str | None, matched: bool
) -> None:
    selectors = Selectors.parse([selector])
    assert selectors is not None
    assert selectors.matches(label, phase) is matched


class _Answers:
    """A source that answers every call, and counts the calls it was asked."""

    def __init__(self, answer: Found | Unanswered | None) -> None:
        self.answer = answer
        self.asked = 0

    def find(self, wanted: Wanted) -> Found | Unanswered | None:
        self.asked += 1
        return self.answer


def test_the_first_source_that_answers_wins() -> None:
    first, second = _Answers(None), _Answers(Found({"output": 2}, None))
    third = _Answers(Found({"output": 3}, None))
    found = LookupChain([Stage(first), Stage(second), Stage(third)]).find(_wanted())
    assert isinstance(found, Found) and found.result == {"output": 2}
    assert (first.asked, third.asked) == (1, 0)


def test_a_selected_call_skips_its_source_and_every_later_one() -> None:
    own, fork = _Answers(Found({"output": "own"}, None)), _Answers(Found({"output": "fork"}, None))
    chain = LookupChain([Stage(own), Stage(fork, Selectors.parse(["summary"]))])
    assert isinstance(chain.find(_wanted("other")), Found)
    own.answer = None
    assert chain.find(_wanted("summary")) is None
    assert fork.asked == 0


def test_a_fork_through_the_api_replays_and_names_its_source(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("export default [await agent('a'), await agent('b', { label: 'b' })]\n")
    fake = RecordingProvider()
    source = run(script, providers={"debug": fake})
    fork = run(script, providers={"debug": fake}, fork_run_id=source.run_id, rerun=("b",))
    assert fake.prompts == ["a", "b", "b"]
    assert fork.result == source.result
    stored = sqlite3.connect(db).execute(
        "SELECT json_extract(params_json, '$.fork') FROM runs WHERE run_id = ?", (fork.run_id,)
    )
    assert stored.fetchone()[0] == f'{{"runId":"{source.run_id}","rerun":["b"]}}'


def test_agent_run_of_a_cached_call_names_its_source_and_costs_nothing(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "import { agentRun } from 'workflow:extra'\nexport default await agentRun('a')\n"
    )
    fake = RecordingProvider()
    first = run(script, providers={"debug": fake})
    second = run(script, providers={"debug": fake}, cache=True)
    record = second.result
    assert isinstance(record, dict) and isinstance(first.result, dict)
    assert record["cached"] == {"runId": first.run_id, "stepId": first.result["stepId"]}
    assert record["replayed"] is True
    assert record["usage"]["totalTokens"] == 0
    assert record["output"] == first.result["output"]


def test_equal_asks_in_other_phases_and_labels_share_a_cached_answer(
    write_script: Write, run: Run
) -> None:
    fake = RecordingProvider()
    run(write_script("export default await agent('same', { label: 'x', phase: 'A' })\n"),
        providers={"debug": fake})  # fmt: skip
    again = run(
        write_script("export default await agent('same', { label: 'y', phase: 'B' })\n"),
        providers={"debug": fake},
        cache=True,
    )
    assert fake.prompts == ["same"]
    assert again.result == "fake: same"


def test_a_resumed_cache_hit_is_not_counted_twice(write_script: Write, run: Run, db: Path) -> None:
    fake = RecordingProvider()
    script = write_script("export default await agent('a')\n")
    run(script, providers={"debug": fake})
    write_script("const a = await agent('a')\nthrow new Error('later')\n")
    with pytest.raises(WorkflowFailed):
        run(script, providers={"debug": fake}, cache=True)
    failed = (
        sqlite3.connect(db).execute("SELECT run_id FROM runs WHERE status = 'failed'").fetchone()[0]
    )
    write_script("export default await agent('a')\n")
    stream = io.StringIO()
    resumed = run(script, providers={"debug": fake}, resume_run_id=failed, events_stream=stream)
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    [completed] = [e["data"] for e in events if e["type"] == "workflow.agent_completed"]
    assert fake.prompts == ["a"]
    assert completed["usage"]["totalTokens"] == 0
    assert completed["cached"]["runId"] != failed
    assert resumed.token_usage.total == 0


def test_a_bad_cache_option_rejects_only_that_call(write_script: Write, run: Run) -> None:
    script = write_script(
        "import { parallelSettled } from 'workflow:extra'\n"
        "export default await parallelSettled([() => agent('a', { cache: 'yes' }), () => agent('b')])\n"
    )
    report = run(script, providers={"debug": RecordingProvider()})
    assert report.result == [
        {"ok": False, "error": "agent() option cache must be true or false, got 'yes'"},
        {"ok": True, "value": "fake: b"},
    ]


def test_a_child_workflow_replays_from_a_cassette(
    write_script: Write, run: Run, tmp_path: Path
) -> None:
    write_script("export default await agent(`child ${args.n}`)\n", name="child.mjs")
    script = write_script(
        "export default await workflow({ scriptPath: './child.mjs' }, { n: 1 })\n"
    )
    cassette = tmp_path / "c.jsonl"
    fake = RecordingProvider()
    recorded = run(script, providers={"debug": fake}, record_path=cassette)
    replayed = run(
        script, providers={"debug": fake}, replay_path=cassette, db_path=tmp_path / "other.db"
    )
    assert fake.prompts == ["child 1"]
    assert replayed.result == recorded.result == "fake: child 1"

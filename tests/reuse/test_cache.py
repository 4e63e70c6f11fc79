"""``--cache`` and ``cache:``: a call takes the answer of an equal call of an earlier run."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.gitrepo import init_repo
from tests.reuse.conftest import Counting

DAY_MS = 86_400_000


def _script(tmp_path: Path, body: str, *, phases: str = "[]") -> Path:
    path = tmp_path / "wf.mjs"
    path.write_text(
        f"export const meta = {{ name: 'c', description: 'c', phases: {phases} }}\n{body}",
        encoding="utf-8",
    )
    return path


def test_a_cache_hit_across_two_runs_starts_the_provider_once(
    counting: Counting, review: Path
) -> None:
    first = counting.report(review, "--cache")
    second = counting.report(review, "--cache")
    assert len(counting.prompts) == 3
    assert second["runID"] != first["runID"]
    assert second["results"] == first["results"]


def test_a_cached_answer_costs_nothing_and_names_its_run_and_step(
    counting: Counting, review: Path
) -> None:
    first = counting.report(review)
    steps = {
        step["agent"]["label"]: step["stepId"] for step in counting.history(first["runID"])["steps"]
    }
    events = counting.events(review, "--cache")
    completed = [event["data"] for event in events if event["type"] == "workflow.agent_completed"]
    assert sorted(data["cached"]["stepId"] for data in completed) == sorted(steps.values())
    assert {data["cached"]["runId"] for data in completed} == {first["runID"]}
    assert {data["usage"]["totalTokens"] for data in completed} == {0}
    assert events[-1]["data"]["tokenUsage"] == {
        "inputTokens": 0,
        "outputTokens": 0,
        "totalTokens": 0,
    }


def test_history_says_cached_with_the_source_run_and_step(counting: Counting, review: Path) -> None:
    first = counting.report(review)["runID"]
    second = counting.history(counting.report(review, "--cache")["runID"])
    assert {step["cached"]["runId"] for step in second["steps"]} == {first}
    assert second["tokenUsage"]["totalTokens"] == 0


TTLS = [
    pytest.param("1d", 6, id="older-than-the-ttl-runs-again"),
    pytest.param("3d", 3, id="within-the-ttl-is-reused"),
    pytest.param("47h", 6, id="hours"),
    pytest.param("1w", 3, id="weeks"),
]


@pytest.mark.parametrize(("ttl", "calls"), TTLS)
def test_the_ttl_bounds_the_age_of_a_reused_answer(
    counting: Counting, review: Path, ttl: str, calls: int
) -> None:
    counting.report(review)
    with sqlite3.connect(counting.db) as conn:  # two days pass
        conn.execute("UPDATE steps SET finished_at = finished_at - 2 * ?", (DAY_MS,))
    counting.report(review, "--cache", "--cache-ttl", ttl)
    assert len(counting.prompts) == calls


SIDE_EFFECTS = [
    pytest.param("isolation: 'worktree'", id="worktree-isolation"),
    pytest.param("permissions: 'edit'", id="edit-permissions"),
    pytest.param("permissions: 'full'", id="full-permissions"),
]


@pytest.mark.parametrize("option", SIDE_EFFECTS)
def test_calls_with_side_effects_are_never_cached(
    counting: Counting, tmp_path: Path, option: str
) -> None:
    repo = init_repo(tmp_path / "repo")
    script = _script(
        repo, f"export default await agent('change it', {{ {option}, cache: true }})\n"
    )
    counting.report(script, "--cache", cwd=repo)
    counting.report(script, "--cache", cwd=repo)
    assert counting.prompts == ["change it", "change it"]


def test_cache_false_on_a_call_wins_over_the_flag(counting: Counting, tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        "export default [await agent('kept'), await agent('fresh', { cache: false })]\n",
    )
    counting.report(script)
    counting.report(script, "--cache")
    assert counting.prompts == ["kept", "fresh", "fresh"]


def test_a_phase_may_turn_the_cache_on(counting: Counting, tmp_path: Path) -> None:
    script = _script(
        tmp_path,
        "phase('Cheap')\nconst a = await agent('a')\nphase('Live')\n"
        "export default [a, await agent('b')]\n",
        phases="[{ title: 'Cheap', cache: true }, { title: 'Live' }]",
    )
    counting.report(script)
    counting.report(script)
    assert counting.prompts == ["a", "b", "b"]


def test_equal_calls_of_one_run_take_distinct_cached_answers(
    counting: Counting, tmp_path: Path
) -> None:
    script = _script(tmp_path, "export default [await agent('idea'), await agent('idea')]\n")
    first = counting.report(script)
    second = counting.report(script, "--cache")
    assert second["results"] == first["results"] == ["answer 1: idea", "answer 2: idea"]


def test_a_bad_ttl_is_one_usage_error(counting: Counting, review: Path) -> None:
    done = counting.run(review, "--cache", "--cache-ttl", "soon")
    assert (done.returncode, done.stderr) == (
        2,
        "error: --cache-ttl must be a duration like 30m, 12h or 7d, got 'soon'\n",
    )


def test_cache_list_shows_answers_and_clear_forgets_them(counting: Counting, review: Path) -> None:
    first = counting.report(review)["runID"]
    listed = counting.smol_wf("cache", "list").stdout
    assert listed.count(str(first)) == 3 and "summary" in listed
    kept = counting.smol_wf("cache", "clear", "--older-than", "7d")
    assert kept.stdout == "Cleared 0 cached answer(s) older than 7d; the runs are kept.\n"
    cleared = counting.smol_wf("cache", "clear")
    assert cleared.stdout == "Cleared 3 cached answer(s); the runs are kept.\n"
    counting.report(review, "--cache")
    assert len(counting.prompts) == 6
    assert counting.history(first)["workflowRun"]["state"] == "completed"

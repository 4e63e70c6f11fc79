"""``--rerun SELECTOR``: chosen finished calls of the resumed or forked run run live again."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.reuse.conftest import Counting

SELECTED = [
    pytest.param(["summary"], ["Sum up 2 reviews"], id="a-label"),
    pytest.param(["Review"], ["Review a.py", "Review b.py"], id="a-phase"),
    pytest.param(["review:*"], ["Review a.py", "Review b.py"], id="a-glob"),
    pytest.param(["*:b.py", "Synth*"], ["Review b.py", "Sum up 2 reviews"], id="two-selectors"),
]


@pytest.mark.parametrize(("selectors", "again"), SELECTED)
def test_a_fork_reruns_exactly_the_matching_calls(
    counting: Counting, review: Path, selectors: list[str], again: list[str]
) -> None:
    source = counting.report(review)["runID"]
    flags = [flag for selector in selectors for flag in ("--rerun", selector)]
    counting.report("--fork-run", source, *flags)
    assert sorted(counting.prompts[3:]) == sorted(again)


def test_a_resume_reruns_matching_calls_of_the_run_itself(counting: Counting, review: Path) -> None:
    first = counting.report(review)
    again = counting.report("--resume-run", first["runID"], "--rerun", "summary")
    assert counting.prompts[3:] == ["Sum up 2 reviews"]
    assert again["runID"] == first["runID"]
    assert again["results"]["summary"] == "answer 4: Sum up 2 reviews"


def test_a_selector_that_matches_no_call_is_refused_before_the_run_starts(
    counting: Counting, review: Path
) -> None:
    source = counting.report(review)["runID"]
    done = counting.run("--fork-run", source, "--rerun", "Synth")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"error: --rerun 'Synth' matches no call of run {source}; "
        "its labels: review:a.py, review:b.py, summary; its phases: Review, Synthesize"
    ]
    assert counting.runs() == 1
    assert len(counting.prompts) == 3


def test_a_refused_resume_leaves_the_run_untouched(counting: Counting, review: Path) -> None:
    source = str(counting.report(review)["runID"])
    before = counting.smol_wf("history", source, "-o", "json").stdout
    done = counting.run("--resume-run", source, "--rerun", "nothing*")
    assert done.returncode == 2
    assert counting.smol_wf("history", source, "-o", "json").stdout == before


def test_rerun_without_an_earlier_run_is_a_usage_error(counting: Counting, review: Path) -> None:
    done = counting.run(review, "--rerun", "summary")
    assert done.returncode == 2
    assert (
        done.stderr
        == "error: --rerun selects calls of an earlier run: add --resume-run or --fork-run\n"
    )


def test_a_resumed_fork_still_reruns_what_the_fork_chose(counting: Counting, review: Path) -> None:
    """The fork's selectors are kept with it: an interrupted fork, resumed, must not take
    the source's answer for a call the fork was asked to run again."""
    source = counting.report(review)["runID"]
    stopping = review.read_text().replace("phase('Synthesize')", "throw new Error('stop')")
    review.write_text(stopping)
    failed = counting.run("--fork-run", source, "--rerun", "summary")
    assert failed.returncode == 1
    fork = (
        sqlite3.connect(counting.db)
        .execute("SELECT run_id FROM runs ORDER BY created_at DESC LIMIT 1")
        .fetchone()[0]
    )
    review.write_text(stopping.replace("throw new Error('stop')", "phase('Synthesize')"))
    counting.report("--resume-run", fork)
    assert counting.prompts[3:] == ["Sum up 2 reviews"]

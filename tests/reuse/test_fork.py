"""``smol-wf run --fork-run``: a new run that takes the source run's finished calls for free."""

from __future__ import annotations

from pathlib import Path

from tests.reuse.conftest import REVIEW, Counting


def test_a_fork_replays_every_finished_call_without_starting_the_provider(
    counting: Counting, review: Path
) -> None:
    source = counting.report(review)
    fork = counting.report("--fork-run", source["runID"])
    assert len(counting.prompts) == 3
    assert fork["runID"] != source["runID"]
    assert fork["results"] == source["results"]
    assert fork["tokenUsage"]["totalTokens"] == 0


def test_a_fork_leaves_the_source_run_byte_identical_in_history(
    counting: Counting, review: Path
) -> None:
    source = str(counting.report(review)["runID"])
    before = [counting.smol_wf("history", source, *view).stdout for view in ([], ["-o", "json"])]
    counting.report("--fork-run", source, "--rerun", "summary")
    after = [counting.smol_wf("history", source, *view).stdout for view in ([], ["-o", "json"])]
    assert after == before


def test_history_names_the_source_run_and_step_of_each_replayed_call(
    counting: Counting, review: Path
) -> None:
    source = counting.report(review)["runID"]
    fork = counting.history(counting.report("--fork-run", source)["runID"])
    assert fork["workflowRun"]["forkedFrom"] == source
    source_steps = {
        step["agent"]["label"]: step["stepId"] for step in counting.history(source)["steps"]
    }
    replayed = {step["agent"]["label"]: step["replayedFrom"] for step in fork["steps"]}
    assert replayed == {
        label: {"runId": source, "stepId": step} for label, step in source_steps.items()
    }
    assert all(step["tokenUsage"]["totalTokens"] == 0 for step in fork["steps"])


def test_the_detail_view_has_a_forked_line_and_the_list_a_forked_from(
    counting: Counting, review: Path
) -> None:
    source = counting.report(review)["runID"]
    fork = counting.report("--fork-run", source, "--rerun", "summary")["runID"]
    text = counting.smol_wf("history", str(fork)).stdout
    assert f"Forked:    from {source} (rerun: summary)\n" in text
    listed = counting.smol_wf("history", "-o", "json").stdout
    assert f'"forkedFrom": "{source}"' in listed


def test_a_fork_of_an_edited_script_runs_only_the_changed_call(
    counting: Counting, review: Path
) -> None:
    source = counting.report(review)["runID"]
    review.write_text(REVIEW.replace("Sum up ${notes.length}", "Rank the ${notes.length}"))
    done = counting.run("--fork-run", source)
    assert done.returncode == 0, done.stderr
    assert counting.prompts[3:] == ["Rank the 2 reviews"]
    assert f"[warn] forking {source} with different inputs: the script changed" in done.stderr


def test_a_fork_takes_the_source_args_unless_given(counting: Counting, tmp_path: Path) -> None:
    script = tmp_path / "args.mjs"
    script.write_text(
        "export const meta = { name: 'a', description: 'a' }\n"
        "export default await agent(`hello ${args.who}`)\n"
    )
    source = counting.report(script, "--args-who", "ada")["runID"]
    same = counting.report("--fork-run", source)
    other = counting.run(script, "--fork-run", source, "--args-who", "bob")
    assert same["results"] == "answer 1: hello ada"
    assert counting.prompts == ["hello ada", "hello bob"]
    assert "[warn] forking" in other.stderr and "different --args-* values" in other.stderr


def test_a_fork_of_a_run_that_is_not_there_is_one_error_line(
    counting: Counting, review: Path
) -> None:
    counting.report(review)
    done = counting.run("--fork-run", "run_nope")
    assert done.returncode == 1
    assert done.stderr.splitlines() == [
        f"error: workflow run run_nope was not found in {counting.db}; check --db"
    ]


def test_fork_and_resume_together_are_refused(counting: Counting, review: Path) -> None:
    source = str(counting.report(review)["runID"])
    done = counting.run("--fork-run", source, "--resume-run", source)
    assert done.returncode == 2
    assert done.stderr.startswith("error: --fork-run and --resume-run cannot be combined")
    assert counting.runs() == 1

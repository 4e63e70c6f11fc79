"""``--record FILE`` and ``--replay FILE``: a run's answers in a file, replayed without a provider."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.reuse.conftest import Counting


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def cassette(counting: Counting, review: Path, tmp_path: Path) -> Path:
    """The review workflow's cassette, recorded by one live run (three provider calls)."""
    path = tmp_path / "review.cassette.jsonl"
    counting.report(review, "--record", path)
    return path


def test_a_replay_starts_no_provider_and_gives_the_recorded_result(
    counting: Counting, review: Path, tmp_path: Path
) -> None:
    cassette = tmp_path / "review.cassette.jsonl"
    recorded = counting.report(review, "--record", cassette)
    counting.db = tmp_path / "ci.db"  # a CI machine: a fresh database
    replayed = counting.report(review, "--replay", cassette)
    again = counting.report(review, "--replay", cassette)
    assert len(counting.prompts) == 3
    assert replayed["results"] == again["results"] == recorded["results"]
    assert replayed["tokenUsage"]["totalTokens"] == 0


def test_a_cassette_is_one_readable_object_per_call_in_call_order(
    counting: Counting, cassette: Path
) -> None:
    entries = _lines(cassette)
    assert [(e["label"], e["phase"], e["prompt"]) for e in entries] == [
        ("review:a.py", "Review", "Review a.py"),
        ("review:b.py", "Review", "Review b.py"),
        ("summary", "Synthesize", "Sum up 2 reviews"),
    ]
    assert list(entries[0]) == [
        "key",
        "label",
        "phase",
        "provider",
        "model",
        "prompt",
        "output",
        "usage",
    ]
    assert entries[2]["provider"] == "claude-code" and entries[2]["model"] == "fake-sonnet"
    assert (
        entries[2]["output"]
        == f"answer {counting.prompts.index('Sum up 2 reviews') + 1}: Sum up 2 reviews"
    )
    assert entries[2]["usage"]["outputTokens"] == 5  # type: ignore[index]


def test_a_recording_of_a_fork_holds_its_replayed_answers_too(
    counting: Counting, review: Path, tmp_path: Path
) -> None:
    source = counting.report(review)["runID"]
    cassette = tmp_path / "fork.jsonl"
    counting.report("--fork-run", source, "--record", cassette)
    assert [entry["label"] for entry in _lines(cassette)] == [
        "review:a.py",
        "review:b.py",
        "summary",
    ]
    assert len(counting.prompts) == 3


def test_a_call_with_no_recording_fails_alone_with_one_line(
    counting: Counting, review: Path, cassette: Path
) -> None:
    lines = cassette.read_text().splitlines()
    cassette.write_text("\n".join(line for line in lines if '"review:b.py"' not in line) + "\n")
    done = counting.run(review, "--replay", cassette)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["results"]["notes"][0] == json.loads(lines[0])["output"]
    assert report["results"]["notes"][1] is None
    message = (
        f"cassette {cassette} has no answer for agent 'review:b.py' (phase 'Review'): "
        "'Review b.py'; re-record it with --record, or pass --replay-missing live"
    )
    assert [line for line in done.stderr.splitlines() if "no answer" in line] == [
        f"[warn] parallel task 1 failed: {message}"
    ]
    assert len(counting.prompts) == 3


def test_the_missing_call_message_shows_80_characters_of_the_prompt(
    counting: Counting, tmp_path: Path
) -> None:
    script = tmp_path / "long.mjs"
    prompt = "word " * 40
    script.write_text(
        "export const meta = { name: 'l', description: 'l' }\n"
        f"export default await agent({json.dumps(prompt)}, {{ label: 'long' }})\n"
    )
    cassette = tmp_path / "empty.jsonl"
    cassette.write_text("")
    done = counting.run(script, "--replay", cassette)
    assert done.returncode == 1
    shown = " ".join(prompt.split())[:80] + "…"
    assert done.stderr.splitlines()[-1].endswith(
        f": cassette {cassette} has no answer for agent 'long': {shown!r}; "
        "re-record it with --record, or pass --replay-missing live"
    )


def test_replay_missing_live_runs_the_call_and_adds_it_to_the_cassette(
    counting: Counting, review: Path, cassette: Path
) -> None:
    lines = cassette.read_text().splitlines()
    cassette.write_text("\n".join(lines[:2]) + "\n")
    filled = counting.report(review, "--replay", cassette, "--replay-missing", "live")
    assert counting.prompts[3:] == ["Sum up 2 reviews"]
    assert cassette.read_text().splitlines()[:2] == lines[:2]
    assert [entry["label"] for entry in _lines(cassette)] == [
        "review:a.py",
        "review:b.py",
        "summary",
    ]
    assert counting.report(review, "--replay", cassette)["results"] == filled["results"]


def test_recording_onto_the_replayed_cassette_writes_each_answer_once(
    counting: Counting, review: Path, cassette: Path
) -> None:
    lines = cassette.read_text().splitlines()
    cassette.write_text("\n".join(lines[:2]) + "\n")
    counting.report(review, "--replay", cassette, "--replay-missing", "live", "--record", cassette)
    assert [entry["label"] for entry in _lines(cassette)] == [
        "review:a.py",
        "review:b.py",
        "summary",
    ]


BROKEN = [
    pytest.param("not json\n", "line 1 is not JSON (Expecting value", id="not-json"),
    pytest.param("[1, 2]\n", "line 1 is not a JSON object", id="not-an-object"),
    pytest.param('{"output": "x"}\n', 'line 1 has no "key"', id="no-key"),
    pytest.param(
        '\n{"key": "agent:1", "prompt": "p"}\n',
        'line 2 needs "provider", "prompt" and "output"',
        id="no-output",
    ),
]


@pytest.mark.parametrize(("text", "problem"), BROKEN)
def test_a_broken_cassette_is_refused_before_the_run_starts(
    counting: Counting, review: Path, tmp_path: Path, text: str, problem: str
) -> None:
    cassette = tmp_path / "broken.jsonl"
    cassette.write_text(text)
    done = counting.run(review, "--replay", cassette)
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith(f"error: cassette {cassette} {problem}")
    assert line.endswith("; record one with smol-wf run <workflow> --record FILE again")
    assert not counting.db.exists() or counting.smol_wf("history").stdout.count("run_") == 0


def test_a_cassette_that_is_not_there_is_one_error_line(
    counting: Counting, review: Path, tmp_path: Path
) -> None:
    done = counting.run(review, "--replay", tmp_path / "nope.jsonl")
    assert done.returncode == 1
    assert done.stderr == (
        f"error: cassette {tmp_path / 'nope.jsonl'} was not found; "
        "record one with smol-wf run <workflow> --record FILE\n"
    )


def test_record_into_a_missing_directory_is_a_usage_error(
    counting: Counting, review: Path, tmp_path: Path
) -> None:
    done = counting.run(review, "--record", tmp_path / "no" / "c.jsonl")
    assert (done.returncode, done.stderr) == (
        2,
        f"error: --record {tmp_path / 'no' / 'c.jsonl'}: directory {tmp_path / 'no'} does not exist\n",
    )

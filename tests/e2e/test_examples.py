"""Every workflow in examples/ runs on the debug provider, as the README promises."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import pytest

from smolwf.sandbox.local_worktree import WORKTREE_ROOT_ENV
from tests.sandbox.conftest import GIT_IDENTITY, PROFILE, PROVIDER_EXE, git, worktrees

EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples"
CHILD_DIRS = {"children"}
"""Folders of child workflows, which run only through the parents that call them."""
NEEDS_A_GIT_REPO = {"isolation.mjs"}
"""Examples that must run inside a git repository; each has a test of its own below."""
NEEDS_AN_ANSWER = {"plan-approve-apply.mjs"}
"""Examples that wait for a person; the test below answers them."""
EXTRA_FLAGS = {
    "budget.mjs": ["--budget-allowance", "200"],
    "triage.mjs": ["--args-classifier", "debug", "--args-fixer", "debug"],
}
"""Flags an example needs to run here: triage.mjs's real providers become debug."""


def _name(path: Path) -> str:
    return path.relative_to(EXAMPLES_DIR).as_posix()


ALL_SCRIPTS = sorted(EXAMPLES_DIR.rglob("*.mjs"))
CHILDREN = [path for path in ALL_SCRIPTS if CHILD_DIRS & set(path.relative_to(EXAMPLES_DIR).parts)]
EXAMPLES = [path for path in ALL_SCRIPTS if path not in CHILDREN]
PLAIN = [path for path in EXAMPLES if _name(path) not in NEEDS_A_GIT_REPO | NEEDS_AN_ANSWER]

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize("example", PLAIN, ids=[_name(path) for path in PLAIN])
def test_example_runs_on_the_debug_provider(example: Path, cli: Cli, db: Path) -> None:
    done = cli("run", example, "--db", db, *EXTRA_FLAGS.get(_name(example), []))
    assert done.returncode == 0, done.stderr
    assert "[warn]" not in done.stderr, "a parallel or pipeline slot failed"
    report = json.loads(done.stdout)
    assert isinstance(report["results"], dict)
    assert report["tokenUsage"]["outputTokens"] > 0


def test_every_example_is_found_and_every_child_has_a_parent() -> None:
    assert {"args.mjs", "pipeline-vs-parallel.mjs", "cookbook/react.mjs"} <= {
        _name(path) for path in PLAIN
    }
    assert {_name(path) for path in EXAMPLES} >= NEEDS_A_GIT_REPO | NEEDS_AN_ANSWER
    parents = "\n".join(path.read_text(encoding="utf-8") for path in EXAMPLES)
    for child in CHILDREN:
        assert f"'./{_name(child)}'" in parents, f"no example runs the child {_name(child)}"


def test_the_cassette_example_replays_its_recording_without_a_provider(
    cli: Cli, db: Path, tmp_path: Path
) -> None:
    example = EXAMPLES_DIR / "review-cassette.mjs"
    cassette = EXAMPLES_DIR / "review-cassette.cassette.jsonl"
    calls = tmp_path / "calls.log"
    replays = [
        cli(
            "run",
            example,
            "--db",
            db,
            "--replay",
            cassette,
            env={"SMOLWF_DEBUG_CALL_LOG": str(calls)},
        )
        for _ in range(2)
    ]
    assert [done.returncode for done in replays] == [0, 0], replays[0].stderr
    assert not calls.exists()
    results = [json.loads(done.stdout)["results"] for done in replays]
    recorded = [json.loads(line) for line in cassette.read_text(encoding="utf-8").splitlines()]
    assert results[0] == results[1]
    assert results[0]["ranking"] == recorded[-1]["output"]


def test_budget_example_stops_when_the_allowance_runs_low(cli: Cli, db: Path) -> None:
    example = EXAMPLES_DIR / "budget.mjs"
    done = cli("run", example, "--db", db, "--budget-allowance", "20")
    results = json.loads(done.stdout)["results"]
    assert results["budget"]["total"] == 20
    assert results["rounds"] == 0


def test_args_example_reads_the_command_line_and_an_args_file(
    cli: Cli, db: Path, tmp_path: Path
) -> None:
    args_file = tmp_path / "args.yaml"
    args_file.write_text("topic: caching\nrounds: 2\nfiles: [src/app.ts, src/db.ts]\n")
    example = EXAMPLES_DIR / "args.mjs"
    done = cli("run", example, "--db", db, "--args-from-file", args_file, "--args-rounds", "0")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"]["args"] == {
        "topic": "caching",
        "rounds": 0,
        "files": ["src/app.ts", "src/db.ts"],
        "verbose": False,
    }
    done = cli("run", example, "--db", db, "--args-files", "a.ts", "--args-verbose")
    assert json.loads(done.stdout)["results"]["args"]["files"] == ["a.ts"]
    assert json.loads(done.stdout)["results"]["args"]["verbose"] is True
    done = cli("run", example, "--db", db, "--args-rounds", "many")
    assert done.returncode == 1
    assert "--args-rounds must be a whole number" in done.stderr


def test_isolation_example_runs_in_throwaway_worktrees(
    cli: Cli, db: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / PROVIDER_EXE).exists(), f"{PROVIDER_EXE} is not installed next to python"
    for name, value in GIT_IDENTITY.items():
        monkeypatch.setenv(name, value)
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "README.md").write_text("committed\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "initial")
    (repo / "scratch.txt").write_text("not committed, so not in the worktree\n")
    sandboxes = tmp_path / "sandboxes"

    done = cli(
        "run",
        EXAMPLES_DIR / "isolation.mjs",
        "--db",
        db,
        cwd=repo,
        env={
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            WORKTREE_ROOT_ENV: str(sandboxes),
        },
    )

    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert results["status"] == {"exitCode": 0, "stdout": "", "stderr": ""}
    assert results["clean"] is True
    with closing(sqlite3.connect(db)) as conn:
        (step,) = conn.execute("SELECT result_json FROM steps").fetchall()
    isolation = json.loads(step[0])["isolation"]
    assert isolation["kind"] == "sandbox" and isolation["profile"] == PROFILE
    assert Path(isolation["cwd"]).is_relative_to(sandboxes)
    assert worktrees(repo) == [str(repo)]
    assert list(sandboxes.iterdir()) == []


@pytest.mark.parametrize("verb", ["approve", "deny"], ids=["approved", "denied"])
def test_plan_approve_apply_acts_only_on_an_approved_plan(cli: Cli, db: Path, verb: str) -> None:
    example = EXAMPLES_DIR / "plan-approve-apply.mjs"
    waiting = cli("run", example, "--db", db, "--on-wait", "exit")
    assert waiting.returncode == 3, waiting.stderr
    run_id = json.loads(waiting.stdout)["runID"]
    assert "[approval] plan: Apply this plan?" in waiting.stderr
    answered = cli(verb, run_id, "plan", "--note", "keep an alias", "--db", db)
    assert answered.returncode == 0, answered.stderr
    done = cli("run", "--resume-run", run_id, "--db", db)
    assert done.returncode == 0, done.stderr
    results = json.loads(done.stdout)["results"]
    assert results["decision"]["approved"] is (verb == "approve")
    if verb == "approve":
        assert [
            step.endswith("The reviewer noted: keep an alias") for step in results["applied"]
        ] == [True] * len(results["plan"]["steps"])
    else:
        assert results["applied"] == []
        assert "[log] not applied: denied by " in done.stderr

"""Every file in examples/ runs on the debug provider, as the README promises."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*.mjs"))
EXTRA_FLAGS = {"budget.mjs": ["--budget-allowance", "200"]}

Cli = Callable[..., subprocess.CompletedProcess[str]]


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs_on_the_debug_provider(example: Path, cli: Cli, db: Path) -> None:
    done = cli("run", example, "--db", db, *EXTRA_FLAGS.get(example.name, []))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert isinstance(report["results"], dict)
    assert report["tokenUsage"]["outputTokens"] > 0


def test_budget_example_stops_when_the_allowance_runs_low(cli: Cli, db: Path) -> None:
    example = next(path for path in EXAMPLES if path.name == "budget.mjs")
    done = cli("run", example, "--db", db, "--budget-allowance", "20")
    results = json.loads(done.stdout)["results"]
    assert results["budget"]["total"] == 20
    assert results["rounds"] == 0

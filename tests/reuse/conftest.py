"""The real ``smol-wf`` with claude-code played by a fake CLI that counts its starts."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smolwf.jsontypes import JSON, JSONObject

FAKE_CLAUDE = Path(__file__).with_name("counting_claude.py")
REVIEW = """export const meta = { name: 'review', description: 'Review files, then sum up',
  phases: [{ title: 'Review' }, { title: 'Synthesize' }] }
phase('Review')
const notes = await parallel(['a.py', 'b.py'].map((file) => () =>
  agent(`Review ${file}`, { label: `review:${file}` })))
phase('Synthesize')
const summary = await agent(`Sum up ${notes.length} reviews`, { label: 'summary' })
export default { notes, summary }
"""
"""Three calls in two phases; the summary's prompt does not depend on the reviews' text."""

Cli = Callable[..., subprocess.CompletedProcess[str]]


@dataclass
class Counting:
    """One database, and every provider process the runs on it start, counted."""

    cli: Cli
    db: Path
    calls_file: Path
    home: Path

    def smol_wf(
        self, *args: str | Path, cwd: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Any ``smol-wf`` command on this database."""
        env = {
            "COUNTING_CALLS": str(self.calls_file),
            "CLAUDE_CONFIG_DIR": str(self.home),
            "IS_SANDBOX": "1",  # permissions 'full' as root (claude's own rule)
        }
        return self.cli(*args, "--db", self.db, env=env, cwd=cwd)

    def run(self, *args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
        """``smol-wf run`` on claude-code, played by the counting fake."""
        provider = (
            "--agent-provider",
            "claude-code",
            "--provider-bin",
            f"claude-code={FAKE_CLAUDE}",
        )
        return self.smol_wf("run", *args, *provider, cwd=cwd)

    def report(self, *args: str | Path, cwd: Path | None = None) -> JSONObject:
        """The JSON report of a run that must succeed."""
        done = self.run(*args, cwd=cwd)
        assert done.returncode == 0, done.stderr
        report: JSONObject = json.loads(done.stdout)
        return report

    def events(self, *args: str | Path) -> list[JSONObject]:
        """The ``--events`` stream of a run that must succeed."""
        done = self.run(*args, "--events")
        assert done.returncode == 0, done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    def history(self, run_id: JSON) -> JSONObject:
        done = self.smol_wf("history", str(run_id), "-o", "json")
        assert done.returncode == 0, done.stderr
        detail: JSONObject = json.loads(done.stdout)
        return detail

    @property
    def prompts(self) -> list[str]:
        """The prompt of every provider process started so far, in start order."""
        if not self.calls_file.exists():
            return []
        lines = self.calls_file.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["prompt"] for line in lines]

    def runs(self) -> int:
        done = self.smol_wf("history", "-o", "json")
        assert done.returncode == 0, done.stderr
        return len(json.loads(done.stdout))


@pytest.fixture
def counting(cli: Cli, tmp_path: Path) -> Counting:
    home = tmp_path / "claude-home"
    home.mkdir()
    return Counting(cli, tmp_path / "runs.db", tmp_path / "calls.jsonl", home)


@pytest.fixture
def review(tmp_path: Path) -> Path:
    """The three-call review workflow, written where the test runs."""
    path = tmp_path / "review.mjs"
    path.write_text(REVIEW, encoding="utf-8")
    return path

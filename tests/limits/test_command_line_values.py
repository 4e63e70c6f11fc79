"""Values that reach a command line: nothing a script, args or a selector gives can be
read by an agent CLI as a flag."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.providers.fake_cli import FakeCli

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]

CLIS = {"claude-code": "claude", "codex": "codex", "pi": "pi", "opencode": "opencode"}
VALUES = {
    "model": "--dangerously-skip-permissions",
    "agentType": "--add-dir=/",
    "effort": "-c",
}


@pytest.mark.parametrize("option", list(VALUES))
@pytest.mark.parametrize("provider", list(CLIS))
def test_a_value_that_looks_like_a_flag_never_reaches_the_cli(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path, provider: str, option: str
) -> None:
    fake = FakeCli(tmp_path, CLIS[provider])
    value = VALUES[option]
    script = write_script(
        f"export default await agent('x', {{ provider: '{provider}', {option}: '{value}' }})"
        ".catch((e) => e.message)\n"
    )
    settings = fake.settings(provider)
    done = cli(
        "run",
        script,
        "--db",
        db,
        "--no-check",
        "--provider-bin",
        f"{provider}={fake.path}",
        env=dict(settings.env),
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == (
        f"agent() option {option} must not start with '-' (an agent CLI would read it as a "
        f"flag), got '{value}'"
    )
    assert not fake.record.exists()  # the CLI was never started


def test_a_model_map_selector_that_looks_like_a_flag_is_a_usage_error(
    write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script("export default await agent('x', { model: 'fast' })\n")
    done = cli("run", script, "--db", db, "--model-map", "fast:--add-dir=/")
    assert done.returncode == 2
    assert done.stderr == (
        "error: --model-map selector must not start with '-' (an agent CLI would read it as "
        "a flag), got: --add-dir=/\n"
    )

"""A provider from an installed package, found through the ``smolwf.providers`` entry
point group and run by the real ``smol-wf``, as a team plugs in its own gateway.

The package (``tests/plugin_provider/smolwf_shout``) is installed the way pip does it: a
``.dist-info`` with its ``entry_points.txt`` in a directory on ``PYTHONPATH``.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
PLUGIN_SOURCE = Path(__file__).resolve().parents[1] / "plugin_provider"
WORKFLOW = (
    "export const meta = { name: 'plug', description: 'a plug-in provider' }\n"
    "export default await agent(args.prompt ?? 'hello', args.provider ? "
    "{ provider: args.provider } : {})\n"
)


def install(site: Path, entry_points: dict[str, str]) -> dict[str, str]:
    """Write the dist-info pip would write; the environment that makes it importable."""
    info = site / "smolwf_shout-0.1.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: smolwf-shout\nVersion: 0.1\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text("[smolwf.providers]\n" + lines)
    path = os.pathsep.join([str(site), str(PLUGIN_SOURCE), os.environ.get("PYTHONPATH", "")])
    return {"PYTHONPATH": path.rstrip(os.pathsep)}


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "wf.mjs"
    path.write_text(WORKFLOW, encoding="utf-8")
    return path


def test_an_installed_package_adds_a_provider_smol_wf_run_uses(
    cli: Cli, tmp_path: Path, script: Path
) -> None:
    env = install(tmp_path / "site", {"shout": "smolwf_shout:ShoutProvider"})
    done = cli(
        "run", script, "--db", tmp_path / "runs.db", "--events", "--agent-provider", "shout",
        "--provider-setting", "shout.suffix=!", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    by_type = {event["type"]: event for event in events}
    assert by_type["workflow.result"]["data"]["results"] == "HELLO!"
    assert by_type["workflow.agent_event"]["data"]["providerEvent"] == {
        "type": "shouted",
        "text": "HELLO!",
    }
    completed = by_type["workflow.agent_completed"]
    assert completed["metadata"]["provider"] == "shout"
    assert completed["data"]["usage"]["outputTokens"] == 6


def test_a_plug_in_takes_part_in_a_fallback_chain(cli: Cli, tmp_path: Path, script: Path) -> None:
    env = install(tmp_path / "site", {"shout": "smolwf_shout:ShoutProvider"})
    done = cli(
        "run", script, "--db", tmp_path / "runs.db", "--args-prompt", "FAIL please",
        "--args-provider", "shout", "--args-provider", "debug", env=env,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["results"] == "echo: FAIL please"


def test_its_settings_are_checked_against_what_it_declares(
    cli: Cli, tmp_path: Path, script: Path
) -> None:
    env = install(tmp_path / "site", {"shout": "smolwf_shout:ShoutProvider"})
    done = cli("run", script, "--provider-setting", "shout.volume=11", env=env)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "error: --provider-setting shout.volume: the Shout provider has no setting 'volume' "
        "(its settings: suffix)"
    )


def test_smol_wf_check_knows_the_installed_provider(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "check.mjs"
    path.write_text(
        "export const meta = { name: 'plug', description: 'a plug-in provider' }\n"
        "export default await agent('hi', { provider: 'shout', permissions: 'edit' })\n"
    )
    without = cli("check", path)
    assert "Unknown agent provider: shout" in without.stdout
    env = install(tmp_path / "site", {"shout": "smolwf_shout:ShoutProvider"})
    installed = cli("check", path, env=env)
    assert "Unknown agent provider" not in installed.stdout
    assert "the Shout provider has no tools" in installed.stdout


BROKEN = [
    ("missing", "smolwf_no_such_module:Provider", "could not be loaded: ModuleNotFoundError"),
    ("empty", "smolwf_shout:NotAProvider", "is not a provider class: it needs a `capabilities`"),
]


@pytest.mark.parametrize(("name", "target", "said"), BROKEN, ids=[name for name, _, _ in BROKEN])
def test_a_plug_in_that_cannot_serve_fails_in_one_line_naming_its_entry_point(
    cli: Cli, tmp_path: Path, script: Path, name: str, target: str, said: str
) -> None:
    env = install(tmp_path / "site", {name: target})
    done = cli("run", script, "--agent-provider", name, env=env)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(
        f"error: the {name} provider (entry point '{target}' in group smolwf.providers) {said}"
    )

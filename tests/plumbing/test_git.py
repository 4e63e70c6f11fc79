"""git run for smol-wf's own worktrees goes to the repository it names, not the caller's."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from smolwf.git import GitNotFound, run_git

pytestmark = pytest.mark.anyio


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose one commit holds ``tracked.txt``."""
    path = (tmp_path / "repo").resolve()
    path.mkdir()
    (path / "tracked.txt").write_text("x\n", encoding="utf-8")
    identity = ["-c", "user.name=t", "-c", "user.email=t@localhost"]
    for args in (["init", "-q"], ["add", "."], [*identity, "commit", "-qm", "one"]):
        subprocess.run(["git", *args], cwd=path, check=True)
    return path


@pytest.mark.parametrize(
    "variable",
    ["GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY"],
)
async def test_a_hooks_repository_variables_are_ignored(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, str(tmp_path / "the-callers-repository"))
    top = await run_git(["rev-parse", "--show-toplevel"], repo)
    tracked = await run_git(["ls-files"], repo)
    assert top.stdout.decode().strip() == str(repo), top.stderr
    assert tracked.stdout.decode().split() == ["tracked.txt"], tracked.stderr


async def test_configuration_from_the_environment_is_kept(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_CONFIG_COUNT", "1")
    monkeypatch.setenv("GIT_CONFIG_KEY_0", "user.name")
    monkeypatch.setenv("GIT_CONFIG_VALUE_0", "Someone From The Env")
    found = await run_git(["config", "user.name"], repo)
    assert found.stdout.decode().strip() == "Someone From The Env"


async def test_a_failing_command_is_returned_not_raised(tmp_path: Path) -> None:
    found = await run_git(["rev-parse", "--show-toplevel"], tmp_path)
    assert found.returncode != 0
    assert b"not a git repository" in found.stderr


async def test_no_git_on_path_is_git_not_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(GitNotFound):
        await run_git(["--version"], tmp_path)

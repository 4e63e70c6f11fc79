"""``smol-wf llm``: the usage guide, workflow discovery and skill installation."""

from __future__ import annotations

import json
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf.cli import llm_cmd
from smolwf.providers.registry import KNOWN_PROVIDERS

Cli = Callable[..., subprocess.CompletedProcess[str]]

SKILLS_DIR = Path(llm_cmd.__file__).resolve().parents[1] / "assets" / "skills"
SKILLS = {
    name: (SKILLS_DIR / name).read_text(encoding="utf-8")
    for name in ("create/SKILL.md", "list/SKILL.md", "run/SKILL.md", "scripts/smol-wf.sh")
}


@pytest.fixture
def skills_cli(cli: Cli) -> Cli:
    """The real CLI installing the packaged skill files."""
    return cli


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    return root


def write_workflow(path: Path, name: str | None, description: str = "does things") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    meta = (
        ""
        if name is None
        else f"export const meta = {{ name: '{name}', description: '{description}' }}\n"
    )
    path.write_text(meta + "export default 1\n", encoding="utf-8")


# ---- llm txt -------------------------------------------------------------------


def test_llm_txt_prints_llm_usage(cli: Cli) -> None:
    result = cli("llm", "txt")
    assert result.returncode == 0, result.stderr
    for needle in (
        "smol-wf LLM usage",
        "smol-wf llm list-workflows",
        "smol-wf llm skills [--claude]",
        ".agents|.claude/skills/smol-workflows",
        "smol-wf run <workflow-script>",
        "Workflow primitives syntax",
        "pipeline(items, stage1, stage2, ...)",
        "tokenUsage",
    ):
        assert needle in result.stdout


@pytest.mark.parametrize("provider", KNOWN_PROVIDERS)
def test_llm_txt_names_every_registered_provider(cli: Cli, provider: str) -> None:
    assert f"{provider}" in cli("llm", "txt").stdout


def test_llm_txt_teaches_the_permission_levels(cli: Cli) -> None:
    guide = cli("llm", "txt").stdout
    assert "--agent-permissions read-only" in guide
    assert "permissions: 'edit'" in guide


def test_llm_txt_is_the_packaged_guide_the_docs_are_generated_from() -> None:
    text = llm_cmd.llm_text()
    for part in llm_cmd.GUIDE_PARTS:
        assert llm_cmd.guide_part(part).rstrip("\n") in text


# ---- llm list-workflows --------------------------------------------------------


def test_llm_list_workflows_discovers_repo_workflow_dirs(cli: Cli, repo: Path) -> None:
    write_workflow(repo / ".agents/workflows/alpha.mjs", "alpha", "first one")
    write_workflow(repo / ".claude/workflows/beta.js", "beta", "second one")
    write_workflow(repo / ".agents/workflows/nested/ignored.mjs", None)
    nested = repo / "src" / "deep"
    nested.mkdir(parents=True)

    result = cli("llm", "list-workflows", cwd=nested)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "NAME   PATH                         DESCRIPTION",
        "alpha  .agents/workflows/alpha.mjs  first one",
        "beta   .claude/workflows/beta.js    second one",
    ]


def test_llm_list_workflows_reports_empty_table(cli: Cli, repo: Path) -> None:
    result = cli("llm", "list-workflows", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "NAME  PATH  DESCRIPTION\n"
    assert "No workflows found" not in result.stdout + result.stderr


def test_llm_list_workflows_json_has_relative_paths(cli: Cli, repo: Path) -> None:
    write_workflow(repo / ".agents/workflows/sub/alpha.mjs", "alpha", "first one")
    result = cli("llm", "list-workflows", "--output", "json", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        {"name": "alpha", "path": ".agents/workflows/sub/alpha.mjs", "description": "first one"}
    ]


def test_llm_list_workflows_rejects_unknown_output(cli: Cli, repo: Path) -> None:
    result = cli("llm", "list-workflows", "--output", "yaml", cwd=repo)
    assert result.returncode == 2
    assert result.stderr.startswith("error: --output must be table or json")


# ---- llm skills ----------------------------------------------------------------


def test_llm_skills_installs_workspace_skill_files(skills_cli: Cli, repo: Path) -> None:
    (repo / "sub").mkdir()
    result = skills_cli("llm", "skills", cwd=repo / "sub")

    assert result.returncode == 0, result.stderr
    target = repo / ".agents/skills/smol-workflows"
    for name, text in SKILLS.items():
        assert (target / name).read_text(encoding="utf-8") == text
    assert "# List smol-wf workflows" in (target / "list/SKILL.md").read_text(encoding="utf-8")
    assert stat.S_IMODE((target / "scripts/smol-wf.sh").stat().st_mode) == 0o755
    assert stat.S_IMODE((target / "run/SKILL.md").stat().st_mode) == 0o644
    lines = result.stdout.splitlines()
    assert lines[:3] == [f"Installed smol-workflows skills into {target}", "", "Files layout:"]
    assert len(lines) == 8
    assert lines[3] == ".agents/skills/smol-workflows/"
    assert "Shared helper used by the skills" in lines[7]


def test_llm_skills_replaces_existing_regular_files(skills_cli: Cli, repo: Path) -> None:
    old = repo / ".agents/skills/smol-workflows/run/SKILL.md"
    old.parent.mkdir(parents=True)
    old.write_text("stale", encoding="utf-8")
    result = skills_cli("llm", "skills", cwd=repo)
    assert result.returncode == 0, result.stderr
    assert old.read_text(encoding="utf-8") == SKILLS["run/SKILL.md"]


def test_llm_skills_rejects_symlinked_target_dir(
    skills_cli: Cli, repo: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (repo / ".agents").symlink_to(outside, target_is_directory=True)

    result = skills_cli("llm", "skills", cwd=repo)

    assert result.returncode == 1
    assert "refusing to install skills through symlinked directory" in result.stderr
    assert str(repo / ".agents") in result.stderr
    assert list(outside.iterdir()) == []


def test_llm_skills_rejects_symlinked_destination_file(
    skills_cli: Cli, repo: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me", encoding="utf-8")
    link = repo / ".agents/skills/smol-workflows/list/SKILL.md"
    link.parent.mkdir(parents=True)
    link.symlink_to(victim)

    result = skills_cli("llm", "skills", cwd=repo)

    assert result.returncode == 1
    assert f"refusing to overwrite symlinked skill file {link}" in result.stderr
    assert victim.read_text(encoding="utf-8") == "keep me"
    assert link.is_symlink()
    assert not (repo / ".agents/skills/smol-workflows/create/SKILL.md").exists()


def test_llm_skills_claude_installs_under_claude_dir(skills_cli: Cli, repo: Path) -> None:
    result = skills_cli("llm", "skills", "--claude", cwd=repo)
    assert result.returncode == 0, result.stderr
    target = repo / ".claude/skills/smol-workflows"
    assert all((target / name).is_file() for name in SKILLS)
    assert not (repo / ".agents").exists()
    assert f"Installed smol-workflows skills into {target}" in result.stdout


def test_llm_skills_reads_the_packaged_skills_directory() -> None:
    source = llm_cmd.skills_source()
    assert source.name == "skills"

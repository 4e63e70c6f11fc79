"""``smol-wf llm``: meet coding agents where they are.

An agent learns smol-wf from ``llm txt`` (the same guide the docs are generated from),
finds the repository's workflows with ``llm list-workflows`` and gets ready-made skills
with ``llm skills``.
"""

from __future__ import annotations

import json
import os
import tempfile
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

import typer

from smolwf.errors import SmolWfError, UsageError
from smolwf.excerpts import one_line
from smolwf.records import record
from smolwf.script.discovery import discover, workflow_root

HELP = """Help coding agents use smol-wf: a usage guide, workflow discovery and skills.

  smol-wf llm txt                 the LLM usage guide
  smol-wf llm list-workflows      the repository's workflows
  smol-wf llm skills [--claude]   install the smol-workflows skills
"""

GUIDE_PARTS = ("usage.md", "workflows.md", "events.md")
"""The guide files ``llm txt`` prints, in order; ``docs_gen`` turns each into a docs page."""

SKILLS_DIR = "smol-workflows"


@record
class SkillFile:
    path: str
    mode: int
    purpose: str


SKILL_FILES = (
    SkillFile("create/SKILL.md", 0o644, "Skill for authoring workflow scripts"),
    SkillFile("list/SKILL.md", 0o644, "Skill for discovering available workflows"),
    SkillFile("run/SKILL.md", 0o644, "Skill for running workflow scripts"),
    SkillFile("scripts/smol-wf.sh", 0o755, "Shared helper used by the skills"),
)


class SkillInstallError(SmolWfError):
    """The skills would have to be written through a symlink or over a non-file."""


llm_app = typer.Typer(name="llm", help=HELP, no_args_is_help=True, rich_markup_mode="rich")


# ---- llm txt ----------------------------------------------------------------


def guide_dir() -> Traversable:
    """The packaged guide; the docs pages under ``docs/`` are generated from it."""
    return files("smolwf") / "assets" / "guide"


def guide_part(name: str) -> str:
    return (guide_dir() / name).read_text(encoding="utf-8")


def llm_text() -> str:
    """Every guide part, in order, separated by one blank line."""
    return "\n".join(guide_part(name).rstrip("\n") + "\n" for name in GUIDE_PARTS)


@llm_app.command("txt", help="Print the LLM usage guide: commands, the workflow API, events.")
def txt() -> None:
    typer.echo(llm_text(), nl=False)


# ---- llm list-workflows -------------------------------------------------------


@llm_app.command(
    "list-workflows",
    help="List the workflows under .agents/workflows and .claude/workflows (recursively) "
    "of the git top level, or of the current directory outside git.",
)
def list_workflows(
    output: str = typer.Option("table", "--output", "-o", metavar="FORMAT", help="table or json."),
) -> None:
    if output not in ("table", "json"):
        raise UsageError(f"--output must be table or json, not {output!r}")
    root = workflow_root(Path.cwd())
    rows = [
        (item.name, item.path.relative_to(root).as_posix(), one_line(item.description))
        for item in discover(root)
    ]
    if output == "json":
        listed = [{"name": name, "path": path, "description": text} for name, path, text in rows]
        typer.echo(json.dumps(listed, ensure_ascii=False, indent=2))
        return
    for line in format_table([("NAME", "PATH", "DESCRIPTION"), *rows]):
        typer.echo(line)


def format_table(rows: list[tuple[str, str, str]]) -> list[str]:
    """Columns padded to their widest cell, two spaces apart, no trailing blanks."""
    widths = [max(len(row[column]) for row in rows) for column in range(2)]
    return [
        f"{name.ljust(widths[0])}  {path.ljust(widths[1])}  {text}".rstrip()
        for name, path, text in rows
    ]


# ---- llm skills ---------------------------------------------------------------


def skills_source() -> Traversable:
    """The packaged skill files (tests point this elsewhere until they ship)."""
    return files("smolwf.assets") / "skills"


@llm_app.command(
    "skills",
    help="Install the smol-workflows skills (create, list, run) under "
    ".agents/skills/smol-workflows of the git top level; existing regular files are replaced.",
)
def skills(
    claude: bool = typer.Option(
        False, "--claude", help="Install under .claude/skills instead of .agents/skills."
    ),
) -> None:
    root = workflow_root(Path.cwd())
    relative = Path(".claude" if claude else ".agents", "skills", SKILLS_DIR)
    target = install_skills(skills_source(), root, relative)
    typer.echo(f"Installed smol-workflows skills into {target}")
    typer.echo("")
    typer.echo("Files layout:")
    for line in layout_lines(relative):
        typer.echo(line)


def layout_lines(relative: Path) -> list[str]:
    width = max(len(item.path) for item in SKILL_FILES)
    lines = [f"{relative.as_posix()}/"]
    lines += [f"  {item.path.ljust(width)}  {item.purpose}" for item in SKILL_FILES]
    return lines


def install_skills(source: Traversable, root: Path, relative: Path) -> Path:
    """Check every directory and file first, then write: a refusal writes nothing."""
    contents = [(item, (source / item.path).read_bytes()) for item in SKILL_FILES]
    target = root / relative
    directories = [root / Path(*relative.parts[:depth]) for depth in range(1, 4)]
    directories += sorted({target / Path(item.path).parent for item in SKILL_FILES})
    for directory in directories:
        _check_directory(directory)
    for item in SKILL_FILES:
        _check_file(target / item.path)
    for directory in directories:
        directory.mkdir(exist_ok=True)
    for item, data in contents:
        _write_replacing(target / item.path, data, item.mode)
    return target.absolute()


def _check_directory(path: Path) -> None:
    if path.is_symlink():
        raise SkillInstallError(f"refusing to install skills through symlinked directory {path}")
    if path.exists() and not path.is_dir():
        raise SkillInstallError(f"refusing to install skills: {path} is not a directory")


def _check_file(path: Path) -> None:
    if path.is_symlink():
        raise SkillInstallError(f"refusing to overwrite symlinked skill file {path}")
    if path.exists() and not path.is_file():
        raise SkillInstallError(f"refusing to overwrite skill file {path}: not a regular file")


def _write_replacing(path: Path, data: bytes, mode: int) -> None:
    """Write beside the file and rename over it, so a symlink planted meanwhile is replaced,
    never followed, and a reader never sees half a file."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        Path(temporary).chmod(mode)
        Path(temporary).replace(path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise

"""Finding workflows by name: ``.agents/workflows`` and ``.claude/workflows``, recursively.

``workflow('name')`` and ``smol-wf llm list-workflows`` share this, so what one lists the
other finds; two workflows with one name is an error, never a coin toss.
"""

from __future__ import annotations

from pathlib import Path

from smolwf.records import record
from smolwf.script.meta import extract_meta
from smolwf.script.reading import Unreadable, read_script_bytes

WORKFLOW_DIRS = (".agents/workflows", ".claude/workflows")
SUFFIXES = (".js", ".mjs")


@record
class Discovered:
    """A workflow found in a workflow directory, by its ``meta.name``."""

    name: str
    description: str
    path: Path


def workflow_root(start: Path) -> Path:
    """The git top level above ``start`` (the nearest directory holding ``.git``), else start."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / ".git").exists():
            return directory
    return start


def discover(root: Path) -> list[Discovered]:
    """Every script with valid literal meta under the workflow directories, by relative path."""
    found: list[Discovered] = []
    for folder in WORKFLOW_DIRS:
        base = root / folder
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if path.suffix not in SUFFIXES or not path.is_file():
                continue
            try:
                meta = extract_meta(read_script_bytes(path).decode("utf-8"))
            except (Unreadable, UnicodeDecodeError):
                continue
            if meta is not None:
                found.append(Discovered(meta.name, meta.description, path))
    return sorted(found, key=lambda item: item.path.relative_to(root).as_posix())


class LookupFailed(Exception):
    """No workflow, or more than one, has the name; the message says which and where."""


def find_by_name(name: str, root: Path) -> Path:
    matches = [item.path for item in discover(root) if item.name == name]
    if not matches:
        places = " and ".join(f"{root / folder}" for folder in WORKFLOW_DIRS)
        raise LookupFailed(f"Unknown workflow: {name} (looked in {places})")
    if len(matches) > 1:
        listed = ", ".join(str(path) for path in matches)
        raise LookupFailed(f"workflow name {name!r} is ambiguous: {listed}; rename one of them")
    return matches[0]

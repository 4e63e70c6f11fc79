"""Which files ``smol-wf check PATH...`` checks: files as given, and the workflows in folders.

In a folder, every ``*.mjs``/``*.js`` file below it that looks like a workflow (it has an
``export const meta`` or an ``agent(`` call) is checked; ``node_modules`` and ``.git`` are
skipped, while hidden folders such as ``.agents/workflows`` are not.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from smolwf.records import record
from smolwf.script.discovery import SUFFIXES
from smolwf.script.reading import Unreadable, read_script_bytes

_SKIPPED_DIRS = frozenset({"node_modules", ".git"})
_LOOKS_LIKE_WORKFLOW = re.compile(rb"export\s+const\s+meta\b|\bagent\s*\(")


@record
class Target:
    """One file to check, and how to show its path (as the user wrote it)."""

    path: Path
    display: str


def targets(paths: Sequence[Path]) -> Iterator[Target]:
    """The files to check, in the order given (each folder's files sorted)."""
    for path in paths:
        if path.is_dir():
            yield from _folder(path)
        else:
            yield Target(path, str(path))


def _folder(folder: Path) -> Iterator[Target]:
    for path in sorted(folder.rglob("*")):
        if path.suffix not in SUFFIXES or _SKIPPED_DIRS & set(path.relative_to(folder).parts):
            continue
        if path.is_file() and _looks_like_workflow(path):
            yield Target(path, str(path))


def _looks_like_workflow(path: Path) -> bool:
    try:
        return _LOOKS_LIKE_WORKFLOW.search(read_script_bytes(path)) is not None
    except Unreadable:
        return True  # checking it reports why it cannot be read

"""Running git on a repository smol-wf names itself (worktrees for isolation and sandboxes),
whatever repository the caller's environment points at.

A git hook or alias that runs smol-wf hands it ``GIT_DIR``, ``GIT_INDEX_FILE``,
``GIT_PREFIX`` and friends; left in place they would send every command to the caller's
repository instead. Git clears the same variables when it runs itself in another
repository (a submodule): they are its ``git rev-parse --local-env-vars``, less the ones
that carry configuration (``GIT_CONFIG*``), which stay the user's.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from subprocess import DEVNULL, CompletedProcess

import anyio

REPOSITORY_ENV = (
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_DIR",
    "GIT_GRAFT_FILE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_INTERNAL_SUPER_PREFIX",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_OBJECT_DIRECTORY",
    "GIT_PREFIX",
    "GIT_REPLACE_REF_BASE",
    "GIT_SHALLOW_FILE",
    "GIT_WORK_TREE",
)
"""The variables that say which repository, index, objects and work tree git uses."""


class GitNotFound(Exception):
    """There is no ``git`` on PATH; each caller says what needed it."""


async def run_git(args: Sequence[str], cwd: Path) -> CompletedProcess[bytes]:
    """``git <args>`` in ``cwd``, with no stdin, captured; a non-zero exit is returned,
    not raised. Raises ``GitNotFound`` when git is missing."""
    env = {name: value for name, value in os.environ.items() if name not in REPOSITORY_ENV}
    try:
        return await anyio.run_process(["git", *args], cwd=cwd, env=env, stdin=DEVNULL, check=False)
    except FileNotFoundError:
        raise GitNotFound("git was not found on PATH") from None

"""The Python API: the same run the CLI does, callable from code and tests."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio

from smolwf.engine.config import RunConfig
from smolwf.engine.report import RunReport
from smolwf.engine.run import WorkflowRun


async def run_workflow_async(config: RunConfig) -> RunReport:
    """Run one workflow to completion; raises a ``SmolWfError`` subclass on failure."""
    return await WorkflowRun(config).execute()


def run_workflow(script_path: str | Path, **options: Any) -> RunReport:
    """Run a workflow synchronously. ``options`` are ``RunConfig`` fields.

    >>> report = run_workflow("examples/hello.mjs", db_path=Path("runs.db"))  # doctest: +SKIP
    """
    options.setdefault("explicit", frozenset(options) | {"script_path"})
    config = replace(RunConfig(script_path=Path(script_path)), **options)
    return anyio.run(run_workflow_async, config)

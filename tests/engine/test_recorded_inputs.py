"""A resume runs with the inputs its run was recorded with, every one of them.

Which ``RunConfig`` fields are recorded is declared on the fields themselves; these tests
hold every field to a decision, every recorded flag to the CLI, and resumes to the stored
values (watchdogs and --provider-bin were once silently dropped on resume).
"""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import anyio
import pytest
import typer

from smolwf import RunConfig, RunReport, WorkflowFailed
from smolwf.cli.app import app
from smolwf.cli.run_cmd import flag_parameter
from smolwf.engine.config import RECORDED, RECORDING, NotRecorded, Recorded
from smolwf.engine.run import WorkflowRun
from smolwf.providers.base import ProviderSettings
from tests.event_streams import FailingProvider
from tests.fakes import RecordingProvider

Run = Callable[..., RunReport]
Write = Callable[..., Path]


def test_every_run_config_field_says_whether_runs_record_it() -> None:
    undecided = [
        item.name
        for item in fields(RunConfig)
        if not isinstance(item.metadata.get(RECORDING), Recorded | NotRecorded)
    ]
    assert undecided == []


def test_every_recorded_flag_is_a_flag_of_smol_wf_run() -> None:
    command = typer.main.get_command(app)
    run = command.commands["run"]  # type: ignore[attr-defined]
    options = {option for param in run.params for option in param.opts}
    names = {param.name for param in run.params}
    for name, item in RECORDED.items():
        if item.flag is not None:
            assert item.flag in options, name
            assert flag_parameter(item.flag) in names, name


def _watchdog_run(write_script: Write, db: Path) -> str:
    """A run recorded with watchdogs and a --provider-bin, failed by its provider."""
    script = write_script("export default await agent('boom')\n")
    settings = ProviderSettings(binaries={"codex": "/opt/codex/bin/codex"}, env={"TOKEN": "x"})
    config = RunConfig(
        script_path=script,
        db_path=db,
        providers={"debug": FailingProvider()},
        agent_timeout_s=12.5,
        agent_idle_timeout_s=34.0,
        provider_settings=settings,
        progress_stream=io.StringIO(),
    )
    workflow = WorkflowRun(config)
    with pytest.raises(WorkflowFailed):
        anyio.run(workflow.execute)
    assert workflow.run_id is not None
    return workflow.run_id


def test_a_resume_keeps_the_watchdogs_and_provider_binaries_of_the_run(
    write_script: Write, db: Path
) -> None:
    run_id = _watchdog_run(write_script, db)
    provider = RecordingProvider()
    config = RunConfig(
        script_path=None,
        db_path=db,
        resume_run_id=run_id,
        providers={"debug": provider},
        progress_stream=io.StringIO(),
        explicit=frozenset({"resume_run_id", "providers", "db_path"}),
    )
    workflow = WorkflowRun(config)
    anyio.run(workflow.execute)
    request = provider.requests[0]
    assert (request.timeout_s, request.idle_timeout_s) == (12.5, 34.0)
    settings = workflow.config.provider_settings
    assert dict(settings.binaries) == {"codex": "/opt/codex/bin/codex"}
    assert dict(settings.env) == {}  # the environment is never stored: it may hold secrets


def test_the_environment_of_provider_processes_is_never_stored(
    write_script: Write, db: Path
) -> None:
    _watchdog_run(write_script, db)
    params = json.loads(sqlite3.connect(db).execute("SELECT params_json FROM runs").fetchone()[0])
    assert params["providerBinaries"] == {"codex": "/opt/codex/bin/codex"}
    assert "TOKEN" not in json.dumps(params)
    assert (params["agentTimeoutS"], params["agentIdleTimeoutS"]) == (12.5, 34.0)


def test_a_flag_given_again_on_resume_wins_and_is_said_out_loud(
    write_script: Write, db: Path, cli: Callable[..., subprocess.CompletedProcess[str]]
) -> None:
    run_id = _watchdog_run(write_script, db)
    done = cli("run", "--resume-run", run_id, "--db", db, "--agent-timeout", "99")
    assert "--agent-timeout 99.0 (recorded 12.5)" in done.stderr
    assert "--agent-idle-timeout" not in done.stderr

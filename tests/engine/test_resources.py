"""The ``resources`` option: what a call reserves where an executor places it; and
``meta.executor``, where a workflow's calls run unless the command line says.

It resolves like ``permissions`` (the call's, else its phase's, else the run's), is
checked before the call starts, and changes how a call runs, not what it asks: changing
it never discards a finished result on resume.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from smolwf import RunReport
from smolwf.engine.config import RunConfig, with_meta_executor
from smolwf.engine.options import CallDefaults, CallPlan, PlanInputs, plan_call
from smolwf.errors import AgentOptionError, WorkflowFailed
from smolwf.jsontypes import JSONObject
from smolwf.script.meta import PhaseMeta, WorkflowMeta

Write = Callable[..., Path]
Run = Callable[..., RunReport]


def _plan(options: JSONObject, phases: tuple[PhaseMeta, ...] = ()) -> CallPlan:
    meta = WorkflowMeta("t", "t", None, phases, {})
    inputs = PlanInputs(meta, "root", "debug", {}, lambda name: None, CallDefaults())
    return plan_call(options, inputs)


@pytest.mark.parametrize(
    ("options", "phases", "expected"),
    [
        pytest.param({}, (), None, id="none-asked"),
        pytest.param({"resources": {"agents": 1}}, (), {"agents": 1.0}, id="the-call's"),
        pytest.param(
            {"phase": "Build"},
            (PhaseMeta("Build", resources={"CPU": 2}),),
            {"CPU": 2.0},
            id="the-phase's",
        ),
        pytest.param(
            {"phase": "Build", "resources": {"GPU": 1}},
            (PhaseMeta("Build", resources={"CPU": 2}),),
            {"GPU": 1.0},
            id="the-call-wins-over-its-phase",
        ),
    ],
)
def test_resources_resolve_from_the_call_then_its_phase(
    options: JSONObject, phases: tuple[PhaseMeta, ...], expected: dict[str, float] | None
) -> None:
    assert _plan(options, phases).resources == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        pytest.param(
            {},
            'agent() option resources must be a non-empty object such as {"CPU": 1, "agents": 1}',
            id="empty",
        ),
        pytest.param(
            {"CPU": -1},
            "agent() option resources 'CPU' must be a non-negative number, got -1",
            id="negative",
        ),
        pytest.param(
            {"agents": True},
            "agent() option resources 'agents' must be a non-negative number, got True",
            id="boolean",
        ),
    ],
)
def test_bad_resources_reject_the_call_before_it_starts(value: object, message: str) -> None:
    with pytest.raises(AgentOptionError) as raised:
        _plan({"resources": value})  # type: ignore[dict-item]
    assert raised.value.message == message


def test_changing_resources_keeps_a_finished_result_on_resume(
    write_script: Write, run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls.jsonl"
    monkeypatch.setenv("SMOLWF_DEBUG_CALL_LOG", str(calls))
    body = (
        "const first = await agent('build it', { resources: { CPU: %s } })\n"
        "if (args.fail) throw new Error('stop here')\n"
        "export default first\n"
    )
    script = write_script(body % "1")
    with pytest.raises(WorkflowFailed):
        run(script, args={"fail": True})
    run_id = sqlite3.connect(tmp_path / "runs.db").execute("SELECT run_id FROM runs").fetchone()[0]
    write_script(body % "4")
    resumed = run(script, resume_run_id=run_id, args={})
    assert resumed.result == "echo: build it"
    assert len(calls.read_text().splitlines()) == 1


@pytest.mark.parametrize(
    ("meta", "explicit", "resume", "expected"),
    [
        pytest.param("ray", frozenset(), None, "ray", id="meta-applies"),
        pytest.param("ray", frozenset({"executor"}), None, "local", id="the-flag-wins"),
        pytest.param("ray", frozenset(), "run_1", "local", id="a-resume-keeps-its-recorded-one"),
        pytest.param("slurm", frozenset(), None, "local", id="anything-else-is-ignored"),
    ],
)
def test_meta_executor_is_the_default_the_flag_and_a_resume_override(
    meta: str, explicit: frozenset[str], resume: str | None, expected: str
) -> None:
    config = RunConfig(script_path=None, explicit=explicit, resume_run_id=resume)
    assert with_meta_executor(config, meta).executor == expected


def test_the_ray_executor_gets_the_providers_own_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--provider-setting`` values reach the providers a Ray worker creates, as they reach
    the run's local ones."""
    from smolwf.engine import ray_executor
    from smolwf.engine.run import WorkflowRun
    from smolwf.providers.base import ProviderSettings

    handed: list[ProviderSettings] = []

    def capture(_ray: object, _cwd: Path, settings: ProviderSettings, *_rest: object) -> None:
        handed.append(settings)

    monkeypatch.setattr(ray_executor, "ray_executor", capture)
    options = {"anthropic": {"model": "claude-x"}}
    config = RunConfig(script_path=None, executor="ray", cwd=tmp_path, provider_options=options)
    WorkflowRun(config)._executor()
    assert [settings.options for settings in handed] == [options]

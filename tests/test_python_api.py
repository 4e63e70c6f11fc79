"""The Python API as a program uses it (docs/python.md): typed parameters shared by the
three entry points, the report, events through a callback or an async iterator, the
exceptions, and a model API provider configured from Python."""

from __future__ import annotations

import dataclasses
import inspect
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import anyio
import pytest

import smolwf
from smolwf import AgentRequest, AgentResult, Event, EventType, ProviderEventSink
from smolwf.api import _PARAMETER_FIELDS
from tests.fakellm.server import FakeLLM

Write = Callable[..., Path]
HELLO = "export default await agent('hello')\n"


def test_the_three_entry_points_take_the_same_typed_parameters() -> None:
    asynchronous = inspect.signature(smolwf.run_workflow_async)
    assert inspect.signature(smolwf.run_workflow).parameters == asynchronous.parameters
    assert inspect.signature(smolwf.stream_workflow).parameters == asynchronous.parameters
    kinds = {parameter.kind for parameter in list(asynchronous.parameters.values())[1:]}
    assert kinds == {inspect.Parameter.KEYWORD_ONLY}
    assert all(p.annotation != "Any" for p in asynchronous.parameters.values())


LEFT_OUT = {
    "provider_settings": "set from provider_binaries and provider_env",
    "explicit": "the parameters the caller gave",
    "display_path": "how a command line names the script",
    "debug_log": "the CLI's --log-level debug lines",
    "args_given": "whether args was passed: the args parameter given or not (explicit)",
}
"""``RunConfig`` fields no parameter sets by its own name, and why."""


def test_every_run_input_is_a_parameter_so_a_new_one_cannot_be_left_out_unnoticed() -> None:
    parameters = inspect.signature(smolwf.run_workflow_async).parameters
    reached = {_PARAMETER_FIELDS.get(name, name) for name in parameters}
    fields = {field.name for field in dataclasses.fields(smolwf.RunConfig)}
    assert fields - reached == set(LEFT_OUT)


def test_a_run_returns_the_report_smol_wf_run_prints(write_script: Write, db: Path) -> None:
    report = smolwf.run_workflow(write_script(HELLO), db_path=db, on_event=lambda event: None)
    assert report.result == "echo: hello"
    assert report.run_id.startswith("run_")
    assert report.token_usage.output_tokens > 0
    assert report.to_json()["results"] == "echo: hello"


def test_a_callback_gets_every_event_in_order_and_no_progress_line_is_written(
    write_script: Write, db: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    seen: list[Event] = []
    smolwf.run_workflow(write_script("log('hi')\n" + HELLO), db_path=db, on_event=seen.append)
    types = [event.type for event in seen]
    assert types[0] == EventType.STARTED and types[-1] == EventType.RESULT
    assert EventType.LOG in types and EventType.AGENT_COMPLETED in types
    assert [event.seq for event in seen] == sorted(event.seq for event in seen)
    assert capfd.readouterr().err == ""


@pytest.mark.anyio
async def test_an_async_iterator_gets_the_events_and_keeps_the_report(
    write_script: Write, db: Path
) -> None:
    async with smolwf.stream_workflow(write_script(HELLO), db_path=db) as run:
        types = [event.type async for event in run]
    assert types[0] == EventType.STARTED and types[-1] == EventType.RESULT
    assert run.report is not None and run.report.result == "echo: hello"


@pytest.mark.anyio
async def test_a_failed_run_raises_its_failure_when_the_stream_block_ends(
    write_script: Write, db: Path
) -> None:
    types: list[str] = []
    with pytest.raises(smolwf.WorkflowFailed, match="the script gave up"):
        async with smolwf.stream_workflow(
            write_script("throw new Error('the script gave up')\n"), db_path=db
        ) as run:
            types = [event.type async for event in run]
    assert types[-1] == EventType.ERROR
    assert run.report is None


class Waits:
    """A provider whose calls wait until the run is cancelled."""

    name = "waits"

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        await anyio.sleep_forever()
        raise AssertionError("unreachable")


@pytest.mark.anyio
async def test_leaving_the_stream_early_cancels_the_run_which_a_resume_finishes(
    write_script: Write, db: Path
) -> None:
    script = write_script(HELLO)
    async with smolwf.stream_workflow(script, db_path=db, providers={"debug": Waits()}) as run:
        async for event in run:
            if event.type == EventType.AGENT_STARTED:
                break
    with closing(sqlite3.connect(db)) as conn:
        (status,) = conn.execute("SELECT status FROM runs").fetchone()
    assert status == "cancelled"
    assert run.run_id is not None
    report = await smolwf.run_workflow_async(
        db_path=db, resume_run_id=run.run_id, on_event=lambda event: None
    )
    assert report.result == "echo: hello"


BAD = [
    ("unknown-setting", {"provider_settings": {"anthropic": {"modle": "x"}}},
     "provider_settings anthropic.modle: the Anthropic API provider has no setting 'modle'"),
    ("bad-setting", {"provider_settings": {"openai": {"api": "grpc"}}},
     "provider_settings openai.api: must be one of responses, chat, got 'grpc'"),
    ("zero-limit", {"provider_concurrency": {"anthropic": 0}},
     "provider_concurrency anthropic: must be a whole number of at least 1, got 0"),
    ("unknown-provider", {"provider_rpm": {"antropic": 5}},
     "provider_rpm: Unknown agent provider: antropic"),
    ("no-slots", {"max_parallel_agents": 0}, "max_parallel_agents must be at least 1"),
    ("unknown-default", {"provider": "claude"}, "provider: Unknown agent provider: claude"),
    ("level", {"agent_permissions": "write"},
     "agent_permissions must be one of read-only, edit, full, got 'write'"),
    ("policy", {"on_refusal": "ignore"}, "on_refusal must be one of warn, fail, got 'ignore'"),
    ("replay-missing", {"replay_missing": "skip"},
     "replay_missing must be one of fail, live, got 'skip'"),
    ("on-wait", {"on_wait": "never"}, "on_wait must be one of wait, exit, got 'never'"),
    ("executor", {"executor": "k8s"}, "executor must be one of local, ray, got 'k8s'"),
    ("ray-workdir", {"ray_workdir": "nfs"}, "ray_workdir must be one of git, shared, got 'nfs'"),
    ("ray-resources", {"ray_agent_resources": {"CPU": -1}},
     "ray_agent_resources 'CPU' must be a non-negative number, got -1"),
    ("cache-ttl", {"cache_ttl_s": 0}, "cache_ttl_s must be more than 0 seconds, got 0"),
    ("rerun-alone", {"rerun": ["plan"]}, "--rerun selects calls of an earlier run"),
    ("resume-and-fork", {"resume_run_id": "run_1", "fork_run_id": "run_2"},
     "--fork-run and --resume-run cannot be combined"),
]  # fmt: skip


@pytest.mark.parametrize(("given", "message"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_a_bad_parameter_is_a_usage_error_before_anything_starts(
    write_script: Write, db: Path, given: dict[str, Any], message: str
) -> None:
    with pytest.raises(smolwf.UsageError) as caught:
        smolwf.run_workflow(write_script(HELLO), db_path=db, **given)
    assert caught.value.message.startswith(message)
    assert not db.exists()


def test_a_run_needs_a_script_or_a_run_to_resume(db: Path) -> None:
    with pytest.raises(smolwf.UsageError, match="needs a script path, or resume_run_id"):
        smolwf.run_workflow(db_path=db)


def test_a_fork_takes_the_finished_calls_of_its_source_without_naming_the_script(
    write_script: Write, db: Path
) -> None:
    first = smolwf.run_workflow(write_script(HELLO), db_path=db, on_event=lambda event: None)
    seen: list[Event] = []
    fork = smolwf.run_workflow(db_path=db, fork_run_id=first.run_id, on_event=seen.append)
    assert fork.result == "echo: hello" and fork.run_id != first.run_id
    [completed] = [event for event in seen if event.type == EventType.AGENT_COMPLETED]
    assert completed.fields["replayed"] is True


def test_a_person_is_asked_and_answered_through_the_public_api(
    write_script: Write, db: Path
) -> None:
    script = write_script(
        "import { requestApproval } from 'workflow:human'\n"
        "export default (await requestApproval('Ship it?', { label: 'ship' })).approved\n"
    )
    with pytest.raises(smolwf.WorkflowWaiting) as waiting:
        smolwf.run_workflow(script, db_path=db, on_wait="exit", on_event=lambda event: None)
    run_id = waiting.value.run_id
    outcome = smolwf.answer(db, smolwf.Reply(run_id, "ship", smolwf.Decision(True), by="ana"))
    assert [request.label for request in outcome.requests] == ["ship"]
    assert outcome.needs_resume
    with pytest.raises(smolwf.AnswerRefused, match="already approved by ana"):
        smolwf.answer(db, smolwf.Reply(run_id, "ship", smolwf.Decision(False), by="bo"))
    report = smolwf.run_workflow(db_path=db, resume_run_id=run_id, on_event=lambda event: None)
    assert report.result is True


class Collects:
    """An event sink that keeps the events' types."""

    def __init__(self) -> None:
        self.types: list[str] = []

    def emit(self, event: Event, text: str) -> None:
        self.types.append(event.type)

    def flush(self) -> None:
        pass


def test_sinks_get_every_event_beside_the_callback_and_no_progress_line_is_written(
    write_script: Write, db: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    sink, seen = Collects(), list[str]()
    smolwf.run_workflow(
        write_script(HELLO),
        db_path=db,
        sinks=[sink],
        on_event=lambda event: seen.append(event.type),
    )
    assert sink.types == seen and EventType.RESULT in seen
    assert capfd.readouterr().err == ""


def test_an_unknown_keyword_is_a_type_error(write_script: Write) -> None:
    with pytest.raises(TypeError, match="colour"):
        smolwf.run_workflow(write_script(HELLO), colour="red")  # type: ignore[call-arg]


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    with FakeLLM() as server:
        yield server


def test_a_model_api_provider_is_configured_from_python_without_touching_the_environment(
    write_script: Write, db: Path, llm: FakeLLM
) -> None:
    report = smolwf.run_workflow(
        write_script(HELLO),
        db_path=db,
        provider="anthropic",
        provider_settings={"anthropic": {"model": "fake-model"}},
        provider_env={"ANTHROPIC_BASE_URL": llm.base_url, "ANTHROPIC_API_KEY": "key"},
        on_event=lambda event: None,
    )
    assert report.result == "ECHO: hello"
    assert report.token_usage.input_tokens == llm.model_requests()[0]["usage"]["input"]

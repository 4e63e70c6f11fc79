"""OpenTelemetry traces, as a real OTLP/HTTP receiver on 127.0.0.1 gets them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.extras import require_extra

require_extra(
    "otel", "opentelemetry.sdk", "opentelemetry.exporter.otlp.proto.http", "opentelemetry.proto"
)

from smolwf import RunReport, WorkflowFailed  # noqa: E402
from smolwf.errors import FailureKind  # noqa: E402
from smolwf.tracing import TraceSettings  # noqa: E402
from smolwf.tracing.ids import root_ids  # noqa: E402
from smolwf.tracing.setup import open_trace_sink  # noqa: E402
from smolwf.usage import Usage  # noqa: E402
from tests.conftest import smol_wf_command  # noqa: E402
from tests.fakes import FailingProvider, FlakyProvider, RecordingProvider  # noqa: E402
from tests.tracing.receiver import ReceivedSpan, Receiver, otlp_receiver  # noqa: E402

Write = Callable[..., Path]
Run = Callable[..., RunReport]
Cli = Callable[..., subprocess.CompletedProcess[str]]

RUN = """
phase('Fan')
await parallel([1, 2, 3].map((i) => () => agent('item ' + i, { label: 'item ' + i })))
phase('Mend')
await agent('flaky', { label: 'flaky', provider: 'flaky', retry: { maxAttempts: 2 } })
try { await agent('doomed', { label: 'doomed', provider: 'claude-code' }) } catch (e) {}
await workflow({ scriptPath: './child.mjs' })
phase('Rest')
await sleep(5)
throw new Error('the run gives up')
"""
CHILD = """export const meta = { name: 'child', description: 'a child workflow' }
phase('Inner')
export default await agent('in child', { label: 'inner', provider: 'codex', model: 'gpt-5' })
"""


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch) -> Iterator[Receiver]:
    with otlp_receiver() as found:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", found.url)
        yield found


def _by_name(spans: list[ReceivedSpan]) -> dict[str, list[ReceivedSpan]]:
    names: dict[str, list[ReceivedSpan]] = {}
    for span in spans:
        names.setdefault(span.name, []).append(span)
    return names


def _traced_run(write_script: Write, run: Run, receiver: Receiver) -> dict[str, list[ReceivedSpan]]:
    write_script(CHILD, "child.mjs", meta=False)
    providers = {
        "flaky": FlakyProvider(name="flaky"),
        "claude-code": FailingProvider(name="claude-code", kind=FailureKind.AUTH),
        "codex": RecordingProvider(name="codex", usage=Usage(input_tokens=100, output_tokens=10)),
    }
    sink = open_trace_sink(TraceSettings())
    script = write_script("import { sleep } from 'workflow:extra'\n" + RUN, "wf.mjs")
    with pytest.raises(WorkflowFailed):
        run(script, providers=providers, sinks=[sink])
    sink.close()
    return _by_name(receiver.spans)


def test_one_trace_holds_the_run_its_phases_agents_child_and_sleep(
    write_script: Write, run: Run, receiver: Receiver
) -> None:
    spans = _traced_run(write_script, run, receiver)
    [root] = spans["workflow test"]
    assert {span.trace_id for names in spans.values() for span in names} == {root.trace_id}
    assert root.parent_id == "" and root.status == 2
    assert "the run gives up" in root.status_message
    assert root.attributes["workflow.name"] == "test"
    assert root.resource["service.name"] == "smol-wf"
    phases = {
        name: span for name in ("phase Fan", "phase Mend", "phase Rest") for span in spans[name]
    }
    assert {span.parent_id for span in phases.values()} == {root.span_id}
    fan = [span for n in ("agent item 1", "agent item 2", "agent item 3") for span in spans[n]]
    assert {span.parent_id for span in fan} == {phases["phase Fan"].span_id}
    [child] = spans["workflow child"]
    assert child.parent_id == phases["phase Mend"].span_id
    [inner_phase] = spans["phase Inner"]
    [inner] = spans["agent inner"]
    assert inner_phase.parent_id == child.span_id and inner.parent_id == inner_phase.span_id
    [sleep] = spans["sleep"]
    assert sleep.parent_id == phases["phase Rest"].span_id
    assert sleep.attributes["smolwf.sleep.durationMs"] == 5
    for span in spans.values():
        for item in span:
            assert item.start_ns <= item.end_ns


def test_retries_are_separate_spans_and_failures_set_the_status(
    write_script: Write, run: Run, receiver: Receiver
) -> None:
    spans = _traced_run(write_script, run, receiver)
    first, second = sorted(spans["agent flaky"], key=lambda span: span.attributes["smolwf.attempt"])
    assert (first.status, first.attributes["error.type"]) == (2, "transient")
    assert (second.status, second.attributes["smolwf.outcome"]) == (0, "ok")
    assert first.end_ns <= second.start_ns and first.parent_id == second.parent_id
    [doomed] = spans["agent doomed"]
    assert doomed.status == 2 and doomed.attributes["error.type"] == "auth"
    assert doomed.status_message == "claude-code said no"


def test_agent_spans_carry_the_genai_conventions_and_the_cost(
    write_script: Write, run: Run, receiver: Receiver
) -> None:
    spans = _traced_run(write_script, run, receiver)
    [inner] = spans["agent inner"]
    attributes = inner.attributes
    assert attributes["workflow.run_id"].startswith("run_")
    assert attributes["workflow.name"] == "test"
    assert attributes["workflow.phase"] == "Inner" and attributes["workflow.label"] == "inner"
    assert attributes["gen_ai.request.model"] == "gpt-5"
    assert attributes["gen_ai.usage.input_tokens"] == 100
    assert attributes["gen_ai.usage.output_tokens"] == 10
    assert attributes["smolwf.provider"] == "codex"
    assert attributes["smolwf.cost_source"] == "estimated" and attributes["smolwf.cost_usd"] > 0


def test_the_cli_traces_when_the_otlp_endpoint_is_set_and_a_resume_links_back(
    write_script: Write, cli: Cli, receiver: Receiver, tmp_path: Path
) -> None:
    script = write_script(
        "phase('Only')\nawait agent('a')\n"
        "if (!args.finish) throw new Error('stop here')\nexport default 1"
    )
    db = tmp_path / "runs.db"
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": receiver.url}
    first = cli("run", script, "--db", db, env=env)
    assert first.returncode == 1
    run_id = json.loads(cli("history", "--db", db, "-o", "json").stdout)[0]["runID"]
    second = cli("run", script, "--resume-run", run_id, "--db", db, "--args-finish", env=env)
    assert second.returncode == 0, second.stderr
    roots = sorted(
        (span for span in receiver.spans if span.parent_id == ""),
        key=lambda span: span.attributes["smolwf.attempt"],
    )
    assert [root.attributes["workflow.run_id"] for root in roots] == [run_id, run_id]
    trace_id, span_id = root_ids(run_id, 1)
    assert (roots[0].trace_id, roots[0].span_id) == (f"{trace_id:032x}", f"{span_id:016x}")
    assert roots[1].trace_id != roots[0].trace_id
    assert roots[1].links == [(roots[0].trace_id, roots[0].span_id)]


def test_tracing_is_off_without_the_flag_or_the_environment(
    write_script: Write, cli: Cli, receiver: Receiver
) -> None:
    script = write_script("export default await agent('a')")
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    done = subprocess.run(
        [*smol_wf_command(), "run", str(script), "--db", str(script.parent / "x.db")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0 and receiver.requests == 0


def test_asking_for_traces_without_the_extra_is_a_one_line_error(
    write_script: Write, tmp_path: Path
) -> None:
    script = write_script("export default 1")
    blocked = "import sys; sys.modules['opentelemetry.sdk'] = None\n"
    code = blocked + "from smolwf.cli.app import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "run", str(script), "--otel", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == (
        "error: OpenTelemetry traces need the otel extra: pip install 'smolwf[otel]'\n"
    )

"""Fallback chains, retries that only retry what can succeed, live agent events, raw sessions."""

from __future__ import annotations

import io
import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from smolwf import RunReport
from smolwf.errors import FailureKind, WorkflowFailed
from smolwf.jsontypes import JSON
from smolwf.providers.base import AgentRequest, AgentResult, ProviderEventSink
from tests.fakes import FailingProvider, RecordingProvider

Write = Callable[..., Path]
Run = Callable[..., RunReport]


@dataclass
class StreamingProvider(RecordingProvider):
    """Emits two events, then answers."""

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        events({"type": "init", "session_id": "s-42"}, "s-42")
        events({"type": "text", "text": "hi"}, "s-42")
        result = await super().run(request, events)
        return AgentResult(output=result.output, session_id="s-42", usage=self.usage, raw=[])


def _events(stream: io.StringIO) -> list[dict[str, JSON]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def _ledger(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT provider, outcome FROM usage_ledger ORDER BY rowid")
        return [(str(provider), str(outcome)) for provider, outcome in rows]


@pytest.mark.parametrize("kind", [FailureKind.QUOTA, FailureKind.AUTH, FailureKind.TRANSIENT])
def test_a_chain_moves_on_after_quota_auth_or_transient_failures(
    write_script: Write, run: Run, db: Path, kind: FailureKind
) -> None:
    first = FailingProvider(name="claude-code", kind=kind)
    second = RecordingProvider(name="codex")
    script = write_script(
        "export default await agent('hi', { provider: ['claude-code', 'codex'] })"
    )
    report = run(script, providers={"claude-code": first, "codex": second})
    assert report.result == "fake: hi"
    assert len(first.requests) == 1 and len(second.requests) == 1
    assert _ledger(db) == [("claude-code", "failed"), ("codex", "ok")]


def test_the_answering_provider_is_recorded_on_the_completed_event(
    write_script: Write, run: Run
) -> None:
    first = FailingProvider(name="claude-code", kind=FailureKind.QUOTA)
    script = write_script(
        "export default await agent('hi', { provider: ['claude-code', 'codex'] })"
    )
    events = io.StringIO()
    run(
        script, providers={"claude-code": first, "codex": RecordingProvider()}, events_stream=events
    )
    completed = [e for e in _events(events) if e["type"] == "workflow.agent_completed"]
    assert [e["metadata"]["provider"] for e in completed] == ["codex"]  # type: ignore[index,call-overload]


def test_a_missing_cli_moves_the_chain_on_without_counting_an_attempt(
    write_script: Write, run: Run, db: Path
) -> None:
    missing = FailingProvider(name="pi", kind=FailureKind.CONFIG)
    script = write_script("export default await agent('hi', { provider: ['pi', 'debug'] })")
    report = run(script, providers={"pi": missing})
    assert report.result == "echo: hi"
    assert _ledger(db) == [("debug", "ok")]


def test_invalid_output_does_not_fall_back_to_the_next_provider(
    write_script: Write, run: Run
) -> None:
    first = FailingProvider(name="claude-code", kind=FailureKind.INVALID_OUTPUT)
    second = RecordingProvider(name="codex")
    script = write_script(
        "try { await agent('hi', { provider: ['claude-code', 'codex'] }) }\n"
        "catch (e) { globalThis.m = e.message }\nexport default m"
    )
    assert run(script, providers={"claude-code": first, "codex": second}).result == (
        "claude-code said no"
    )
    assert second.requests == []


def test_the_last_error_of_a_chain_names_the_earlier_failures(
    write_script: Write, run: Run
) -> None:
    first = FailingProvider(name="claude-code", kind=FailureKind.QUOTA)
    second = FailingProvider(name="codex", kind=FailureKind.AUTH)
    script = write_script(
        "try { await agent('hi', { provider: ['claude-code', 'codex'] }) }\n"
        "catch (e) { globalThis.m = e.message }\nexport default m"
    )
    message = run(script, providers={"claude-code": first, "codex": second}).result
    assert (
        message == "codex said no (earlier in the provider chain: claude-code: claude-code said no)"
    )


def test_auth_failures_are_not_retried(write_script: Write, run: Run) -> None:
    provider = FailingProvider(name="debug", kind=FailureKind.AUTH)
    script = write_script(
        "try { await agent('hi', { retry: { maxAttempts: 5 } }) } catch (e) {}\nexport default 1"
    )
    run(script, providers={"debug": provider})
    assert len(provider.requests) == 1


def test_transient_failures_are_retried(write_script: Write, run: Run) -> None:
    provider = FailingProvider(name="debug", kind=FailureKind.TRANSIENT)
    script = write_script(
        "try { await agent('hi', { retry: { maxAttempts: 3 } }) } catch (e) {}\nexport default 1"
    )
    run(script, providers={"debug": provider})
    assert len(provider.requests) == 3


def test_a_quota_reset_beyond_the_wait_limit_is_not_retried(write_script: Write, run: Run) -> None:
    provider = FailingProvider(name="debug", kind=FailureKind.QUOTA, retry_after_s=3600.0)
    script = write_script(
        "try { await agent('hi', { retry: { maxAttempts: 3 } }) } catch (e) {}\nexport default 1"
    )
    run(script, providers={"debug": provider})
    assert len(provider.requests) == 1


def test_a_near_quota_reset_is_waited_for_and_retried(write_script: Write, run: Run) -> None:
    provider = FailingProvider(name="debug", kind=FailureKind.QUOTA, retry_after_s=0.001)
    script = write_script(
        "try { await agent('hi', { retry: { maxAttempts: 2 } }) } catch (e) {}\nexport default 1"
    )
    run(script, providers={"debug": provider})
    assert len(provider.requests) == 2


def test_provider_events_become_agent_events_before_completion(
    write_script: Write, run: Run
) -> None:
    script = write_script("export default await agent('hi')")
    events = io.StringIO()
    run(script, providers={"debug": StreamingProvider(name="debug")}, events_stream=events)
    stream = _events(events)
    types = [e["type"] for e in stream]
    assert types[types.index("workflow.agent_started") :][:4] == [
        "workflow.agent_started",
        "workflow.agent_event",
        "workflow.agent_event",
        "workflow.agent_completed",
    ]
    first = stream[types.index("workflow.agent_event")]
    data = first["data"]
    assert isinstance(data, dict)
    assert data["provider"] == "debug"
    assert data["sessionId"] == "s-42"
    assert data["providerEvent"] == {"type": "init", "session_id": "s-42"}
    assert data["stepId"] == first["metadata"]["stepId"]  # type: ignore[index,call-overload]


def test_failed_calls_still_emit_their_provider_events(write_script: Write, run: Run) -> None:
    script = write_script("try { await agent('hi') } catch (e) {}\nexport default 1")
    events = io.StringIO()
    run(script, providers={"debug": FailingProvider(name="debug")}, events_stream=events)
    types = [e["type"] for e in _events(events)]
    assert "workflow.agent_event" in types
    assert types.index("workflow.agent_event") < types.index("workflow.agent_failed")


def test_raw_sessions_are_saved_for_failed_and_successful_calls(
    write_script: Write, run: Run, tmp_path: Path
) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    script = write_script(
        "try { await agent('a', { provider: 'claude-code' }) } catch (e) {}\n"
        "export default await agent('b')"
    )
    providers = {
        "claude-code": FailingProvider(name="claude-code", kind=FailureKind.CRASH, session="bad-1"),
        "debug": StreamingProvider(name="debug"),
    }
    run(script, providers=providers, raw_sessions_dir=raw)
    failed = (raw / "claude-code" / "bad-1.jsonl").read_text().splitlines()
    assert [json.loads(line) for line in failed] == [{"type": "init", "session": "bad-1"}]
    good = (raw / "debug" / "s-42.jsonl").read_text().splitlines()
    assert [json.loads(line)["type"] for line in good] == ["init", "text"]


def test_a_provider_array_must_name_distinct_known_providers(write_script: Write, run: Run) -> None:
    script = write_script(
        "const out = []\n"
        "for (const provider of [[], ['debug', 'debug'], ['debug', 'nope'], [1]]) {\n"
        "  try { await agent('x', { provider }) } catch (e) { out.push(e.message) }\n"
        "}\nexport default out"
    )
    result = run(script).result
    assert isinstance(result, list)
    assert result[2] == "Unknown agent provider: nope"
    assert all("provider" in str(message) for message in result)


def test_a_phase_can_declare_a_provider_chain(write_script: Write, run: Run) -> None:
    script = write_script(
        "export const meta = { name: 'c', description: 'd',\n"
        "  phases: [{ title: 'Work', provider: ['claude-code', 'codex'] }] }\n"
        "phase('Work')\nexport default await agent('hi')",
        meta=False,
    )
    first = FailingProvider(name="claude-code", kind=FailureKind.QUOTA)
    second = RecordingProvider(name="codex")
    assert run(script, providers={"claude-code": first, "codex": second}).result == "fake: hi"


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (
            "{ timeout: -1 }",
            "agent() option timeout must be a number of milliseconds (0 for no limit)",
        ),
        (
            "{ idleTimeout: 'x' }",
            "agent() option idleTimeout must be a number of milliseconds (0 for no limit)",
        ),
        (
            "{ effort: 'huge' }",
            "agent() option effort must be one of low, medium, high, xhigh, max, got 'huge'",
        ),
        (
            "{ isolation: 'box' }",
            "agent() option isolation must be 'worktree' or {type: 'sandbox', profile: '...'}",
        ),
    ],
)
def test_bad_watchdog_and_effort_options_reject_the_call(
    write_script: Write, run: Run, option: str, message: str
) -> None:
    script = write_script(
        f"try {{ await agent('x', {option}) }} catch (e) {{ globalThis.m = e.message }}\nexport default m"
    )
    assert run(script).result == message


def test_limits_and_effort_reach_the_provider(write_script: Write, run: Run) -> None:
    provider = RecordingProvider(name="debug")
    script = write_script(
        "await agent('a', { timeout: 1500, idleTimeout: 0, effort: 'high', agentType: 'rev' })\n"
        "await agent('b', { model: 'm?thinking=low' })\nexport default 1"
    )
    run(script, providers={"debug": provider}, agent_idle_timeout_s=30.0, agent_timeout_s=None)
    first, second = provider.requests
    assert (first.timeout_s, first.idle_timeout_s, first.effort, first.agent_type) == (
        1.5,
        None,
        "high",
        "rev",
    )
    assert (second.timeout_s, second.idle_timeout_s, second.effort) == (None, 30.0, "low")


def test_a_run_fails_when_its_only_provider_cli_is_missing(write_script: Write, run: Run) -> None:
    script = write_script("export default await agent('x', { provider: 'codex' })")
    with pytest.raises(WorkflowFailed, match=r"not an executable file.*@openai/codex"):
        run(script, provider_binaries={"codex": "/nonexistent/codex"})

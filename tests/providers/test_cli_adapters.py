"""What every CLI provider does alike, one test body run against each CLI's fake: the
prompt on stdin, events forwarded live, the watchdog, failures in one line."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from smolwf.errors import FailureKind, ProviderError, ProviderUnavailable
from smolwf.jsontypes import JSON
from smolwf.providers import process
from smolwf.providers.base import AgentRequest, ProviderSettings
from tests.process_checks import exits_promptly
from tests.providers.cli_backends import BACKENDS, CliBackend

pytestmark = pytest.mark.anyio

PROMPT = "Say hello\nto the fake server"


@pytest.fixture(params=BACKENDS, ids=[backend.provider for backend in BACKENDS])
def backend(request: pytest.FixtureRequest) -> CliBackend:
    found: CliBackend = request.param
    return found


def request_in(directory: Path, idle_timeout_s: float | None = None) -> AgentRequest:
    return AgentRequest(prompt=PROMPT, cwd=directory, step_id="s1", idle_timeout_s=idle_timeout_s)


def ignore(event: JSON, session: str | None) -> None:
    pass


async def test_the_prompt_goes_on_stdin_and_events_are_forwarded_live_with_the_session(
    backend: CliBackend, tmp_path: Path
) -> None:
    fake = backend.fake(tmp_path)
    seen: list[tuple[JSON, str | None]] = []

    def sink(event: JSON, session: str | None) -> None:
        seen.append((event, session))
        fake.gate.touch()  # the fake prints its other lines only after this

    settings = fake.settings(backend.provider, "gate", backend.plain, **backend.home(tmp_path))
    result = await backend.provider_for(settings).run(request_in(tmp_path), sink)
    transcript = [json.loads(line) for line in backend.plain.read_text().splitlines() if line]
    assert fake.recorded()["stdin"] == PROMPT
    assert seen == [(event, backend.session) for event in transcript]
    assert (result.output, result.session_id) == (backend.answer, backend.session)
    assert result.raw == transcript


async def test_idle_timeout_stops_the_cli_and_everything_it_started(
    backend: CliBackend, tmp_path: Path
) -> None:
    fake = backend.fake(tmp_path)
    seen: list[JSON] = []
    settings = fake.settings(backend.provider, "hang", backend.plain, **backend.home(tmp_path))
    with pytest.raises(ProviderError) as caught:
        await backend.provider_for(settings).run(
            request_in(tmp_path, idle_timeout_s=0.3), lambda event, _session: seen.append(event)
        )
    assert caught.value.kind is FailureKind.TIMEOUT
    assert caught.value.message.startswith(
        f"{backend.display} provider printed nothing for 0.3 s (idleTimeout)"
    )
    assert caught.value.session_id == backend.session
    assert seen == [json.loads(backend.plain.read_text().splitlines()[0])]
    assert exits_promptly(int(fake.child.read_text()))


async def test_a_cli_that_does_not_exit_after_its_final_result_keeps_the_answer(
    backend: CliBackend, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(process, "FINAL_GRACE_S", 0.2)
    fake = backend.fake(tmp_path)
    settings = fake.settings(backend.provider, "linger", backend.plain, **backend.home(tmp_path))
    result = await backend.provider_for(settings).run(request_in(tmp_path, 600), ignore)
    assert (result.output, result.session_id) == (backend.answer, backend.session)
    assert exits_promptly(fake.recorded()["pid"])


async def test_a_non_zero_exit_names_the_code_and_stderr(
    backend: CliBackend, tmp_path: Path
) -> None:
    fake = backend.fake(tmp_path)
    settings = fake.settings(backend.provider, "crash", **backend.home(tmp_path))
    with pytest.raises(ProviderError) as caught:
        await backend.provider_for(settings).run(request_in(tmp_path), ignore)
    assert caught.value.kind is FailureKind.CRASH
    assert caught.value.message == (
        f"{backend.display} provider exited with code 3: "
        f"{backend.command}: something broke at line 3"
    )


async def test_a_missing_binary_raises_provider_unavailable(
    backend: CliBackend, tmp_path: Path
) -> None:
    settings = ProviderSettings(binaries={backend.provider: str(tmp_path / "no-such-cli")})
    with pytest.raises(ProviderUnavailable):
        await backend.provider_for(settings).run(request_in(tmp_path), ignore)


async def test_settings_env_reaches_the_cli_and_not_smol_wf_itself(
    backend: CliBackend, tmp_path: Path
) -> None:
    fake = backend.fake(tmp_path)
    settings = fake.settings(
        backend.provider,
        "replay",
        backend.plain,
        record_env=["SMOLWF_TEST_MARK"],
        SMOLWF_TEST_MARK="marked",
        **backend.home(tmp_path),
    )
    await backend.provider_for(settings).run(request_in(tmp_path), ignore)
    assert fake.recorded()["env"] == {"SMOLWF_TEST_MARK": "marked"}
    assert os.environ.get("SMOLWF_TEST_MARK") is None

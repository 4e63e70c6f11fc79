"""The shared CLI runner: line streaming, stdin, watchdogs and process-group clean-up."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.providers.process import CliCommand, run_cli
from smolwf.providers.watchdog import WatchdogLimits
from tests.process_checks import exits_promptly

pytestmark = pytest.mark.anyio


def _python(tmp_path: Path, body: str) -> list[str]:
    script = tmp_path / "fake_cli.py"
    script.write_text("import sys, time, json, os, subprocess\n" + body)
    return [sys.executable, str(script)]


async def test_json_lines_are_handed_over_in_order_and_other_lines_kept(tmp_path: Path) -> None:
    argv = _python(
        tmp_path,
        "print(json.dumps({'n': 1}))\nprint('a log line')\nprint('[1, 2]')\n"
        "sys.stdout.write(json.dumps({'n': 2}))\n",
    )
    seen: list[JSON] = []
    outcome = await run_cli(CliCommand("Fake", argv, tmp_path), seen.append)
    assert seen == [{"n": 1}, [1, 2], {"n": 2}]  # the last line has no newline
    assert outcome.other_lines == ["a log line"]
    assert outcome.returncode == 0


async def test_stdin_is_fed_and_closed(tmp_path: Path) -> None:
    argv = _python(tmp_path, "print(json.dumps({'got': sys.stdin.read()}))\n")
    seen: list[JSON] = []
    await run_cli(CliCommand("Fake", argv, tmp_path, stdin="héllo".encode()), seen.append)
    assert seen == [{"got": "héllo"}]


async def test_without_stdin_the_cli_reads_dev_null(tmp_path: Path) -> None:
    argv = _python(tmp_path, "print(json.dumps({'got': sys.stdin.read()}))\n")
    seen: list[JSON] = []
    await run_cli(CliCommand("Fake", argv, tmp_path), seen.append)
    assert seen == [{"got": ""}]


async def test_exit_code_and_stderr_are_reported(tmp_path: Path) -> None:
    argv = _python(tmp_path, "sys.stderr.write('boom\\n')\nsys.exit(7)\n")
    outcome = await run_cli(CliCommand("Fake", argv, tmp_path), lambda _e: None)
    assert outcome.returncode == 7
    assert outcome.failure_text() == "boom"


async def test_environment_additions_reach_the_cli(tmp_path: Path) -> None:
    argv = _python(tmp_path, "print(json.dumps({'v': os.environ.get('SMOLWF_TEST_VAR')}))\n")
    seen: list[JSON] = []
    command = CliCommand("Fake", argv, tmp_path, env={"SMOLWF_TEST_VAR": "yes"})
    await run_cli(command, seen.append)
    assert seen == [{"v": "yes"}]


async def test_idle_timeout_stops_a_silent_cli_and_everything_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    argv = _python(
        tmp_path,
        f"child = subprocess.Popen(['sleep', '60'])\nopen({str(pid_file)!r}, 'w').write(str(child.pid))\n"
        "print(json.dumps({'started': True}), flush=True)\ntime.sleep(60)\n",
    )
    seen: list[JSON] = []
    with pytest.raises(ProviderError) as info:
        limits = WatchdogLimits(idle_timeout_s=0.3)
        await run_cli(CliCommand("Fake", argv, tmp_path, limits=limits), seen.append)
    assert info.value.kind is FailureKind.TIMEOUT
    assert "Fake provider printed nothing for 0.3 s (idleTimeout)" in info.value.message
    assert seen == [{"started": True}]
    assert exits_promptly(int(pid_file.read_text()))


async def test_total_timeout_trips_even_while_the_cli_keeps_printing(tmp_path: Path) -> None:
    argv = _python(tmp_path, "while True:\n    print('{}', flush=True)\n    time.sleep(0.02)\n")
    with pytest.raises(ProviderError) as info:
        limits = WatchdogLimits(timeout_s=0.4, idle_timeout_s=5)
        await run_cli(CliCommand("Fake", argv, tmp_path, limits=limits), lambda _e: None)
    assert "Fake provider timed out after 0.4 s (timeout)" in info.value.message


async def test_a_missing_executable_is_a_config_failure(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as info:
        await run_cli(CliCommand("Fake", [str(tmp_path / "nope")], tmp_path), print)
    assert info.value.kind is FailureKind.CONFIG
    assert info.value.message.startswith(f"failed to spawn command `{tmp_path / 'nope'}`")


async def test_a_watchdog_passes_the_work_s_own_error_through_unwrapped() -> None:
    from smolwf.providers.watchdog import Watchdog

    async def work() -> None:
        raise ProviderError("the model refused", kind=FailureKind.AUTH)

    with pytest.raises(ProviderError) as info:
        await Watchdog("Fake", WatchdogLimits(timeout_s=10)).run(work)
    assert info.value.kind is FailureKind.AUTH


async def test_an_agent_cli_stopped_by_a_watchdog_keeps_its_session_and_usage(
    tmp_path: Path,
) -> None:
    from smolwf.providers.process import run_agent_cli
    from smolwf.usage import Usage

    argv = _python(
        tmp_path,
        "print(json.dumps({'session': 's-1'}), flush=True)\n"
        "print(json.dumps({'tokens': 7}), flush=True)\ntime.sleep(60)\n",
    )
    forwarded: list[tuple[JSON, str | None]] = []

    def usage_of(events: list[JSON]) -> Usage:
        tokens = [e["tokens"] for e in events if isinstance(e, dict) and "tokens" in e]
        return Usage(output_tokens=sum(t for t in tokens if isinstance(t, int)))

    def session_of(event: JSON) -> str | None:
        session = event.get("session") if isinstance(event, dict) else None
        return session if isinstance(session, str) else None

    with pytest.raises(ProviderError) as info:
        await run_agent_cli(
            CliCommand("Fake", argv, tmp_path, limits=WatchdogLimits(idle_timeout_s=0.3)),
            lambda event, session: forwarded.append((event, session)),
            session_id_of=session_of,
            final=lambda event: False,
            usage_of=usage_of,
        )
    assert info.value.kind is FailureKind.TIMEOUT
    assert info.value.session_id == "s-1"
    assert info.value.usage == Usage(output_tokens=7)
    assert forwarded == [({"session": "s-1"}, "s-1"), ({"tokens": 7}, "s-1")]

"""The JSONL protocol client against the real local-worktree provider and misbehaving fakes."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import anyio
import pytest

from smolwf.errors import SandboxError
from smolwf.sandbox import (
    ExecEvent,
    ExecRequest,
    SandboxTimeouts,
    open_sandbox,
    sandbox_exec,
)
from smolwf.sandbox.protocol import connect_provider

from .conftest import PROFILE, RawServer

pytestmark = pytest.mark.anyio

ALL_BYTES = bytes(range(256))
WRITE_ALL_BYTES = (
    "import sys; data = bytes(range(256))\n"
    "sys.stdout.buffer.write(data * 300); sys.stdout.flush()\n"
    "sys.stderr.buffer.write(data[::-1])"
)


async def test_session_exec_preserves_binary_output_exactly(repo: Path) -> None:
    events: list[ExecEvent] = []

    async with open_sandbox(PROFILE, repo) as session:
        result = await session.exec(
            ExecRequest(argv=(sys.executable, "-c", WRITE_ALL_BYTES)), events.append
        )

    assert (result.exit_code, result.stdout, result.stderr) == (0, ALL_BYTES * 300, ALL_BYTES[::-1])
    assert events[0].type == "started" and events[0].process_id is not None
    assert (events[-1].type, events[-1].exit_code) == ("exited", 0)
    assert b"".join(e.data for e in events if e.type == "stdout") == ALL_BYTES * 300
    assert b"".join(e.data for e in events if e.type == "stderr") == ALL_BYTES[::-1]


async def test_stdin_bytes_reach_the_command_exactly(repo: Path) -> None:
    echo = "import sys; sys.stdout.buffer.write(sys.stdin.buffer.read())"

    async with open_sandbox(PROFILE, repo) as session:
        result = await session.exec(ExecRequest(argv=(sys.executable, "-c", echo), stdin=ALL_BYTES))

    assert result.stdout == ALL_BYTES


async def test_one_session_keeps_its_files_between_commands(repo: Path) -> None:
    write = "open('made.txt', 'w').write('made in the sandbox')"
    read = "print(open('made.txt').read())"

    async with open_sandbox(PROFILE, repo) as session:
        await session.exec(ExecRequest(argv=(sys.executable, "-c", write)))
        result = await session.exec(ExecRequest(argv=(sys.executable, "-c", read)))

    assert result.stdout == b"made in the sandbox\n"
    assert not (repo / "made.txt").exists()


async def test_isolation_record_names_profile_provider_cwd_and_session(repo: Path) -> None:
    async with open_sandbox(PROFILE, repo / "sub") as session:
        record = session.isolation_record()

    assert record == {
        "kind": "sandbox",
        "profile": "local-worktree/default",
        "provider": "local-worktree",
        "cwd": session.cwd,
        "sessionId": session.id,
    }
    assert str(record["cwd"]).endswith("/worktree/sub")
    assert str(record["sessionId"]).startswith("lwt_")


def test_capabilities_list_the_served_methods(raw_server: RawServer) -> None:
    answer = raw_server.call("capabilities", {})

    assert answer["result"]["protocol_version"] == "sandbox.v1"
    assert answer["result"]["profiles"] == ["default"]
    assert "exec" in answer["result"]["methods"]
    assert raw_server.call("write_file", {})["error"]["code"] == "unsupported_method"
    assert raw_server.call("shutdown", {}) == {"id": "r3", "result": {}}
    assert raw_server.process.wait(timeout=60) == 0


def test_malformed_requests_get_error_answers_and_serving_goes_on(raw_server: RawServer) -> None:
    assert raw_server.process.stdin is not None
    raw_server.process.stdin.write(b"not json\n")
    raw_server.process.stdin.flush()

    assert raw_server.receive() == {
        "id": None,
        "error": {
            "code": "invalid_request",
            "message": "request is not valid JSON",
            "retryable": False,
        },
    }
    assert raw_server.call("teleport", {})["error"]["message"] == "unknown method 'teleport'"
    assert raw_server.call("exec", {"session": {"id": "nope"}, "argv": ["true"]})["error"] == {
        "code": "unknown_session",
        "message": "no open session 'nope'; it was closed or never opened",
        "retryable": False,
    }


async def test_a_provider_error_answer_becomes_a_one_line_sandbox_error(
    fake_provider: Callable[[str, str], str], tmp_path: Path
) -> None:
    provider = fake_provider(
        "refusing",
        "request = json.loads(sys.stdin.readline())\n"
        "error = {'code': 'quota', 'message': 'no VMs left\\ntry later', 'retryable': True}\n"
        "print(json.dumps({'id': request['id'], 'error': error}), flush=True)",
    )

    with pytest.raises(SandboxError) as caught:
        await sandbox_exec(f"{provider}/default", {"command": "true"}, cwd=tmp_path)

    assert (
        caught.value.message == "sandbox provider 'refusing' failed 'open': no VMs left try later"
    )
    assert (caught.value.code, caught.value.retryable) == ("quota", True)


async def test_a_provider_writing_garbage_on_stdout_is_a_protocol_error(
    fake_provider: Callable[[str, str], str], tmp_path: Path
) -> None:
    provider = fake_provider("chatty", "sys.stdin.readline(); print('Starting up...', flush=True)")

    with pytest.raises(SandboxError) as caught:
        await sandbox_exec(f"{provider}/default", {"command": "true"}, cwd=tmp_path)

    assert caught.value.message == (
        "sandbox provider 'chatty' wrote a non-JSON line on stdout answering 'open' "
        "('Starting up...'); providers must write diagnostics to stderr"
    )


async def test_a_provider_that_dies_reports_the_end_of_its_stderr(
    fake_provider: Callable[[str, str], str], tmp_path: Path
) -> None:
    provider = fake_provider(
        "crashing",
        "sys.stderr.write('Traceback...\\nRuntimeError: no credentials\\n'); sys.exit(1)",
    )

    with pytest.raises(SandboxError) as caught:
        await sandbox_exec(f"{provider}/default", {"command": "true"}, cwd=tmp_path)

    assert caught.value.message.startswith("sandbox provider 'crashing' ")
    assert caught.value.message.endswith(
        "; provider stderr: Traceback... RuntimeError: no credentials"
    )


async def test_a_provider_answering_another_id_is_a_protocol_error(
    fake_provider: Callable[[str, str], str], tmp_path: Path
) -> None:
    provider = fake_provider(
        "confused",
        "sys.stdin.readline(); print(json.dumps({'id': 'other', 'result': {}}), flush=True)",
    )

    with pytest.raises(SandboxError, match="answered id 'other' while request '1' \\('open'\\)"):
        await sandbox_exec(f"{provider}/default", {"command": "true"}, cwd=tmp_path)


async def test_a_provider_that_never_answers_times_out(
    fake_provider: Callable[[str, str], str], tmp_path: Path
) -> None:
    provider = fake_provider("silent", "sys.stdin.read()")
    timeouts = SandboxTimeouts(open_s=0.2, stop_grace_s=5)

    with pytest.raises(SandboxError) as caught:
        await sandbox_exec(
            f"{provider}/default", {"command": "true"}, cwd=tmp_path, timeouts=timeouts
        )

    assert (
        caught.value.message
        == "sandbox provider 'silent' did not answer 'open' within 0.2s; it may be stuck"
    )


async def test_a_provider_file_that_cannot_be_executed_is_reported(
    fake_provider: Callable[[str, str], str], tmp_path: Path
) -> None:
    provider = fake_provider("broken", "")
    script = anyio.Path(str(shutil.which(f"smol-sandbox-{provider}")))
    await script.write_bytes(b"\x7fELF garbage")

    with pytest.raises(SandboxError, match="could not start sandbox provider 'broken'"):
        async with connect_provider(provider):
            pass

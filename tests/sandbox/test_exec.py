"""``workflow:sandbox`` exec: a fresh local-worktree sandbox per call, validated requests."""

from __future__ import annotations

import sys
from pathlib import Path

import anyio
import pytest

from smolwf.errors import AgentCallError, SandboxError
from smolwf.jsontypes import JSON
from smolwf.sandbox import parse_exec_request, sandbox_exec

from .conftest import PROFILE

pytestmark = pytest.mark.anyio

PY = sys.executable


def python(code: str, **request: JSON) -> dict[str, JSON]:
    return {"command": PY, "args": ["-c", code], **request}


async def test_exec_runs_the_command_in_a_worktree_of_head(repo: Path) -> None:
    result = await sandbox_exec(PROFILE, python("import os; print(sorted(os.listdir()))"), cwd=repo)

    assert result == {"exitCode": 0, "stdout": "['.git', 'README.md', 'sub']\n", "stderr": ""}


async def test_exec_does_not_run_in_the_host_directory(repo: Path) -> None:
    result = await sandbox_exec(PROFILE, python("import os; print(os.getcwd())"), cwd=repo)

    assert isinstance(result["stdout"], str)
    sandbox_cwd = Path(result["stdout"].strip())
    assert sandbox_cwd != repo
    assert not await anyio.Path(sandbox_cwd).exists()  # the sandbox is gone once exec returns


async def test_exec_returns_a_nonzero_exit_code_instead_of_raising(repo: Path) -> None:
    code = "import sys; print('partial'); sys.stderr.write('boom'); sys.exit(3)"

    result = await sandbox_exec(PROFILE, python(code), cwd=repo)

    assert result == {"exitCode": 3, "stdout": "partial\n", "stderr": "boom"}


async def test_exec_pipes_stdin_and_adds_env_to_the_inherited_environment(repo: Path) -> None:
    code = "import os, sys; print(sys.stdin.read().upper(), os.environ['GREETING'], 'PATH' in os.environ)"

    result = await sandbox_exec(
        PROFILE, python(code, stdin="ping", env={"GREETING": "hi"}), cwd=repo
    )

    assert result["stdout"] == "PING hi True\n"


async def test_exec_relative_cwd_resolves_inside_the_workspace(repo: Path) -> None:
    result = await sandbox_exec(
        PROFILE, python("print(open('keep.txt').read())", cwd="sub"), cwd=repo
    )

    assert result["stdout"] == "kept\n\n"


async def test_exec_from_a_subdirectory_starts_in_the_same_subdirectory(repo: Path) -> None:
    result = await sandbox_exec(PROFILE, python("import os; print(os.listdir())"), cwd=repo / "sub")

    assert result["stdout"] == "['keep.txt']\n"


async def test_exec_output_is_decoded_as_lossy_utf8(repo: Path) -> None:
    code = (
        "import sys; sys.stdout.buffer.write(b'ok \\xff\\xfe'); sys.stderr.buffer.write(b'\\xc3')"
    )

    result = await sandbox_exec(PROFILE, python(code), cwd=repo)

    assert result["stdout"] == "ok \ufffd\ufffd"
    assert result["stderr"] == "\ufffd"


async def test_exec_cwd_outside_the_workspace_is_rejected(repo: Path) -> None:
    with pytest.raises(SandboxError, match=r"cwd '\.\./\.\.' is outside the sandbox workspace"):
        await sandbox_exec(PROFILE, python("pass", cwd="../.."), cwd=repo)


async def test_exec_of_a_missing_program_rejects(repo: Path) -> None:
    with pytest.raises(SandboxError, match="command 'no-such-program-xyz' not found"):
        await sandbox_exec(PROFILE, {"command": "no-such-program-xyz"}, cwd=repo)


@pytest.mark.parametrize(
    ("request_value", "message"),
    [
        (["ls"], "request must be an object {command, args?, cwd?, env?, stdin?}, got array"),
        ({}, "'command' is required"),
        ({"command": ""}, "'command' must not be empty"),
        ({"command": 3}, "'command' must be a string, got number"),
        ({"command": "ls", "args": "-l"}, "'args' must be an array of strings, got string"),
        ({"command": "ls", "args": ["-l", None]}, "'args[1]' must be a string, got null"),
        ({"command": "ls", "env": {"A": 1}}, "'env.A' must be a string, got number"),
        ({"command": "ls", "env": {"A=B": "x"}}, "'env' has an invalid variable name 'A=B'"),
        ({"command": "ls", "stdin": True}, "'stdin' must be a string, got boolean"),
        ({"command": "ls", "cwd": ""}, "'cwd' must not be empty"),
        ({"command": "l\0s"}, "'command' must not contain NUL characters"),
        (
            {"command": "ls", "timeout": 5},
            "unknown request field(s) 'timeout'; known fields: command, args, cwd, env, stdin",
        ),
    ],
)
def test_invalid_exec_requests_are_rejected_naming_the_field(
    request_value: JSON, message: str
) -> None:
    with pytest.raises(SandboxError) as caught:
        parse_exec_request(request_value)

    assert caught.value.message.startswith(f"sandbox exec: {message}")


def test_a_valid_exec_request_becomes_argv_cwd_env_and_stdin_bytes() -> None:
    request = parse_exec_request(
        {"command": "grep", "args": ["-c", "x"], "cwd": "src", "env": {"A": "1"}, "stdin": "é"}
    )

    assert request.argv == ("grep", "-c", "x")
    assert (request.cwd, dict(request.env), request.stdin) == ("src", {"A": "1"}, "é".encode())


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (
            "local-worktree",
            "invalid sandbox profile 'local-worktree': expected '<provider>/<profile>'",
        ),
        ("/default", "invalid sandbox profile '/default': expected"),
        ("local-worktree/", "invalid sandbox profile 'local-worktree/': expected"),
        ("Local/default", "invalid sandbox provider name 'Local': use lowercase letters"),
        ("-local/default", "invalid sandbox provider name '-local'"),
        ("local-/default", "invalid sandbox provider name 'local-'"),
        ("my_box/default", "invalid sandbox provider name 'my_box'"),
        ("../bin/default", "invalid sandbox provider name '..'"),
        ("local-worktree/a b", "invalid sandbox profile name 'a b'"),
    ],
)
async def test_invalid_profiles_are_rejected_before_anything_starts(
    profile: str, message: str, tmp_path: Path
) -> None:
    with pytest.raises(SandboxError, match=f"^{message}"):
        await sandbox_exec(profile, {"command": "true"}, cwd=tmp_path)


async def test_a_missing_provider_names_the_executable_and_where_it_was_looked_for(
    sandbox_root: Path, tmp_path: Path
) -> None:
    with pytest.raises(AgentCallError) as caught:
        await sandbox_exec("nope-missing/default", {"command": "true"}, cwd=tmp_path)

    assert caught.value.message == (
        "sandbox provider 'nope-missing' is not installed: no executable "
        "'smol-sandbox-nope-missing' found on PATH or next to smol-wf; install it or add its "
        "directory to PATH"
    )


async def test_an_unknown_profile_lists_the_known_profiles(repo: Path) -> None:
    with pytest.raises(SandboxError) as caught:
        await sandbox_exec("local-worktree/gpu", {"command": "true"}, cwd=repo)

    assert caught.value.message == (
        "sandbox provider 'local-worktree' failed 'open': "
        "unknown local-worktree profile 'gpu'; known profiles: default"
    )
    assert caught.value.code == "unknown_profile"


async def test_a_workspace_outside_a_git_repository_is_rejected(
    sandbox_root: Path, tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    plain.mkdir()

    with pytest.raises(SandboxError, match="is not inside a git repository") as caught:
        await sandbox_exec(PROFILE, {"command": "true"}, cwd=plain)

    assert "\n" not in caught.value.message


async def test_a_repository_without_commits_is_rejected(sandbox_root: Path, tmp_path: Path) -> None:
    from .conftest import git

    empty = tmp_path / "empty"
    empty.mkdir()
    git(empty, "init", "-q")

    with pytest.raises(SandboxError, match="has no commit yet; commit once"):
        await sandbox_exec(PROFILE, {"command": "true"}, cwd=empty)

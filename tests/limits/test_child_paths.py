"""Child workflow paths are untrusted input: only regular files of a bounded size are
read, never blocking the run, and every refusal is one line the script can catch."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.limits.limited import run_limited

Write = Callable[..., Path]


def _child_error(write_script: Write, tmp_path: Path, path_js: str) -> str:
    script = write_script(
        f"const r = await workflow({{ scriptPath: {path_js} }}).catch((e) => e.message)\n"
        "export default r\n"
    )
    done = run_limited(["run", script, "--db", tmp_path / "runs.db", "--no-check"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    message = json.loads(done.stdout)["results"]
    assert isinstance(message, str) and "\n" not in message
    return message


@pytest.mark.parametrize(
    ("make", "path_js", "reason"),
    [
        (lambda d: os.mkfifo(d / "pipe.mjs"), "'pipe.mjs'", "is not a regular file (a FIFO)"),
        (
            lambda d: (d / "big.mjs").write_bytes(b"//" * (3 * 1024**2)),
            "'big.mjs'",
            "is larger than 4 MiB",
        ),
        (lambda d: (d / "dir.mjs").mkdir(), "'dir.mjs'", "is a directory"),
        (lambda d: None, "'a\\u0000b.mjs'", "its path contains a NUL byte"),
        (lambda d: None, "'missing.mjs'", "no such file"),
    ],
    ids=["fifo", "too-large", "directory", "nul-byte", "missing"],
)
def test_a_child_path_beside_the_workflow_is_refused_with_its_reason(
    write_script: Write, tmp_path: Path, make: Callable[[Path], object], path_js: str, reason: str
) -> None:
    make(tmp_path)
    message = _child_error(write_script, tmp_path, path_js)
    assert message.startswith("failed to resolve workflow script ")
    assert message.endswith(f": {reason}")


def test_dev_zero_as_a_child_is_refused_without_reading_it(
    write_script: Write, tmp_path: Path
) -> None:
    message = _child_error(write_script, tmp_path, "'/dev/zero'")
    assert message.startswith("workflow script /dev/zero cannot be run: it is not a readable")


def test_a_path_outside_says_the_same_whether_it_exists_or_not(
    write_script: Write, tmp_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    (elsewhere / "secret.txt").write_text("not a workflow\n")
    exists = _child_error(write_script, tmp_path, json.dumps(str(elsewhere / "secret.txt")))
    missing = _child_error(write_script, tmp_path, json.dumps(str(elsewhere / "nothing.txt")))
    assert exists.replace("secret", "X") == missing.replace("nothing", "X")
    assert "smol-wf check" in exists


@pytest.mark.parametrize("path", ["/dev/zero", "pipe.mjs"], ids=["dev-zero", "fifo"])
def test_a_root_script_that_is_not_a_regular_file_is_one_line(tmp_path: Path, path: str) -> None:
    if path == "pipe.mjs":
        os.mkfifo(tmp_path / path)
    done = run_limited(["run", path, "--db", tmp_path / "runs.db"], cwd=tmp_path)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "is not a regular file" in done.stderr

"""Workflow args from the command line, through the real command: ``--args-<name>`` anywhere,
``--args-json`` and args files holding any JSON value."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Cli = Callable[..., subprocess.CompletedProcess[str]]
Write = Callable[..., Path]

ECHO = "log('ms', JSON.stringify(args))\nexport default args\n"


def results(done: subprocess.CompletedProcess[str]) -> Any:
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)["results"]


@pytest.mark.parametrize(
    "flags",
    [
        ("--args-ms", "100", "SCRIPT"),
        ("SCRIPT", "--args-ms", "100"),
        ("--args-ms=100", "SCRIPT"),
        ("SCRIPT", "--db", "DB", "--args-ms=100"),
    ],
    ids=["before-the-script", "after-the-script", "equals-before", "equals-after-a-flag"],
)
def test_args_flags_work_anywhere_on_the_line(
    flags: tuple[str, ...], write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(ECHO)
    argv = [
        str(script) if flag == "SCRIPT" else str(db) if flag == "DB" else flag for flag in flags
    ]
    assert results(cli("run", *argv)) == {"ms": "100"}


@pytest.mark.parametrize(
    "flags",
    [("--args-ms", "100"), ("--args-ms=100",)],
    ids=["value-after-a-space", "value-after-equals"],
)
def test_args_flags_work_on_a_resume_without_a_script(
    flags: tuple[str, ...], write_script: Write, cli: Cli, db: Path
) -> None:
    script = write_script(
        "log('ms', args.ms)\nif (args.ms !== '100') throw new Error('no')\nexport default 1\n"
    )
    failed = cli("run", script, "--db", db, "--args-ms", "5")
    assert failed.returncode == 1
    run_id = failed.stderr.split("resume it with: smol-wf run --resume-run ")[1].split()[0]
    resumed = cli("run", "--resume-run", run_id, "--db", db, *flags, "--progress", "plain")
    assert resumed.returncode == 0, resumed.stderr
    assert "[log] ms 100" in resumed.stderr


@pytest.mark.parametrize(
    ("value", "expected"),
    [('"a question"', "a question"), ("[1, 2]", [1, 2]), ("42", 42), ('{"k": "v"}', {"k": "v"})],
    ids=["string", "array", "number", "object"],
)
def test_args_json_passes_one_value(
    value: str, expected: Any, write_script: Write, cli: Cli, db: Path
) -> None:
    assert results(cli("run", write_script(ECHO), "--db", db, "--args-json", value)) == expected


def test_an_args_json_object_merges_with_args_flags(
    write_script: Write, cli: Cli, db: Path
) -> None:
    done = cli(
        "run", write_script(ECHO), "--db", db, "--args-json", '{"a": 1, "b": 2}', "--args-b", "x"
    )
    assert results(done) == {"a": 1, "b": "x"}


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("q.json", '"a question"', "a question"),
        ("q.yaml", "- one\n- two\n", ["one", "two"]),
        ("q.yml", "3.5\n", 3.5),
    ],
    ids=["json-string", "yaml-array", "yaml-number"],
)
def test_an_args_file_may_hold_any_value(
    name: str, text: str, expected: Any, write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    (tmp_path / name).write_text(text)
    done = cli("run", write_script(ECHO), "--db", db, "--args-from-file", tmp_path / name)
    assert results(done) == expected


def test_module_form_scripts_keep_an_empty_object(write_script: Write, cli: Cli, db: Path) -> None:
    assert results(cli("run", write_script(ECHO), "--db", db)) == {}


def test_a_large_yaml_alias_tree_is_refused_quickly(
    write_script: Write, cli: Cli, db: Path, tmp_path: Path
) -> None:
    levels = "".join(
        f"l{i}: &l{i} [*l{i - 1}, *l{i - 1}, *l{i - 1}, *l{i - 1}]\n" for i in range(1, 30)
    )
    (tmp_path / "bomb.yaml").write_text("l0: &l0 [ha]\n" + levels)
    done = cli("run", write_script(ECHO), "--db", db, "--args-from-file", "bomb.yaml", timeout=20)
    assert done.returncode == 2
    assert "expands to more than 16.0 MiB of JSON" in done.stderr
    assert not db.exists()

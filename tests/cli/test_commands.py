"""``smol-wf``'s commands are built on first use: every command a module declares is offered."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
from collections.abc import Callable

import pytest
import typer

import smolwf.cli
from smolwf.cli.app import app

Cli = Callable[..., subprocess.CompletedProcess[str]]


def declared_commands() -> list[str]:
    """The top-level commands the ``smolwf/cli`` modules declare: each group app's name,
    and each command of the other apps."""
    names: set[str] = set()
    for module_info in pkgutil.iter_modules(smolwf.cli.__path__):
        module = importlib.import_module(f"smolwf.cli.{module_info.name}")
        for value in vars(module).values():
            if not isinstance(value, typer.Typer) or value is app:
                continue
            if isinstance(value.info.name, str):
                names.add(value.info.name)
            else:
                names.update(str(info.name) for info in value.registered_commands)
    return sorted(names)


@pytest.mark.parametrize("name", declared_commands())
def test_every_declared_command_is_offered(cli: Cli, name: str) -> None:
    listed = cli("--help")
    assert f"│ {name} " in listed.stdout
    result = cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert f"Usage: smol-wf {name} " in result.stdout

"""The public surface is what ``smolwf/__init__.py`` exports, and its three lists agree:
``__all__``, the lazy export table and the ``TYPE_CHECKING`` imports (for type checkers
and editors). Importing ``smolwf`` loads none of the engine."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import smolwf

INIT = Path(smolwf.__file__)


def _type_checking_imports() -> dict[str, str]:
    tree = ast.parse(INIT.read_text(encoding="utf-8"))
    [block] = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name)
        if node.test.id == "TYPE_CHECKING"
    ]
    return {
        alias.name: statement.module or ""
        for statement in block.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }


def test_all_the_export_table_and_the_type_checking_imports_name_the_same_things() -> None:
    assert _type_checking_imports() == smolwf._EXPORTS
    assert sorted(smolwf.__all__) == sorted([*smolwf._EXPORTS, "__version__"])
    assert len(set(smolwf.__all__)) == len(smolwf.__all__)


@pytest.mark.parametrize("name", sorted(smolwf._EXPORTS))
def test_every_public_name_is_the_object_its_module_defines(name: str) -> None:
    module = importlib.import_module(smolwf._EXPORTS[name])
    assert getattr(smolwf, name) is getattr(module, name)


def test_a_name_that_is_not_exported_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="module 'smolwf' has no attribute 'Agents'"):
        _ = smolwf.Agents  # type: ignore[attr-defined]


def test_importing_smolwf_loads_no_engine_until_a_name_is_used() -> None:
    code = (
        "import sys, smolwf\n"
        "print('smolwf.engine' in sys.modules)\n"
        "smolwf.run_workflow\n"
        "print('smolwf.engine.run' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.split() == ["False", "True"]

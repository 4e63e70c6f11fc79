"""The layout a maintainer reads about is the layout there is.

Imports keep their layers and packages have no import cycles (the import-linter
contracts in pyproject.toml), and docs/architecture.md names only modules that exist
and every module of the engine.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"
MODULE = re.compile(r"`(smolwf/[\w/]+(?:\.\w+)?)`")


def test_imports_keep_the_layers_and_no_package_has_a_cycle() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run(
        [str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_the_architecture_page_names_only_modules_that_exist() -> None:
    named = MODULE.findall(ARCHITECTURE.read_text(encoding="utf-8"))
    assert named
    missing = [path for path in named if not (ROOT / path).exists()]
    assert missing == []


def test_the_architecture_page_names_every_engine_module() -> None:
    named = set(MODULE.findall(ARCHITECTURE.read_text(encoding="utf-8")))
    engine = sorted(
        f"smolwf/engine/{path.name}"
        for path in (ROOT / "smolwf" / "engine").glob("*.py")
        if path.name != "__init__.py"
    )
    assert [module for module in engine if module not in named] == []

"""Tests of the optional extras (``otel``, ``view``): skipped where an extra is missing,
failed instead under ``SMOLWF_REQUIRE_EXTRAS=1`` (CI installs them), so they never pass
by not running."""

from __future__ import annotations

import importlib.util
import os

import pytest


def _installed(module: str) -> bool:
    # find_spec of "a.b" raises, not returns None, when "a" itself is missing.
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False


def require_extra(extra: str, *modules: str) -> None:
    missing = [name for name in modules if not _installed(name)]
    if not missing:
        return
    message = f"the {extra} extra is not installed (missing {', '.join(missing)})"
    if os.environ.get("SMOLWF_REQUIRE_EXTRAS") == "1":
        pytest.fail(f"{message}: pip install -e '.[{extra}]'")
    pytest.skip(message, allow_module_level=True)

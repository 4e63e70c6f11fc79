"""Argument values as help shows them: the placeholder word alone (SCRIPT, RUN_ID).

For an argument, typer prints the Python type beside its name (``SCRIPT <path>``,
``RUN_ID <str>``); ``WORD`` is a string type that prints nothing there.
"""

from __future__ import annotations

from typing import Any

# typer vendors click and exports no parameter type to build on; this is its string type.
from typer._click.types import StringParamType


class _Word(StringParamType):
    """Text, shown in help by the argument's metavar only."""

    def get_metavar(self, param: Any, ctx: Any) -> str:
        return ""


WORD = _Word()

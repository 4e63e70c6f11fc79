"""Every rule, in the order they run: imports before the rules that recognise API calls,
meta before the phase rule that needs its titles."""

from __future__ import annotations

from collections.abc import Callable

from smolwf.check.context import Context
from smolwf.check.rules.agent_options import check_agent_options
from smolwf.check.rules.children import check_children
from smolwf.check.rules.concurrency import check_concurrency
from smolwf.check.rules.determinism import check_determinism
from smolwf.check.rules.forms import check_dropped_results, check_return_and_default
from smolwf.check.rules.imports import check_imports
from smolwf.check.rules.meta import check_meta
from smolwf.check.rules.phases import check_phases
from smolwf.check.rules.syntax import check_syntax

RULE_ORDER: tuple[Callable[[Context], None], ...] = (
    check_syntax,
    check_imports,
    check_meta,
    check_phases,
    check_agent_options,
    check_concurrency,
    check_children,
    check_determinism,
    check_dropped_results,
    check_return_and_default,
)

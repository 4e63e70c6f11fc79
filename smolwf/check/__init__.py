"""``smol-wf check``: find a workflow's mistakes from its source, before any agent is paid.

The script is parsed with tree-sitter (never run); each rule in ``rules/`` reports
diagnostics with a code, a severity and an exact position. ``smol-wf run`` runs the same
checks before it starts.
"""

from smolwf.check.diagnostics import RULES, Diagnostic, Rule, Severity, Span
from smolwf.check.files import Target, targets
from smolwf.check.formats import OutputFormat, render
from smolwf.check.runner import Checker, CheckReport

__all__ = [
    "RULES",
    "CheckReport",
    "Checker",
    "Diagnostic",
    "OutputFormat",
    "Rule",
    "Severity",
    "Span",
    "Target",
    "render",
    "targets",
]

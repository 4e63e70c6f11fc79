"""What every rule sees: the parsed script, what earlier rules learned, and where to report.

Rules run in a fixed order (see ``rules/__init__.py``); the import rule fills ``api`` and
the meta rule fills ``phase_titles`` before the rules that need them run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tree_sitter import Node

from smolwf.check.diagnostics import RULES_BY_CODE, Diagnostic, Severity, Span
from smolwf.check.parser import ParsedScript
from smolwf.script.discovery import LookupFailed, find_by_name, workflow_root


class Workflows:
    """Looks up ``workflow('name')`` as the run will: from the git top level of ``cwd``."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self._answers: dict[str, str | None] = {}

    def problem(self, name: str) -> str | None:
        """Why ``workflow(name)`` would fail (no such name, or two), or None."""
        if name not in self._answers:
            try:
                find_by_name(name, workflow_root(self.cwd))
                self._answers[name] = None
            except LookupFailed as error:
                self._answers[name] = str(error)
        return self._answers[name]


@dataclass(slots=True)
class ApiNames:
    """How the script reaches the workflow API: local names of imported functions, and the
    local names bound to a whole module (``import * as extra from 'workflow:extra'``)."""

    functions: dict[str, str] = field(default_factory=dict)
    namespaces: dict[str, str] = field(default_factory=dict)
    """local name -> module specifier"""


@dataclass(slots=True)
class Context:
    """One script under check."""

    path: Path
    display: str
    script: ParsedScript
    workflows: Workflows
    api: ApiNames = field(default_factory=ApiNames)
    phase_titles: tuple[str, ...] | None = None
    """The titles in ``meta.phases``; None when meta declares no phase list."""
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def report(
        self,
        node: Node | None,
        code: str,
        message: str,
        *,
        severity: Severity | None = None,
        end: Node | None = None,
    ) -> None:
        """Add a diagnostic at ``node`` (the file's start when None)."""
        span = Span(1, 1, 1, 1) if node is None else self.script.span(node, end)
        level = severity or RULES_BY_CODE[code].severity
        self.diagnostics.append(Diagnostic(self.display, span, level, code, message))

    def has_error(self, *codes: str) -> bool:
        return any(d.code in codes and d.severity == "error" for d in self.diagnostics)

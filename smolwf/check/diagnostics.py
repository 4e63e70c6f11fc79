"""What ``smol-wf check`` reports: one diagnostic per problem, and the rules that make them.

Every rule has a short code, so editors, CI filters and ``docs/check.md`` can name it.
An error is a mistake that fails the run or can never do what the script says; a
warning is almost certainly a mistake, but the run would go on.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal, TypeAlias

from smolwf.jsontypes import JSONObject
from smolwf.records import record

Severity: TypeAlias = Literal["error", "warning"]


@record
class Rule:
    """One check: its code, a short name and the severity it usually reports."""

    code: str
    name: str
    severity: Severity


RULES: tuple[Rule, ...] = (
    Rule("SW000", "unreadable-file", "error"),
    Rule("SW001", "syntax-error", "error"),
    Rule("SW101", "meta-missing", "error"),
    Rule("SW102", "meta-not-literal", "error"),
    Rule("SW103", "meta-required-field", "error"),
    Rule("SW104", "meta-field-type", "warning"),
    Rule("SW105", "meta-phases-shape", "warning"),
    Rule("SW106", "meta-phase-default", "error"),
    Rule("SW107", "meta-unknown-key", "warning"),
    Rule("SW108", "meta-rate-limits", "error"),
    Rule("SW201", "phase-unknown", "warning"),
    Rule("SW301", "agent-option-unknown", "warning"),
    Rule("SW302", "agent-option-invalid", "error"),
    Rule("SW303", "agent-option-ignored", "warning"),
    Rule("SW304", "agent-schema-invalid", "error"),
    Rule("SW305", "agent-schema-root", "warning"),
    Rule("SW401", "parallel-not-function", "error"),
    Rule("SW402", "pipeline-stage-not-function", "error"),
    Rule("SW501", "workflow-path-missing", "error"),
    Rule("SW502", "workflow-name-unknown", "error"),
    Rule("SW601", "import-restricted", "error"),
    Rule("SW602", "import-dynamic", "error"),
    Rule("SW603", "require", "error"),
    Rule("SW701", "clock", "error"),
    Rule("SW702", "random", "error"),
    Rule("SW801", "agent-result-dropped", "warning"),
    Rule("SW901", "return-and-default-export", "error"),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}


@record(order=True)
class Span:
    """Where a diagnostic points: 1-based lines and columns (Unicode characters); the end
    column is the one just after the last character."""

    line: int
    column: int
    end_line: int
    end_column: int


FILE_START = Span(1, 1, 1, 1)


@record
class Diagnostic:
    """One problem in one file."""

    path: str
    span: Span
    severity: Severity
    code: str
    message: str

    def sort_key(self) -> tuple[str, Span, str]:
        return (self.path, self.span, self.code)

    def strict(self) -> Diagnostic:
        """The same diagnostic as an error (``--strict``)."""
        return replace(self, severity="error")

    def to_json(self) -> JSONObject:
        span = self.span
        return {
            "path": self.path,
            "line": span.line,
            "column": span.column,
            "endLine": span.end_line,
            "endColumn": span.end_column,
            "severity": self.severity,
            "code": self.code,
            "message": self.message,
        }

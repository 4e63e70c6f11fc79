"""Check one script or many: read, parse once, run every rule, collect the diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from smolwf.check.context import Context, Workflows
from smolwf.check.diagnostics import FILE_START, Diagnostic, Span
from smolwf.check.files import targets
from smolwf.check.parser import ParsedScript
from smolwf.check.rules import RULE_ORDER
from smolwf.records import record
from smolwf.script.reading import Unreadable, read_script_bytes


@record
class CheckReport:
    """The diagnostics of every checked file, sorted, and how many files were checked."""

    diagnostics: tuple[Diagnostic, ...]
    files: int

    @property
    def errors(self) -> int:
        return sum(1 for d in self.diagnostics if d.severity == "error")

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


@dataclass(slots=True)
class Checker:
    """Checks scripts as a run started from ``cwd`` would see them."""

    cwd: Path = field(default_factory=Path.cwd)
    workflows: Workflows | None = None

    def check_paths(self, paths: Sequence[Path], *, strict: bool = False) -> CheckReport:
        """Check every file ``paths`` name (folders: the workflows below them)."""
        found: list[Diagnostic] = []
        files = 0
        for target in targets(paths):
            files += 1
            found += self.check_file(target.path, target.display)
        if strict:
            found = [diagnostic.strict() for diagnostic in found]
        return CheckReport(tuple(found), files)

    def check_source(self, source: str, path: Path, display: str | None = None) -> list[Diagnostic]:
        """Every diagnostic of ``source``, which claims to be the file at ``path``."""
        if self.workflows is None:
            self.workflows = Workflows(self.cwd)
        ctx = Context(path, display or str(path), ParsedScript(source), self.workflows)
        for rule in RULE_ORDER:
            rule(ctx)
        return sorted(ctx.diagnostics, key=Diagnostic.sort_key)

    def check_bytes(self, data: bytes, path: Path, display: str | None = None) -> list[Diagnostic]:
        """Like ``check_source``, for a file's bytes (which must be UTF-8, as for a run)."""
        shown = display or str(path)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError as error:
            span = _offset_span(data, error.start)
            message = f"not valid UTF-8 text (invalid byte at offset {error.start})"
            return [Diagnostic(shown, span, "error", "SW000", message)]
        return self.check_source(source, path, shown)

    def check_file(self, path: Path, display: str | None = None) -> list[Diagnostic]:
        shown = display or str(path)
        try:
            data = read_script_bytes(path)
        except Unreadable as why:
            message = f"cannot read the workflow script: {why.reason}"
            return [Diagnostic(shown, FILE_START, "error", "SW000", message)]
        return self.check_bytes(data, path, shown)


def _offset_span(data: bytes, offset: int) -> Span:
    line = data.count(b"\n", 0, offset) + 1
    start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[start:offset].decode("utf-8", "replace")) + 1
    return Span(line, column, line, column + 1)

"""``smol-wf check``: report a workflow's mistakes without running it; and the same check
``smol-wf run`` makes before it starts."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from smolwf.check.formats import OutputFormat
from smolwf.cli.placeholders import WORD
from smolwf.errors import ScriptError, SmolWfError, UsageError
from smolwf.records import record

HELP = """Check workflow scripts for mistakes without running them (no agent is called).

PATH is a workflow file, or a folder: every *.mjs/*.js file below it that looks like a
workflow is checked. Each problem is one line, [bold]path:line:column: error|warning CODE
message[/bold]; docs/check.md explains every code. [bold]smol-wf run[/bold] makes the same
check before it starts.

Exit codes: 0 no errors (warnings allowed), 1 errors found, 2 bad usage.
"""


check_app = typer.Typer(rich_markup_mode="rich")
"""``smol-wf check``; the root group (``cli/app.py``) builds it when used."""


@check_app.command("check", help=HELP)
def check(
    names: list[str] = typer.Argument(
        ...,
        metavar="PATH...",
        click_type=WORD,
        help="Workflow files, or folders to search for them.",
    ),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    output: OutputFormat = typer.Option(
        OutputFormat.TEXT,
        "--format",
        case_sensitive=False,
        metavar="FORMAT",
        help="text (path:line:column lines), json (an array of diagnostics) or github "
        "(GitHub Actions annotations).",
    ),
) -> int:
    from smolwf.check.formats import render
    from smolwf.check.runner import Checker

    paths = [Path(name) for name in names]
    if not any(path.exists() for path in paths):
        shown = ", ".join(str(path) for path in paths)
        raise UsageError(f"no such file or folder: {shown}")
    report = Checker().check_paths(paths, strict=strict)
    sys.stdout.write(render(report.diagnostics, output))
    if output is OutputFormat.TEXT:
        print(_summary(report.errors, report.warnings, report.files), file=sys.stderr)
    return 1 if report.errors else 0


def _summary(errors: int, warnings: int, files: int) -> str:
    checked = f"{files} workflow file{'s' if files != 1 else ''}"
    if not errors and not warnings:
        return f"checked {checked}: no problems"
    return f"checked {checked}: {_count(errors, 'error')}, {_count(warnings, 'warning')}"


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'s' if number != 1 else ''}"


@record
class PreRunCheck:
    """What the check before a run found: its lines as ``run`` prints them (errors as
    ``path:line:column`` lines, warnings as ``[warn]`` lines), and why the run must not
    start, if it must not."""

    lines: tuple[str, ...]
    error: SmolWfError | None


def check_before_run(script: Path, *, show_warnings: bool) -> None:
    """Stop the run when the script has errors (after printing every diagnostic); print
    warnings as ``[warn]`` lines."""
    found = pre_run_check(script, show_warnings=show_warnings)
    for line in found.lines:
        print(line, file=sys.stderr)
    if found.error is not None:
        raise found.error


def pre_run_check(script: Path, *, show_warnings: bool) -> PreRunCheck:
    """``smol-wf check`` of the script about to run. Where the loader rejects the script
    too (unreadable file, bad meta, imports), the check reports nothing: the run goes on
    to fail with the loader's one message, as without the check (and, like the
    reference, records the failed run)."""
    from smolwf.check.formats import text_line
    from smolwf.check.runner import Checker

    found = Checker().check_file(script)
    if any(diagnostic.code == "SW000" for diagnostic in found):
        return PreRunCheck((), None)
    errors = sum(1 for diagnostic in found if diagnostic.severity == "error")
    if errors:
        if _loader_rejects(script):
            return PreRunCheck((), None)
        lines = tuple(text_line(diagnostic) for diagnostic in found)
        return PreRunCheck(lines, _check_failed(script, errors))
    if not show_warnings:
        return PreRunCheck((), None)
    warnings = tuple(
        f"[warn] {d.path}:{d.span.line}:{d.span.column}: {d.code} {d.message}" for d in found
    )
    return PreRunCheck(warnings, None)


def _loader_rejects(script: Path) -> bool:
    from smolwf.script.source import load_script

    try:
        load_script(script)
    except ScriptError:
        return True
    return False


def _check_failed(script: Path, errors: int) -> ScriptError:
    return ScriptError(
        f"{script}: the check found {_count(errors, 'error')}, so the run did not "
        "start; fix them (see docs/check.md), or pass --no-check to run anyway"
    )

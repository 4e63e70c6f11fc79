"""The three ways ``smol-wf check`` prints diagnostics: for terminals and editors, as JSON,
and as GitHub Actions workflow commands (annotations on the pull request)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from enum import StrEnum

from smolwf.check.diagnostics import Diagnostic


class OutputFormat(StrEnum):
    TEXT = "text"
    JSON = "json"
    GITHUB = "github"


def render(diagnostics: Sequence[Diagnostic], output: OutputFormat) -> str:
    """The whole output, ending in a newline unless it is empty."""
    if output is OutputFormat.JSON:
        return json.dumps([d.to_json() for d in diagnostics], indent=2, ensure_ascii=False) + "\n"
    render_one = text_line if output is OutputFormat.TEXT else github_line
    return "".join(render_one(d) + "\n" for d in diagnostics)


def text_line(d: Diagnostic) -> str:
    """``path:line:column: severity CODE message``, which terminals and editors link."""
    return f"{d.path}:{d.span.line}:{d.span.column}: {d.severity} {d.code} {d.message}"


def github_line(d: Diagnostic) -> str:
    """``::error file=…,line=…,col=…,endLine=…,endColumn=…,title=CODE::message``."""
    span = d.span
    properties = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (
            ("file", d.path),
            ("line", span.line),
            ("col", span.column),
            ("endLine", span.end_line),
            ("endColumn", span.end_column),
            ("title", d.code),
        )
    )
    return f"::{d.severity} {properties}::{_escape_data(d.message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")

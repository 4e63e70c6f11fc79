"""The output formats carry any path and message intact: GitHub's escaping, JSON's text."""

from __future__ import annotations

import json

from smolwf.check.diagnostics import Diagnostic, Span
from smolwf.check.formats import OutputFormat, render

ODD = Diagnostic("dir,a:b/wf 100%.mjs", Span(3, 4, 3, 9), "error", "SW001", "50% done\nnext")


def test_github_annotation_escapes_properties_and_message() -> None:
    assert render([ODD], OutputFormat.GITHUB) == (
        "::error file=dir%2Ca%3Ab/wf 100%25.mjs,line=3,col=4,endLine=3,endColumn=9,"
        "title=SW001::50%25 done%0Anext\n"
    )


def test_json_keeps_the_path_and_message_as_written() -> None:
    [item] = json.loads(render([ODD], OutputFormat.JSON))
    assert (item["path"], item["message"]) == (ODD.path, ODD.message)


def test_no_diagnostics_render_as_nothing_in_text_and_github_and_as_empty_json() -> None:
    assert render([], OutputFormat.TEXT) == render([], OutputFormat.GITHUB) == ""
    assert json.loads(render([], OutputFormat.JSON)) == []

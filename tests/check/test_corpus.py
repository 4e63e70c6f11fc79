"""The checker against a corpus: each bad workflow gives exactly the diagnostics its
``// expect: CODE line:column`` comments list; every good workflow (the examples, the
cookbook and scripts in the reference's forms) gives none."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smolwf.check.diagnostics import RULES
from smolwf.check.runner import Checker

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
BAD = sorted((CORPUS / "bad").glob("*.mjs"))
GOOD = sorted(
    [
        *(CORPUS / "good").rglob("*.mjs"),
        *(ROOT / "examples").rglob("*.mjs"),
    ]
)
EXPECT = re.compile(r"^// expect: (SW\d{3}) (\d+):(\d+)$", re.MULTILINE)


def _id(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def expected(path: Path) -> list[tuple[str, int, int]]:
    found = EXPECT.findall(path.read_text(encoding="utf-8"))
    return sorted((code, int(line), int(column)) for code, line, column in found)


def actual(path: Path) -> list[tuple[str, int, int]]:
    diagnostics = Checker(cwd=path.parent).check_file(path)
    return sorted((d.code, d.span.line, d.span.column) for d in diagnostics)


@pytest.mark.parametrize("script", BAD, ids=_id)
def test_bad_workflow_gives_exactly_its_expected_diagnostics(script: Path) -> None:
    assert expected(script), f"{script.name} lists no expected diagnostic"
    assert actual(script) == expected(script)


@pytest.mark.parametrize("script", GOOD, ids=_id)
def test_good_workflow_gives_no_diagnostic(script: Path) -> None:
    assert actual(script) == []


def test_every_rule_but_unreadable_files_has_a_bad_workflow() -> None:
    covered = {code for path in BAD for code, _, _ in expected(path)}
    assert {rule.code for rule in RULES} - covered == {"SW000"}


def test_bad_workflow_file_names_start_with_their_code() -> None:
    for path in BAD:
        codes = {code.lower() for code, _, _ in expected(path)}
        assert path.name.split("-", 1)[0] in codes, path.name

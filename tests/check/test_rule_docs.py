"""docs/check.md documents every rule, and its examples do what the page says: each bad
example gives its rule's code, each good example gives no diagnostic at all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smolwf.check.diagnostics import RULES
from smolwf.check.runner import Checker

PAGE = Path(__file__).resolve().parents[2] / "docs" / "check.md"
SECTION = re.compile(r"^## (SW\d{3}) `([a-z-]+)` \(([^)]*)\)$", re.MULTILINE)
EXAMPLE = re.compile(r"```js\n// (bad|good)\n(.*?)```", re.DOTALL)
META = "export const meta = { name: 'example', description: 'An example' }\n"
CHILD = "export const meta = {{ name: '{name}', description: 'A child' }}\nexport default 1\n"


def sections() -> dict[str, tuple[str, str, str]]:
    """code -> (name, severity text, body)"""
    text = PAGE.read_text(encoding="utf-8")
    found = list(SECTION.finditer(text))
    out = {}
    for index, match in enumerate(found):
        end = found[index + 1].start() if index + 1 < len(found) else len(text)
        out[match[1]] = (match[2], match[3], text[match.end() : end])
    return out


def examples() -> list[tuple[str, str, str]]:
    return [
        (code, kind, body)
        for code, (_, _, text) in sections().items()
        for kind, body in EXAMPLE.findall(text)
    ]


def test_every_rule_has_a_section_with_its_name_and_severity() -> None:
    documented = sections()
    assert list(documented) == [rule.code for rule in RULES]
    for rule in RULES:
        name, severity, _ = documented[rule.code]
        assert name == rule.name
        assert severity.startswith(rule.severity)


def test_every_rule_but_unreadable_files_has_a_bad_and_a_good_example() -> None:
    kinds = {(code, kind) for code, kind, _ in examples()}
    for rule in RULES[1:]:
        assert {(rule.code, "bad"), (rule.code, "good")} <= kinds, rule.code


@pytest.mark.parametrize(
    ("code", "kind", "body"), examples(), ids=[f"{c}-{k}" for c, k, _ in examples()]
)
def test_example_gives_what_the_page_says(code: str, kind: str, body: str, tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    for folder, name in ((".agents/workflows", "review-file"), ("children", "review-file")):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / f"{name}.mjs").write_text(CHILD.format(name=name), encoding="utf-8")
    script = tmp_path / "wf.mjs"
    script.write_text(body if "meta" in body else META + body, encoding="utf-8")
    codes = [d.code for d in Checker(cwd=tmp_path).check_file(script)]
    if kind == "bad":
        assert code in codes
    else:
        assert codes == []

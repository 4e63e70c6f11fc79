"""No input makes the checker crash: random bytes, random text and every real script cut
short anywhere give diagnostics (each inside the file), never an exception."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from smolwf.check.diagnostics import Diagnostic
from smolwf.check.runner import Checker

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = sorted(
    [*(ROOT / "examples").rglob("*.mjs"), *(ROOT / "tests/check/corpus").rglob("*.mjs")]
)
TEXTS = [path.read_text(encoding="utf-8") for path in SCRIPTS]
JS_PIECES = st.sampled_from(
    [
        "agent(",
        "parallel([",
        "phase('",
        "export const meta = {",
        "`${",
        "'",
        '"',
        "/*",
        "//",
        "}",
        ")",
        "]",
        "=>",
        "import ",
        "from 'workflow:extra'",
        "schema: {",
        "\n",
        "Date.now()",
        "return ",
        "export default ",
        "new Date(",
        "workflow({ scriptPath: '",
        "\\",
        "/re/g",
    ]
)


def assert_well_formed(diagnostics: list[Diagnostic], data: bytes) -> None:
    lines = data.count(b"\n") + 1
    for diagnostic in diagnostics:
        span = diagnostic.span
        assert diagnostic.severity in ("error", "warning")
        assert diagnostic.code.startswith("SW") and diagnostic.message
        assert 1 <= span.line <= span.end_line <= lines
        assert span.column >= 1 and span.end_column >= 1


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_give_diagnostics_not_exceptions(data: bytes) -> None:
    assert_well_formed(Checker().check_bytes(data, Path("random.mjs")), data)


@settings(max_examples=150, deadline=None)
@given(st.lists(JS_PIECES | st.text(max_size=8), max_size=60).map("".join))
def test_javascript_like_text_gives_diagnostics_not_exceptions(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    assert_well_formed(Checker().check_source(text, Path("random.mjs")), data)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(TEXTS), st.floats(min_value=0, max_value=1))
def test_truncated_real_scripts_give_diagnostics_not_exceptions(text: str, cut: float) -> None:
    prefix = text[: int(len(text) * cut)]
    data = prefix.encode("utf-8")
    assert_well_formed(Checker().check_source(prefix, Path("truncated.mjs")), data)


def test_a_file_that_is_not_utf8_is_one_error_at_the_bad_byte() -> None:
    data = b"export const meta = {}\nconst x = '\xff'\n"
    [diagnostic] = Checker().check_bytes(data, Path("latin1.mjs"))
    assert (diagnostic.code, diagnostic.span.line, diagnostic.span.column) == ("SW000", 2, 12)
    assert "not valid UTF-8" in diagnostic.message

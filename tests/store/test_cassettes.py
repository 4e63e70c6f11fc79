"""The cassette file: what is written reads back, and hand edits stay readable."""

from __future__ import annotations

from pathlib import Path

from smolwf.store.cassettes import CassetteEntry, append_cassette, read_cassette, write_cassette

ENTRY = CassetteEntry(
    "agent:1", "review", "Review", "codex", "gpt-5", "Review a.py\nand say “why”", {"ok": True},
    {"outputTokens": 5}, [{"tool": "Bash", "attempted": "rm -rf /", "needs": None}],
)  # fmt: skip


def test_what_is_written_reads_back_the_same(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, [ENTRY])
    assert read_cassette(path) == {"agent:1": ENTRY}
    assert "“why”" in path.read_text(encoding="utf-8")


def test_an_appended_answer_for_the_same_key_wins(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, [ENTRY])
    append_cassette(path, [CassetteEntry("agent:1", None, None, "codex", None, "p", "newer")])
    assert read_cassette(path)["agent:1"].output == "newer"


def test_blank_lines_are_skipped(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, [ENTRY])
    path.write_text("\n\n" + path.read_text(encoding="utf-8") + "\n  \n", encoding="utf-8")
    assert list(read_cassette(path)) == ["agent:1"]


def test_a_replace_leaves_no_temporary_file_behind(tmp_path: Path) -> None:
    path = tmp_path / "c.jsonl"
    write_cassette(path, [ENTRY])
    write_cassette(path, [])
    assert [p.name for p in tmp_path.iterdir()] == ["c.jsonl"]
    assert read_cassette(path) == {}

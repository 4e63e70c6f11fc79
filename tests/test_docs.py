"""The docs must not drift: generated pages are current and every relative link resolves."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from smolwf.cli import docs_gen, llm_cmd
from smolwf.providers.registry import KNOWN_PROVIDERS

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("page", sorted(docs_gen.render_docs()))
def test_generated_doc_is_up_to_date(page: str) -> None:
    expected = docs_gen.render_docs()[page]
    actual = (DOCS / page).read_text(encoding="utf-8")
    assert actual == expected, f"docs/{page} is stale: run python -m smolwf.cli.docs_gen"


def test_docs_gen_check_passes_on_the_repository() -> None:
    assert docs_gen.main(["--check", str(DOCS)]) == 0


def test_docs_gen_check_fails_on_a_stale_page(tmp_path: Path) -> None:
    docs_gen.main([str(tmp_path)])
    assert docs_gen.main(["--check", str(tmp_path)]) == 0
    (tmp_path / "cli.md").write_text("old\n", encoding="utf-8")
    assert docs_gen.main(["--check", str(tmp_path)]) == 1


def test_workflows_page_is_the_guide_llm_txt_prints() -> None:
    page = (DOCS / "workflows.md").read_text(encoding="utf-8")
    assert llm_cmd.guide_part("workflows.md") in page
    assert llm_cmd.guide_part("workflows.md").rstrip("\n") in llm_cmd.llm_text()


def test_cli_reference_lists_every_command_and_option() -> None:
    page = (DOCS / "cli.md").read_text(encoding="utf-8")
    for heading in ("run", "check", "history", "tui", "tui replay", "tui run", "llm", "llm skills"):
        assert f"## `smol-wf {heading}`" in page
    for option in (
        "--resume-run",
        "--max-cost-usd",
        "--events",
        "--claude",
        "--max-delay",
        "--strict",
    ):
        assert f"`{option}`" in page


def test_cli_reference_does_not_depend_on_the_machine() -> None:
    page = docs_gen.render_cli()
    assert str(Path.home()) not in page
    assert " here, " not in page


@pytest.mark.parametrize(
    "document", sorted([ROOT / "README.md", *DOCS.glob("*.md")]), ids=lambda path: path.name
)
def test_relative_links_resolve(document: Path) -> None:
    text = document.read_text(encoding="utf-8")
    for target in LINK.findall(text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (document.parent / target).exists(), f"{document.name} links to missing {target}"


@pytest.mark.parametrize("provider", KNOWN_PROVIDERS)
def test_the_migration_guide_names_every_registered_provider(provider: str) -> None:
    claude_code = (DOCS / "migrating.md").read_text(encoding="utf-8").split("## From the ref")[0]
    assert f"`{provider}`" in claude_code


def test_the_migration_guide_does_not_say_only_debug_works() -> None:
    page = (DOCS / "migrating.md").read_text(encoding="utf-8")
    assert not re.search(r"only `?debug`? is available", page)


def test_getting_started_says_how_to_call_the_installed_command() -> None:
    page = (DOCS / "getting-started.md").read_text(encoding="utf-8")
    after_install = page.split("pip install", 1)[1].split("## A first workflow")[0]
    assert "source .venv/bin/activate" in after_install
    assert ".venv/bin/smol-wf --help" in after_install

"""Generate the docs pages that must never drift: the guide pages and the CLI reference.

The guide (``smolwf/assets/guide``) is what ``smol-wf llm txt`` prints; the CLI reference
is read from the typer app itself. ``python -m smolwf.cli.docs_gen`` rewrites ``docs/``,
``--check`` fails when it is stale (the test suite runs the check).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from pathlib import Path

import typer
import typer.core

from smolwf import defaults
from smolwf.cli import llm_cmd, run_cmd
from smolwf.cli.app import app

GUIDE_PAGES = {"llm.md": "usage.md", "workflows.md": "workflows.md", "events.md": "events.md"}
"""docs page -> guide part it is generated from."""

_MARKUP = re.compile(r"(?<!\\)\[/?(bold|dim|italic|b|i|u|code|red|green|yellow|cyan)\]")
_PORTABLE = {
    run_cmd.DEFAULT_DB_TEXT: "$XDG_STATE_HOME/smolwf/workflows.db",
    f"{defaults.default_max_parallel_agents()} here, ": "",
}
"""Help text that depends on the machine, and what the docs say instead."""


def banner(source: str) -> str:
    return (
        f"<!-- Generated from {source} by `python -m smolwf.cli.docs_gen`; "
        "edit the source, then rerun it. -->\n\n"
    )


def render_docs() -> dict[str, str]:
    """Every generated page, by file name under ``docs/``."""
    pages = {
        page: banner(f"smolwf/assets/guide/{part}") + llm_cmd.guide_part(part)
        for page, part in GUIDE_PAGES.items()
    }
    pages["cli.md"] = banner("the typer app (smolwf/cli)") + render_cli()
    return pages


def render_cli() -> str:
    """Every command, subcommand, argument and option of ``smol-wf``, as Markdown."""
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    lines = ["# Command-line reference", ""]
    lines += [
        "Every command, argument and option of `smol-wf`, read from the program itself.",
        "Global options: `--version`/`-V` prints the version; `--help`/`-h` works everywhere.",
        "",
    ]
    lines += _commands(root, typer.Context(root, info_name="smol-wf"), "smol-wf")
    return "\n".join(lines).rstrip("\n") + "\n"


def _commands(group: typer.core.TyperGroup, ctx: typer.Context, prefix: str) -> list[str]:
    lines: list[str] = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if not isinstance(command, typer.core.TyperCommand | typer.core.TyperGroup):
            continue
        path = f"{prefix} {name}"
        sub_ctx = typer.Context(command, info_name=name, parent=ctx)
        lines += [f"## `{path}`", "", "```text", _usage(command, sub_ctx, path), "```", ""]
        lines += _help_markdown(_clean(command.help or ""))
        lines += _params_table(command)
        if isinstance(command, typer.core.TyperGroup):
            lines += _commands(command, sub_ctx, path)
    return lines


def _help_markdown(text: str) -> list[str]:
    """Help paragraphs as Markdown; runs of example commands become a code block."""
    lines: list[str] = []
    for paragraph in text.split("\n\n"):
        rows = [row.strip() for row in paragraph.splitlines() if row.strip()]
        if rows and all(row.startswith("smol-wf ") for row in rows):
            lines += ["```text", *rows, "```", ""]
        elif rows:
            lines += [*rows, ""]
    return lines


def _usage(
    command: typer.core.TyperCommand | typer.core.TyperGroup, ctx: typer.Context, path: str
) -> str:
    pieces = " ".join(command.collect_usage_pieces(ctx))
    return f"Usage: {path} {pieces}".rstrip()


def _params_table(command: typer.core.TyperCommand | typer.core.TyperGroup) -> list[str]:
    rows = [_param_row(param) for param in command.params]
    if not rows:
        return []
    return [
        "| argument / option | value | default | meaning |",
        "| --- | --- | --- | --- |",
        *rows,
        "",
    ]


def _param_row(param: object) -> str:
    if isinstance(param, typer.core.TyperArgument):
        names = f"`{param.metavar or str(param.name).upper()}`"
    else:
        opts = [*getattr(param, "opts", []), *getattr(param, "secondary_opts", [])]
        names = ", ".join(f"`{opt}`" for opt in opts)
    cells = [names, _value(param), _default(param), _clean(getattr(param, "help", "") or "")]
    return "| " + " | ".join(cell.replace("|", "\\|").replace("\n", " ") for cell in cells) + " |"


def _value(param: object) -> str:
    if getattr(param, "is_flag", False) or isinstance(param, typer.core.TyperArgument):
        return ""
    choices = getattr(getattr(param, "type", None), "choices", None)
    if choices:
        return "|".join(str(getattr(choice, "value", choice)) for choice in choices)
    metavar = getattr(param, "metavar", None)
    type_name = str(getattr(getattr(param, "type", None), "name", "value"))
    return str(metavar or type_name.upper())


def _default(param: object) -> str:
    default = getattr(param, "default", None)
    if getattr(param, "show_default", True) is False or default in (None, False, [], ()):
        return ""
    if isinstance(param, typer.core.TyperArgument) or callable(default):
        return ""
    return f"`{getattr(default, 'value', default)}`"


def _clean(text: str) -> str:
    """Rich markup off, escapes undone, machine-specific defaults made portable."""
    text = _MARKUP.sub("", text).replace("\\[", "[")
    for local, portable in _PORTABLE.items():
        text = text.replace(local, portable)
    return text.strip()


def write_docs(docs_dir: Path) -> list[Path]:
    """Rewrite the generated pages that differ; return the ones written."""
    written = []
    for name, text in render_docs().items():
        path = docs_dir / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def stale_pages(docs_dir: Path) -> list[str]:
    pages = render_docs().items()
    return [
        name
        for name, text in pages
        if not (docs_dir / name).exists() or (docs_dir / name).read_text(encoding="utf-8") != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """``[--check] [DOCS_DIR]``: write the pages, or exit 1 naming the stale ones."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    rest = [arg for arg in args if arg != "--check"]
    docs_dir = Path(rest[0]) if rest else Path(__file__).resolve().parents[2] / "docs"
    if check:
        stale = stale_pages(docs_dir)
        for name in stale:
            print(f"stale: {docs_dir / name} (run python -m smolwf.cli.docs_gen)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_docs(docs_dir):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

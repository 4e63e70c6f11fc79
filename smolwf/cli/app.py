"""The ``smol-wf`` command: a thin typer layer over the library.

Every failure becomes one ``error: …`` line and an exit code: 0 success, 1 the
workflow failed, 2 bad usage, 3 waiting for a person (``--on-wait exit``), 130/143
interrupted.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sqlite3
import sys
from collections.abc import Sequence
from typing import Any

import typer
import typer.core

from smolwf import __version__
from smolwf.cli.lazy_commands import CommandSource, LazyCommands
from smolwf.errors import SmolWfError, UsageError

HELP = f"""Run JavaScript workflows that orchestrate coding agents, durably. (version {__version__})

[bold]Running workflows:[/bold]
  smol-wf run ./workflow.mjs                       run on the debug provider
  smol-wf run ./workflow.mjs --args-target src/    pass args.target to the script
  smol-wf run ./workflow.mjs --events | jq .       stream JSONL events
  smol-wf run ./workflow.mjs --resume-run RUN_ID   replay finished agent calls for free
  smol-wf run --fork-run RUN_ID --rerun Synthesize a new run; only Synthesize runs again
  smol-wf run ./workflow.mjs --cache               reuse answers of earlier runs
  smol-wf run ./workflow.mjs --replay wf.jsonl     answer every call from a cassette

[bold]Checking workflows:[/bold]
  smol-wf check ./workflow.mjs                     find mistakes before any agent is paid
  smol-wf check .agents/workflows --format github  every workflow in a folder, for CI

[bold]A person in the loop:[/bold]
  smol-wf inbox                                    every pending approval and signal
  smol-wf approve RUN_ID [REQUEST] [--note TEXT]   approve (or: deny) a requestApproval()
  smol-wf signal RUN_ID NAME --data JSON           send what a waitForSignal() waits for

[bold]Terminal UI:[/bold]
  smol-wf tui run ./workflow.mjs                   watch a run live (quitting cancels it)
  smol-wf tui replay events.jsonl                  replay a recorded stream, or a run id

[bold]Run history:[/bold]
  smol-wf history                                  past runs, newest first
  smol-wf history RUN_ID                           attempts, phases, steps, cost
  smol-wf view [RUN_ID]                            a live web page of runs (127.0.0.1)
  smol-wf cache list | clear --older-than 7d       answers --cache can reuse

[bold]LLM usage guide:[/bold]
  smol-wf llm txt                                  how to write and run workflows
  smol-wf llm skills [--claude]                    install the agent skills in this repo

[bold]Workflow discovery:[/bold]
  smol-wf llm list-workflows                       .agents/workflows and .claude/workflows

Run "smol-wf <command> --help" for command-specific flags.
"""

COMPLETE_VAR = "_SMOL_WF_COMPLETE"
"""Set by the script ``--install-completion`` installs when the shell asks for words."""

COMMANDS = {
    "run": CommandSource("smolwf.cli.run_cmd", "run_app"),
    "check": CommandSource("smolwf.cli.check_cmd", "check_app"),
    "history": CommandSource("smolwf.cli.history_cmd", "history_app"),
    "view": CommandSource("smolwf.cli.view_cmd", "view_app"),
    "inbox": CommandSource("smolwf.cli.human_cmd", "human_app"),
    "approve": CommandSource("smolwf.cli.human_cmd", "human_app"),
    "deny": CommandSource("smolwf.cli.human_cmd", "human_app"),
    "signal": CommandSource("smolwf.cli.human_cmd", "human_app"),
    "cache": CommandSource("smolwf.cli.cache_cmd", "cache_app", group=True),
    "tui": CommandSource("smolwf.cli.tui_cmd", "tui_app", group=True),
    "llm": CommandSource("smolwf.cli.llm_cmd", "llm_app", group=True),
}
"""Every command of ``smol-wf``, in the order help lists them, and the module declaring it;
a module is imported only when its command runs or its help is shown."""


class RootGroup(typer.core.TyperGroup):
    """The ``smol-wf`` group: its commands come from ``COMMANDS``, built on first use."""

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        self.commands = LazyCommands(COMMANDS)


app = typer.Typer(
    name="smol-wf",
    cls=RootGroup,
    help=HELP,
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"smol-wf {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        "-V",
        help="Print the version and exit.",
        is_eager=True,
        callback=_version,
    ),
) -> None:
    """Run JavaScript workflows that orchestrate coding agents, durably."""


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: run the app and turn every error into one line."""
    code = run(argv)
    # The interpreter's last collection would walk every object of the run only to find
    # nothing it must free before the process ends (~30 ms of a short run); atexit
    # handlers, thread joins and stream flushes still run.
    gc.freeze()
    sys.exit(code)


def run(argv: Sequence[str] | None = None) -> int:
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args and COMPLETE_VAR not in os.environ:  # a shell asking for completions
        typer.echo(command.get_help(typer.Context(command, info_name="smol-wf")), err=True)
        return 2
    try:
        _check_utf8(args)
        result = command.main(args=args, prog_name="smol-wf", standalone_mode=False)
    except SmolWfError as error:
        return _fail(error.message, error.exit_code, error.hint)
    except typer.Exit as error:
        return int(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", 130)
    except typer.TyperException as error:  # click's usage errors, as vendored by typer
        return _fail(_usage_message(error), 2)
    except sqlite3.Error as error:  # a store that changed under us; never a traceback
        return _fail(f"database error: {error}; check --db (is it a smol-wf database?)", 1)
    return int(result) if isinstance(result, int) else 0


def _check_utf8(args: Sequence[str]) -> None:
    """Every argument is text: bytes that are not UTF-8 arrive as lone surrogates, which
    no database, JSON or script can hold."""
    for index, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            shown = os.fsencode(arg).decode("utf-8", "backslashreplace")
            raise UsageError(
                f"argument {index} ({shown}) is not valid UTF-8 text; smol-wf takes UTF-8 arguments"
            ) from None


def _usage_message(error: typer.TyperException) -> str:
    _narrow_suggestions(error)
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    ctx = getattr(error, "ctx", None)
    if ctx is not None and ctx.parent is not None:
        message += f" (see '{ctx.command_path} --help')"
    elif message.startswith("No such command"):
        message += _subcommand_hint(message)
    return str(message)


def _narrow_suggestions(error: typer.TyperException) -> None:
    """Keep only options that look like the one typed: a prefix of it, or nearly it."""
    name = getattr(error, "option_name", None)
    possibilities = getattr(error, "possibilities", None)
    if not isinstance(name, str) or not possibilities:
        return
    import difflib  # a mistyped option is rare; most runs never need it

    typed = name.lstrip("-")
    close = [
        option
        for option in possibilities
        if (typed and option.lstrip("-").startswith(typed))
        or difflib.SequenceMatcher(None, typed, option.lstrip("-")).ratio() >= 0.8
    ]
    error.possibilities = close  # type: ignore[attr-defined]


def _subcommand_hint(message: str) -> str:
    """``smol-wf replay`` → a pointer to ``smol-wf tui replay``, a command that exists."""
    root = typer.main.get_command(app)
    assert isinstance(root, typer.core.TyperGroup)
    ctx = typer.Context(root, info_name="smol-wf")
    for group_name in root.list_commands(ctx):
        group = root.get_command(ctx, group_name)
        if isinstance(group, typer.core.TyperGroup):
            for name in group.list_commands(ctx):
                if f"'{name}'" in message:
                    return f" Did you mean 'smol-wf {group_name} {name}'?"
    return " (see 'smol-wf --help')"


def _fail(message: str, code: int, hint: str | None = None) -> int:
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stdout.flush()
    print(f"error: {message}", file=sys.stderr)
    if hint is not None:
        print(hint, file=sys.stderr)
    return code

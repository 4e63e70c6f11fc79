"""The ``smol-wf`` command: a thin typer layer over the library.

Every failure becomes one ``error: …`` line and an exit code: 0 success, 1 the
workflow failed, 2 bad usage, 3 waiting for a person (``--on-wait exit``), 130/143
interrupted.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
from collections.abc import Sequence

import typer

from smolwf import __version__
from smolwf.cli import (
    cache_cmd,
    check_cmd,
    history_cmd,
    human_cmd,
    llm_cmd,
    run_cmd,
    tui_cmd,
    view_cmd,
)
from smolwf.errors import SmolWfError

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

app = typer.Typer(
    name="smol-wf",
    help=HELP,
    no_args_is_help=True,
    add_completion=False,
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


app.command(
    "run",
    help=run_cmd.HELP,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)(run_cmd.run)


app.command("check", help=check_cmd.HELP)(check_cmd.check)

app.command("history", help=history_cmd.HELP)(history_cmd.history)

app.command("view", help=view_cmd.HELP)(view_cmd.view)

app.add_typer(cache_cmd.cache_app, name="cache")

app.command("inbox", help=human_cmd.INBOX_HELP)(human_cmd.inbox)
app.command("approve", help=human_cmd.APPROVE_HELP)(human_cmd.approve)
app.command("deny", help=human_cmd.DENY_HELP)(human_cmd.deny)
app.command("signal", help=human_cmd.SIGNAL_HELP)(human_cmd.signal)

app.add_typer(tui_cmd.tui_app, name="tui")

app.add_typer(llm_cmd.llm_app, name="llm")


def main(argv: Sequence[str] | None = None) -> None:
    """Console entry point: run the app and turn every error into one line."""
    sys.exit(run(argv))


def run(argv: Sequence[str] | None = None) -> int:
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        typer.echo(command.get_help(typer.Context(command, info_name="smol-wf")), err=True)
        return 2
    try:
        result = command.main(args=args, prog_name="smol-wf", standalone_mode=False)
    except SmolWfError as error:
        return _fail(error.message, error.exit_code)
    except typer.Exit as error:
        return int(error.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        return _fail("interrupted", 130)
    except typer.TyperException as error:  # click's usage errors, as vendored by typer
        return _fail(_usage_message(error), 2)
    except sqlite3.Error as error:  # a store that changed under us; never a traceback
        return _fail(f"database error: {error}; check --db (is it a smol-wf database?)", 1)
    return int(result) if isinstance(result, int) else 0


def _usage_message(error: typer.TyperException) -> str:
    format_message = getattr(error, "format_message", None)
    message = format_message() if callable(format_message) else str(error)
    ctx = getattr(error, "ctx", None)
    if ctx is not None and ctx.parent is not None:
        message += f" (see '{ctx.command_path} --help')"
    return str(message)


def _fail(message: str, code: int) -> int:
    with contextlib.suppress(BrokenPipeError, ValueError):
        sys.stdout.flush()
    print(f"error: {message}", file=sys.stderr)
    return code

"""``smol-wf tui replay|run``: flag parsing for the watch app; the app does the rest.

``tui run`` takes every flag of ``smol-wf run``: its command is declared with the run
command's own parameters (one signature, parsed once by Typer), then rejects ``--events``.
Stream readers, the history store and the app load when a command runs.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from smolwf.cli import run_cmd
from smolwf.errors import StoreError, UsageError
from smolwf.script.source import load_script
from smolwf.store.db import open_for_reading
from smolwf.store.paths import default_db_path
from smolwf.tui.replay import DEFAULT_MAX_DELAY, parse_duration

if TYPE_CHECKING:
    from smolwf.cli.check_cmd import PreRunCheck
    from smolwf.events.types import Event

HELP = """Watch workflow runs in a terminal UI.

  smol-wf tui replay events.jsonl          replay a saved --events stream
  smol-wf tui replay RUN_ID --db runs.db   replay a run recorded in the database
  smol-wf tui run ./workflow.mjs FLAGS     run a workflow and watch it live
"""
REPLAY_HELP = """Replay a recorded event stream: a JSONL file, or a run id from the database.

Replay starts paused: space plays/pauses, n steps one event, +/- change speed;
? lists every key.
With --check, validate and summarize the stream on stdout instead (exit 1 if a line
is not a workflow event).
"""
RUN_HELP = """Run a workflow and watch it live; takes every flag of `smol-wf run` except --events
and --on-wait exit. A request to a person is answered in place: select it, then a approves
and d denies.

Quitting while the run goes on cancels it (resume with --resume-run). Exit codes follow
the run: 0 completed, 1 failed, 130 cancelled. ? lists every key. When the check before
the run finds errors, the UI opens on them and the run does not start.
"""
EVENTS_REJECTED = "--events is not supported with smol-wf tui run; the TUI consumes events directly"
ON_WAIT_REJECTED = (
    "--on-wait exit is not supported with smol-wf tui run; answer requests in the TUI "
    "(a approves, d denies the selected one)"
)

tui_app = typer.Typer(name="tui", help=HELP, no_args_is_help=True, rich_markup_mode="rich")


@tui_app.command("replay", help=REPLAY_HELP)
def replay(
    source: str = typer.Argument(..., metavar="EVENTS_JSONL|RUN_ID", help="File or run id."),
    db: Path | None = typer.Option(
        None, "--db", help="Database to read a run id from [default: the run database]."
    ),
    max_delay: str = typer.Option(
        DEFAULT_MAX_DELAY, "--max-delay", help="Longest pause between events: 50ms, 1.5s, 200."
    ),
    check: bool = typer.Option(False, "--check", help="Validate and summarize; no UI."),
) -> int:
    from smolwf.tui.check import summary

    delay = parse_duration(max_delay)
    events = load_replay(source, db)
    if check:
        print(summary(source, events))
        return 0
    from smolwf.tui.app import ReplaySource, WatchApp

    WatchApp(ReplaySource(events, delay, source)).run()
    return 0


def _check(ctx: typer.Context) -> PreRunCheck:
    """``smol-wf check`` before the UI takes the terminal: its lines are printed here (they
    stay on screen after the UI) and shown in it; a failed check opens the UI on them."""
    from smolwf.cli.check_cmd import PreRunCheck, pre_run_check

    script = run_cmd.script_to_check(ctx)
    found = pre_run_check(script, show_warnings=True) if script else PreRunCheck((), None)
    for line in found.lines:
        print(line, file=sys.stderr)
    return found


def _on_terminal() -> bool:
    """Whether the UI has a terminal to draw on and read keys from."""
    try:
        return sys.stdin.isatty() and sys.stdout.isatty()
    except (AttributeError, ValueError):
        return False


def load_replay(source: str, db: Path | None) -> list[Event]:
    """A file when one exists at ``source`` (or ``--db`` is absent); otherwise a run id."""
    from smolwf.events.stream import parse_lines, read_events_file
    from smolwf.store.history import History

    path = Path(source)
    if path.exists() or (db is None and not source.startswith("run_")):
        return read_events_file(path)
    db_path = db or default_db_path()
    history = History(open_for_reading(db_path), db_path)
    try:
        if not history.run_exists(source):
            raise StoreError(f"workflow run {source} was not found in {db_path}; check --db")
        return parse_lines(history.events(source))
    finally:
        history.conn.close()


@tui_app.command(
    "run",
    help=RUN_HELP,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
@functools.wraps(run_cmd.run)
def run(ctx: typer.Context, **_flags: Any) -> int:
    """The parameters are ``smol-wf run``'s (``functools.wraps`` hands Typer its signature)."""
    if ctx.params["events"]:
        raise UsageError(EVENTS_REJECTED)
    if ctx.params["on_wait"] == "exit":
        raise UsageError(ON_WAIT_REJECTED)
    config = run_cmd.build_config(ctx)
    found = _check(ctx)
    if found.error is not None and not _on_terminal():
        raise found.error  # no screen to show the diagnostics on: they are printed
    if found.error is None and config.script_path is not None:
        load_script(config.script_path)  # fail before the UI takes the terminal
    from smolwf.tui.app import LiveSource, WatchApp

    app = WatchApp(LiveSource(config, Path.cwd(), found.lines, found.error))
    app.run()
    if app.saved_path is not None:
        print(f"Events log saved to {app.saved_path}", file=sys.stderr)
    if app.run_error is not None:
        raise app.run_error
    return 0

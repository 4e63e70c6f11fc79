"""``smol-wf history``: list runs, show one, print its events, delete runs.

The history readers and views load when the command runs: ``smol-wf run`` never pays
for them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from smolwf.cli import flag_values
from smolwf.cli.placeholders import WORD
from smolwf.clock import now_ms
from smolwf.errors import StoreError, UsageError
from smolwf.store.db import connect, open_for_reading
from smolwf.store.ownership import owner_alive
from smolwf.store.paths import default_db_path, resume_command
from smolwf.store.runs import LIVE_STATES, STATES

if TYPE_CHECKING:
    from smolwf.store.history import History

SHOWN_STATES = (*STATES, "interrupted")
"""``interrupted``: stored as running, but its process is gone (see store/history.py)."""
STATE_LIST = ", ".join(SHOWN_STATES)
HELP = """List past runs, show one in detail, print its events, or delete runs.

  smol-wf history                          newest 50 runs
  smol-wf history --status failed --name review
  smol-wf history RUN_ID                   attempts, phases, steps, cost, resume command
  smol-wf history RUN_ID --events | jq .   the run's persisted event stream (JSONL)
  smol-wf history delete RUN_ID...         delete exactly these runs
  smol-wf history delete --status failed --dry-run

The database is never created by this command.
"""


history_app = typer.Typer(rich_markup_mode="rich")
"""``smol-wf history``; the root group (``cli/app.py``) builds it when used."""


@history_app.command("history", help=HELP)
def history(
    ctx: typer.Context,
    run_ids: list[str] = typer.Argument(
        None,
        metavar="[RUN_ID | delete RUN_ID...]",
        click_type=WORD,
        show_default=False,
        help="A run to show, or 'delete' followed by the runs to delete.",
    ),
    db: Path | None = typer.Option(
        None, "--db", metavar="PATH", help="SQLite database of runs.", show_default=False
    ),
    output: str = typer.Option("table", "--output", "-o", metavar="FORMAT", help="table or json."),
    status: list[str] = typer.Option(
        [],
        "--status",
        "--state",
        metavar="STATE",
        help=f"Only runs in this state: {STATE_LIST}.",
    ),
    name: str | None = typer.Option(
        None, "--name", metavar="TEXT", help="Only workflows whose meta.name contains this."
    ),
    since: str | None = typer.Option(
        None, "--since", metavar="MS", help="Created at or after (epoch ms)."
    ),
    until: str | None = typer.Option(
        None, "--until", metavar="MS", help="Created at or before (epoch ms)."
    ),
    limit: str = typer.Option(
        "50", "--limit", metavar="N", help="How many runs to list, newest first."
    ),
    events: bool = typer.Option(False, "--events", help="Print the run's events as JSONL."),
    everything: bool = typer.Option(False, "--all", help="With delete: every run."),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="With delete: say what would go, delete nothing."
    ),
) -> int:
    ids = list(run_ids or [])
    if output not in ("table", "json"):
        raise UsageError("--output must be one of table, json")
    path = db or default_db_path()
    if ids and ids[0] == "delete":
        states = tuple(_check_state(value, STATES) for value in status)
        source = ctx.get_parameter_source("output")
        if source is not None and source.name == "COMMANDLINE":
            raise UsageError("history delete does not support --output; it uses fixed text output")
        return _delete(path, ids[1:], states, everything, dry_run)
    states = tuple(_check_state(value, SHOWN_STATES) for value in status)
    if everything or dry_run:
        raise UsageError("--all and --dry-run go with 'smol-wf history delete'")
    if len(ids) > 1:
        raise UsageError(
            "history accepts at most one run id (to delete several: history delete ID...)"
        )
    if events and not ids:
        raise UsageError("--events needs a run id: smol-wf history RUN_ID --events")
    from smolwf.store.history import RunFilter

    run_filter = RunFilter(
        states=states,
        name=name,
        since_ms=_epoch_ms("--since", since),
        until_ms=_epoch_ms("--until", until),
        limit=flag_values.count("--limit", limit, minimum=1),
    )
    view = _open(path)
    if ids:
        return _show(view, ids[0], output, events)
    from smolwf.cli import history_view

    runs = view.list_runs(run_filter)
    if output == "json":
        print(json.dumps([run.to_json() for run in runs], indent=2, ensure_ascii=False))
    else:
        history_view.print_run_list(runs)
    return 0


def _open(path: Path, *, writable: bool = False) -> History:
    from smolwf.store.history import History

    try:
        conn = connect(path, create=False) if writable else open_for_reading(path)
        return History(conn, path)
    except StoreError as error:
        if not path.exists():
            raise StoreError(
                f"history database {path} was not found; pass --db or run a workflow first"
            ) from None
        raise error


def _show(view: History, run_id: str, output: str, events: bool) -> int:
    if not view.run_exists(run_id):
        raise StoreError(f"workflow run {run_id} was not found in {view.path}; check --db")
    if events:
        for line in view.events(run_id):
            print(line)
        return 0
    from smolwf.cli import history_view
    from smolwf.cli.human_cmd import inbox_block
    from smolwf.store.human import HumanRequests

    detail = view.run_detail(run_id)
    assert detail is not None
    resume = resume_command(run_id, view.path)
    waiting = HumanRequests(view.conn, view.path).inbox(run_id)
    now = now_ms()
    if output == "json":
        shown = detail.to_json()
        shown["waitingFor"] = [entry.to_json(view.path, now) for entry in waiting]
        shown["resumeCommand"] = resume
        print(json.dumps(shown, indent=2, ensure_ascii=False))
    else:
        blocks = [inbox_block(entry, view.path, now) for entry in waiting]
        history_view.print_run_detail(detail, resume, blocks)
    return 0


def _delete(
    path: Path, ids: list[str], states: tuple[str, ...], everything: bool, dry_run: bool
) -> int:
    if not (ids or states or everything):
        raise UsageError("history delete requires run ids, --all or at least one --status <state>")
    if everything and (states or ids):
        raise UsageError("history delete: --all cannot be combined with --status or run ids")
    if ids and states:
        raise UsageError("history delete: give run ids or --status, not both")
    view = _open(path, writable=not dry_run)
    for run_id in ids:
        if not view.run_exists(run_id):
            raise StoreError(f"workflow run {run_id} was not found in {path}; check --db")
    from smolwf.clock import iso
    from smolwf.store.history import delete_runs, plan_delete

    plan = plan_delete(view.conn, run_ids=ids, states=states, everything=everything)
    _refuse_live_runs(view, plan.run_ids)
    what = (
        "all runs"
        if everything
        else (f"runs in state: {', '.join(states)}" if states else "runs: " + ", ".join(ids))
    )
    print(f"history delete{' (dry run)' if dry_run else ''} — {what}")
    if not plan.run_ids:
        print("\nNo runs matched; nothing to delete.")
        return 0
    for state, count in sorted(plan.by_state.items()):
        print(f"  {state:<12} {count}")
    first, last = iso(plan.first_created), iso(plan.last_created)
    print(f"  created between {first} and {last}")
    if dry_run:
        print("\nDry run: no rows were deleted.")
        print(f"Re-run without --dry-run to delete {len(plan.run_ids)} run(s).")
        return 0
    counts = delete_runs(view.conn, plan.run_ids)
    print(f"\nDeleted {len(plan.run_ids)} run(s).")
    print("  " + ", ".join(f"{label}: {count}" for label, count in counts.items()))
    return 0


def _refuse_live_runs(view: History, run_ids: list[str]) -> None:
    now = now_ms()
    for run_id in run_ids:
        row = view.conn.execute(
            "SELECT status, owner_pid, owner_host, heartbeat_at FROM runs WHERE run_id = ?",
            (run_id,),
        ).fetchone()
        status, pid, host, heartbeat = row
        if status in LIVE_STATES and owner_alive(pid, host, heartbeat, now):
            raise StoreError(
                f"workflow run {run_id} is being executed by process {pid} on {host}; "
                "stop it before deleting it"
            )


def _epoch_ms(flag: str, text: str | None) -> int | None:
    if text is None:
        return None
    value = text.strip()
    if not value.lstrip("-").isdigit() or not value.isascii() or abs(int(value)) > 2**53:
        raise UsageError(f"{flag} must be an integer Unix epoch millisecond timestamp")
    return int(value)


def _check_state(value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise UsageError(f"--status must be one of {', '.join(allowed)}")
    return value

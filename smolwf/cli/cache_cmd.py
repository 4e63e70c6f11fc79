"""``smol-wf cache``: the answers ``--cache`` can reuse, and forgetting them.

The cache is the finished steps of every run in the database (``store/cache.py``);
clearing it makes answers unusable by later runs and keeps the runs as they are.
"""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from smolwf.cli.reuse_flags import parse_duration
from smolwf.clock import now_ms
from smolwf.errors import StoreError, UsageError
from smolwf.jsontypes import JSONObject
from smolwf.store.db import connect
from smolwf.store.paths import default_db_path

if TYPE_CHECKING:
    from smolwf.store.cache import CacheEntry

HELP = """The answers --cache can reuse: list them, or forget them.

  smol-wf cache list                       newest 50 cached answers
  smol-wf cache clear --older-than 7d      forget answers finished more than 7 days ago
  smol-wf cache clear                      forget every answer (runs are kept)

A cached answer is a finished agent call of a run in the database; clearing the cache
keeps the runs and their history. The database is never created by this command.
"""
LIST_HELP = "List cached answers, newest first: one row per distinct call."
CLEAR_HELP = "Forget cached answers (all, or those older than a duration); runs are kept."
LIST_HEADERS = ("AGE", "RUN", "PROVIDER", "MODEL", "ANSWERS", "LABEL / PROMPT")

cache_app = typer.Typer(name="cache", help=HELP, no_args_is_help=True, rich_markup_mode="rich")

DB_OPTION = typer.Option(None, "--db", help="SQLite database of runs.", show_default=False)


@cache_app.command("list", help=LIST_HELP)
def list_command(
    db: Path | None = DB_OPTION,
    limit: int = typer.Option(50, "--limit", min=1, help="How many answers to list."),
    output: str = typer.Option("table", "--output", "-o", help="table or json."),
) -> int:
    if output not in ("table", "json"):
        raise UsageError("--output must be one of table, json")
    from smolwf.cli.history_view import plain_table
    from smolwf.store.cache import list_cached

    path = db or default_db_path()
    with closing(_open(path)) as conn:
        entries = list_cached(conn, limit=limit)
    if output == "json":
        print(json.dumps([_entry_json(entry) for entry in entries], indent=2, ensure_ascii=False))
    elif not entries:
        print(f"No cached answers in {path}.")
    else:
        print(plain_table(LIST_HEADERS, [_row(entry) for entry in entries]))
    return 0


@cache_app.command("clear", help=CLEAR_HELP)
def clear_command(
    db: Path | None = DB_OPTION,
    older_than: str | None = typer.Option(
        None,
        "--older-than",
        metavar="DURATION",
        help="Only answers finished longer ago than this: 30m, 12h, 7d.",
    ),
) -> int:
    before = None
    if older_than is not None:
        before = now_ms() - int(parse_duration(older_than, "--older-than") * 1000)
    from smolwf.store.cache import clear_cached

    path = db or default_db_path()
    with closing(_open(path)) as conn:
        cleared = clear_cached(conn, before_ms=before)
    which = f" older than {older_than}" if older_than is not None else ""
    print(f"Cleared {cleared} cached answer(s){which}; the runs are kept.")
    return 0


def _open(path: Path) -> sqlite3.Connection:
    try:
        return connect(path, create=False)
    except StoreError:
        if not path.exists():
            raise StoreError(
                f"database {path} was not found; pass --db or run a workflow first"
            ) from None
        raise


def _row(entry: CacheEntry) -> tuple[str, ...]:
    from smolwf.cli.history_view import ago
    from smolwf.clock import iso

    return (
        ago(iso(entry.finished_at)),
        entry.run_id,
        entry.provider or "-",
        entry.model or "-",
        str(entry.answers),
        _short(entry.label or entry.prompt_preview),
    )


def _short(text: str, width: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[: width - 1] + "…"


def _entry_json(entry: CacheEntry) -> JSONObject:
    from smolwf.clock import iso

    return {
        "cacheKey": entry.cache_key,
        "runId": entry.run_id,
        "stepId": entry.step_id,
        "provider": entry.provider,
        "model": entry.model,
        "label": entry.label,
        "promptPreview": entry.prompt_preview,
        "finishedAt": iso(entry.finished_at),
        "answers": entry.answers,
    }

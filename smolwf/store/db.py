"""Opening the SQLite store safely: our own schema, versioned migrations, clear refusals.

A database that another tool wrote (the reference runtime's has another schema), a
newer smol-wf wrote, or that is not SQLite at all is refused with a one-line error
before anything is written to it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from smolwf.errors import StoreError
from smolwf.store.problems import WriteFailed, describe, not_a_file

APPLICATION_ID = 0x736D7766
"""``PRAGMA application_id`` of every smol-wf database ("smwf")."""

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, "0001_initial.sql"),
    (2, "0002_cost_estimated.sql"),
    (3, "0003_reuse.sql"),
    (4, "0004_human.sql"),
    (5, "0005_processes.sql"),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
MIGRATIONS_DIR = Path(__file__).with_name("migrations")
"""Read beside this module, not through ``importlib.resources``, whose import would bring
``tempfile``, ``random`` and ``zipfile`` into every command that opens a database (a run
that checks its script still imports them, through tree-sitter's grammar package)."""
BUSY_TIMEOUT_MS = 5000
WAL_AUTOCHECKPOINT_PAGES = 10_000
"""Copy the WAL back into the database every ~40 MB of it, not every ~4 MB (SQLite's
default). A run's commits rewrite the same pages of the checkpoint and cache indexes
(their keys are hashes, so every commit touches most of their pages); checkpointing less
often copies each such page once instead of once per few commits. ``bench/sqlite_wal.py``
measures it: about 6 µs of a durable call's ~95 at 16 in flight."""


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open ``path`` (creating it only when ``create``), check it is ours, migrate it."""
    if not create and not path.exists():
        raise StoreError(f"database {path} was not found; pass --db or run a workflow first")
    if create and not path.parent.is_dir():
        raise StoreError(f"cannot create database {path}: directory {path.parent} does not exist")
    refused = not_a_file(path)
    if refused is not None:
        raise StoreError(refused)
    return _opened(path, _checked_and_migrated)


def open_writer(path: Path) -> sqlite3.Connection:
    """A second read-write connection to a database ``connect`` already opened (checked
    and migrated), configured like it: for commits made on another thread."""
    return _opened(path, None)


def _checked_and_migrated(conn: sqlite3.Connection, path: Path) -> None:
    _check_identity(conn, path)
    _migrate(conn, path)


def _opened(
    path: Path, prepare: Callable[[sqlite3.Connection, Path], None] | None
) -> sqlite3.Connection:
    """A configured read-write connection, ``prepare``d; closed again on any refusal."""
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StoreError(describe(path, error)) from None
    try:
        _configure(conn)
        if prepare is not None:
            prepare(conn, path)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise StoreError(_describe_sqlite_error(path, error)) from None
    except StoreError:
        conn.close()
        raise
    return conn


READABLE_SCHEMA = 4
"""The oldest schema ``open_for_reading`` serves as it is: later migrations add only tables
its readers (history, the TUI) never query."""


def open_for_reading(path: Path) -> sqlite3.Connection:
    """Open ``path`` read-only: nothing is written (no migration, no journal change), so a
    database on a read-only file system, or one a run is writing, still reads. Only a
    schema older than ``READABLE_SCHEMA`` is migrated first, since readers query its
    newer columns."""
    conn = _read_only(path)
    if conn.execute("PRAGMA user_version").fetchone()[0] >= READABLE_SCHEMA:
        return conn
    conn.close()
    connect(path, create=False).close()
    return _read_only(path)


def _read_only(path: Path) -> sqlite3.Connection:
    if not path.exists():
        raise StoreError(f"database {path} was not found; pass --db or run a workflow first")
    refused = not_a_file(path)
    if refused is not None:
        raise StoreError(refused)
    had_wal = path.with_name(path.name + "-wal").exists()  # before SQLite makes an empty one
    try:
        return _checked_reader(path, "mode=ro", had_wal)
    except sqlite3.OperationalError:
        # No -shm can be made beside it (a read-only file system): then nobody writes it.
        try:
            return _checked_reader(path, "mode=ro&immutable=1", had_wal)
        except sqlite3.DatabaseError as error:
            raise StoreError(_describe_sqlite_error(path, error)) from None
    except sqlite3.DatabaseError as error:
        raise StoreError(_describe_sqlite_error(path, error)) from None


def _checked_reader(path: Path, mode: str, had_wal: bool) -> sqlite3.Connection:
    uri = f"{path.resolve().as_uri()}?{mode}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _check_identity(conn, path)
        tables = conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'")
        if tables.fetchone()[0] == 0:
            raise StoreError(_incomplete(path, had_wal))
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(_too_new(path, version))
    except BaseException:
        conn.close()
        raise
    return conn


def _incomplete(path: Path, had_wal: bool) -> str:
    wal = path.with_name(path.name + "-wal")
    missing = "" if had_wal else f", and {wal.name} is missing"
    return (
        f"database {path} looks incomplete: it holds no smol-wf tables{missing}; SQLite keeps "
        f"recent writes in {wal.name} until it copies them in, so copy or move a database "
        f"together with its {wal.name} and {path.name}-shm files"
    )


def _too_new(path: Path, version: int) -> str:
    return (
        f"database {path} has schema v{version}, newer than this smol-wf (v{SCHEMA_VERSION}); "
        "upgrade smol-wf"
    )


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA wal_autocheckpoint = {WAL_AUTOCHECKPOINT_PAGES}")


def _check_identity(conn: sqlite3.Connection, path: Path) -> None:
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    if app_id == APPLICATION_ID or (app_id == 0 and not tables):
        return
    if any(name.startswith("sw_") for name in tables):
        owner = "the smol-workflows reference runtime's database"
    else:
        owner = "not a smol-wf database"
    raise StoreError(f"database {path} is {owner}; pass --db with a smol-wf database or a new file")


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(_too_new(path, version))
    if version == SCHEMA_VERSION:
        return
    # A migration may rebuild a table others refer to: with foreign keys on, dropping the
    # old table would cascade-delete their rows. The switch only works outside a
    # transaction; the keys are checked before the commit instead.
    conn.execute("PRAGMA foreign_keys = OFF")
    conn.execute("BEGIN IMMEDIATE")
    try:
        # Re-read inside the write lock: another process may have migrated meanwhile.
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, name in MIGRATIONS:
            if number > version:
                _apply(conn, number, name)
        broken = conn.execute("PRAGMA foreign_key_check").fetchone()
        if broken is not None:
            raise StoreError(f"database {path} has rows that refer to missing {broken[2]} rows")
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):  # no transaction left to roll back
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _apply(conn: sqlite3.Connection, number: int, name: str) -> None:
    sql = (MIGRATIONS_DIR / name).read_text(encoding="utf-8")
    for statement in _statements(sql):
        conn.execute(statement)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations"
        " (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)"
    )
    conn.execute(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
        (number, name, int(time.time() * 1000)),
    )
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {number}")


def _statements(sql: str) -> list[str]:
    """Split a migration on semicolons that end a statement (our files have no triggers)."""
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def _describe_sqlite_error(path: Path, error: sqlite3.DatabaseError) -> str:
    text = str(error)
    if "not a database" in text or "malformed" in text:
        return f"database {path} is not a SQLite database or is corrupt ({text})"
    if "locked" in text or "busy" in text:
        return f"database {path} is locked by another process ({text}); try again"
    return describe(path, error)


class Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolling back on any error and naming the database."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path

    def __enter__(self) -> None:
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as error:
            raise StoreError(
                f"database {self.path} is locked by another process ({error}); try again"
            ) from None

    def __exit__(self, kind: object, value: object, traceback: object) -> None:
        if kind is None:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.Error as error:
                self._rollback()
                raise WriteFailed(self.path, error) from None
        self._rollback()
        if isinstance(value, sqlite3.Error):
            raise WriteFailed(self.path, value) from None

    def _rollback(self) -> None:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
            self.conn.execute("ROLLBACK")

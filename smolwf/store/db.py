"""Opening the SQLite store safely: our own schema, versioned migrations, clear refusals.

A database that another tool wrote (the reference runtime's has another schema), a
newer smol-wf wrote, or that is not SQLite at all is refused with a one-line error
before anything is written to it.
"""

from __future__ import annotations

import sqlite3
import time
from importlib import resources
from pathlib import Path

from smolwf.errors import StoreError

APPLICATION_ID = 0x736D7766
"""``PRAGMA application_id`` of every smol-wf database ("smwf")."""

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (1, "0001_initial.sql"),
    (2, "0002_cost_estimated.sql"),
    (3, "0003_reuse.sql"),
    (4, "0004_human.sql"),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]
BUSY_TIMEOUT_MS = 5000


def connect(path: Path, *, create: bool) -> sqlite3.Connection:
    """Open ``path`` (creating it only when ``create``), check it is ours, migrate it."""
    if not create and not path.exists():
        raise StoreError(f"database {path} was not found; pass --db or run a workflow first")
    if create and not path.parent.is_dir():
        raise StoreError(f"cannot create database {path}: directory {path.parent} does not exist")
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as error:
        raise StoreError(f"cannot open database {path}: {error}") from None
    try:
        _configure(conn)
        _check_identity(conn, path)
        _migrate(conn, path)
    except sqlite3.DatabaseError as error:
        conn.close()
        raise StoreError(_describe_sqlite_error(path, error)) from None
    except StoreError:
        conn.close()
        raise
    return conn


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")


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
        raise StoreError(
            f"database {path} has schema v{version}, newer than this smol-wf (v{SCHEMA_VERSION}); "
            "upgrade smol-wf"
        )
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
        conn.execute("ROLLBACK")
        raise
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _apply(conn: sqlite3.Connection, number: int, name: str) -> None:
    sql = resources.files("smolwf.store").joinpath("migrations", name).read_text(encoding="utf-8")
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
    return f"database {path} cannot be used: {text}"


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
                self.conn.execute("ROLLBACK")
                raise StoreError(f"database {self.path} write failed: {error}") from None
        self.conn.execute("ROLLBACK")

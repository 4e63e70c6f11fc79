"""SQLite failures in the user's words: what went wrong with the database file, and what
to do about it (the raw SQLite text stays in parentheses)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from smolwf.errors import StoreError

_WORDS: tuple[tuple[str, str], ...] = (
    ("SQLITE_FULL", "is out of space (the disk, or the file size limit, is full)"),
    ("SQLITE_READONLY", "is read-only (a read-only file or file system)"),
    ("SQLITE_CANTOPEN", "cannot be opened (its directory must be writable for SQLite)"),
    ("SQLITE_IOERR_READ", "could not be read (a disk I/O error)"),
    ("SQLITE_IOERR", "could not be written (a disk I/O error: a full disk or a file size limit)"),
    ("SQLITE_CORRUPT", "is corrupt"),
    ("SQLITE_NOTADB", "is not a SQLite database"),
    ("SQLITE_BUSY", "is locked by another process"),
    ("SQLITE_LOCKED", "is locked by another process"),
)


def describe(path: Path, error: sqlite3.Error) -> str:
    """``database PATH <what is wrong> (<SQLite's words>)``."""
    name = getattr(error, "sqlite_errorname", "") or ""
    for prefix, words in _WORDS:
        if name.startswith(prefix):
            return f"database {path} {words} ({error})"
    return f"database {path} cannot be used ({error})"


def lost_nothing(error: sqlite3.Error) -> bool:
    """Whether the failed write was only refused (no space, an I/O error on write): the
    transaction rolled back and everything committed before stands."""
    name = getattr(error, "sqlite_errorname", "") or ""
    return name.startswith(("SQLITE_FULL", "SQLITE_IOERR")) and name != "SQLITE_IOERR_READ"


def not_a_file(path: Path) -> str | None:
    """Why ``path`` cannot hold a database when it exists but is no regular file."""
    if path.exists() and not path.is_file():
        kind = "a directory" if path.is_dir() else "not a regular file"
        return f"database {path} is {kind}; pass --db with the path of a database file"
    return None


class WriteFailed(StoreError):
    """A write to the store failed; ``refused`` when it was only refused (no space, a
    write error): what was committed before stands."""

    def __init__(self, path: Path, error: sqlite3.Error) -> None:
        super().__init__(describe(path, error))
        self.refused = lost_nothing(error)

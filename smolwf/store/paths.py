"""Where the default database lives: our own directory, never the reference runtime's."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

from smolwf.errors import StoreError, UsageError

APP_DIR = "smolwf"
DB_NAME = "workflows.db"


def resume_command(run_id: str, db: Path | None) -> str:
    """The command that resumes ``run_id`` (of database ``db``, when not the default),
    quoted for a POSIX shell: every message that tells how to go on gives this one."""
    command = f"smol-wf run --resume-run {shlex.quote(run_id)}"
    return command if db is None else f"{command} --db {shlex.quote(str(db))}"


def default_db_path(env: dict[str, str] | None = None) -> Path:
    """Platform rules of the reference (XDG state on Linux), in a ``smolwf`` directory."""
    env = dict(os.environ) if env is None else env
    if sys.platform == "darwin":
        return _home(env) / "Library" / "Application Support" / APP_DIR / DB_NAME
    if sys.platform == "win32":
        base = env.get("APPDATA") or str(_home(env) / "AppData" / "Roaming")
        return Path(base) / APP_DIR / DB_NAME
    state = env.get("XDG_STATE_HOME", "")
    base = Path(state) if state else _home(env) / ".local" / "state"
    return base / APP_DIR / DB_NAME


def _home(env: dict[str, str]) -> Path:
    home = env.get("HOME") or env.get("USERPROFILE")
    if not home:
        raise UsageError("cannot find a default database path: HOME is not set; pass --db PATH")
    return Path(home)


def ensure_directory(directory: Path) -> None:
    """Create the default database's directory, or say in one line why it cannot be."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        reason = error.strerror or str(error)
        raise StoreError(
            f"failed to create default database directory {directory}: {reason}; "
            "point XDG_STATE_HOME at a writable directory, or pass --db PATH"
        ) from None

"""Copying a run's WAL back into its database on a thread of its own, while the run goes on.

SQLite copies the WAL into the database (a checkpoint) on the connection that commits,
once the WAL passes ``wal_autocheckpoint`` pages, and again when the last connection
closes: both stall the run, the last one for most of the WAL a long run wrote. A passive
checkpoint neither holds the GIL nor blocks the writer, so once a run's WAL has grown, a
second connection checkpoints on a thread after each commit, and what is left for the
run's own connection to copy when it closes is the last turns' pages.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from pathlib import Path

START_BYTES = 4 * 1024 * 1024
"""WAL size from which the thread is started (SQLite's default autocheckpoint size):
a short run never pays for the thread and its connection."""


class Checkpointer:
    """Started on demand by ``nudge``; ``close`` waits for the checkpoint under way."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._wal = path.with_name(path.name + "-wal")
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def nudge(self) -> None:
        """After a commit: checkpoint what it wrote, if the WAL is big enough to matter."""
        if self._thread is None:
            try:
                if self._wal.stat().st_size < START_BYTES:
                    return
            except OSError:
                return
            self._thread = threading.Thread(target=self._run, name="smolwf-checkpoint")
            self._thread.daemon = True
            self._thread.start()
        self._wake.set()

    def close(self) -> None:
        if self._thread is not None:
            self._stopping = True
            self._wake.set()
            self._thread.join()
            self._thread = None

    def _run(self) -> None:
        try:
            conn = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        except sqlite3.Error:
            return  # the run's connection checkpoints, as without this thread
        with contextlib.closing(conn):
            while True:
                self._wake.wait()
                self._wake.clear()
                if self._stopping:
                    return
                with contextlib.suppress(sqlite3.Error):  # busy: the next commit retries
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

"""Committing a turn's writes on a thread of its own, while the loop goes on.

SQLite does its work without the GIL, so a commit on another thread overlaps the loop's
Python: while one turn's rows go in, the next turn's calls are applied. Nothing it wrote
is handed to JS or the sinks before it is durable: the loop releases a turn's answers
and events only once ``wait`` says its commit is done (``engine/commits.py``).

The thread has its own connection, so SQLite orders its commits with the run's other
writes (heartbeats, requests to a person), which stay on the store's connection.
"""

from __future__ import annotations

import contextlib
import sqlite3
import sys
import threading
from collections.abc import Callable
from pathlib import Path

from smolwf.errors import StoreError
from smolwf.store.batch import WriteBatch
from smolwf.store.db import Transaction, open_writer

SWITCH_INTERVAL_S = 0.0002
"""How long a thread may hold the GIL while another waits for it, while a commit runs on
the writer's thread (Python's default is 5 ms). The loop's thread holds the GIL nearly
all the time and the writer needs it back after each statement: at 5 ms a commit took
twice its time and the loop waited for it. Only while one runs: two busy threads that
do not need each other (a resume loading checkpoints while JS starts) lose to the
switching. ``bench/commit_thread.py``: 10,000 calls at 16 in flight, committed on the
writer's thread, 62.5 µs per call at 5 ms, 53.0 at 0.2 ms."""


class _SwitchInterval:
    """Lowers the process's GIL switch interval while any writer's commit runs; the last
    one to end puts back what the process had (runs may share a process)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._lowered = 0
        self._saved = 0.0

    def lower(self) -> None:
        with self._lock:
            if self._lowered == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, SWITCH_INTERVAL_S))
            self._lowered += 1

    def restore(self) -> None:
        with self._lock:
            self._lowered -= 1
            if self._lowered == 0:
                sys.setswitchinterval(self._saved)


_switching = _SwitchInterval()


class BackgroundWriter:
    """One commit at a time; started on demand by the first ``start``."""

    def __init__(self, path: Path, after_commit: Callable[[], None]) -> None:
        self._path = path
        self._after_commit = after_commit
        self._job: WriteBatch | None = None
        self._error: BaseException | None = None
        self._wake = threading.Condition()
        self._done = threading.Event()
        self._done.set()
        self._waited = True
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._unavailable = False

    @property
    def busy(self) -> bool:
        """A commit was started and ``wait`` has not returned for it yet."""
        return not self._waited

    @property
    def finished(self) -> bool:
        """The commit under way ended (``wait`` returns at once)."""
        return self._done.is_set()

    def ready(self) -> bool:
        """Open the thread's connection and start it, once; False when it cannot be (the
        store's connection then commits everything, as it would without this writer)."""
        if self._thread is None and not self._unavailable:
            try:
                self._conn = open_writer(self._path)
                self._thread = threading.Thread(target=self._run, name="smolwf-writer", daemon=True)
                self._thread.start()
            except (StoreError, RuntimeError):
                self._unavailable = True
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                self._thread = None
        return self._thread is not None

    def start(self, batch: WriteBatch) -> None:
        """Commit ``batch`` (every row it holds) on the thread; ``ready`` said it can, and
        the last commit was waited for."""
        assert self._thread is not None, "ready() first"
        assert self._done.is_set() and self._error is None, "wait() for the last commit first"
        self._done.clear()
        self._waited = False
        _switching.lower()
        with self._wake:
            self._job = batch
            self._wake.notify()

    def wait(self) -> None:
        """Block until the commit under way is durable; raise what it failed with."""
        self._done.wait()
        if not self._waited:
            self._waited = True
            _switching.restore()
        error, self._error = self._error, None
        if error is not None:
            raise error

    def close(self) -> None:
        """Finish the commit under way (its failure no longer matters) and stop."""
        if self._thread is None:
            return
        self._done.wait()
        if not self._waited:
            self._waited = True
            _switching.restore()
        with self._wake:
            self._stopping = True
            self._wake.notify()
        self._thread.join()
        self._thread = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        conn = self._conn
        assert conn is not None
        while True:
            with self._wake:
                while self._job is None and not self._stopping:
                    self._wake.wait()
                if self._stopping:
                    return
                batch, self._job = self._job, None
            assert batch is not None
            try:
                with Transaction(conn, self._path):
                    batch.apply(conn, flush_running=True)
            except BaseException as error:  # handed to the loop by wait()
                self._error = error
            else:
                with contextlib.suppress(Exception):  # durable already; the copy can wait
                    self._after_commit()
            finally:
                self._done.set()

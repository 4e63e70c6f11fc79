"""Serving the view: a socket on 127.0.0.1 only, a fresh token, the URL printed."""

from __future__ import annotations

import secrets
import socket
import sys
import webbrowser
from pathlib import Path

import uvicorn

from smolwf.errors import StoreError, UsageError
from smolwf.store.db import connect
from smolwf.store.history import History
from smolwf.view.app import create_app

HOST = "127.0.0.1"
"""Never another interface: the view shows prompts, outputs and transcripts."""


def serve(db: Path, port: int, run_id: str | None, open_browser: bool) -> None:
    """Serve until Ctrl-C; the printed URL (with its token) opens the run list or the run."""
    _check(db, run_id)
    sock = _bind(port)
    port = sock.getsockname()[1]
    token = secrets.token_urlsafe(24)
    path = f"/runs/{run_id}" if run_id else "/"
    url = f"http://{HOST}:{port}{path}?token={token}"
    print(f"smol-wf view: {url}", flush=True)
    print(f"serving {db} on {HOST}:{port}; Ctrl-C to stop", file=sys.stderr, flush=True)
    if open_browser:
        webbrowser.open(url)
    config = uvicorn.Config(
        create_app(db, token, port),
        log_level="warning",
        access_log=False,
        lifespan="off",
        timeout_graceful_shutdown=1,
    )
    uvicorn.Server(config).run(sockets=[sock])


def _check(db: Path, run_id: str | None) -> None:
    try:
        conn = connect(db, create=False)
    except StoreError:
        if not db.exists():
            message = f"database {db} was not found; pass --db or run a workflow first"
            raise StoreError(message) from None
        raise
    try:
        if run_id is not None and not History(conn, db).run_exists(run_id):
            raise StoreError(f"workflow run {run_id} was not found in {db}; check --db")
    finally:
        conn.close()


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise UsageError(
            f"cannot listen on {HOST}:{port} ({error.strerror}); pass --port with another "
            "port, or --port 0 for any free one"
        ) from None
    sock.listen(128)
    return sock

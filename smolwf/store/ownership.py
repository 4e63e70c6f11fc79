"""Who is executing a run: a live owner blocks a second executor; a dead one is replaced at once.

The owner is a (pid, host) pair with a heartbeat. On the same host a vanished pid
means the owner died (no waiting for a lease); elsewhere a heartbeat older than
``STALE_AFTER_MS`` does.
"""

from __future__ import annotations

import os
import socket

HEARTBEAT_INTERVAL_S = 5.0
STALE_AFTER_MS = 30_000


def this_host() -> str:
    return socket.gethostname()


def pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_alive(pid: int | None, host: str | None, heartbeat_at: int | None, now: int) -> bool:
    """Whether the recorded owner may still be executing the run."""
    if pid is None or heartbeat_at is None:
        return False
    if now - heartbeat_at > STALE_AFTER_MS:
        return False
    if host == this_host():
        return pid != os.getpid() and pid_exists(pid)
    return True

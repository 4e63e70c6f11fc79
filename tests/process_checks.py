"""Checks on processes a test started: did a killed one really go away?"""

from __future__ import annotations

import os
import select


def exits_promptly(pid: int, within_s: float = 5.0) -> bool:
    """Whether ``pid`` has exited, or does so within ``within_s`` of being killed (SIGKILL
    is delivered asynchronously): waits on a pidfd, which turns readable at exit."""
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    try:
        readable, _, _ = select.select([fd], [], [], within_s)
    finally:
        os.close(fd)
    return bool(readable)

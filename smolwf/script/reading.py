"""Reading a workflow script's bytes, whatever its path names: only a regular file, and
only up to ``SCRIPT_MAX_BYTES``.

A path comes from a user or from a running script (``workflow({scriptPath})``), so it may
name ``/dev/zero`` (endless), a FIFO (an open that never returns) or a huge file. The file
is opened without blocking and checked before a byte is read.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from smolwf.defaults import SCRIPT_MAX_BYTES

_MIB = 1024 * 1024


class Unreadable(Exception):
    """Why a script cannot be read, in a few words (``no such file``, ``is a FIFO`` …)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def size_limit_text() -> str:
    return f"{SCRIPT_MAX_BYTES / _MIB:g} MiB"


def read_script_bytes(path: Path) -> bytes:
    """The bytes of the regular file at ``path``, or ``Unreadable`` saying why not."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except ValueError:
        raise Unreadable("its path contains a NUL byte") from None
    except FileNotFoundError:
        raise Unreadable("no such file") from None
    except IsADirectoryError:
        raise Unreadable("is a directory") from None
    except PermissionError:
        raise Unreadable("permission denied") from None
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from None
    with contextlib.closing(_File(fd)) as file:
        return file.read()


class _File:
    """An open descriptor, checked to be a regular file of allowed size before reading."""

    def __init__(self, fd: int) -> None:
        self.fd = fd

    def read(self) -> bytes:
        mode = os.fstat(self.fd).st_mode
        if stat.S_ISDIR(mode):
            raise Unreadable("is a directory")
        if not stat.S_ISREG(mode):
            raise Unreadable(f"is not a regular file ({_kind(mode)})")
        os.set_blocking(self.fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= SCRIPT_MAX_BYTES:
            chunk = os.read(self.fd, SCRIPT_MAX_BYTES + 1 - size)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
            size += len(chunk)
        raise Unreadable(f"is larger than {size_limit_text()}")

    def close(self) -> None:
        os.close(self.fd)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"

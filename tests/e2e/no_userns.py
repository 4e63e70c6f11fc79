"""Run a command where no new user namespace can be created, as in a container whose
seccomp profile forbids them (Docker's default): ``unshare``/``clone`` with
``CLONE_NEWUSER`` fail with EPERM and ``clone3`` with ENOSYS (so libc falls back to
``clone``). codex's Linux sandbox (bubblewrap) cannot start there.

``python no_userns.py COMMAND [ARGS...]`` installs the filter on itself, which every
descendant inherits, then execs ``COMMAND``. Linux on x86_64 only (``supported()``).
"""

from __future__ import annotations

import ctypes
import os
import platform
import struct
import sys

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2
AUDIT_ARCH_X86_64 = 0xC000003E
NR_CLONE, NR_UNSHARE, NR_CLONE3 = 56, 272, 435
CLONE_NEWUSER = 0x10000000
RET_ALLOW, RET_ERRNO = 0x7FFF0000, 0x00050000
EPERM, ENOSYS = 1, 38
LD_W_ABS, JEQ_K, JSET_K, RET_K = 0x20, 0x15, 0x45, 0x06
"""Classic BPF: load a word of ``seccomp_data``, jump if equal / if bits set, return."""


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def supported() -> bool:
    return sys.platform == "linux" and platform.machine() == "x86_64"


def _op(code: int, jump_true: int, jump_false: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jump_true, jump_false, k)


FILTER = [
    _op(LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
    _op(JEQ_K, 1, 0, AUDIT_ARCH_X86_64),
    _op(RET_K, 0, 0, RET_ALLOW),
    _op(LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    _op(JEQ_K, 0, 1, NR_CLONE3),
    _op(RET_K, 0, 0, RET_ERRNO | ENOSYS),
    _op(JEQ_K, 1, 0, NR_CLONE),
    _op(JEQ_K, 0, 3, NR_UNSHARE),
    _op(LD_W_ABS, 0, 0, 16),  # low word of args[0]: the clone/unshare flags
    _op(JSET_K, 0, 1, CLONE_NEWUSER),
    _op(RET_K, 0, 0, RET_ERRNO | EPERM),
    _op(RET_K, 0, 0, RET_ALLOW),
]


def forbid_user_namespaces() -> None:
    program = ctypes.create_string_buffer(b"".join(FILTER))
    fprog = _SockFprog(len(FILTER), ctypes.addressof(program))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


if __name__ == "__main__":
    if not supported():
        sys.exit("no_userns.py: Linux on x86_64 only")
    forbid_user_namespaces()
    os.execvp(sys.argv[1], sys.argv[1:])

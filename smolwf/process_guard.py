"""The guard between smol-wf and each process it starts: the process tree never outlives
smol-wf, not even after a ``kill -9``.

smol-wf runs ``python -I -S process_guard.py LIFELINE_FD REPORT_FD POLITE_S -- ARGV...``
as the leader of a new process group; the guard starts ARGV in that group, writes ``0``
(or the errno of a failed ``exec``) to REPORT_FD, and waits. It is a child
subreaper, so every descendant (a ``setsid()`` grandchild too) stays in its tree. It stops
that whole tree when ARGV exits (what ARGV left behind), when it gets SIGTERM (smol-wf
stopping the group), and when the lifeline pipe closes: smol-wf holds the only write
end, so that happens when smol-wf dies, however it dies. Then ARGV first gets POLITE_S
seconds to exit on its own (a server that cleans up when its stdin closes). ARGV itself
also gets SIGKILL should the guard die (``PR_SET_PDEATHSIG``; the guard has one thread,
so the signal's thread-exit pitfall does not apply). The guard exits with ARGV's status.

Only the standard library: it starts with ``-S`` in a few milliseconds.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time
from pathlib import Path

PR_SET_PDEATHSIG = 1
PR_SET_CHILD_SUBREAPER = 36
STOP_GRACE_S = 5.0
"""How long the command has to exit after SIGTERM reached the tree (a server cleaning up)
before what is left gets SIGKILL. Once the command has exited, its leftovers get SIGKILL
at once."""
MARKER = Path(__file__).name
"""In the guard's command line: how a later smol-wf recognises a leftover guard."""
_STOPS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def descendants(root: int) -> list[int]:
    """Every live (not zombie) process below ``root``, found through /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z":
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found: list[int] = []
    below = list(children.get(root, []))
    while below:
        pid = below.pop()
        found.append(pid)
        below.extend(children.get(pid, []))
    return found


class Guard:
    """One guarded command: its pid, its status once known, and the guard's signals."""

    def __init__(self, lifeline: int, polite_s: float) -> None:
        self.lifeline = lifeline
        self.polite_s = polite_s
        self.orphaned = False
        self.child = 0
        self.status: int | None = None
        self.stop_asked = False
        import ctypes  # only the guard process calls prctl; the processes it serves never do

        self.libc = ctypes.CDLL(None, use_errno=True)
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(wake_write, False)
        os.set_blocking(self.wake_read, False)
        signal.set_wakeup_fd(wake_write)
        for sig in (*_STOPS, signal.SIGCHLD):
            signal.signal(sig, lambda number, frame: None)

    def start(self, argv: list[str], report: int) -> None:
        self.libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
        guard = os.getpid()
        exec_read, exec_write = os.pipe()  # close-on-exec: EOF once the exec succeeded
        self.child = os.fork()
        if self.child == 0:
            os.close(exec_read)
            self._exec(guard, argv, exec_write)
        os.close(exec_write)
        failure = os.read(exec_read, 32)
        os.close(exec_read)
        os.write(report, failure or b"0")
        os.close(report)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # the pipes must end when the command's side closes them
            os.dup2(devnull, fd)

    def _exec(self, guard: int, argv: list[str], failed: int) -> None:
        try:
            self.libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != guard:
                os._exit(137)
            for sig in (*_STOPS, signal.SIGCHLD):
                signal.signal(sig, signal.SIG_DFL)
            os.execvp(argv[0], argv)
        except OSError as error:
            os.write(failed, str(error.errno or 5).encode())
        os._exit(127)

    def wait(self) -> None:
        """Until the command exits, smol-wf dies or a stop is asked for."""
        poller = select.poll()
        poller.register(self.lifeline, select.POLLIN | select.POLLHUP)
        poller.register(self.wake_read, select.POLLIN)
        while self.status is None and not self.stop_asked:
            for fd, _ in poller.poll():
                if fd == self.lifeline:
                    self.stop_asked = self.orphaned = True
                else:
                    signals = os.read(self.wake_read, 512)
                    self.stop_asked |= any(number in _STOPS for number in signals)
            self.reap()

    def reap(self) -> None:
        """Collect every exited child (orphans come to a subreaper), noting the command's."""
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.child:
                self.status = status

    def stop_tree(self) -> None:
        """When asked to stop: SIGTERM to everything below the guard and a grace for the
        command to exit. Then SIGKILL to whatever is left, until nothing is."""
        if self.orphaned:
            self._wait_exit(self.polite_s)
        if self.stop_asked:
            self._signal_all(signal.SIGTERM)
            self._wait_exit(STOP_GRACE_S)
        while self._signal_all(signal.SIGKILL):
            self.reap()
        self.reap()

    def _wait_exit(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        self.reap()
        while self.status is None and time.monotonic() < deadline:
            select.select([self.wake_read], [], [], deadline - time.monotonic())
            with contextlib.suppress(BlockingIOError):
                os.read(self.wake_read, 512)
            self.reap()

    def _signal_all(self, sig: signal.Signals) -> bool:
        found = descendants(os.getpid())
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
        return bool(found)

    def exit(self) -> None:
        """Exit as the command did: its code, or the signal that ended it."""
        status = self.status if self.status is not None else 9  # killed before it ended
        if os.WIFEXITED(status):
            os._exit(os.WEXITSTATUS(status))
        number = os.WTERMSIG(status)
        signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
        os._exit(128 + number)


def main(args: list[str]) -> None:
    lifeline, report, polite_s, argv = int(args[0]), int(args[1]), float(args[2]), args[4:]
    guard = Guard(lifeline, polite_s)
    guard.start(argv, report)
    guard.wait()
    guard.stop_tree()
    guard.exit()


if __name__ == "__main__":
    main(sys.argv[1:])

"""A redrawn area at the bottom of a terminal, with lines printed above it.

Rich's ``Live`` moves the cursor up by the number of lines it drew last. When the
terminal gets narrower, it re-wraps those lines into more rows (tmux, VTE, kitty,
iTerm2 and Windows Terminal all do), so that count falls short and the old frame's top
stays on screen as stale fragments. This area remembers the width of each line it
drew and, before drawing again, moves up by the rows those lines take at the
terminal's current width. (A terminal that truncates instead of re-wrapping, like
xterm, loses a few lines above the area from the screen on such a resize.)
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterable
from typing import IO, TextIO, cast

from rich.console import Console, ConsoleOptions, RenderableType, RenderHook, RenderResult
from rich.control import Control
from rich.segment import ControlType, Segment
from rich.text import Text


class LiveArea(RenderHook):
    """Draws ``frame()`` below everything the console prints while started.

    Printing through the area (``print_above``, or anything written to ``sys.stderr``
    when the console is stderr) erases the area, prints, and draws the frame again, in
    one write. One print at a time: the erase is worked out from the frame the last
    print drew. On a console that is not an interactive terminal the area is never drawn
    and printed lines pass through unchanged.
    """

    def __init__(self, console: Console, frame: Callable[[], RenderableType]) -> None:
        self.console = console
        self.frame = frame
        self.started = False
        self._widths: list[int] = []
        """The cell width of each line of the frame on screen (none before the first)."""
        self._stderr: IO[str] | None = None
        self._lock = threading.RLock()

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        console = self.console
        console.push_render_hook(self)
        if console.is_interactive:
            console.show_cursor(False)
            if console.file is sys.stderr:
                self._stderr = sys.stderr
                sys.stderr = cast(TextIO, _LinesAbove(self, sys.stderr))

    def refresh(self) -> None:
        """Draw the frame again (the hook puts it after the empty print)."""
        if self.started and self.console.is_interactive:
            with self._lock:
                self.console.print(Control(), crop=False)

    def print_above(self, renderable: RenderableType) -> None:
        """Print lines above the area; long lines are left to the terminal to wrap."""
        with self._lock:
            self.console.print(renderable, crop=False, end="")

    def stop(self) -> None:
        """Erase the area and give the terminal back as it was."""
        with self._lock:
            if not self.started:
                return
            self.started = False
            console = self.console
            if self._stderr is not None:
                sys.stderr, self._stderr = self._stderr, None
            console.pop_render_hook()
            if console.is_interactive:
                console.control(self._erase())
                console.show_cursor(True)
            self._widths = []

    def process_renderables(self, renderables: list[RenderableType]) -> list[RenderableType]:  # type: ignore[override]
        if not self.started or not self.console.is_interactive:
            return renderables
        return [self._erase(), *renderables, _Frame(self)]

    def drew(self, lines: list[list[Segment]]) -> None:
        """Remember the frame just drawn, for the next erase."""
        self._widths = [Segment.get_line_length(line) for line in lines]

    def rows_on_screen(self, width: int) -> int:
        """The rows the last frame takes once a terminal ``width`` wide re-wraps it."""
        return sum(max(1, -(-line // width)) for line in self._widths)

    def _erase(self) -> Control:
        """Move to the first row of the frame on screen, erasing every row on the way."""
        rows = self.rows_on_screen(max(1, self.console.width))
        if rows == 0:
            return Control()
        codes = [(ControlType.CARRIAGE_RETURN,), (ControlType.ERASE_IN_LINE, 2)]
        codes += [(ControlType.CURSOR_UP, 1), (ControlType.ERASE_IN_LINE, 2)] * (rows - 1)
        return Control(*codes)  # type: ignore[arg-type]


class _LinesAbove(io.TextIOBase):
    """``sys.stderr`` while the area is drawn: each whole line written (a ``[debug]``
    line, the cancellation notice) is printed above the area, its colours kept."""

    def __init__(self, area: LiveArea, file: IO[str]) -> None:
        self.area = area
        self.rich_proxied_file = file
        """Where rich's console writes, unwrapped (rich looks for this name)."""
        self._partial = ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        if lines:
            self.area.print_above(Text("\n").join(Text.from_ansi(line) for line in [*lines, ""]))
        return len(text)

    def flush(self) -> None:
        if self._partial:
            self.area.print_above(Text.from_ansi(self._partial + "\n"))
            self._partial = ""

    def fileno(self) -> int:
        return self.rich_proxied_file.fileno()

    def isatty(self) -> bool:
        return self.rich_proxied_file.isatty()


class _Frame:
    """The area's frame, cut to the terminal's height; it records what it drew."""

    def __init__(self, area: LiveArea) -> None:
        self.area = area

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.area.frame(), options, pad=False)
        limit = max(1, options.size.height - 1)
        if len(lines) > limit:
            lines = [*lines[: limit - 1], [Segment("…", console.get_style("dim"))]]
        self.area.drew(lines)
        yield from _joined(lines)


def _joined(lines: list[list[Segment]]) -> Iterable[Segment]:
    """The lines with a newline between them, none after the last (the cursor stays on it)."""
    new_line = Segment.line()
    for number, line in enumerate(lines):
        if number:
            yield new_line
        yield from line

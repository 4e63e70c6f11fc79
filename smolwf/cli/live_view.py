"""Live progress of ``smol-wf run`` on an interactive terminal.

A live area on stderr shows phases as a tree with their agents, what the run waits
for, and a footer of totals (``live_frame``); ``log()`` lines, warnings and requests to
a person scroll above it. Closing replaces the area with a summary (``live_summary``).
The plain ``[phase]/[log]/[warn]/[approval]/[signal]`` lines remain the default for
pipes.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterable

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.spinner import Spinner
from rich.style import Style

from smolwf.cli.live_area import LiveArea
from smolwf.cli.live_frame import render_frame
from smolwf.cli.live_summary import render_summary
from smolwf.events.run_state import RunState
from smolwf.events.sinks import HUMAN, human_line
from smolwf.events.types import Event, EventType

REFRESH_PER_SECOND = 8.0
"""How often the screen is drawn, however many events arrive."""
TERMINAL_ERRORS = (BrokenPipeError, ValueError, OSError)
"""A terminal that went away: the view goes quiet, the run goes on."""


class LiveProgressSink:
    """An ``EventSink`` drawing the run live; call ``close()`` once the run ends, however.

    Events arrive on the engine's thread, which only folds them into the state and
    queues their lines (``MESSAGE_TYPES``). The screen is drawn at most
    ``refresh_per_second`` times a second, by a painter thread (or on ``flush`` without
    one): the queued lines, then the frame, in one write. So heavy logging costs about
    what printing the lines costs, never a redraw per line.
    """

    def __init__(
        self,
        console: Console | None = None,
        *,
        budget_total: int | None = None,
        refresh_per_second: float = REFRESH_PER_SECOND,
        auto_refresh: bool = True,
        clock: Callable[[], int] = time.monotonic_ns,
    ) -> None:
        self.state = RunState()
        self.console = console or Console(stderr=True)
        self.budget_total = budget_total
        self._clock = clock
        self._base_ns: int | None = None
        self._lock = threading.Lock()
        self._messages: list[Event] = []
        """``MESSAGE_TYPES`` events not printed yet."""
        self._spinner = Spinner("dots", style="cyan")
        self._area = LiveArea(self.console, self.renderable)
        self._interval = 1 / refresh_per_second
        self._auto_refresh = auto_refresh
        self._painter: threading.Thread | None = None
        self._stop = threading.Event()
        self._closed = False

    def emit(self, event: Event, text: str) -> None:
        if self._closed:
            return
        with self._lock:
            if self._base_ns is None:
                self._base_ns = self._clock() - (event.elapsed_ns or 0)
            self.state.apply(event)
            if event.type in MESSAGE_TYPES:
                self._messages.append(event)
        if not self._area.started:
            self._start()

    def flush(self) -> None:
        """Without the painter thread (tests, dumb terminals) each batch draws once."""
        if not self._closed and not self._auto_refresh and self._area.started:
            self.paint()

    def paint(self) -> None:
        """Print the queued lines above the area and draw the frame, in one write."""
        with self._lock:
            messages, self._messages = self._messages, []
        with contextlib.suppress(*TERMINAL_ERRORS):
            if messages:
                self._area.print_above(MessageLines(messages))
            else:
                self._area.refresh()

    def close(self) -> None:
        """Stop drawing, print what is left and the summary. Safe to call twice."""
        if self._closed:
            return
        self._closed = True
        self._stop.set()
        if self._painter is not None:
            self._painter.join()
        if self._base_ns is None:
            return
        with self._lock:
            messages, self._messages = self._messages, []
        with contextlib.suppress(*TERMINAL_ERRORS):
            self._area.stop()
            if messages:
                self.console.print(MessageLines(messages), crop=False, end="")
            with self._lock:
                summary = render_summary(self.state, self._run_time_ns())
            self.console.print(summary)

    def renderable(self) -> RenderableType:
        """The current frame: the phase tree and the footer."""
        with self._lock:
            now = self._now_ns()
            frame = self._spinner.render(self.console.get_time())
            return render_frame(self.state, now, frame, self.budget_total)

    def _start(self) -> None:
        with contextlib.suppress(*TERMINAL_ERRORS):
            self._area.start()
        if self._auto_refresh and self._painter is None:
            self._painter = threading.Thread(target=self._paint_loop, name="live-view", daemon=True)
            self._painter.start()

    def _paint_loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.paint()

    def _now_ns(self) -> int:
        return self.state.elapsed_ns if self.state.finished else self._run_time_ns()

    def _run_time_ns(self) -> int:
        """From the run's first event to now: what the user waited, screen time included."""
        if self._base_ns is None:
            return self.state.elapsed_ns
        return max(self.state.elapsed_ns, self._clock() - self._base_ns)


# ---- lines above the live area --------------------------------------------

MESSAGE_TYPES = frozenset({EventType.LOG, EventType.WARNING}) | HUMAN
_PREFIX: dict[str, tuple[str, Style, Style]] = {
    EventType.LOG: ("[log] ", Style(dim=True), Style()),
    EventType.WARNING: ("[warn] ", Style(bold=True, color="yellow"), Style(color="yellow")),
}
_HUMAN_STYLE = Style(color="magenta")


class MessageLines:
    """``[log] …``, ``[warn] …``, ``[approval] …`` and ``[signal] …`` lines as the plain
    sink prints them, styled.

    Rendered straight to segments (no markup, no wrapping: the terminal wraps), so a
    batch of many thousand lines costs little more than writing them, and the command
    that answers a request copies in one piece.
    """

    def __init__(self, events: Iterable[Event]) -> None:
        self.events = events

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        new_line = Segment.line()
        for event in self.events:
            if event.type in HUMAN:
                yield Segment(strip_control_codes(human_line(event)), _HUMAN_STYLE)
            else:
                prefix, prefix_style, style = _PREFIX[event.type]
                yield Segment(prefix, prefix_style)
                yield Segment(strip_control_codes(str(event.fields.get("message"))), style)
            yield new_line

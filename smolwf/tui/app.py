"""The watch app: one Textual app for replaying a recorded stream and watching a live run.

Both modes fill the same ``events`` list on a tick; replay from a paced player, live
from the engine's sink (the events themselves, never text to parse back). Every event is
folded into a ``RunState``, the model the live progress view reads too: the header reads
the run from it, the timeline lists the events.
"""

from __future__ import annotations

import time
from bisect import bisect_left
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Footer, OptionList, Static
from textual.widgets.option_list import Option

from smolwf.engine.answers import answer, who_answers
from smolwf.engine.config import RunConfig
from smolwf.engine.run import WorkflowRun
from smolwf.errors import SmolWfError, WorkflowCancelled
from smolwf.events.run_parts import RequestState
from smolwf.events.run_state import RunState
from smolwf.events.stream import write_events_file
from smolwf.events.types import Event, ScopeKey
from smolwf.records import record
from smolwf.store.human import Decision, Reply
from smolwf.store.paths import default_db_path
from smolwf.tui import header, summary
from smolwf.tui.keys import KeysScreen
from smolwf.tui.live import LiveFeed, save_path
from smolwf.tui.replay import ReplayPlayer
from smolwf.tui.summary import Outcome
from smolwf.tui.timeline import Row, SearchIndex, TimeFormat, build_rows, compacted, scopes, visible
from smolwf.tui.widgets import SAVE, STAY, QuitScreen, SearchBar

TICK_S = 1 / 30
SPEED = Binding.Group("speed", compact=True)
VIEW = Binding.Group("pretty/raw", compact=True)
REPLAY_ONLY = frozenset({"toggle_play", "step", "speed"})
LIVE_ONLY = frozenset({"save", "answer"})
WHILE_SEARCHING = frozenset({"cycle_tab", "interrupt"})
"""App actions the search prompt leaves alone; it types every other key."""
CHECK_WARNINGS_S = 12.0
"""How long the toast with ``smol-wf check``'s warnings stays."""


@record
class ReplaySource:
    """A recorded stream; ``label`` names it in the header (a path or a run id)."""

    events: list[Event]
    max_delay: float
    label: str


@record
class LiveSource:
    """A run to execute in-process; saves go to ``save_dir`` (the cwd by default).

    ``check_lines`` are what ``smol-wf check`` said about the script; ``refused`` is
    why the run does not start (the check found errors): the app then shows the lines.
    """

    config: RunConfig
    save_dir: Path
    check_lines: tuple[str, ...] = ()
    refused: SmolWfError | None = None


class WatchApp(App[int]):
    """Header, timeline and details; see ``BINDINGS`` for the keys."""

    TITLE = "smol-wf"
    CSS_PATH = "app.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q,escape", "request_quit", "quit"),
        Binding("ctrl+c", "interrupt", "cancel/quit", priority=True, show=False),
        Binding("space", "toggle_play", "play/pause"),
        Binding("n", "step", "step"),
        Binding("plus,equals_sign,right_square_bracket", "speed(1)", "faster", group=SPEED),
        Binding("minus,left_square_bracket", "speed(-1)", "slower", group=SPEED),
        Binding("j", "move(1)", show=False),
        Binding("k", "move(-1)", show=False),
        Binding("tab", "cycle_tab(1)", "scope", priority=True),
        Binding("shift+tab", "cycle_tab(-1)", show=False, priority=True),
        Binding("1", "focus_pane('timeline')", show=False),
        Binding("2", "focus_pane('detail-scroll')", show=False),
        Binding("p", "view('pretty')", "pretty", group=VIEW),
        Binding("r", "view('raw')", "raw", group=VIEW),
        Binding("t", "toggle_time", "time"),
        Binding("m", "toggle_meta", "metadata"),
        Binding("y", "copy", "copy"),
        Binding("slash", "search", "search"),
        Binding("s", "save", "save"),
        Binding("a", "answer(True)", "approve"),
        Binding("d", "answer(False)", "deny"),
        Binding("question_mark", "keys", "keys"),
    ]

    def __init__(
        self,
        source: ReplaySource | LiveSource,
        *,
        clock: Callable[[], float] = time.monotonic,
        tick_s: float = TICK_S,
    ) -> None:
        super().__init__()
        self.clock = clock
        self.tick_s = tick_s
        self.events: list[Event] = []
        self.state = RunState()
        self.rows: list[Row] = []
        self.tabs: list[ScopeKey] = [None]
        self.tab = 0
        self.selected: dict[ScopeKey, tuple[int, bool]] = {}
        self.follow = True
        self.view = "pretty"
        self.show_meta = True
        self.time_format = TimeFormat()
        self.search_query = ""
        self.search_matches: set[int] = set()
        self.detail_text = ""
        self._search_index = SearchIndex()
        self._query_before_search = ""
        self._focus_before_search: Widget | None = None
        self.player: ReplayPlayer | None = None
        self.feed: LiveFeed | None = None
        self.live_config: RunConfig | None = None
        self.workflow: WorkflowRun | None = None
        self.outcome = Outcome.RUNNING
        self.run_error: SmolWfError | None = None
        self.saved_path: Path | None = None
        self.cancelling = False
        self._quit_answer: str | None = None
        self._started = clock()
        self._ended: float | None = None
        self._shown: dict[str, str] = {}
        self.notice: str | None = None
        """What the details pane says before any event (a refused run's diagnostics)."""
        self._source = source
        self._setup(source)

    def _setup(self, source: ReplaySource | LiveSource) -> None:
        if isinstance(source, ReplaySource):
            self.player = ReplayPlayer([compacted(e) for e in source.events], source.max_delay)
            self.label = source.label
            return
        self.feed = LiveFeed()
        self.live_config = replace(
            source.config, sinks=[self.feed], progress_stream=None, events_stream=None
        )
        self.save_dir = source.save_dir
        self.label = "<unsaved>"

    @property
    def live(self) -> bool:
        return self.live_config is not None

    @property
    def running(self) -> bool:
        return self.live and self.outcome is Outcome.RUNNING

    # ---- layout ------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Widgets are kept as attributes: a modal screen must not hide them from the tick."""
        self.statics = {name: Static(id=name) for name in ("status", "tabs", "info", "meta")}
        self.statics["detail-body"] = Static(id="detail-body")
        self.statics["tabs"].border_title = "workflows - tab/shift-tab"
        self.timeline = OptionList(id="timeline")
        self.detail_scroll = VerticalScroll(self.statics["detail-body"], id="detail-scroll")
        self.search_bar = SearchBar()
        with Horizontal(id="header"):
            with Vertical(id="header-left"):
                yield self.statics["status"]
                yield self.statics["tabs"]
            yield self.statics["info"]
        with Horizontal(id="body"):
            yield self.timeline
            with Vertical(id="details") as details:
                details.border_title = "²details"
                details.border_subtitle = "p pretty / r raw · y copy · m metadata"
                yield self.statics["meta"]
                yield self.detail_scroll
        yield self.search_bar
        yield Footer()

    def on_mount(self) -> None:
        self.timeline.focus()
        self.set_interval(self.tick_s, self.tick)
        source = self._source
        if isinstance(source, LiveSource) and source.refused is not None:
            self._refuse(source)
        elif self.live_config is not None:
            # Built here, not in __init__: its cancel scope needs the running loop.
            self.workflow = WorkflowRun(self.live_config)
            self.run_worker(self._drive(self.workflow), exit_on_error=True)
            if isinstance(source, LiveSource) and source.check_lines:
                lines = "\n".join(source.check_lines)
                self.notify(
                    lines, title="smol-wf check", severity="warning", timeout=CHECK_WARNINGS_S
                )
        self._refresh(rebuild=True)

    def _refuse(self, source: LiveSource) -> None:
        """The check found errors: the run never starts, the details show what it found."""
        assert source.refused is not None
        self.outcome, self.run_error = Outcome.FAILED, source.refused
        self._ended = self.clock()
        self.notice = "\n".join(
            [
                "smol-wf check: the run did not start",
                "",
                *source.check_lines,
                "",
                source.refused.message,
            ]
        )

    # ---- the tick ------------------------------------------------------------

    def tick(self) -> None:
        """Take in what is due (replay) or what arrived (live), then redraw what changed."""
        before = len(self.events)
        if self.player is not None:
            self.player.advance(self.clock())
            self._reveal_to(self.player.revealed)
        elif self.feed is not None:
            for event in self.feed.drain():
                self._add(compacted(event))
        self._refresh(rebuild=len(self.events) != before)

    def _reveal_to(self, count: int) -> None:
        assert self.player is not None
        for event in self.player.events[len(self.events) : count]:
            self._add(event)

    def _add(self, event: Event) -> None:
        self.events.append(event)
        self.state.apply(event)
        self.time_format.learn(event)

    async def _drive(self, workflow: WorkflowRun) -> None:
        """Run the workflow on the app's loop; its outcome decides the exit code."""
        try:
            await workflow.execute()
            self.outcome = Outcome.COMPLETED
        except WorkflowCancelled as error:
            self.outcome, self.run_error = Outcome.CANCELLED, error
        except SmolWfError as error:
            self.outcome, self.run_error = Outcome.FAILED, error
        self._ended = self.clock()
        self.tick()
        if self._quit_answer is not None:
            self._finish_quit(self._quit_answer)

    # ---- drawing -------------------------------------------------------------

    def _refresh(self, *, rebuild: bool) -> None:
        if rebuild:
            self._rebuild_rows()
        self._set("status", self.status_text())
        self._set("tabs", self._tabs_text())
        self._set("info", self._info_text())

    def _set(self, widget_id: str, text: str | Text) -> None:
        """Update a Static only when its text changed (the tick runs 30 times a second)."""
        key = text.markup if isinstance(text, Text) else text
        if self._shown.get(widget_id) != key:
            self._shown[widget_id] = key
            self.statics[widget_id].update(text)

    def _rebuild_rows(self) -> None:
        self.tabs = scopes(self.state)
        self.tab = min(self.tab, len(self.tabs) - 1)
        scope = self.tabs[self.tab]
        self.rows = build_rows(self.events, scope, self.time_format, self.state)
        self.search_matches = self._search_index.matches(self.events, self.search_query)
        timeline = self.timeline
        timeline.set_options(Option(self._row_text(row)) for row in self.rows)
        if self.rows:
            timeline.highlighted = self._target_row(scope)
        self._show_selection()

    def _row_text(self, row: Row) -> Text:
        """Group rows are bold; search matches are yellow."""
        styles = ["bold"] if row.header else []
        if row.event in self.search_matches:
            styles.append("yellow")
        return Text(row.text, style=" ".join(styles), no_wrap=True)

    def _target_row(self, scope: ScopeKey) -> int:
        """Keep the selected event selected; follow the newest row when at the bottom."""
        wanted = self.selected.get(scope)
        if self.follow or wanted is None:
            return len(self.rows) - 1
        for number, row in enumerate(self.rows):
            if (row.event, row.header) == wanted:
                return number
        return len(self.rows) - 1

    def on_option_list_option_highlighted(self, message: OptionList.OptionHighlighted) -> None:
        index = message.option_index
        if index >= len(self.rows):
            return
        row = self.rows[index]
        self.selected[self.tabs[self.tab]] = (row.event, row.header)
        self.follow = index == len(self.rows) - 1
        self._show_selection()

    def _show_selection(self) -> None:
        timeline = self.timeline
        index = timeline.highlighted
        timeline.border_title = self.timeline_title()
        meta = self.statics["meta"]
        meta.display = self.show_meta and index is not None
        if index is None or index >= len(self.rows):
            self.detail_text = "" if self.events else self.notice or ""
            self._set("detail-body", self.detail_text or ("" if self.events else "no events yet"))
            return
        event = self.events[self.rows[index].event]
        stamp = self.time_format(event)
        body = summary.pretty(event, stamp) if self.view == "pretty" else summary.raw(event)
        self.detail_text = body
        self._set("detail-body", Text(body))
        self._set("meta", Text(summary.metadata_text(event, stamp)))

    def timeline_title(self) -> str:
        """``¹timeline (3/9)``: the selected event among the tab's events, counted as the
        header counts them (an agent's row and its first event are one event)."""
        index = self.timeline.highlighted
        shown = [number for number, _ in visible(self.events, self.tabs[self.tab])]
        at = 0
        if index is not None and index < len(self.rows):
            at = bisect_left(shown, self.rows[index].event) + 1
        title = f"¹timeline ({at}/{len(shown)})"
        return f"{title} search: {self.search_query}" if self.search_query else title

    def status_text(self) -> str:
        """``REPLAY PAUSED``/``PLAYING``/``DONE``, or ``LIVE`` plus state and run time."""
        if self.player is not None:
            return header.replay_status(self.player, self.state)
        elapsed = int((self._ended or self.clock()) - self._started)
        return header.live_status(
            self.outcome, self.cancelling, elapsed, self.state.waiting_for if self.running else []
        )

    def _tabs_text(self) -> Text:
        return header.tabs_text(self.state, self.tabs, self.tab)

    def _info_text(self) -> Text:
        return header.info_text(self.state, len(self.events), self._file_text())

    def _file_text(self) -> str:
        """Where the events are: a file replayed or saved, or, live, the run's database."""
        if self.saved_path is not None:
            return str(self.saved_path)
        if not self.live:
            return self.label
        if self.state.run_id is None:
            return "-"
        return "in the database" if self.running else "in the database · s saves a .jsonl copy"

    # ---- actions -------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Keep the footer to the keys that do something in this mode (or prompt)."""
        if self.search_bar.has_focus and action not in WHILE_SEARCHING:
            return False
        if action in ("save", "answer") and self.notice is not None:
            return False  # the run never started: no events to save, nothing to answer
        return action not in (LIVE_ONLY if self.player is not None else REPLAY_ONLY)

    def action_toggle_play(self) -> None:
        if self.player is not None:
            self.player.toggle(self.clock())
            self.tick()

    def action_step(self) -> None:
        if self.player is not None:
            self.player.step()
            self.tick()

    def action_speed(self, direction: int) -> None:
        if self.player is not None:
            (self.player.faster if direction > 0 else self.player.slower)()
            self._refresh(rebuild=False)

    def action_move(self, delta: int) -> None:
        scroll = self.detail_scroll
        if scroll.has_focus:
            scroll.scroll_relative(y=delta, animate=False)
            return
        timeline = self.timeline
        (timeline.action_cursor_down if delta > 0 else timeline.action_cursor_up)()

    def action_cycle_tab(self, delta: int) -> None:
        if isinstance(self.screen, QuitScreen):
            (self.screen.focus_next if delta > 0 else self.screen.focus_previous)()
            return
        self.tab = (self.tab + delta) % len(self.tabs)
        self.follow = self.tabs[self.tab] not in self.selected
        self._refresh(rebuild=True)

    def action_focus_pane(self, pane_id: str) -> None:
        self.query_one(f"#{pane_id}").focus()

    def action_view(self, view: str) -> None:
        self.view = view
        self._show_selection()

    def action_toggle_time(self) -> None:
        self.time_format.local = not self.time_format.local
        self._refresh(rebuild=True)

    def action_toggle_meta(self) -> None:
        self.show_meta = not self.show_meta
        self._show_selection()

    def action_copy(self) -> None:
        """``y``: the details text as shown (pretty or raw), over OSC 52 (works over SSH)."""
        if not self.detail_text:
            self.notify("copy failed: nothing selected", severity="warning", timeout=1.5)
            return
        self.copy_to_clipboard(self.detail_text)
        self.notify("content copied", timeout=1.5)

    def action_search(self) -> None:
        """``/``: open the prompt on the current query; typing re-highlights live."""
        self._query_before_search = self.search_query
        self._focus_before_search = self.focused
        bar = self.search_bar
        bar.value = self.search_query
        bar.cursor_position = len(bar.value)
        bar.display = True
        bar.focus()

    def on_input_changed(self, message: SearchBar.Changed) -> None:
        if message.input is self.search_bar and self.search_bar.display:
            self._apply_search(message.value)

    def on_input_submitted(self, message: SearchBar.Submitted) -> None:
        """Enter: keep the query, close the prompt and select the first match."""
        if message.input is not self.search_bar:
            return
        self._apply_search(message.value)
        self._close_search()
        first = next(
            (n for n, row in enumerate(self.rows) if row.event in self.search_matches), None
        )
        if first is not None:
            self.timeline.highlighted = first

    def on_search_bar_cancelled(self, _: SearchBar.Cancelled) -> None:
        """Esc: put back the query the prompt was opened on."""
        self._apply_search(self._query_before_search)
        self._close_search()

    def _apply_search(self, query: str) -> None:
        if query != self.search_query:
            self.search_query = query
            self._rebuild_rows()
        count = len({row.event for row in self.rows if row.event in self.search_matches})
        self.search_bar.border_subtitle = (
            f"{count} match{'' if count == 1 else 'es'}" if query else ""
        )

    def _close_search(self) -> None:
        self.search_bar.display = False
        (self._focus_before_search or self.timeline).focus()

    def action_save(self) -> None:
        """Live only, once the run has stopped: write the events as JSONL."""
        if self.live and not self.running and self.saved_path is None:
            self.save()
            self.notify(f"saved {self.saved_path}", timeout=1.5)
            self._refresh(rebuild=False)

    def save(self) -> Path:
        path = save_path(self.save_dir, self.state.run_id)
        write_events_file(path, self.events)
        self.saved_path = path
        return path

    def action_answer(self, approved: bool) -> None:
        """``a``/``d``: approve or deny the selected approval request (or the only one)."""
        request = self._request_to_answer()
        if request is None:
            self.notify("select an approval request to answer", severity="warning", timeout=2)
            return
        assert self.live_config is not None and self.state.run_id is not None
        db = self.live_config.db_path or default_db_path()
        reply = Reply(self.state.run_id, request.request_id, Decision(approved), who_answers())
        try:
            answer(db, reply)
        except SmolWfError as error:
            self.notify(error.message, severity="error", timeout=4)
            return
        word = "approved" if approved else "denied"
        self.notify(f"{word} {request.title}", timeout=1.5)

    def _request_to_answer(self) -> RequestState | None:
        """The approval the selected row belongs to, else the run's one pending approval."""
        pending = [r for r in self.state.waiting_for if r.kind == "approval"]
        index = self.timeline.highlighted
        if index is not None and index < len(self.rows):
            selected = self.events[self.rows[index].event].fields.get("requestId")
            chosen = [r for r in pending if r.request_id == selected]
            if chosen:
                return chosen[0]
        return pending[0] if len(pending) == 1 else None

    def action_interrupt(self) -> None:
        """Ctrl-C: cancels a live run (the app stays open); once it has ended, quits."""
        if self.running:
            self._cancel()
        else:
            self.exit(0)

    def action_request_quit(self) -> None:
        """q: asks first while a live run goes on, or before leaving its events unsaved to a
        file (they are in the database either way); a run that never started just quits."""
        if not self.live or (not self.running and self.state.run_id is None):
            self.exit(0)
        elif self.running or self.saved_path is None:
            modal = QuitScreen(
                running=self.running, savable=self.saved_path is None, run_id=self.state.run_id
            )
            self.push_screen(modal, self._on_quit_answer)
        else:
            self._finish_quit("quit")

    def action_keys(self) -> None:
        """?: the keys of this mode."""
        self.push_screen(KeysScreen("live" if self.live else "replay"))

    def _on_quit_answer(self, answer: str | None) -> None:
        if answer is None or answer == STAY:
            return
        if self.running:
            self._quit_answer = answer
            self._cancel()
        else:
            self._finish_quit(answer)

    def _cancel(self) -> None:
        assert self.workflow is not None
        self.cancelling = True
        self.workflow.cancel(130)
        self._refresh(rebuild=False)

    def _finish_quit(self, answer: str) -> None:
        if answer == SAVE and self.saved_path is None:
            self.tick()
            self.save()
        self.exit(0)

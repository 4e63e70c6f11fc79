"""``?``: every key of the watch app, for the mode it is in, in a box any key closes."""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

Mode = Literal["replay", "live"]

KEYS: tuple[tuple[str, str, Mode | None], ...] = (
    ("space", "play / pause", "replay"),
    ("n", "show the next event", "replay"),
    ("+ / -", "faster / slower", "replay"),
    ("↓ j  ↑ k", "move the selection (scroll the details when they have focus)", None),
    ("tab / shift+tab", "next / previous workflow (the root, then each child)", None),
    ("1 / 2", "focus the timeline / the details", None),
    ("p / r", "pretty / raw details", None),
    ("t", "elapsed or wall-clock times", None),
    ("m", "show or hide the metadata box", None),
    ("y", "copy the details", None),
    ("/", "search the timeline (enter keeps the search, esc drops it)", None),
    ("a / d", "approve / deny the selected approval request (or the only one)", "live"),
    ("s", "save the events as a .jsonl file, once the run has ended", "live"),
    ("ctrl+c", "cancel the run; once it has ended, quit", "live"),
    ("ctrl+c", "quit", "replay"),
    ("q / esc", "quit (asks first while the run goes on or its events are not saved)", "live"),
    ("q / esc", "quit", "replay"),
    ("?", "these keys", None),
)
"""(keys, what they do, the mode they work in or None for both), as shown by ``?``."""


def keys_text(mode: Mode) -> Text:
    """One line per key of ``mode``: the keys in a column, then what they do."""
    rows = [(keys, what) for keys, what, only in KEYS if only is None or only == mode]
    width = max(len(keys) for keys, _ in rows) + 2
    text = Text()
    for number, (keys, what) in enumerate(rows):
        text.append("\n" if number else "")
        text.append(keys.ljust(width), style="bold cyan")
        text.append(what)
    return text


class KeysScreen(ModalScreen[None]):
    """The keys of the app's mode; any key (or a click) closes it."""

    DEFAULT_CSS = """
    KeysScreen { align: center middle; }
    KeysScreen > Vertical {
        width: auto; max-width: 90%; height: auto; border: round $accent; padding: 1 2;
        background: $surface;
    }
    KeysScreen Static { width: auto; }
    KeysScreen #keys-hint { color: $text-muted; margin-top: 1; }
    """

    def __init__(self, mode: Mode) -> None:
        super().__init__()
        self.mode = mode

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"keys ({self.mode})"
            yield Static(keys_text(self.mode), id="keys-table")
            yield Static("any key closes this", id="keys-hint")

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss(None)

    def on_click(self) -> None:
        self.dismiss(None)

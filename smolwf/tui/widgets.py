"""The TUI's widgets beyond the stock ones: the search prompt and the quit confirmation modal."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

SAVE, QUIT, STAY = "save", "quit", "stay"


class SearchBar(Input):
    """The ``/`` prompt: the app follows ``Changed`` live, ``Submitted`` applies, Esc cancels."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "cancel"),
        Binding("ctrl+u", "clear", "clear"),
    ]

    class Cancelled(Message):
        """Esc: the app restores the query it had before the prompt opened."""

    def __init__(self) -> None:
        super().__init__(
            placeholder="type to search; enter applies", id="search", select_on_focus=False
        )
        self.border_title = "Search timeline"

    def action_cancel(self) -> None:
        self.post_message(self.Cancelled())

    def action_clear(self) -> None:
        """Ctrl-U clears the whole query, wherever the cursor is."""
        self.value = ""


def quit_question(*, running: bool, run_id: str | None) -> tuple[str, str]:
    """What the quit dialog asks, and why: a running run is cancelled (and resumable); an
    ended one loses nothing, its events are in the database."""
    run = run_id or "RUN_ID"
    if running:
        return (
            "Quit live workflow TUI?",
            "The workflow is still running: quitting cancels it. "
            f"Resume it later with smol-wf run --resume-run {run}.",
        )
    return (
        "Quit the workflow TUI?",
        f"The run's events are in the database: smol-wf tui replay {run} shows them "
        "again. save & quit also writes them to a .jsonl file here.",
    )


class QuitScreen(ModalScreen[str]):
    """Asks before a live run is cancelled, or left without a .jsonl copy of its events;
    answers SAVE/QUIT/STAY."""

    DEFAULT_CSS = """
    QuitScreen { align: center middle; }
    QuitScreen > Vertical {
        width: 64; height: auto; border: round $warning; padding: 1 2; background: $surface;
    }
    QuitScreen #question { text-style: bold; }
    QuitScreen Horizontal { height: auto; margin-top: 1; }
    QuitScreen Button { margin-right: 2; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y,q", "answer('quit')", "quit"),
        Binding("s", "answer('save')", "save & quit"),
        Binding("n,escape", "answer('stay')", "stay"),
        Binding("left,h,shift+tab", "app.focus_previous", show=False),
        Binding("right,l,tab", "app.focus_next", show=False),
    ]

    def __init__(self, *, running: bool, savable: bool, run_id: str | None) -> None:
        super().__init__()
        self.running = running
        self.savable = savable
        self.run_id = run_id

    def compose(self) -> ComposeResult:
        question, detail = quit_question(running=self.running, run_id=self.run_id)
        with Vertical():
            yield Static(question, id="question")
            yield Static(detail, id="detail")
            with Horizontal():
                if self.savable:
                    yield Button("save & quit", id=SAVE, variant="primary")
                yield Button("quit", id=QUIT, variant="error")
                yield Button("stay", id=STAY)

    def on_mount(self) -> None:
        self.query(Button).first().focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id or STAY)

    def action_answer(self, answer: str) -> None:
        if answer == SAVE and not self.savable:
            return
        self.dismiss(answer)

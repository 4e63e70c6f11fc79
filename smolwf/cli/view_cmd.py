"""``smol-wf view``: the web view of runs. Its dependencies load only for this command."""

from __future__ import annotations

from pathlib import Path

import typer

from smolwf import defaults
from smolwf.cli import flag_values
from smolwf.cli.placeholders import WORD
from smolwf.errors import UsageError
from smolwf.store.paths import default_db_path

HELP = """Serve a live web page of past and running runs, on 127.0.0.1 only.

  smol-wf view                     the run list (the history filters), newest first
  smol-wf view RUN_ID --open       one run, opened in the browser

Open the printed URL: it carries a random token that every request needs. Pages update
live while a workflow runs in another process, and read fine without JavaScript.
Needs the view extra: pip install 'smolwf\\[view]'.
"""


view_app = typer.Typer(rich_markup_mode="rich")
"""``smol-wf view``; the root group (``cli/app.py``) builds it when used."""


@view_app.command("view", help=HELP)
def view(
    run_id: str | None = typer.Argument(
        None,
        metavar="[RUN_ID]",
        click_type=WORD,
        show_default=False,
        help="Open this run instead of the list.",
    ),
    db: Path | None = typer.Option(
        None, "--db", metavar="PATH", help="SQLite database of runs.", show_default=False
    ),
    port: str = typer.Option(
        str(defaults.VIEW_PORT),
        "--port",
        metavar="PORT",
        help="Port on 127.0.0.1, 0 to 65535 (0: any free one).",
    ),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
) -> int:
    number = flag_values.count("--port", port, minimum=0, maximum=65535)
    try:
        from smolwf.view.server import serve
    except ImportError:
        raise UsageError("smol-wf view needs the view extra: pip install 'smolwf[view]'") from None
    serve(db or default_db_path(), number, run_id, open_browser)
    return 0

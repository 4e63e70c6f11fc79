"""``smol-wf view``: the web view of runs. Its dependencies load only for this command."""

from __future__ import annotations

from pathlib import Path

import typer

from smolwf import defaults
from smolwf.errors import UsageError
from smolwf.store.paths import default_db_path

HELP = """Serve a live web page of past and running runs, on 127.0.0.1 only.

  smol-wf view                     the run list (the history filters), newest first
  smol-wf view RUN_ID --open       one run, opened in the browser

Open the printed URL: it carries a random token that every request needs. Pages update
live while a workflow runs in another process, and read fine without JavaScript.
Needs the view extra: pip install 'smolwf\\[view]'.
"""


def view(
    run_id: str | None = typer.Argument(
        None, metavar="[RUN_ID]", show_default=False, help="Open this run instead of the list."
    ),
    db: Path | None = typer.Option(
        None, "--db", help="SQLite database of runs.", show_default=False
    ),
    port: int = typer.Option(
        defaults.VIEW_PORT, "--port", min=0, max=65535, help="Port on 127.0.0.1 (0: any free one)."
    ),
    open_browser: bool = typer.Option(False, "--open", help="Open the page in a browser."),
) -> int:
    try:
        from smolwf.view.server import serve
    except ImportError:
        raise UsageError("smol-wf view needs the view extra: pip install 'smolwf[view]'") from None
    serve(db or default_db_path(), port, run_id, open_browser)
    return 0

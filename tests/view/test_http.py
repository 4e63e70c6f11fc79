"""The view over plain HTTP, as curl sees it: the token, the origin, readable pages."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from smolwf import RunReport
from tests.view.conftest import Serve

Write = Callable[..., Path]
Run = Callable[..., RunReport]
Cli = Callable[..., subprocess.CompletedProcess[str]]


def _a_run(write_script: Write, run: Run) -> RunReport:
    script = write_script(
        "phase('Only')\nexport default await agent('hello there', { label: 'greeter' })"
    )
    return run(script)


def test_the_printed_url_shows_the_runs_to_curl(
    write_script: Write, run: Run, db: Path, serve: Serve
) -> None:
    report = _a_run(write_script, run)
    page = httpx.get(serve(db), timeout=10)
    assert page.status_code == 200
    assert report.run_id in page.text and "completed" in page.text


def test_a_run_page_reads_without_javascript(
    write_script: Write, run: Run, db: Path, serve: Serve
) -> None:
    report = _a_run(write_script, run)
    url = serve(db, report.run_id)
    assert urlsplit(url).path == f"/runs/{report.run_id}"
    page = httpx.get(url, timeout=10).text
    for text in ("greeter", "Only", "debug", f"smol-wf run --resume-run {report.run_id}", "Result"):
        assert text in page


def test_a_failed_run_lists_the_calls_it_left_queued(
    cli: Cli, write_script: Write, db: Path, serve: Serve
) -> None:
    script = write_script(
        "phase('Fan')\n"
        "const pending = Array.from({ length: 203 }, (_, i) => agent('item ' + i))\n"
        "await pending[0]\n"
        "throw new Error('gave up')\n"
    )
    slow = {"SMOLWF_DEBUG_DELAY_MS": "20"}  # the first call still runs when the rest queue
    done = cli("run", script, "--db", db, "--max-parallel-agents", "1", env=slow)
    assert done.returncode == 1 and "gave up" in done.stderr
    run_id = sqlite3.connect(db).execute("SELECT run_id FROM runs").fetchone()[0]
    page = httpx.get(serve(db, run_id), timeout=10)
    assert page.status_code == 200
    assert "1 done · 1 running · 201 queued · 0 failed" in page.text
    assert page.text.count('<tr class="agent state-queued">') == 199
    assert "… and 3 more (2 queued, 1 completed)" in page.text


def test_every_request_needs_the_token(
    write_script: Write, run: Run, db: Path, serve: Serve
) -> None:
    _a_run(write_script, run)
    parts = urlsplit(serve(db))
    base = f"{parts.scheme}://{parts.netloc}"
    for path in ("/", "/static/view.js", "/updates", "/?token=wrong"):
        assert httpx.get(base + path, timeout=10).status_code == 403, path


def test_a_mutating_request_from_another_origin_is_refused(
    write_script: Write, run: Run, db: Path, serve: Serve
) -> None:
    report = _a_run(write_script, run)
    url = serve(db)
    parts = urlsplit(url)
    post = (
        f"{parts.scheme}://{parts.netloc}/runs/{report.run_id}/approvals/a1/approve?{parts.query}"
    )
    foreign = httpx.post(post, headers={"Origin": "http://evil.example"}, timeout=10)
    assert foreign.status_code == 403
    own = httpx.post(post, headers={"Origin": f"{parts.scheme}://{parts.netloc}"}, timeout=10)
    assert own.status_code == 404 and "no human approvals" in own.text


def test_an_unknown_run_is_a_one_line_error(
    cli: Cli, write_script: Write, run: Run, db: Path
) -> None:
    _a_run(write_script, run)
    done = cli("view", "run_nope", "--db", db, "--port", "0")
    assert done.returncode == 1
    assert done.stderr == f"error: workflow run run_nope was not found in {db}; check --db\n"


def test_a_missing_database_is_a_one_line_error(cli: Cli, tmp_path: Path) -> None:
    done = cli("view", "--db", tmp_path / "none.db", "--port", "0")
    assert done.returncode == 1 and done.stderr.count("\n") == 1
    assert "was not found; pass --db or run a workflow first" in done.stderr


def test_view_without_the_extra_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    code = "import sys; sys.modules['uvicorn'] = None\nfrom smolwf.cli.app import main; main()"
    done = subprocess.run(
        [sys.executable, "-c", code, "view", "--db", str(tmp_path / "x.db")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr == "error: smol-wf view needs the view extra: pip install 'smolwf[view]'\n"

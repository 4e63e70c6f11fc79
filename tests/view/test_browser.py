"""The view in a real headless Chromium (Debian's), read as a person would read it.

Set ``SMOLWF_VIEW_SCREENSHOTS=DIR`` to save the pages' screenshots there (the ones in
``docs/images/`` come from this).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from smolwf import RunReport
from smolwf.errors import FailureKind
from smolwf.usage import Usage
from tests.conftest import smol_wf_command
from tests.extras import require_extra
from tests.fakes import FailingProvider, RecordingProvider
from tests.view.conftest import Serve

require_extra("view", "playwright")

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

Write = Callable[..., Path]
Run = Callable[..., RunReport]
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        if os.environ.get("SMOLWF_REQUIRE_EXTRAS") == "1":
            pytest.fail("Debian's chromium is not installed: apt-get install chromium")
        pytest.skip("Debian's chromium is not installed")
    with sync_playwright() as playwright:
        found = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield found
        found.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    yield context.new_page()
    context.close()


def _beside(run: Run, script: Path, **options: Any) -> RunReport:
    """A run made in another thread: Playwright's sync API holds this thread's event loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run, script, **options).result()


def _screenshot(page: Page, name: str) -> None:
    target = os.environ.get("SMOLWF_VIEW_SCREENSHOTS")
    if target:
        page.screenshot(path=str(Path(target) / name), full_page=True)


class Talker(RecordingProvider):
    """Streams two transcript lines, then answers like codex: tokens, no cost."""

    async def run(self, request: Any, events: Any) -> Any:
        events({"type": "thinking", "text": f"looking at {request.prompt}"}, "ses-7")
        events({"type": "message", "text": "all good"}, "ses-7")
        return await super().run(request, events)


FINISHED = """
phase('Survey')
await parallel(['api.py', 'db.py', 'ui.py'].map((f) => () => agent('Review ' + f, { label: f, model: 'gpt-5' })))
phase('Verdict')
try { await agent('Sign off', { label: 'sign-off', provider: 'claude-code' }) } catch (e) { log('sign-off failed') }
export default { reviewed: 3 }
"""


def test_a_finished_run_reads_as_a_tree_with_costs_and_an_agents_transcript(
    write_script: Write, run: Run, db: Path, serve: Serve, page: Page
) -> None:
    talker = Talker(
        name="debug", usage=Usage(input_tokens=1200, cache_read_tokens=800, output_tokens=300)
    )
    claude = FailingProvider(name="claude-code", kind=FailureKind.AUTH)
    providers = {"debug": talker, "claude-code": claude}
    report = _beside(run, write_script(FINISHED, "review.mjs"), providers=providers)
    page.goto(serve(db))
    page.get_by_role("link", name=report.run_id).click()
    expect(page.locator("h1")).to_contain_text("test")
    expect(page.locator("h1 .badge")).to_have_text("completed")
    tree = page.locator("section.tree")
    expect(tree).to_contain_text("Survey")
    expect(tree).to_contain_text("3/3 done")
    expect(tree.locator("tr.agent.state-failed")).to_contain_text("claude-code said no")
    expect(page.locator("section.messages")).to_contain_text("sign-off failed")
    expect(page.locator("p.resume")).to_contain_text(f"smol-wf run --resume-run {report.run_id}")
    _screenshot(page, "view-finished.png")
    page.get_by_role("link", name="api.py").click()
    expect(page.locator("h1")).to_contain_text("api.py")
    expect(page.locator("ol.transcript")).to_contain_text("looking at Review api.py")
    expect(page.locator("dl.totals")).to_contain_text("gpt-5")


LIVE = """
phase('Draft')
await parallel([1, 2].map((i) => () => agent('Draft part ' + i, { label: 'draft ' + i })))
phase('Polish')
await agent('Polish it all', { label: 'polish' })
export default 'done'
"""


def test_a_live_run_in_another_process_updates_without_a_reload(
    write_script: Write, run: Run, db: Path, serve: Serve, page: Page, tmp_path: Path
) -> None:
    _beside(run, write_script("export default await agent('warm up')", "warm.mjs"))
    page.goto(serve(db))
    script = write_script(LIVE, "live.mjs")
    env = {**os.environ, "SMOLWF_DEBUG_DELAY_MS": "1500", "XDG_STATE_HOME": str(tmp_path)}
    live = subprocess.Popen(
        [*smol_wf_command(), "run", str(script), "--db", str(db)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        running = page.locator("tr.run.state-running a")
        expect(running).to_have_count(1, timeout=20_000)
        running.click()
        expect(page.locator("section.tree")).to_contain_text("draft 1", timeout=20_000)
        expect(page.locator("tr.agent.state-running").first).to_be_visible(timeout=20_000)
        expect(page.locator("h1 .badge")).to_have_text("running")
        _screenshot(page, "view-live.png")
        expect(page.locator("h1 .badge")).to_have_text("completed", timeout=30_000)
        expect(page.locator("section.tree")).to_contain_text("polish")
        expect(page.locator("div.result")).to_contain_text('"done"')
    finally:
        live.wait(timeout=60)

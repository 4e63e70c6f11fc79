"""The four CLI providers as backends of one test body: what each needs to run against
``fake_cli.FakeCli`` and what its plain transcript must answer."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from smolwf.providers.base import Provider, ProviderSettings
from smolwf.providers.registry import create_provider
from tests.providers.fake_cli import FakeCli

TRANSCRIPTS = Path(__file__).parent / "transcripts"

CODEX_HOOKS = """\
def after(flag):
    return sys.argv[sys.argv.index(flag) + 1] if flag in sys.argv else None

def extra_record():
    last, schema = after("--output-last-message"), after("--output-schema")
    return {
        "schema": open(schema).read() if schema else None,
        "tmp_dir": os.path.dirname(last),
        "tmp_dir_existed": os.path.isdir(os.path.dirname(last)),
    }

def before_output():
    if "FAKE_CODEX_LAST" in os.environ:
        open(after("--output-last-message"), "w").write(os.environ["FAKE_CODEX_LAST"])

def after_output():  # codex's session rollout, under $CODEX_HOME/sessions
    stream = os.environ.get("FAKE_CLI_STREAM")
    lines = open(stream).read().splitlines() if stream else []
    thread = next((json.loads(l)["thread_id"] for l in lines if '"thread.started"' in l), None)
    if not thread or "FAKE_CODEX_NO_ROLLOUT" in os.environ:
        return
    day = os.path.join(os.environ["CODEX_HOME"], "sessions", "2026", "12", "06")
    os.makedirs(day, exist_ok=True)
    rollout = os.environ.get("FAKE_CODEX_ROLLOUT")
    with open(os.path.join(day, f"rollout-2026-12-06T00-00-00-{thread}.jsonl"), "w") as out:
        out.write(open(rollout).read() if rollout else "")
"""
"""codex also writes its last message and a session rollout, which the provider reads."""


@dataclass(frozen=True)
class CliBackend:
    """One CLI provider: its registry name, executable, display name, and the session and
    answer of its ``plain.jsonl`` transcript (a one-prompt run)."""

    provider: str
    command: str
    display: str
    session: str
    answer: str
    home_var: str = "HOME"
    """Where the CLI keeps its state: a directory of the test's own."""
    hooks: str = ""

    @property
    def plain(self) -> Path:
        return TRANSCRIPTS / self.command / "plain.jsonl"

    def fake(self, directory: Path) -> FakeCli:
        return FakeCli(directory, self.command, self.hooks)

    def provider_for(self, settings: ProviderSettings) -> Provider:
        return create_provider(self.provider, settings)

    def home(self, directory: Path) -> dict[str, str]:
        return {self.home_var: str(directory / "cli-home")}


BACKENDS = (
    CliBackend(
        "claude-code",
        "claude",
        "Claude Code",
        session="64502201-72c5-4709-8061-bd8ef4ce56e7",
        answer="ECHO: Say hello to the fake server",
    ),
    CliBackend(
        "codex",
        "codex",
        "Codex",
        session="01a20101-9980-77e3-b39b-fdb05c6740d6",
        answer="ECHO: Say hello to the fake server",
        home_var="CODEX_HOME",
        hooks=CODEX_HOOKS,
    ),
    CliBackend(
        "pi",
        "pi",
        "Pi",
        session="01a200fe-bd24-73c5-a320-3edc76602e21",
        answer="ECHO: Say hello to the fake server",
    ),
    CliBackend(
        "opencode",
        "opencode",
        "OpenCode",
        session="ses_dff00d3b0ffeOmIBAhlrRB3bAi",
        answer='ECHO: "Say hello to the fake server"',
    ),
)

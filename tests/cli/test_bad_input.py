"""Bad input of every kind, through the real command: one ``error:`` line that says what was
wrong, the right exit code, never a traceback, nothing half-written.

Each case runs once (a module-scoped cache); the tests below read its outcome.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import META, smol_wf_command

NOT_UTF8 = os.fsdecode(b"\xff\xfe")
BOMB = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)
"""A YAML alias bomb: 80 bytes of anchors that expand to 10 × 8⁸ strings."""


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    code: int
    message: str
    """A part of the error line."""
    env: dict[str, str] = field(default_factory=dict)


def _state_file(root: Path) -> str:
    return str(root / "a-file")


CASES: dict[str, Case] = {
    # flags of run
    "unknown-option": Case(("run", "wf.mjs", "--my-arg1", "x"), 2, "Unknown option: --my-arg1"),
    "removed-flag": Case(("run", "wf.mjs", "--backend", "sqlite"), 2, "Unknown option: --backend"),
    "budget-negative": Case(
        ("run", "wf.mjs", "--budget-allowance", "-1"), 2, "must be a non-negative integer"
    ),
    "parallel-zero": Case(
        ("run", "wf.mjs", "--max-parallel-agents", "0"), 2, "must be greater than zero"
    ),
    "unknown-provider": Case(
        ("run", "wf.mjs", "--agent-provider", "nope"), 2, "Unknown agent provider: nope"
    ),
    "flag-as-value": Case(
        ("run", "wf.mjs", "--agent-provider", "--events"), 2, "needs a value, got the flag"
    ),
    "model-map-shape": Case(
        ("run", "wf.mjs", "--model-map", "deep"), 2, "--model-map must use <alias>:<selector>"
    ),
    "log-level": Case(("run", "wf.mjs", "--log-level", "loud"), 2, "--log-level must be one of"),
    "raw-sessions-dir": Case(
        ("run", "wf.mjs", "--save-raw-sessions", "nodir"), 2, "must point to an existing directory"
    ),
    "slice-timeout-inf": Case(
        ("run", "wf.mjs", "--js-slice-timeout", "inf"), 2, "--js-slice-timeout must be a number"
    ),
    "cost-inf": Case(("run", "wf.mjs", "--max-cost-usd", "inf"), 2, "--max-cost-usd must be"),
    "cost-overflow": Case(("run", "wf.mjs", "--max-cost-usd", "1e999"), 2, "got '1e999'"),
    "timeout-nan": Case(("run", "wf.mjs", "--agent-timeout", "nan"), 2, "--agent-timeout must"),
    "max-agents-zero": Case(
        ("run", "wf.mjs", "--max-agents", "0"), 2, "--max-agents must be a whole number"
    ),
    "js-memory-huge": Case(
        ("run", "wf.mjs", "--js-memory", "99999999999999"), 2, "--js-memory must be"
    ),
    "args-not-utf8": Case(("run", "wf.mjs", "--args-x", NOT_UTF8), 2, "is not valid UTF-8"),
    # args files and values
    "args-array-and-key": Case(
        ("run", "wf.mjs", "--args-from-file", "list.json", "--args-k", "v"),
        2,
        "holds an array, which cannot be merged with --args-<name> flags",
    ),
    "args-json-and-key": Case(
        ("run", "wf.mjs", "--args-json", '"q"', "--args-k", "v"), 2, "holds a string"
    ),
    "args-json-broken": Case(("run", "wf.mjs", "--args-json", "{"), 2, "is not valid JSON"),
    "args-file-broken": Case(
        ("run", "wf.mjs", "--args-from-file", "broken.json"), 2, "is not valid JSON"
    ),
    "args-file-missing": Case(
        ("run", "wf.mjs", "--args-from-file", "missing.json"), 2, "no such file"
    ),
    "args-yaml-bomb": Case(
        ("run", "wf.mjs", "--args-from-file", "bomb.yaml"), 2, "expands to more than 16.0 MiB"
    ),
    # the script
    "no-script": Case(("run",), 2, "missing workflow script: smol-wf run <workflow-script>"),
    "missing-script": Case(("run", "missing.mjs"), 1, "no such file"),
    "directory-script": Case(("run", "folder"), 1, "is a directory"),
    "no-meta": Case(("run", "nometa.mjs"), 1, "nometa.mjs:1: the script has no `export const"),
    "meta-name-number": Case(("run", "name1.mjs"), 1, "name1.mjs:1: meta.name must be a string"),
    "meta-variable": Case(("run", "variable.mjs"), 1, "variable.mjs:3: meta must be a pure"),
    "empty-script": Case(("run", "empty.mjs"), 1, "empty.mjs:1: the script has no"),
    # the database
    "state-dir-is-a-file": Case(
        ("run", "wf.mjs"), 1, "failed to create default database directory", {"XDG": "file"}
    ),
    "state-dir-in-proc": Case(
        ("run", "wf.mjs"), 1, "failed to create default database directory", {"XDG": "proc"}
    ),
    # history
    "history-run-not-utf8": Case(("history", f"run_{NOT_UTF8}"), 2, "is not valid UTF-8"),
    "history-name-not-utf8": Case(("history", "--name", NOT_UTF8), 2, "is not valid UTF-8"),
    "history-limit-zero": Case(("history", "--limit", "0"), 2, "--limit must be a whole number"),
    "history-since-word": Case(("history", "--since", "soon"), 2, "--since must be an integer"),
    "history-unrelated-option": Case(("history", "--json"), 2, "No such option: --json (see"),
    # tui
    "tui-run-no-script": Case(("tui", "run"), 2, "missing workflow script: smol-wf tui run"),
    "tui-run-pipe": Case(("tui", "run", "wf.mjs"), 2, "smol-wf tui run needs a terminal"),
    "tui-replay-pipe": Case(("tui", "replay", "events.jsonl"), 2, "tui replay needs a terminal"),
    # reuse: fork, rerun, cache, cassettes
    "fork-run-unknown": Case(
        ("run", "wf.mjs", "--fork-run", "run_nope"), 1, "workflow run run_nope was not found"
    ),
    "rerun-alone": Case(("run", "wf.mjs", "--rerun", "x"), 2, "add --resume-run or --fork-run"),
    "cache-ttl-word": Case(
        ("run", "wf.mjs", "--cache", "--cache-ttl", "soon"), 2, "--cache-ttl must be a duration"
    ),
    "replay-missing-word": Case(
        ("run", "wf.mjs", "--replay-missing", "maybe"), 2, "--replay-missing must be fail or live"
    ),
    "replay-file-missing": Case(
        ("run", "wf.mjs", "--replay", "missing.jsonl"), 1, "cassette missing.jsonl was not found"
    ),
    "cache-list-limit-zero": Case(
        ("cache", "list", "--limit", "0"), 2, "--limit must be a whole number"
    ),
    "cache-list-output": Case(("cache", "list", "-o", "xml"), 2, "--output must be one of"),
    "cache-clear-older-than-word": Case(
        ("cache", "clear", "--older-than", "soon"), 2, "--older-than must be a duration"
    ),
    # a person in the loop
    "on-wait-word": Case(
        ("run", "wf.mjs", "--on-wait", "maybe"), 2, "--on-wait must be wait or exit"
    ),
    "approve-no-database": Case(("approve", "run_nope"), 1, "was not found; pass --db"),
    "deny-no-database": Case(("deny", "run_nope", "ok"), 1, "was not found; pass --db"),
    "signal-no-data": Case(
        ("signal", "run_nope", "go"), 2, "signal needs exactly one of --data JSON or --data-file"
    ),
    "signal-data-broken": Case(
        ("signal", "run_nope", "go", "--data", "{"), 2, "--data is not valid JSON"
    ),
    "signal-data-file-missing": Case(
        ("signal", "run_nope", "go", "--data-file", "missing.json"),
        2,
        "cannot read --data-file missing.json: no such file",
    ),
    "inbox-output": Case(("inbox", "-o", "xml"), 2, "--output must be one of"),
    "inbox-no-database": Case(("inbox",), 1, "pass --db or run a workflow first"),
    # view and check
    "view-port-range": Case(("view", "--port", "70000"), 2, "--port must be a whole number"),
    "view-port-word": Case(("view", "--port", "http"), 2, "--port must be a whole number"),
    "check-missing-script": Case(("check", "missing.mjs"), 2, "no such file or folder"),
    "check-format-word": Case(("check", "wf.mjs", "--format", "nope"), 2, "'nope' is not one of"),
    # commands that do not exist
    "replay-command": Case(("replay", "--help"), 2, "Did you mean 'smol-wf tui replay'?"),
    "txt-command": Case(("txt", "--help"), 2, "Did you mean 'smol-wf llm txt'?"),
    "skills-command": Case(("skills", "--help"), 2, "Did you mean 'smol-wf llm skills'?"),
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bad-input")
    (root / "wf.mjs").write_text(META + "export default await agent('x')\n")
    (root / "nometa.mjs").write_text("export default 1\n")
    (root / "name1.mjs").write_text("export const meta = { name: 1, description: 'd' }\n")
    (root / "variable.mjs").write_text(
        "const n = 'x'\nexport const meta = {\n  name: n,\n  description: 'd',\n}\n"
    )
    (root / "empty.mjs").write_text("")
    (root / "folder").mkdir()
    (root / "list.json").write_text("[1]")
    (root / "broken.json").write_text("{")
    (root / "bomb.yaml").write_text(BOMB)
    (root / "events.jsonl").write_text('{"type":"workflow.started","data":{}}\n')
    (root / "a-file").write_text("")
    return root


@pytest.fixture(scope="module")
def outcome(workdir: Path) -> Callable[[str], subprocess.CompletedProcess[str]]:
    done: dict[str, subprocess.CompletedProcess[str]] = {}

    def run(case_id: str) -> subprocess.CompletedProcess[str]:
        if case_id not in done:
            case = CASES[case_id]
            env = dict(os.environ, XDG_STATE_HOME=str(workdir / case_id / "state"))
            xdg = case.env.get("XDG")
            if xdg == "file":
                env["XDG_STATE_HOME"] = str(workdir / "a-file")
            elif xdg == "proc":
                env["XDG_STATE_HOME"] = "/proc/smolwf-cannot-be-here"
            done[case_id] = subprocess.run(
                [*smol_wf_command(), *case.argv],
                cwd=workdir,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
                stdin=subprocess.DEVNULL,
            )
        return done[case_id]

    return run


@pytest.mark.parametrize("case_id", CASES)
def test_bad_input_is_one_clear_error_line(
    case_id: str, outcome: Callable[[str], subprocess.CompletedProcess[str]]
) -> None:
    case, done = CASES[case_id], outcome(case_id)
    assert done.returncode == case.code, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 1, done.stderr
    assert case.message in errors[0], done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("case_id", CASES)
def test_bad_input_never_prints_a_traceback(
    case_id: str, outcome: Callable[[str], subprocess.CompletedProcess[str]]
) -> None:
    done = outcome(case_id)
    assert "Traceback" not in done.stderr + done.stdout
    assert not re.search(r"^\w+Error: ", done.stderr, re.MULTILINE), done.stderr


@pytest.mark.parametrize("case_id", CASES)
def test_every_command_a_hint_names_exists(
    case_id: str, outcome: Callable[[str], subprocess.CompletedProcess[str]], workdir: Path
) -> None:
    hinted = re.findall(r"'(smol-wf [a-z -]+?)(?: --help)?'", outcome(case_id).stderr)
    for command in hinted:
        shown = subprocess.run(
            [*smol_wf_command(), *command.split()[1:], "--help"],
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert shown.returncode == 0, (command, shown.stderr)


def test_unknown_options_only_suggest_near_ones(
    outcome: Callable[[str], subprocess.CompletedProcess[str]],
) -> None:
    assert "Possible options" not in outcome("history-unrelated-option").stderr


def test_a_typo_still_gets_its_suggestion(
    cli: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    done = cli("history", "--limt", "2")
    assert "(Possible options: --limit)" in done.stderr


@pytest.mark.parametrize("case_id", [name for name, case in CASES.items() if case.code == 2])
def test_a_usage_error_writes_nothing(
    case_id: str, outcome: Callable[[str], subprocess.CompletedProcess[str]], workdir: Path
) -> None:
    """Usage errors stop before a database is created (each case has its own state dir)."""
    outcome(case_id)
    assert not (workdir / case_id / "state" / "smolwf").exists()


@pytest.mark.parametrize(
    "state", ["file", "proc"], ids=["state-dir-is-a-file", "state-dir-in-proc"]
)
def test_tui_run_with_no_usable_database_fails_in_one_line_before_the_ui(
    state: str, workdir: Path
) -> None:
    """On a terminal, tui run opens the database first: one line and exit 1, no UI, no
    Textual traceback, no exit 0."""
    leader, follower = pty.openpty()
    home = str(workdir / "a-file") if state == "file" else "/proc/smolwf-cannot-be-here"
    try:
        done = subprocess.run(
            [*smol_wf_command(), "tui", "run", "wf.mjs"],
            cwd=workdir,
            env=dict(os.environ, XDG_STATE_HOME=home, TERM="xterm"),
            stdin=follower,
            stdout=follower,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 1
    assert done.stderr.startswith("error: failed to create default database directory ")
    assert done.stderr.count("\n") == 1

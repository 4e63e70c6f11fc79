"""``smol-wf approve``, ``deny``, ``signal`` and ``inbox``: a person answers workflows.

Each answer is one call of ``smolwf.engine.answers.answer``; the process waiting for it
goes on within about a second, and a run no process waits for goes on when resumed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import typer

from smolwf.cli.placeholders import WORD
from smolwf.cli.run_args import read_failure
from smolwf.clock import iso, now_ms
from smolwf.errors import StoreError, UsageError
from smolwf.jsontypes import JSON
from smolwf.store.db import connect
from smolwf.store.human import Decision, HumanRequest, HumanRequests, InboxEntry, Payload, Reply
from smolwf.store.paths import default_db_path, resume_command

APPROVE_HELP = """Approve a workflow's pending requestApproval().

  smol-wf approve RUN_ID                  the run's one pending approval
  smol-wf approve RUN_ID plan --note ok   by label (or request id), with a note

Exit codes: 0 answered, 1 refused (already answered, timed out, run ended or deleted).
"""
DENY_HELP = """Deny a workflow's pending requestApproval(): it resolves with approved: false.

  smol-wf deny RUN_ID [REQUEST] --note "not now"
"""
SIGNAL_HELP = """Send a signal a workflow waits for with waitForSignal(name).

  smol-wf signal RUN_ID staging-url --data '{"url": "https://staging.example"}'
  smol-wf signal RUN_ID report --data-file report.json

The payload must match the schema the workflow gave; otherwise it is refused and the
run keeps waiting. It answers every pending wait for NAME in the run.
"""
INBOX_HELP = """Every pending approval and signal of every run in the database, oldest first,
with the command that answers it.

  smol-wf inbox
  smol-wf inbox -o json | jq '.[0].commands[0]'
"""

DB_HELP = "SQLite database of runs \\[default: the run database]."
BY_HELP = "Who answers, as recorded in the answer \\[default: the OS user]."


def _db(value: Path | None) -> Path:
    return value if value is not None else default_db_path()


def _decision_command(approved: bool) -> Callable[..., int]:
    """``approve`` or ``deny``: one signature, one decision each."""

    def command(
        run_id: str = typer.Argument(
            ..., metavar="RUN_ID", click_type=WORD, help="The waiting run."
        ),
        request: str | None = typer.Argument(
            None,
            metavar="[REQUEST]",
            click_type=WORD,
            help="A request id or label; optional with one pending.",
        ),
        note: str | None = typer.Option(
            None, "--note", metavar="TEXT", help="A note the workflow receives."
        ),
        by: str | None = typer.Option(None, "--by", metavar="NAME", help=BY_HELP),
        db: Path | None = typer.Option(
            None, "--db", metavar="PATH", help=DB_HELP, show_default=False
        ),
    ) -> int:
        return _decide(run_id, request, Decision(approved, note), by, _db(db))

    return command


human_app = typer.Typer(rich_markup_mode="rich")
"""``inbox``, ``approve``, ``deny`` and ``signal``; the root group (``cli/app.py``) builds
each when used."""

approve = human_app.command("approve", help=APPROVE_HELP)(_decision_command(True))
deny = human_app.command("deny", help=DENY_HELP)(_decision_command(False))


@human_app.command("signal", help=SIGNAL_HELP)
def signal(
    run_id: str = typer.Argument(..., metavar="RUN_ID", click_type=WORD, help="The waiting run."),
    name: str = typer.Argument(
        ..., metavar="NAME", click_type=WORD, help="The signal's name (or request id)."
    ),
    data: str | None = typer.Option(None, "--data", metavar="JSON", help="The payload."),
    data_file: Path | None = typer.Option(
        None, "--data-file", metavar="FILE", help="Read the JSON payload from FILE."
    ),
    by: str | None = typer.Option(None, "--by", metavar="NAME", help=BY_HELP),
    db: Path | None = typer.Option(None, "--db", metavar="PATH", help=DB_HELP, show_default=False),
) -> int:
    payload = Payload(_payload(data, data_file))
    return _decide(run_id, name, payload, by, _db(db))


@human_app.command("inbox", help=INBOX_HELP)
def inbox(
    output: str = typer.Option("table", "--output", "-o", metavar="FORMAT", help="table or json."),
    db: Path | None = typer.Option(None, "--db", metavar="PATH", help=DB_HELP, show_default=False),
) -> int:
    if output not in ("table", "json"):
        raise UsageError("--output must be one of table, json")
    path = _db(db)
    conn = connect(path, create=False)
    try:
        entries = HumanRequests(conn, path).inbox()
    finally:
        conn.close()
    now = now_ms()
    if output == "json":
        print(json.dumps([e.to_json(path, now) for e in entries], indent=2, ensure_ascii=False))
        return 0
    if not entries:
        print("No pending requests.")
    for entry in entries:
        print(inbox_block(entry, path, now))
    return 0


def _decide(
    run_id: str, target: str | None, answer: Decision | Payload, by: str | None, db: Path
) -> int:
    from smolwf.engine.answers import answer as give
    from smolwf.engine.answers import who_answers

    if not db.exists():
        raise StoreError(f"database {db} was not found; pass --db with the run's database")
    outcome = give(db, Reply(run_id, target, answer, by or who_answers()))
    for request in outcome.requests:
        print(f"{_verb(answer)} {request.request_id} ({request.title}) of {run_id}")
    if outcome.needs_resume:
        print(f"no process is waiting for {run_id}; to go on: {resume_command(run_id, db)}")
    return 0


def _verb(answer: Decision | Payload) -> str:
    if isinstance(answer, Payload):
        return "signalled"
    return "approved" if answer.approved else "denied"


def _payload(data: str | None, data_file: Path | None) -> JSON:
    if (data is None) == (data_file is None):
        raise UsageError("signal needs exactly one of --data JSON or --data-file FILE")
    text, source = data, "--data"
    if data_file is not None:
        source = f"--data-file {data_file}"
        try:
            text = data_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"cannot read {source}: {read_failure(error)}") from None
    try:
        return json.loads(text or "")  # type: ignore[no-any-return]
    except ValueError as error:
        raise UsageError(f"{source} is not valid JSON: {error}") from None


def inbox_block(entry: InboxEntry, db: Path, now: int) -> str:
    request = entry.request
    what = f"{request.kind} {request.title}"
    deadline = iso(request.deadline_at) or "none"
    if request.expired(now):
        deadline += " (passed: resume the run to go on)"
    lines = [
        f"{request.run_id}  {entry.workflow_name} ({entry.run_state})  {what}",
        f"  request {request.request_id}, waiting since {iso(request.created_at)},"
        f" deadline {deadline}",
    ]
    lines += [f"  {line}" for line in _asks(request)]
    lines += [f"  $ {command}" for command in request.commands(db)]
    return "\n".join(lines)


def _asks(request: HumanRequest) -> list[str]:
    if request.kind == "approval":
        return (request.message or "").splitlines() or [""]
    if request.schema is not None:
        return [f"payload schema: {json.dumps(request.schema, ensure_ascii=False)}"]
    return []

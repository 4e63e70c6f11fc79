"""``smol-wf run``: parse and check flags, run the workflow, print the report."""

from __future__ import annotations

import json
import os
import signal
import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import anyio
import typer

from smolwf import defaults
from smolwf.cli import flag_values as flags
from smolwf.cli.placeholders import WORD
from smolwf.cli.reuse_flags import reuse_fields
from smolwf.cli.run_args import (
    ARGS_TOKENS,
    RunCommand,
    load_args_file,
    merge_args,
    parse_args_json,
    parse_cli_args,
)
from smolwf.clock import now_ms
from smolwf.engine.config import RECORDED, RunConfig
from smolwf.errors import (
    RunStoppedByStore,
    SmolWfError,
    UsageError,
    WorkflowCancelled,
    WorkflowWaiting,
)
from smolwf.events.sinks import write_unstarted_failure
from smolwf.permissions import DEFAULT_PERMISSIONS, DEFAULT_REFUSAL_POLICY
from smolwf.providers.base import ProviderSettings
from smolwf.providers.registry import KNOWN_PROVIDERS
from smolwf.store.paths import default_db_path, resume_command

if TYPE_CHECKING:
    from smolwf.cli.live_view import LiveProgressSink
    from smolwf.engine.run import RunReport
    from smolwf.tracing.spans import TraceSink

HELP = """Run a workflow script and print its report as JSON on stdout.

Workflow arguments are passed as [bold]--args-<name> value[/bold] anywhere on the line
(repeat a name for an array, omit the value for true), as one JSON value with
[bold]--args-json[/bold], or loaded with [bold]--args-from-file[/bold] (JSON or YAML); the
script reads them as [bold]args[/bold].

Every agent call is checkpointed in the database: after a failure or Ctrl-C, run again
with [bold]--resume-run RUN_ID[/bold] and finished calls replay without calling the provider.

A workflow that asks a person (requestApproval, waitForSignal from workflow:human)
waits for the answer (smol-wf approve/deny/signal, from any terminal); with
[bold]--on-wait exit[/bold] it stops instead once only answers can move it on.

Exit codes: 0 success, 1 the workflow failed, 2 bad usage, 3 waiting for a person
(--on-wait exit; answer, then --resume-run), 130 interrupted.
"""

JS_MEMORY_MIN_MIB = 16
JS_STACK_MIN_KIB = 64


class ProgressMode(StrEnum):
    """How ``run`` shows progress on stderr (``--events`` always keeps stderr empty)."""

    AUTO = "auto"
    LIVE = "live"
    PLAIN = "plain"


def _default_db_text() -> str:
    try:
        return str(default_db_path())
    except UsageError:
        return "$XDG_STATE_HOME/smolwf/workflows.db"


DEFAULT_DB_TEXT = _default_db_text()


def _needs_value(value: object) -> object:
    """A value flag followed by another flag is a usage error, not a value (reference quirk).

    Only the value: typer inspects a callback's signature for each of the options sharing it,
    and click names the flag in the error itself."""
    values = value if isinstance(value, list | tuple) else [value]
    for item in values:
        if isinstance(item, str | Path) and str(item).startswith("--"):
            raise typer.BadParameter(f"needs a value, got the flag {item}")
    return value


run_app = typer.Typer(rich_markup_mode="rich")
"""``smol-wf run``; the root group (``cli/app.py``) builds it when used."""


@run_app.command(
    "run",
    cls=RunCommand,
    help=HELP,
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def run(
    ctx: typer.Context,
    script: str | None = typer.Argument(
        None,
        metavar="SCRIPT",
        click_type=WORD,
        help="The workflow script (.mjs or .js); optional with --resume-run or --fork-run.",
        show_default=False,
    ),
    agent_provider: str = typer.Option(
        defaults.DEFAULT_PROVIDER,
        "--agent-provider",
        callback=_needs_value,
        metavar="PROVIDER",
        help=f"Provider for agent() calls that name none: {', '.join(KNOWN_PROVIDERS)}.",
    ),
    db: Path | None = typer.Option(
        None,
        "--db",
        callback=_needs_value,
        metavar="PATH",
        show_default=False,
        help=f"SQLite database of runs \\[default: {DEFAULT_DB_TEXT}].",
    ),
    resume_run: str | None = typer.Option(
        None,
        "--resume-run",
        callback=_needs_value,
        metavar="RUN_ID",
        help="Resume this run: finished agent calls replay from the database.",
    ),
    fork_run: str | None = typer.Option(
        None,
        "--fork-run",
        callback=_needs_value,
        metavar="RUN_ID",
        help="Start a new run that takes this run's finished agent calls for free (that run "
        "is never changed); the script and args default to its own.",
    ),
    rerun: list[str] = typer.Option(
        [],
        "--rerun",
        callback=_needs_value,
        metavar="SELECTOR",
        help="With --resume-run or --fork-run: finished calls whose label or phase matches "
        "run live again; * globs, e.g. 'review:*' (repeatable).",
    ),
    cache: bool = typer.Option(
        False,
        "--cache",
        help="Take the answer of an equal agent call (provider, model, effort, agentType, "
        "permissions, schema, prompt, --provider-setting values) from any earlier run in "
        "the database, for free; "
        "never for isolated or writing calls (agent() cache option wins).",
    ),
    cache_ttl: str | None = typer.Option(
        None,
        "--cache-ttl",
        callback=_needs_value,
        metavar="DURATION",
        help="Reuse only cached answers younger than this: 30m, 12h, 7d \\[default: any age].",
    ),
    record: Path | None = typer.Option(
        None,
        "--record",
        callback=_needs_value,
        metavar="FILE",
        show_default=False,
        help="Write every agent answer of the run, live or replayed, to this JSON Lines "
        "cassette when the run ends.",
    ),
    replay: Path | None = typer.Option(
        None,
        "--replay",
        callback=_needs_value,
        metavar="FILE",
        show_default=False,
        help="Answer every agent call from this cassette; no provider is ever started, and "
        "a call it lacks fails.",
    ),
    replay_missing: str = typer.Option(
        "fail",
        "--replay-missing",
        callback=_needs_value,
        metavar="fail|live",
        help="With --replay: a call the cassette lacks fails, or runs live and is added to it.",
    ),
    budget_allowance: str | None = typer.Option(
        None,
        "--budget-allowance",
        callback=_needs_value,
        metavar="TOKENS",
        help="Output-token allowance scripts read as budget.total (soft: nothing is blocked).",
    ),
    model_map: list[str] = typer.Option(
        [],
        "--model-map",
        callback=_needs_value,
        metavar="ALIAS:SELECTOR",
        help="Model alias, e.g. deep:gpt-5.5?provider=github-copilot&thinking=high (repeatable).",
    ),
    max_parallel_agents: str | None = typer.Option(
        None,
        "--max-parallel-agents",
        callback=_needs_value,
        metavar="N",
        help=f"Agents running at once \\[default: {defaults.default_max_parallel_agents()} here, "
        "min(16, max(2, cpus-2))].",
    ),
    max_agents: str = typer.Option(
        str(defaults.MAX_AGENTS_PER_RUN),
        "--max-agents",
        callback=_needs_value,
        metavar="N",
        help="agent() calls one run may make, each retry counted (at least 1); the next one "
        "rejects.",
    ),
    save_raw_sessions: Path | None = typer.Option(
        None,
        "--save-raw-sessions",
        callback=_needs_value,
        metavar="DIR",
        help="Write each provider session transcript to DIR/<provider>/<session-id>.jsonl.",
    ),
    events: bool = typer.Option(
        False, "--events", help="Stream JSONL events on stdout instead of the report."
    ),
    progress: ProgressMode = typer.Option(
        ProgressMode.AUTO,
        "--progress",
        case_sensitive=False,
        metavar="MODE",
        help="Progress on stderr: live (a tree of phases and agents), plain (\\[phase]/\\[log] "
        "lines), or auto (live on a terminal, plain otherwise).",
    ),
    log_level: str | None = typer.Option(
        None,
        "--log-level",
        callback=_needs_value,
        metavar="LEVEL",
        help="Internal log lines on stderr: off, error, warn, info, debug, trace.",
    ),
    debug: bool = typer.Option(False, "--debug", help="Same as --log-level debug."),
    js_memory: str = typer.Option(
        str(defaults.JS_MEMORY_MIB),
        "--js-memory",
        callback=_needs_value,
        metavar="MIB",
        help="JS heap limit of the whole run: the script and its child workflows share it "
        f"(at least {JS_MEMORY_MIN_MIB}).",
    ),
    js_slice_timeout: str = typer.Option(
        f"{defaults.JS_SLICE_TIMEOUT_S:g}",
        "--js-slice-timeout",
        callback=_needs_value,
        metavar="SECONDS",
        help="CPU time the script may run without waiting on an agent (at least 0.01).",
    ),
    js_stack: str = typer.Option(
        str(defaults.JS_STACK_KIB),
        "--js-stack",
        callback=_needs_value,
        metavar="KIB",
        help=f"Stack limit of the script (at least {JS_STACK_MIN_KIB}).",
    ),
    args_from_file: list[Path] = typer.Option(
        [],
        "--args-from-file",
        callback=_needs_value,
        metavar="FILE",
        help="Load the script's args from a JSON or YAML file (repeatable; objects merge, "
        "--args-* win; any other value must be the only args).",
    ),
    args_json: str | None = typer.Option(
        None,
        "--args-json",
        callback=_needs_value,
        metavar="JSON",
        help="The script's args as one JSON value, e.g. '\"a question\"' or '[1, 2]'; "
        "an object merges with --args-<name> flags.",
    ),
    max_workflow_depth: str = typer.Option(
        str(defaults.MAX_WORKFLOW_DEPTH),
        "--max-workflow-depth",
        callback=_needs_value,
        metavar="N",
        help="How deep workflow() calls may nest (1: children, no grandchildren).",
    ),
    max_output_tokens: str | None = typer.Option(
        None,
        "--max-output-tokens",
        callback=_needs_value,
        metavar="TOKENS",
        help="Hard cap: once output tokens reach it, every later agent() rejects.",
    ),
    max_total_tokens: str | None = typer.Option(
        None,
        "--max-total-tokens",
        callback=_needs_value,
        metavar="TOKENS",
        help="Hard cap on input + output + cache-write tokens.",
    ),
    max_cost_usd: str | None = typer.Option(
        None,
        "--max-cost-usd",
        callback=_needs_value,
        metavar="USD",
        help="Hard cap on the cost in US dollars: reported by the CLIs, else estimated.",
    ),
    agent_timeout: str | None = typer.Option(
        None,
        "--agent-timeout",
        callback=_needs_value,
        metavar="SECONDS",
        help="Stop a provider call that runs longer than this (agent() timeout option "
        "wins; 0: no limit) \\[default: no limit].",
    ),
    agent_idle_timeout: str = typer.Option(
        f"{defaults.AGENT_IDLE_TIMEOUT_S or 0:g}",
        "--agent-idle-timeout",
        callback=_needs_value,
        metavar="SECONDS",
        help="Stop a provider call that prints nothing for this long, e.g. a hung model "
        "(agent() idleTimeout option wins; 0: no limit).",
    ),
    agent_permissions: str = typer.Option(
        DEFAULT_PERMISSIONS,
        "--agent-permissions",
        callback=_needs_value,
        metavar="LEVEL",
        help="What agents may change unless a call or its phase says otherwise: read-only "
        "(read and search), edit (write files and run commands in the agent's working "
        "directory), full (everything the CLI can do, no prompts).",
    ),
    on_refusal: str = typer.Option(
        DEFAULT_REFUSAL_POLICY,
        "--on-refusal",
        callback=_needs_value,
        metavar="POLICY",
        help="When a CLI refuses an agent's tool use: warn (a \\[warn] line, recorded on the "
        "step) or fail (the call fails too; agent() onRefusal option wins).",
    ),
    no_check: bool = typer.Option(
        False,
        "--no-check",
        help="Start without checking the script first (smol-wf check: errors stop the run, "
        "warnings print as \\[warn] lines).",
    ),
    executor: str = typer.Option(
        "local",
        "--executor",
        callback=_needs_value,
        metavar="KIND",
        help="Where provider calls run: local (this process) or ray (a Ray cluster; "
        "pip install 'smolwf[ray]'). The engine, checkpoints and events stay here.",
    ),
    ray_address: str | None = typer.Option(
        None,
        "--ray-address",
        envvar="RAY_ADDRESS",
        callback=_needs_value,
        metavar="ADDR",
        show_default=False,
        help="The Ray cluster, e.g. 127.0.0.1:6379 \\[default: $RAY_ADDRESS, else a cluster "
        "started on this machine, else a new local one].",
    ),
    ray_agent_resources: str | None = typer.Option(
        None,
        "--ray-agent-resources",
        callback=_needs_value,
        metavar="JSON",
        show_default=False,
        help="What each provider call reserves on the cluster, e.g. '{\"agents\": 1}' "
        "(a phase's or call's resources option wins) \\[default: {\"CPU\": 1}].",
    ),
    ray_workdir: str | None = typer.Option(
        None,
        "--ray-workdir",
        callback=_needs_value,
        metavar="MODE",
        show_default=False,
        help="How the agent's directory reaches a worker: git (HEAD shipped as a bundle, the "
        "agent's commits fetched back) or shared (every node sees the same path) "
        "\\[default: git inside a git repository, else shared].",
    ),
    otel: bool = typer.Option(
        False,
        "--otel",
        help="Send an OpenTelemetry trace of the run over OTLP (also on when "
        "OTEL_EXPORTER_OTLP_ENDPOINT is set; needs pip install 'smolwf\\[otel]').",
    ),
    on_wait: str = typer.Option(
        "wait",
        "--on-wait",
        callback=_needs_value,
        metavar="MODE",
        help="When only a person's answer can move the run on: wait (keep waiting; it goes "
        "on within a second of the answer) or exit (end with exit code 3, the run stays "
        "waiting; answer, then --resume-run).",
    ),
    provider_bin: list[str] = typer.Option(
        [],
        "--provider-bin",
        callback=_needs_value,
        metavar="PROVIDER=PATH",
        help="The CLI a provider runs, e.g. claude-code=/opt/claude/bin/claude (repeatable; "
        "else $SMOLWF_<PROVIDER>_BIN, else PATH).",
    ),
    provider_setting: list[str] = typer.Option(
        [],
        "--provider-setting",
        callback=_needs_value,
        metavar="PROVIDER.KEY=VALUE",
        help="A provider's own setting, e.g. anthropic.base_url=http://localhost:8080 or "
        "openai.api=chat (repeatable; see docs/providers.md for each provider's keys).",
    ),
    provider_concurrency: list[str] = typer.Option(
        [],
        "--provider-concurrency",
        callback=_needs_value,
        metavar="PROVIDER=N",
        help="At most N calls of the provider at once, e.g. anthropic=8 (repeatable; wins "
        "over meta.rateLimits).",
    ),
    provider_rpm: list[str] = typer.Option(
        [],
        "--provider-rpm",
        callback=_needs_value,
        metavar="PROVIDER=N",
        help="At most N calls of the provider started per minute, e.g. anthropic=500 "
        "(repeatable; wins over meta.rateLimits).",
    ),
) -> int:
    config = build_config(ctx)
    events = config.events_stream is not None
    try:
        check_script(ctx)
        traces = trace_sink(otel)
        if traces is not None:
            config = replace(config, sinks=[*config.sinks, traces])
        live = live_sink(progress, config)
        if live is not None:
            config = replace(config, sinks=[*config.sinks, live], progress_stream=None)
        try:
            report = anyio.run(_run_with_signals, config, events)
        finally:
            if live is not None:
                live.close()
            if traces is not None:
                traces.close()
    except WorkflowWaiting as waiting:  # it printed its own answer and resume commands
        return report_waiting(waiting.run_id, config.db_path or default_db_path(), events)
    except SmolWfError as error:
        explain_failure(error, config)
        raise
    if not events:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    return 0


def explain_failure(error: SmolWfError, config: RunConfig) -> None:
    """End an ``--events`` stream the run never started with ``workflow.error``; give a
    recorded run's id and the command that resumes it (``error.hint``)."""
    if config.events_stream is not None and error.run_id is None:
        write_unstarted_failure(config.events_stream, error.message)
    if error.run_id is not None and not isinstance(error, RunStoppedByStore):
        what = "was cancelled" if isinstance(error, WorkflowCancelled) else "failed"
        command = resume_command(error.run_id, config.db_path)
        error.hint = f"run {error.run_id} {what}; resume it with: {command}"


def trace_sink(flag: bool) -> TraceSink | None:
    """The OpenTelemetry sink when ``--otel`` or the environment ask for traces; its SDK
    is imported only then."""
    from smolwf.tracing import trace_settings

    settings = trace_settings(os.environ, flag=flag)
    if settings is None:
        return None
    from smolwf.tracing.setup import open_trace_sink

    return open_trace_sink(settings)


def report_waiting(run_id: str, db: Path, events: bool) -> int:
    """``--on-wait exit``: the requests to answer and the command that resumes (exit 3)."""
    from smolwf.cli.human_cmd import inbox_block
    from smolwf.store.db import connect
    from smolwf.store.human import HumanRequests

    conn = connect(db, create=False)
    try:
        entries = HumanRequests(conn, db).inbox(run_id)
    finally:
        conn.close()
    resume = resume_command(run_id, db)
    if events:  # the stream carried each request and its commands; stderr gets one line
        print(
            f"run {run_id} is waiting for {len(entries)} answer(s) (smol-wf inbox lists them); "
            f"then resume it: {resume}",
            file=sys.stderr,
        )
        return WorkflowWaiting.exit_code
    print(f"run {run_id} is waiting for {len(entries)} answer(s):", file=sys.stderr)
    now = now_ms()
    for entry in entries:
        print(inbox_block(entry, db, now), file=sys.stderr)
    print(f"then resume it: {resume}", file=sys.stderr)
    shown = {
        "runID": run_id,
        "state": "waiting",
        "waitingFor": [entry.request.to_json(db) for entry in entries],
        "resumeCommand": resume,
    }
    print(json.dumps(shown, indent=2, ensure_ascii=False))
    return WorkflowWaiting.exit_code


def live_sink(mode: ProgressMode, config: RunConfig) -> LiveProgressSink | None:
    """The live view when ``mode`` asks for one: never with ``--events``, whose stderr stays
    empty; under ``auto`` only on a terminal, so pipes and CI logs keep the plain lines."""
    if config.events_stream is not None or mode is ProgressMode.PLAIN:
        return None
    if mode is ProgressMode.AUTO and not _stderr_is_terminal():
        return None
    from smolwf.cli.live_view import LiveProgressSink  # rich's live machinery: only when shown

    return LiveProgressSink(budget_total=config.budget_allowance)


def _stderr_is_terminal() -> bool:
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def check_script(ctx: typer.Context) -> None:
    """Run ``smol-wf check`` on the script (unless ``--no-check``); errors stop the run."""
    script = script_to_check(ctx)
    if script is None:
        return
    from smolwf.cli.check_cmd import check_before_run

    check_before_run(script, show_warnings=not ctx.params["events"])


def script_to_check(ctx: typer.Context) -> Path | None:
    """The script ``smol-wf check`` looks at before the run starts: none with
    ``--no-check`` or when a resumed run's script comes from the database."""
    p = ctx.params
    return None if p["script"] is None or p["no_check"] else Path(p["script"])


def build_config(ctx: typer.Context) -> RunConfig:
    """Check the run flags in ``ctx.params`` and turn them into a RunConfig (run, tui run)."""
    p = ctx.params
    script = _path(p["script"])
    level = flags.log_level(p["log_level"], p["debug"])
    if script is None and p["resume_run"] is None and p["fork_run"] is None:
        raise UsageError(
            f"missing workflow script: {ctx.command_path} <workflow-script> [flags] "
            "(or --resume-run RUN_ID, or --fork-run RUN_ID)"
        )
    tokens: list[str] = ctx.meta.get(ARGS_TOKENS, [])
    cli_args = parse_cli_args(tokens, ctx.args)
    values = [load_args_file(Path(path)) for path in p["args_from_file"]]
    if p["args_json"] is not None:
        values.append(parse_args_json(p["args_json"]))
    config = RunConfig(
        **reuse_fields(p),
        script_path=script,
        args=merge_args(values, cli_args),
        db_path=_path(p["db"]),
        resume_run_id=p["resume_run"],
        provider=flags.provider(p["agent_provider"]),
        model_map=flags.model_map(p["model_map"]),
        budget_allowance=flags.budget(p["budget_allowance"]),
        max_parallel_agents=flags.max_parallel(p["max_parallel_agents"]),
        max_agents=flags.count("--max-agents", p["max_agents"], minimum=1),
        max_workflow_depth=flags.count(
            "--max-workflow-depth", p["max_workflow_depth"], minimum=1, maximum=64
        ),
        max_output_tokens=_optional_count("--max-output-tokens", p["max_output_tokens"]),
        max_total_tokens=_optional_count("--max-total-tokens", p["max_total_tokens"]),
        max_cost_usd=_optional_number("--max-cost-usd", p["max_cost_usd"]),
        js_memory_mib=flags.count(
            "--js-memory", p["js_memory"], minimum=JS_MEMORY_MIN_MIB, maximum=1024 * 1024
        ),
        js_slice_timeout_s=flags.number(
            "--js-slice-timeout", p["js_slice_timeout"], minimum=0.01, maximum=86_400
        ),
        js_stack_kib=flags.count(
            "--js-stack", p["js_stack"], minimum=JS_STACK_MIN_KIB, maximum=1024 * 1024
        ),
        display_path=str(script) if script is not None else None,
        events_stream=sys.stdout if p["events"] else None,
        debug_log=_debug_line if level >= flags.LOG_LEVELS["debug"] else None,
        explicit=_explicit_fields(ctx, bool(tokens or p["args_from_file"] or p["args_json"])),
        provider_settings=ProviderSettings(binaries=flags.provider_bins(p["provider_bin"])),
        agent_timeout_s=_optional_number("--agent-timeout", p["agent_timeout"]) or None,
        agent_idle_timeout_s=flags.number("--agent-idle-timeout", p["agent_idle_timeout"]) or None,
        agent_permissions=flags.permissions(p["agent_permissions"]),
        on_refusal=flags.refusal_policy(p["on_refusal"]),
        raw_sessions_dir=flags.raw_sessions_dir(_path(p["save_raw_sessions"])),
        on_wait=flags.on_wait(p["on_wait"]),
        provider_options=flags.provider_settings(p["provider_setting"]),
        provider_concurrency=flags.per_provider(
            "--provider-concurrency", p["provider_concurrency"]
        ),
        provider_rpm=flags.per_provider("--provider-rpm", p["provider_rpm"]),
        executor=flags.executor(p["executor"]),
        ray_address=p["ray_address"] or None,
        ray_agent_resources=flags.agent_resources(p["ray_agent_resources"]),
        ray_workdir=flags.workdir(p["ray_workdir"]),
    )
    from smolwf.engine.reuse import check_reuse_flags  # the engine loads when a run starts

    check_reuse_flags(config)
    if level >= flags.LOG_LEVELS["debug"]:
        _debug_line(
            f"cli run script={script} db={p['db'] or default_db_path()} "
            f"agent_provider={config.provider} "
            f"budget_allowance={config.budget_allowance}"
        )
    return config


def _optional_count(flag: str, text: str | None) -> int | None:
    return flags.count(flag, text, minimum=1) if text is not None else None


def _optional_number(flag: str, text: str | None) -> float | None:
    return flags.number(flag, text) if text is not None else None


async def _run_with_signals(config: RunConfig, quiet: bool) -> RunReport:
    """Run, turning SIGINT/SIGTERM into a clean cancel (exit 130/143, run resumable)."""
    from smolwf.engine.run import WorkflowRun  # the engine loads only when a run starts
    from smolwf.engine.supervise import supervise

    workflow = WorkflowRun(config)

    async def watch() -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if not quiet:
                    print("cancellation requested; stopping in-flight agents…", file=sys.stderr)
                workflow.cancel(130 if signum == signal.SIGINT else 143)

    report = await supervise(lambda group: workflow.execute(), watch)
    assert report is not None  # the signal watcher never cancels the group itself
    return report


def _explicit_fields(ctx: typer.Context, has_args: bool) -> frozenset[str]:
    """The RunConfig fields the user set on the command line (they win on resume): each
    recorded input names its flag, whose parameter here is the flag in snake case."""
    fields = {"args"} if has_args else set()
    if _given(ctx, "script"):
        fields.add("script_path")
    for name, item in RECORDED.items():
        if item.flag is not None and _given(ctx, flag_parameter(item.flag)):
            fields.add(name)
    return frozenset(fields)


def flag_parameter(flag: str) -> str:
    """``--agent-provider`` → ``agent_provider``, the parameter Typer fills from it."""
    return flag.removeprefix("--").replace("-", "_")


def _given(ctx: typer.Context, parameter: str) -> bool:
    source = ctx.get_parameter_source(parameter)
    return source is not None and source.name == "COMMANDLINE"


def _path(value: str | Path | None) -> Path | None:
    """``ctx.params`` holds what the parser produced, which is a str for some Typer
    versions; the command's own arguments are converted, these are not."""
    return Path(value) if value is not None else None


def _debug_line(text: str) -> None:
    print(f"\x1b[2m[debug] {text}\x1b[0m", file=sys.stderr)

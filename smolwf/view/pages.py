"""The view's HTML, rendered on the server: readable without JavaScript and with curl.

Each page is a ``<main>`` inside one layout; the live script swaps only ``<main>``.
Every value is escaped; every link carries the access token.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from html import escape
from urllib.parse import urlencode

from smolwf.clock import iso
from smolwf.events.run_parts import AgentState, AgentStatus, PhaseState, ScopeState
from smolwf.events.run_state import RunState
from smolwf.events.types import Event, EventType, ScopeKey
from smolwf.jsontypes import JSON
from smolwf.records import record
from smolwf.store.history import RunDetail, RunFilter, RunSummary
from smolwf.store.runs import STATES
from smolwf.usage import Usage, UsageTally
from smolwf.view.approvals import PendingApproval

SHOWN_PER_PHASE = 200
"""A phase lists at most this many agents (running and failed first); the rest are counted."""
SHOWN_FIRST: dict[AgentStatus, int] = {"running": 0, "failed": 1, "queued": 2, "completed": 3}
"""The order a long phase's agents are listed in, by status."""


@record
class Links:
    """URLs of this server, each with the access token."""

    token: str

    def to(self, path: str, **query: str | int | None) -> str:
        params = {key: str(value) for key, value in query.items() if value not in (None, "")}
        params["token"] = self.token
        return f"{path}?{urlencode(params)}"


def layout(title: str, main: str, links: Links, live: str) -> str:
    """The whole document; ``live`` is the updates URL the script listens to."""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        '<meta name=referrer content="no-referrer">'
        f"<title>{escape(title)} · smol-wf</title>"
        f'<link rel=stylesheet href="{escape(links.to("/static/view.css"))}">'
        f'<script defer src="{escape(links.to("/static/view.js"))}"></script>'
        f'</head><body data-live="{escape(live)}">'
        f'<header class=top><a href="{escape(links.to("/"))}">smol-wf runs</a>'
        '<span class=live-dot title="live updates"></span></header>'
        f"<main>{main}</main></body></html>"
    )


# ---- the run list -----------------------------------------------------------


def run_list(runs: list[RunSummary], run_filter: RunFilter, links: Links) -> str:
    rows = "".join(_run_row(run, links) for run in runs)
    if not rows:
        rows = "<tr><td colspan=8 class=empty>No runs match.</td></tr>"
    return (
        "<h1>Runs</h1>"
        + _filters(run_filter, links)
        + "<table class=runs><thead><tr><th>Run</th><th>State</th><th>Workflow</th>"
        "<th>Created</th><th>Attempts</th><th>Steps</th><th>Tokens</th><th>Cost</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def _run_row(run: RunSummary, links: Links) -> str:
    href = links.to(f"/runs/{run.run_id}")
    return (
        f'<tr class="run state-{escape(run.state)}">'
        f'<td><a href="{escape(href)}">{escape(run.run_id)}</a></td>'
        f"<td>{_badge(run.state)}</td><td>{escape(run.name)}</td>"
        f"<td>{escape(iso(run.created_at) or '')}</td><td class=num>{run.attempts}</td>"
        f"<td class=num>{run.completed_steps} done, {run.failed_steps} failed</td>"
        f"<td class=num>{run.total_tokens:,}</td><td class=num>{_cost(run.cost_usd)}</td></tr>"
    )


def _filters(run_filter: RunFilter, links: Links) -> str:
    options = "".join(
        f"<option{' selected' if state in run_filter.states else ''}>{state}</option>"
        for state in ("", *STATES)
    )
    since = "" if run_filter.since_ms is None else str(run_filter.since_ms)
    until = "" if run_filter.until_ms is None else str(run_filter.until_ms)
    return (
        '<form class=filters method=get action="/">'
        f'<input type=hidden name=token value="{escape(links.token)}">'
        f"<label>State <select name=status>{options}</select></label>"
        f'<label>Name <input name=name value="{escape(run_filter.name or "")}"></label>'
        f'<label>Since (ms) <input name=since value="{since}"></label>'
        f'<label>Until (ms) <input name=until value="{until}"></label>'
        f'<label>Limit <input name=limit value="{run_filter.limit or ""}" size=4></label>'
        "<button>Filter</button></form>"
    )


# ---- one run ---------------------------------------------------------------


def run_page(
    detail: RunDetail,
    state: RunState,
    resume: str,
    approvals: list[PendingApproval],
    links: Links,
) -> str:
    parts = [
        _run_header(detail, state),
        _approvals(detail.run_id, approvals, links),
        _outcome(detail, state, resume),
        _spend(state),
        _scope(state, None, links, detail.run_id),
        _messages(state),
    ]
    return "".join(parts)


def _run_header(detail: RunDetail, state: RunState) -> str:
    counts = state.counts
    usage = state.usage
    budget = _budget(detail, usage)
    replayed = f" · {counts.replayed:,} replayed" if counts.replayed else ""
    queued = f" · {counts.queued:,} queued" if counts.queued else ""
    return (
        f"<h1>{escape(detail.name)} {_badge(detail.state)}</h1>"
        f"<p class=sub>{escape(detail.run_id)} · {escape(detail.script_path)} · "
        f"{len(detail.attempts)} attempt(s) · started {escape(iso(detail.created_at) or '')}</p>"
        "<dl class=totals>"
        f"<div><dt>Agents</dt><dd>{counts.done:,} done · {counts.running:,} running{queued} · "
        f"{counts.failed:,} failed{replayed}</dd></div>"
        f"<div><dt>Tokens</dt><dd>{usage.total:,} (in {usage.input_tokens:,} · out "
        f"{usage.output_tokens:,} · cache {usage.cache_read_tokens + usage.cache_write_tokens:,})"
        "</dd></div>"
        f"<div><dt>Cost</dt><dd class=cost>{_cost_of(usage)}</dd></div>"
        f"<div><dt>Elapsed</dt><dd>{_duration(_run_elapsed_ns(detail, state))}</dd></div>"
        + (f"<div><dt>Budget</dt><dd>{escape(budget)}</dd></div>" if budget else "")
        + "</dl>"
    )


def _budget(detail: RunDetail, usage: Usage) -> str:
    params = detail.params
    parts = []
    if params.get("budgetAllowance") is not None:
        parts.append(f"{usage.output_tokens:,} of {params['budgetAllowance']} output tokens")
    if params.get("maxOutputTokens") is not None:
        parts.append(f"cap {usage.output_tokens:,}/{params['maxOutputTokens']} output tokens")
    if params.get("maxTotalTokens") is not None:
        parts.append(f"cap {usage.total:,}/{params['maxTotalTokens']} total tokens")
    if params.get("maxCostUsd") is not None:
        parts.append(f"cap {_cost(usage.cost_usd)}/${params['maxCostUsd']}")
    return "; ".join(parts)


def _approvals(run_id: str, approvals: list[PendingApproval], links: Links) -> str:
    if not approvals:
        return ""
    items = []
    for item in approvals:
        base = f"/runs/{run_id}/approvals/{item.approval_id}"
        items.append(
            f"<li><strong>{escape(item.title)}</strong> {escape(item.detail)}"
            f'<form method=post action="{escape(links.to(base + "/approve"))}">'
            "<button>Approve</button></form>"
            f'<form method=post action="{escape(links.to(base + "/deny"))}">'
            "<button>Deny</button></form></li>"
        )
    return f"<section class=approvals><h2>Waiting for you</h2><ul>{''.join(items)}</ul></section>"


def _outcome(detail: RunDetail, state: RunState, resume: str) -> str:
    parts = []
    if state.error is not None or (detail.failure is not None and detail.state != "running"):
        message = state.error or _message(detail.failure)
        parts.append(f"<div class=error><h2>Error</h2><pre>{escape(message)}</pre></div>")
    if detail.has_result or state.status == "completed":
        result = state.result if state.status == "completed" else detail.result
        parts.append(f"<div class=result><h2>Result</h2><pre>{escape(_json(result))}</pre></div>")
    parts.append(f"<p class=resume>Resume: <code>{escape(resume)}</code></p>")
    return "".join(parts)


def _spend(state: RunState) -> str:
    """Cost by phase and by provider; each table's rows add up to its total."""
    phases = [(_phase_title(p, state), p.spend) for p in state.phases if p.spend.total]
    providers = sorted(state.providers.items())
    if not phases and not providers:
        return ""
    return (
        "<section class=spend><h2>Spend</h2><div class=spend-tables>"
        + _spend_table("Phase", phases, state.spend)
        + _spend_table("Provider", providers, state.spend)
        + "</div></section>"
    )


def _spend_table(title: str, rows: Iterable[tuple[str, UsageTally]], total: UsageTally) -> str:
    body = "".join(
        f"<tr><td>{escape(name)}</td><td class=num>{tally.total:,}</td>"
        f"<td class=num>{_cost_of(tally.usage())}</td></tr>"
        for name, tally in [*rows, ("total", total)]
    )
    return (
        f"<table class=spend-{title.lower()}><thead><tr><th>{title}</th><th>Tokens</th>"
        f"<th>Cost</th></tr></thead><tbody>{body}</tbody></table>"
    )


def _scope(state: RunState, key: ScopeKey, links: Links, run_id: str) -> str:
    phases = [p for p in state.phases if p.parent_step_id == key]
    children = [s for s in state.scopes.values() if s.parent_step_id and s.caller == key]
    body = "".join(_phase(state, phase, links, run_id) for phase in phases)
    body += "".join(_child(state, child, links, run_id) for child in children)
    if key is None:
        body = body or "<p class=empty>No agents yet.</p>"
        return f"<section class=tree><h2>Phases</h2>{body}</section>"
    return body


def _child(state: RunState, child: ScopeState, links: Links, run_id: str) -> str:
    status = child.status
    detail = f"<pre>{escape(child.error)}</pre>" if child.error else ""
    return (
        f'<details class="child state-{status}" open><summary>{_mark(status)} workflow '
        f"<strong>{escape(child.name or child.parent_step_id or '')}</strong> {_badge(status)}"
        f"</summary>{detail}{_scope(state, child.parent_step_id, links, run_id)}</details>"
    )


def _phase(state: RunState, phase: PhaseState, links: Links, run_id: str) -> str:
    agents = state.agents_in(phase)
    shown, rest = agents, []
    if len(agents) > SHOWN_PER_PHASE:
        ordered = sorted(agents, key=lambda a: SHOWN_FIRST[a.status])
        shown, rest = ordered[:SHOWN_PER_PHASE], ordered[SHOWN_PER_PHASE:]
    rows = "".join(_agent_row(agent, state, links, run_id) for agent in shown)
    if rest:
        rows += f"<tr><td colspan=7 class=empty>… and {_left_out(rest)}</td></tr>"
    counts = phase.counts
    return (
        f"<details class=phase open><summary><strong>{escape(_phase_title(phase, state))}</strong>"
        f" <span class=counts>{counts.done:,}/{counts.total:,} done"
        + (f", {counts.failed:,} failed" if counts.failed else "")
        + f" · {phase.spend.total:,} tok · {_cost_of(phase.usage)}</span></summary>"
        "<table class=agents><thead><tr><th></th><th>Agent</th><th>Provider / model</th>"
        "<th>Elapsed</th><th>Tokens</th><th>Cost</th><th>Notes</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></details>"
    )


def _left_out(agents: list[AgentState]) -> str:
    """``12 more completed``, or ``12 more (2 queued, 10 completed)``."""
    counts = Counter(agent.status for agent in agents)
    if set(counts) == {"completed"}:
        return f"{len(agents):,} more completed"
    parts = [f"{counts[status]:,} {status}" for status in SHOWN_FIRST if counts[status]]
    return f"{len(agents):,} more ({', '.join(parts)})"


def _agent_row(agent: AgentState, state: RunState, links: Links, run_id: str) -> str:
    href = links.to(f"/runs/{run_id}/agents/{agent.step_id}")
    spent = agent.spent or agent.usage
    where = (agent.provider or "") + (f" / {agent.model}" if agent.model else "")
    notes = []
    if agent.replayed:
        notes.append("replayed")
    if agent.refusals:
        notes.append(f"{agent.refusals} refused tool use(s)")
    if agent.error:
        notes.append(agent.error.split("\n", 1)[0][:120])
    return (
        f'<tr class="agent state-{agent.status}"><td>{_mark(agent.status)}</td>'
        f'<td><a href="{escape(href)}">{escape(agent.title[:80])}</a></td>'
        f"<td>{escape(where)}</td><td class=num>{_duration(_agent_elapsed(agent, state))}</td>"
        f"<td class=num>{spent.total if spent else 0:,}</td>"
        f"<td class=num>{_cost_of(spent)}</td><td>{escape('; '.join(notes))}</td></tr>"
    )


def _messages(state: RunState) -> str:
    if not state.logs and not state.warnings:
        return ""
    items = [("log", m.message) for m in state.logs] + [("warn", m.message) for m in state.warnings]
    lines = "".join(
        f"<li class={kind}><span>[{kind}]</span> {escape(text)}</li>" for kind, text in items
    )
    return f"<section class=messages><h2>Logs and warnings</h2><ul>{lines}</ul></section>"


# ---- one agent -------------------------------------------------------------


def agent_page(run_id: str, agent: AgentState, events: list[Event], links: Links) -> str:
    """An agent's details and its live transcript: every ``agent_event`` line in order."""
    spent = agent.spent or agent.usage
    back = links.to(f"/runs/{run_id}")
    lines = "".join(
        f"<li>{escape(_json(event.fields.get('providerEvent')))}</li>"
        for event in events
        if event.type == EventType.AGENT_EVENT
    )
    calls = "".join(
        f"<li>{escape(str(c.get('provider')))} · {escape(str(c.get('outcome')))}"
        f"{' · ' + escape(str(c['failureKind'])) if c.get('failureKind') else ''}</li>"
        for c in agent.calls
    )
    return (
        f'<p><a href="{escape(back)}">← {escape(run_id)}</a></p>'
        f"<h1>{_mark(agent.status)} {escape(agent.title)} {_badge(agent.status)}</h1>"
        "<dl class=totals>"
        f"<div><dt>Provider / model</dt><dd>{escape(agent.provider or '')}"
        f"{' / ' + escape(agent.model) if agent.model else ''}</dd></div>"
        f"<div><dt>Phase</dt><dd>{escape(agent.phase or '(none)')}</dd></div>"
        f"<div><dt>Tokens</dt><dd>{spent.total if spent else 0:,}</dd></div>"
        f"<div><dt>Cost</dt><dd>{_cost_of(spent)}</dd></div>"
        f"<div><dt>Step</dt><dd>{escape(agent.step_id)}</dd></div></dl>"
        + (f"<div class=error><pre>{escape(agent.error)}</pre></div>" if agent.error else "")
        + (f"<h2>Provider calls</h2><ol>{calls}</ol>" if calls else "")
        + f"<h2>Prompt</h2><pre>{escape(agent.prompt_preview)}</pre>"
        + "<h2>Transcript</h2><ol class=transcript>"
        + (lines or "<li class=empty>No events.</li>")
        + "</ol>"
    )


# ---- small parts -----------------------------------------------------------


def _phase_title(phase: PhaseState, state: RunState) -> str:
    return phase.name or "(no phase)"


def _badge(state: str) -> str:
    return f'<span class="badge {escape(state)}">{escape(state)}</span>'


def _mark(status: str) -> str:
    marks = {"queued": "◌", "running": "●", "completed": "✓", "failed": "✗", "cancelled": "■"}
    mark = marks.get(status, "·")
    return f'<span class="mark {escape(status)}" aria-label="{escape(status)}">{mark}</span>'


def _cost(value: float | None, estimated: bool = False) -> str:
    if value is None:
        return "–"
    shown = f"${value:.4f}" if value < 1 else f"${value:,.2f}"
    return f'<span title="estimated from token prices">~{shown}</span>' if estimated else shown


def _cost_of(usage: Usage | None) -> str:
    return "–" if usage is None else _cost(usage.cost_usd, usage.estimated)


def _duration(ns: int | None) -> str:
    if ns is None:
        return ""
    seconds = ns / 1e9
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes}m{rest:02d}s" if minutes < 60 else f"{minutes // 60}h{minutes % 60:02d}m"


def _now_ns(state: RunState) -> int:
    """Nanoseconds since the latest attempt started: the clock of its ``elapsedNanos``."""
    if state.finished or state.start_time is None:
        return state.elapsed_ns
    started = datetime.fromisoformat(state.start_time).timestamp()
    return max(state.elapsed_ns, int((time.time() - started) * 1e9))


def _agent_elapsed(agent: AgentState, state: RunState) -> int | None:
    return agent.elapsed_ns(_now_ns(state))


def _run_elapsed_ns(detail: RunDetail, state: RunState) -> int:
    end = detail.finished_at if detail.finished_at is not None else int(time.time() * 1000)
    return max(0, end - detail.created_at) * 1_000_000


def _message(value: JSON) -> str:
    if isinstance(value, dict):
        return str(value.get("message"))
    return str(value)


def _json(value: JSON) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False)

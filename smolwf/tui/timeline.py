"""The timeline model: revealed events as display rows of one scope tab.

Agent lifecycle and provider events are grouped under one row per agent call (by
``stepId``), so interleaved parallel agents stay readable; everything else keeps
stream order. Rows are plain data, rebuilt from the events on each change. What an
agent's row says about it (status, session, event count) and which scopes exist (the
tabs, and their names) come from the run's ``RunState``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smolwf.events.run_parts import AgentState
from smolwf.events.run_state import RunState
from smolwf.events.sinks import HUMAN, human_line
from smolwf.events.types import Event, EventType, ScopeKey
from smolwf.excerpts import clip
from smolwf.jsontext import compact
from smolwf.jsontypes import JSON
from smolwf.records import record

TAB_WIDTH = 14
"""A tab label's longest width: three fit the header's tab box."""
AGENT_TYPES = (
    EventType.AGENT_QUEUED,
    EventType.AGENT_STARTED,
    EventType.AGENT_EVENT,
    EventType.AGENT_COMPLETED,
    EventType.AGENT_FAILED,
)


@record
class Row:
    """One timeline line; ``event`` is the index of the event it selects."""

    text: str
    event: int
    header: bool = False


@dataclass(slots=True)
class AgentGroup:
    """One agent call's events (with their indexes), in arrival order."""

    first: Event
    index: int
    members: list[tuple[int, Event]] = field(default_factory=list)

    def header(self, agent: AgentState | None) -> str:
        """``agent codex completed [Draft] label session=1a2b3c4d events=3``; a call with
        no session yet says ``session=pending``, a finished one without any says none;
        ``events`` counts the provider events listed under it (pi's per-token updates are
        not)."""
        members = [m for _, m in self.members]
        if agent is None:  # a stream without step ids: only its own events tell
            agent = _loose_agent(self.first, members)
        where = f" [{agent.phase}]" if agent.phase else ""
        what = f" {agent.label}" if agent.label else ""
        session = agent.session_id or _session_in(members)
        if session:
            session_text = f" session={session[:8]}"
        else:
            session_text = " session=pending" if agent.status in ("queued", "running") else ""
        provider = agent.provider or _first_meta(members, "provider") or "agent"
        listed = sum(1 for m in members if m.type == EventType.AGENT_EVENT)  # rows below it
        return f"agent {provider} {agent.status}{where}{what}{session_text} events={listed}"


def _loose_agent(first: Event, members: list[Event]) -> AgentState:
    """What the events of a group without a step id say about its call."""
    start = first.fields if first.type in (EventType.AGENT_STARTED, EventType.AGENT_QUEUED) else {}
    phase, label = start.get("phase"), start.get("label")
    agent = AgentState(
        "", phase if isinstance(phase, str) else None, "", label if isinstance(label, str) else None
    )
    types = {m.type for m in members}
    if EventType.AGENT_FAILED in types:
        agent.status = "failed"
    elif EventType.AGENT_COMPLETED in types:
        agent.status = "completed"
    return agent


def scopes(state: RunState) -> list[ScopeKey]:
    """The tabs: the root, then each child workflow in order of appearance."""
    return [None, *(key for key in state.scopes if key is not None)]


def tab_label(state: RunState, scope: ScopeKey, width: int = TAB_WIDTH) -> str:
    """The scope's name (``review·1k3x``), its workflow name cut to fit ``width``."""
    label = state.scope_label(scope)
    if len(label) <= width:
        return label
    name, dot, suffix = label.rpartition("·")
    return f"{name[: width - len(suffix) - 2]}…{dot}{suffix}"


def visible(events: list[Event], scope: ScopeKey) -> list[tuple[int, Event]]:
    """The root tab shows everything; a child tab only its own workflow's events."""
    if scope is None:
        return list(enumerate(events))
    return [(index, e) for index, e in enumerate(events) if e.scope == scope]


def build_rows(
    events: list[Event], scope: ScopeKey, clock: TimeFormat, state: RunState
) -> list[Row]:
    """Display rows of one tab: stream order, agent events folded under their call."""
    order: list[tuple[int, Event] | AgentGroup] = []
    groups: dict[tuple[ScopeKey, str], AgentGroup] = {}
    for index, event in visible(events, scope):
        if event.type not in AGENT_TYPES:
            order.append((index, event))
            continue
        if _hidden(event):
            continue
        key = (event.scope, event.meta("stepId") or event.meta("sessionId") or f"#{index}")
        if key not in groups:
            groups[key] = AgentGroup(event, index)
            order.append(groups[key])
        groups[key].members.append((index, event))
    rows: list[Row] = []
    for item in order:
        if isinstance(item, AgentGroup):
            agent = state.agents.get(item.first.meta("stepId") or "")
            rows.extend(_group_rows(item, clock, agent))
        else:
            index, event = item
            text = f"{clock(event)} {_indent(event)}{event_label(event, state)}"
            rows.append(Row(text, index))
    return rows


def _group_rows(group: AgentGroup, clock: TimeFormat, agent: AgentState | None) -> list[Row]:
    first = group.first
    header = group.header(agent)
    rows = [Row(f"{clock(first)} {_indent(first)}{header}", group.index, header=True)]
    pad = " " * (len(clock(first)) + 1) + _indent(first)
    for number, (index, member) in enumerate(group.members, start=1):
        branch = "└─" if number == len(group.members) else "├─"
        rows.append(Row(f"{pad}{branch} {agent_label(member)}", index))
    return rows


def _hidden(event: Event) -> bool:
    """Pi's per-token ``message_update`` events carry nothing the final message lacks."""
    provider_event = event.fields.get("providerEvent")
    return isinstance(provider_event, dict) and provider_event.get("type") == "message_update"


def compacted(event: Event) -> Event:
    """Pi streams a full message per token; keeping them would dwarf the real events, so a
    ``message_update`` keeps only its type (the row is hidden anyway)."""
    data = event.data
    if event.type != EventType.AGENT_EVENT or not isinstance(data, dict):
        return event
    provider_event = data.get("providerEvent")
    if not isinstance(provider_event, dict) or provider_event.get("type") != "message_update":
        return event
    small: JSON = {**data, "providerEvent": {"type": "message_update", "compacted": True}}
    return Event(event.type, small, event.metadata, event.elapsed_ns, event.seq)


def _indent(event: Event) -> str:
    return "  " * event.depth


def _first_meta(events: list[Event], key: str) -> str | None:
    return next((v for e in events if (v := e.meta(key)) is not None), None)


def _session_in(events: list[Event]) -> str | None:
    for event in events:
        value = event.fields.get("sessionId")
        if isinstance(value, str) and value:
            return value
    return None


SEARCH_META_KEYS = ("provider", "sessionId", "stepId", "parentStepId")


def search_text(event: Event) -> str:
    """What ``/`` searches, case-folded: type, compact data JSON, provider and ids."""
    data = compact(event.data)
    ids = [value for key in SEARCH_META_KEYS if (value := event.meta(key)) is not None]
    return "\n".join([event.type, data, *ids]).casefold()


class SearchIndex:
    """Each event's search text, computed once on first search (events only ever grow)."""

    def __init__(self) -> None:
        self._texts: list[str] = []

    def matches(self, events: list[Event], query: str) -> set[int]:
        """Indexes of the events containing ``query`` (case-insensitive); none for no query."""
        needle = query.casefold()
        if not needle:
            return set()
        self._texts.extend(search_text(event) for event in events[len(self._texts) :])
        return {number for number, text in enumerate(self._texts) if needle in text}


def event_label(event: Event, state: RunState) -> str:
    """The row text of a non-agent event; a child's start names the child as its tab does."""
    data = event.fields
    if event.type == EventType.STARTED:
        parent = event.meta("parentStepId")
        if event.depth > 0 and parent:
            return f"workflow.started child={state.scope_label(parent)}"
        return "workflow.started"
    if event.type == EventType.PHASE:
        return f"workflow.phase {data.get('name')}"
    if event.type in (EventType.LOG, EventType.WARNING, EventType.ERROR):
        return f"{event.type} {clip(str(data.get('message', '')), 80)}"
    if event.type in (EventType.SLEEP_STARTED, EventType.SLEEP_COMPLETED):
        duration = data.get("durationMs")
        return f"{event.type} {duration} ms" if isinstance(duration, int) else event.type
    if event.type in HUMAN:
        return f"{event.type} {clip(human_line(event, commands=False), 80)}"
    return event.type


def agent_label(event: Event) -> str:
    """The child-row text of an agent event: lifecycle word, or the provider event's gist."""
    if event.type == EventType.AGENT_QUEUED:
        return "queued"
    if event.type == EventType.AGENT_STARTED:
        return "started"
    if event.type == EventType.AGENT_COMPLETED:
        return "completed"
    if event.type == EventType.AGENT_FAILED:
        return clip(f"failed {event.fields.get('message', '')}", 80)
    return provider_label(event)


def provider_label(event: Event) -> str:
    """The provider event's ``type`` plus its first text, or a usage summary."""
    provider_event = event.fields.get("providerEvent")
    if not isinstance(provider_event, dict):
        return "event"
    kind = provider_event.get("type")
    name = kind if isinstance(kind, str) else "event"
    texts = collect_texts(provider_event, 1)
    if texts:
        return f"{name} {clip(texts[0], 60)}"
    usage = find_usage(provider_event)
    return f"{name} {usage}" if usage else name


def collect_texts(value: object, limit: int) -> list[str]:
    """Up to ``limit`` strings under ``text``/``result``/``delta`` keys, depth first."""
    found: list[str] = []

    def walk(node: object) -> None:
        if len(found) >= limit:
            return
        if isinstance(node, dict):
            for key, child in node.items():
                if key in ("text", "result", "delta") and isinstance(child, str) and child.strip():
                    found.append(child)
                else:
                    walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(value)
    return found[:limit]


def find_usage(value: object) -> str | None:
    """``k=v`` pairs of the first ``usage`` object with numbers in it."""
    if isinstance(value, dict):
        usage = value.get("usage")
        if isinstance(usage, dict):
            pairs = [f"{k}={v}" for k, v in usage.items() if isinstance(v, int | float)]
            if pairs:
                return " ".join(pairs)
        for child in value.values():
            if (found := find_usage(child)) is not None:
                return found
    elif isinstance(value, list):
        for child in value:
            if (found := find_usage(child)) is not None:
                return found
    return None


class TimeFormat:
    """Row timestamps: elapsed ``+HH:MM:SS.mmm``, or local wall time (``t`` toggles)."""

    def __init__(self) -> None:
        self.local = False
        self.start: datetime | None = None

    def __call__(self, event: Event) -> str:
        elapsed_ms = (event.elapsed_ns or 0) // 1_000_000
        if self.local and self.start is not None:
            moment = (self.start + timedelta(milliseconds=elapsed_ms)).astimezone()
            return moment.strftime("%H:%M:%S.") + f"{moment.microsecond // 1000:03d}"
        hours, rest = divmod(elapsed_ms, 3_600_000)
        minutes, rest = divmod(rest, 60_000)
        seconds, millis = divmod(rest, 1000)
        return f"+{hours:02d}:{minutes:02d}:{seconds:02d}.{millis:03d}"

    def learn(self, event: Event) -> None:
        """The root ``workflow.started`` gives the wall time elapsed counts from."""
        start = event.fields.get("startTime")
        if self.start is None and event.type == EventType.STARTED and isinstance(start, str):
            try:
                self.start = datetime.fromisoformat(start.replace("Z", "+00:00"))
            except ValueError:
                self.start = None

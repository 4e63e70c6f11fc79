"""Per-provider rate limits: a throttle admits at most ``concurrency`` calls at once and
``per_minute`` starts in any minute (measured on a fake clock, never by sleeping), the
flags win over ``meta.rateLimits``, and a bad limit stops the run before it starts."""

from __future__ import annotations

import io
import itertools
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import anyio
import pytest

from smolwf import AgentRequest, AgentResult, RunReport, ScriptError, Usage
from smolwf.engine.rate_limits import RateLimit, Throttle, rate_limits
from smolwf.errors import FailureKind, ProviderError
from smolwf.jsontypes import JSON
from smolwf.providers.base import ProviderEventSink

pytestmark = pytest.mark.anyio
Write = Callable[..., Path]
Run = Callable[..., RunReport]


class FakeClock:
    """anyio's clock and sleep, but time only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await anyio.lowlevel.checkpoint()


class Starts:
    """A throttle on a fake clock, and the moments its calls started."""

    def __init__(self, per_minute: int) -> None:
        self.clock = FakeClock()
        self.throttle = Throttle(
            RateLimit(per_minute=per_minute), clock=self.clock, sleep=self.clock.sleep
        )
        self.moments: list[float] = []

    async def call(self) -> None:
        async def work() -> AgentResult:
            self.moments.append(self.clock.now)
            return AgentResult(output="ok")

        await self.throttle.run(work)


async def test_a_minute_admits_at_most_its_limit_and_the_next_start_waits_for_room() -> None:
    starts = Starts(per_minute=3)
    for _ in range(7):
        await starts.call()
    assert starts.moments == [0.0, 0.0, 0.0, 60.0, 60.0, 60.0, 120.0]


async def test_the_window_slides_so_a_start_waits_only_for_the_oldest_one() -> None:
    starts = Starts(per_minute=2)
    await starts.call()
    starts.clock.now = 45.0
    await starts.call()
    await starts.call()
    assert starts.moments == [0.0, 45.0, 60.0]


async def test_at_most_concurrency_calls_run_at_once_and_the_others_wait_their_turn() -> None:
    throttle = Throttle(RateLimit(concurrency=2))
    running, most, finished = 0, 0, 0
    release = anyio.Event()

    async def work() -> AgentResult:
        nonlocal running, most, finished
        running += 1
        most = max(most, running)
        await release.wait()
        running -= 1
        finished += 1
        return AgentResult(output="ok")

    async with anyio.create_task_group() as group:
        for _ in range(5):
            group.start_soon(throttle.run, work)
        await anyio.wait_all_tasks_blocked()
        assert (running, finished) == (2, 0)
        release.set()
    assert (most, finished) == (2, 5)


MERGES = [
    ("meta-only", {"anthropic": {"concurrency": 4}}, {}, {}, {"anthropic": RateLimit(4, None)}),
    (
        "flag-wins-per-limit",
        {"anthropic": {"concurrency": 4, "requestsPerMinute": 100}},
        {"anthropic": 8},
        {},
        {"anthropic": RateLimit(8, 100)},
    ),
    ("flags-only", None, {"codex": 2}, {"openai": 60}, {
        "codex": RateLimit(2, None), "openai": RateLimit(None, 60)
    }),
]  # fmt: skip


@pytest.mark.parametrize(
    ("meta", "concurrency", "rpm", "expected"),
    [case[1:] for case in MERGES],
    ids=[case[0] for case in MERGES],
)
def test_the_flags_win_over_meta_provider_by_provider_and_limit_by_limit(
    meta: JSON, concurrency: dict[str, int], rpm: dict[str, int], expected: dict[str, RateLimit]
) -> None:
    assert rate_limits(meta, concurrency, rpm) == expected


BAD_META = [
    ("not-an-object", 8, "meta.rateLimits must be an object of {provider: {concurrency, ...}}"),
    ("entry-not-an-object", {"anthropic": 8}, "meta.rateLimits.anthropic must be an object"),
    ("zero", {"anthropic": {"concurrency": 0}}, "meta.rateLimits.anthropic.concurrency must be "
     "a whole number of at least 1, got 0"),
    ("text", {"openai": {"requestsPerMinute": "60"}}, "meta.rateLimits.openai.requestsPerMinute "
     "must be a whole number of at least 1, got '60'"),
    ("unknown-limit", {"openai": {"rpm": 60}}, "meta.rateLimits.openai.rpm is not a limit: use "
     "concurrency or requestsPerMinute"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("meta", "message"), [c[1:] for c in BAD_META], ids=[c[0] for c in BAD_META]
)
def test_a_limit_meta_gets_wrong_stops_the_run_before_it_starts(
    meta: JSON, message: str, write_script: Write, run: Run, db: Path
) -> None:
    limits = json.dumps(meta)
    script = write_script(
        f"export const meta = {{ name: 'x', description: 'y', rateLimits: {limits} }}\n"
        "export default await agent('x')\n",
        meta=False,
    )
    with pytest.raises(ScriptError) as caught:
        run(script)
    assert caught.value.message.startswith(message)
    with closing(sqlite3.connect(db)) as conn:
        assert conn.execute("SELECT count(*) FROM runs").fetchone() == (0,)


@dataclass
class Counting:
    """A provider that counts the calls inside it at once, and whether it was closed. Its
    calls wait until ``together`` are inside, then all go on (so a broken limit shows)."""

    together: int
    name: str = "counting"
    running: int = 0
    most: int = 0
    closed: int = 0
    gate: anyio.Event = field(default_factory=anyio.Event)

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        self.running += 1
        self.most = max(self.most, self.running)
        if self.running >= self.together:
            self.gate.set()
        with anyio.move_on_after(10):  # a bound for a broken engine, never reached otherwise
            await self.gate.wait()
        self.running -= 1
        return AgentResult(output=request.prompt, usage=Usage(1, 1))

    async def aclose(self) -> None:
        self.closed += 1


FANOUT = (
    "export default (await parallel(Array.from({ length: 9 }, (_, i) => () => "
    "agent('item ' + i, { provider: 'counting' })))).length\n"
)


def test_a_limit_of_a_provider_handed_in_by_a_program_holds_and_it_is_closed_at_the_end(
    write_script: Write, run: Run
) -> None:
    provider = Counting(together=2)
    script = write_script(FANOUT)
    report = run(
        script,
        providers={"counting": provider},
        max_parallel_agents=9,
        provider_concurrency={"counting": 2},
    )
    assert report.result == 9
    assert provider.most == 2
    assert provider.closed == 1


def test_without_a_limit_the_same_calls_run_together(write_script: Write, run: Run) -> None:
    provider = Counting(together=3)
    run(write_script(FANOUT), providers={"counting": provider}, max_parallel_agents=9)
    assert provider.most >= 3


@dataclass
class SlowFirstFails:
    """Takes ``seconds`` a call, and each prompt's first call fails (transient): every
    ``agent()`` call makes two provider calls, and its event tells the time of each."""

    name: str = "slow"
    seconds: float = 0.05
    tried: set[str] = field(default_factory=set)

    async def run(self, request: AgentRequest, events: ProviderEventSink) -> AgentResult:
        await anyio.sleep(self.seconds)
        if request.prompt not in self.tried:
            self.tried.add(request.prompt)
            raise ProviderError("busy", kind=FailureKind.TRANSIENT, usage=Usage(1, 1, cost_usd=0.0))
        return AgentResult(output=request.prompt, usage=Usage(1, 1, cost_usd=0.0))


def test_a_calls_wait_for_its_turn_is_not_part_of_its_measured_time(
    write_script: Write, run: Run
) -> None:
    script = write_script(
        "export default await parallel(['a', 'b', 'c'].map((p) => () => "
        "agent(p, { provider: 'slow', retry: { maxAttempts: 2 } })))\n"
    )
    events = io.StringIO()
    run(
        script,
        providers={"slow": SlowFirstFails()},
        max_parallel_agents=3,
        provider_concurrency={"slow": 1},
        events_stream=events,
    )
    completed = [json.loads(line) for line in events.getvalue().splitlines()]
    measured = sorted(
        (call["startedNanos"], call["endedNanos"])
        for event in completed
        if event["type"] == "workflow.agent_completed"
        for call in event["data"]["calls"]
    )
    assert len(measured) == 6
    # One at a time: each provider call is measured from its turn, never from its wait.
    for (_, ended), (started, _) in itertools.pairwise(measured):
        assert started >= ended


def test_provider_settings_are_recorded_for_a_resume_but_headers_are_not(
    write_script: Write, run: Run, db: Path
) -> None:
    script = write_script("export default 1\n")
    run(
        script,
        provider_settings={
            "anthropic": {"model": "claude-haiku-4-5", "header.Authorization": "Bearer secret"}
        },
        provider_rpm={"anthropic": 50},
        progress_stream=io.StringIO(),
    )
    with closing(sqlite3.connect(db)) as conn:
        (params,) = conn.execute("SELECT params_json FROM runs").fetchone()
    recorded = json.loads(params)
    assert recorded["providerSettings"] == {"anthropic": {"model": "claude-haiku-4-5"}}
    assert recorded["providerRpm"] == {"anthropic": 50}
    assert "secret" not in params

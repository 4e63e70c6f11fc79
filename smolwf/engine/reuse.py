"""Which earlier answers a run may take, read and checked before the run starts.

The flags combine into one lookup chain: this run's own checkpoints (``--resume-run``),
the run it forks (``--fork-run``), the cache (``--cache``, ``cache:``), a cassette
(``--replay``). Everything that can be wrong with them (a run that is not there, a
``--rerun`` selector that matches nothing, an unreadable cassette) is found here, before
the run is created or resumed, so a refused run leaves nothing behind.

The fork and cassette sources are imported by the runs that use them, not by every
start-up; the cache stage is always in the chain (a call's ``cache`` option asks for it).
"""

from __future__ import annotations

from dataclasses import field
from typing import TYPE_CHECKING

from smolwf.engine.cache import CacheLookup
from smolwf.engine.config import RunConfig
from smolwf.engine.lookup import LookupChain, OwnCheckpoints, Stage
from smolwf.engine.rerun import Selectors
from smolwf.errors import StoreError, UsageError
from smolwf.records import record
from smolwf.store.runs import RunRecord, RunStore, StepRecord

if TYPE_CHECKING:
    from smolwf.engine.cassettes import CassetteRecorder
    from smolwf.engine.fork import ForkOf
    from smolwf.store.cassettes import CassetteEntry


@record
class Reuse:
    """The sources a run's calls are looked up in, besides its own checkpoints."""

    fork: ForkOf | None = None
    fork_steps: dict[str, StepRecord] = field(default_factory=dict)
    rerun: Selectors | None = None
    """``--rerun`` on a resume: the calls skip every source, own checkpoints included."""
    cassette: dict[str, CassetteEntry] | None = None
    notes: tuple[str, ...] = ()
    """What the resume warning should say about them."""


def check_reuse_flags(config: RunConfig) -> None:
    """Flag combinations that cannot mean anything, refused before any work."""
    if config.fork_run_id is not None and config.resume_run_id is not None:
        raise UsageError(
            "--fork-run and --resume-run cannot be combined: resume a run to finish it, "
            "or fork it into a new run"
        )
    if config.rerun and config.fork_run_id is None and config.resume_run_id is None:
        raise UsageError("--rerun selects calls of an earlier run: add --resume-run or --fork-run")
    if config.rerun and config.replay_path is not None and config.replay_missing != "live":
        raise UsageError(
            "--rerun runs calls live, which --replay forbids: add --replay-missing live"
        )
    record = config.record_path
    if record is not None and not record.parent.is_dir():
        raise UsageError(f"--record {record}: directory {record.parent} does not exist")
    if record is not None and record.is_dir():
        raise UsageError(f"--record {record} is a directory; name a file")


def prepare_reuse(config: RunConfig, store: RunStore, resumed: RunRecord | None) -> Reuse:
    """Read the fork source and the cassette, and check the ``--rerun`` selectors against
    the run they select from."""
    check_reuse_flags(config)
    selectors = Selectors.parse(config.rerun)
    source = config.fork_run_id or config.resume_run_id
    if selectors is not None and source is not None:
        selectors.check(store.step_names(source), source)
    fork = _fork(config, resumed)
    notes: list[str] = []
    if fork is not None and store.find_run(fork.run_id) is None:
        if resumed is None:
            raise StoreError(
                f"workflow run {fork.run_id} was not found in {store.path}; check --db"
            )
        notes.append(f"its fork source {fork.run_id} is gone, so its calls run live")
    return Reuse(
        fork=fork,
        fork_steps=store.load_steps(fork.run_id) if fork is not None else {},
        rerun=selectors if config.resume_run_id is not None else None,
        cassette=_cassette(config),
        notes=tuple(notes),
    )


def _cassette(config: RunConfig) -> dict[str, CassetteEntry] | None:
    if config.replay_path is None:
        return None
    from smolwf.store.cassettes import read_cassette

    return read_cassette(config.replay_path)


def _fork(config: RunConfig, resumed: RunRecord | None) -> ForkOf | None:
    if config.fork_run_id is None and resumed is None:
        return None
    from smolwf.engine.fork import ForkOf

    if config.fork_run_id is not None:
        return ForkOf(config.fork_run_id, tuple(config.rerun))
    return ForkOf.of(resumed.params) if resumed is not None else None


def lookup_chain(
    reuse: Reuse, config: RunConfig, store: RunStore, run_id: str, own: dict[str, StepRecord]
) -> LookupChain:
    """Own checkpoints, the fork source, the cache, the cassette: the first answer wins."""
    stages = [Stage(OwnCheckpoints(own), reuse.rerun)]
    if reuse.fork is not None:
        from smolwf.engine.fork import ForkSource

        stages.append(Stage(ForkSource(reuse.fork.run_id, reuse.fork_steps), _rerun(reuse.fork)))
    stages.append(Stage(CacheLookup(store.conn, run_id, config.cache_ttl_s)))
    if reuse.cassette is not None and config.replay_path is not None:
        from smolwf.engine.cassettes import CassetteLookup

        stages.append(
            Stage(CassetteLookup(config.replay_path, reuse.cassette, config.replay_missing))
        )
    return LookupChain(stages)


def _rerun(fork: ForkOf) -> Selectors | None:
    return Selectors.parse(fork.rerun)


def cassette_recorder(reuse: Reuse, config: RunConfig) -> CassetteRecorder | None:
    """Where the run's answers are written when it ends, if anywhere."""
    append_to = config.replay_path if config.replay_missing == "live" else None
    if config.record_path is None and append_to is None:
        return None
    from smolwf.engine.cassettes import CassetteRecorder

    known = frozenset(reuse.cassette or ())
    return CassetteRecorder(config.record_path, append_to, known)

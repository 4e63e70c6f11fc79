"""The process groups a run has running, recorded so they never outlive it.

Every guarded group a provider opens during the run (``process_group``) is written to
the store with the turn's writes, and removed when it is stopped. A run taken over after
its owner died stops the groups that owner left (verified before any signal) before it
starts new ones.
"""

from __future__ import annotations

from smolwf.engine.pending import Pending
from smolwf.process_group import GroupRecord, stop_leftover
from smolwf.store.batch import WriteBatch
from smolwf.store.ownership import this_host
from smolwf.store.runs import RunStore


class RunProcesses:
    """A ``GroupWatcher`` for one attempt: each change goes into the batch at once."""

    def __init__(self, batch: WriteBatch, pending: Pending) -> None:
        self.batch = batch
        self.pending = pending
        self.host = this_host()

    def opened(self, record: GroupRecord) -> None:
        self.batch.process_opened(record.pid, record.start_ticks, record.boot_id, self.host)
        self.pending.nudge()

    def closed(self, pid: int) -> None:
        self.batch.process_closed(pid)


def stop_leftovers(store: RunStore, run_id: str) -> None:
    """Stop what earlier attempts of ``run_id`` left running (only ours: ``stop_leftover``
    verifies each), then forget them."""
    for record in store.leftover_processes(run_id):
        stop_leftover(record)
    store.forget_processes(run_id)

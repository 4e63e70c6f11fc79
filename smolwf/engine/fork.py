"""Forking: a new run that takes the finished calls of an earlier run, which it never changes.

The fork's calls are looked up in the source run by checkpoint key (content key and
occurrence), exactly as a resume looks up its own; the source is only read. A fork
stores its source and its ``--rerun`` selectors with its inputs, so resuming an
interrupted fork still replays from the source and still reruns what was chosen.
"""

from __future__ import annotations

from smolwf.engine.lookup import Found, Wanted
from smolwf.jsontypes import JSONObject
from smolwf.records import record
from smolwf.store.origin import Origin
from smolwf.store.runs import FORK_PARAM, StepRecord


@record
class ForkOf:
    """Which run a fork was made from, and the calls it chose to run again."""

    run_id: str
    rerun: tuple[str, ...] = ()

    def to_json(self) -> JSONObject:
        return {"runId": self.run_id, "rerun": list(self.rerun)}

    @classmethod
    def of(cls, params: JSONObject) -> ForkOf | None:
        """The fork recorded in a run's inputs, if it is one."""
        value = params.get(FORK_PARAM)
        if not isinstance(value, dict) or not isinstance(run_id := value.get("runId"), str):
            return None
        rerun = value.get("rerun")
        texts = (
            tuple(item for item in rerun if isinstance(item, str))
            if isinstance(rerun, list)
            else ()
        )
        return cls(run_id, texts)


class ForkSource:
    """The finished checkpoints of the source run, as stored when this attempt started."""

    def __init__(self, run_id: str, steps: dict[str, StepRecord]) -> None:
        self._run_id = run_id
        self._steps = steps

    def find(self, wanted: Wanted) -> Found | None:
        step = self._steps.get(wanted.checkpoint)
        if step is None or step.result is None:
            return None
        return Found(step.result, Origin("fork", self._run_id, step.step_id))

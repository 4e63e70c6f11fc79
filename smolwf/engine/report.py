"""What a successful run hands back: its id, what it spent and the script's result."""

from __future__ import annotations

from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record
from smolwf.usage import Usage


@record
class RunReport:
    """The outcome of a successful run, as ``smol-wf run`` prints it."""

    run_id: str
    token_usage: Usage
    result: JSON

    def to_json(self) -> JSONObject:
        return {
            "tokenUsage": self.token_usage.report_json(),
            "runID": self.run_id,
            "results": self.result,
        }

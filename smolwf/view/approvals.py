"""EXTENSION POINT: human approvals in the web view.

smol-wf has no human approvals yet. When it does, an ``Approvals`` that reads a run's
pending requests and records answers is handed to ``create_app``; the run page then
shows each pending one with approve and deny buttons, which POST to
``/runs/{run_id}/approvals/{approval_id}/{approve|deny}`` (token and origin checked
like every mutating request). Until then ``NO_APPROVALS`` shows nothing and the POST
answers 404.
"""

from __future__ import annotations

from typing import Protocol

from smolwf.records import record


@record
class PendingApproval:
    """One question a run waits on a person for."""

    approval_id: str
    title: str
    detail: str = ""


class Approvals(Protocol):
    def pending(self, run_id: str) -> list[PendingApproval]: ...

    def answer(self, run_id: str, approval_id: str, approved: bool) -> bool:
        """Record the answer; False when there is no such pending approval."""


class NoApprovals:
    """The capability absent: nothing pending, nothing to answer."""

    def pending(self, run_id: str) -> list[PendingApproval]:
        return []

    def answer(self, run_id: str, approval_id: str, approved: bool) -> bool:
        return False


NO_APPROVALS = NoApprovals()

"""What ``agentRun()`` resolves to: one call's whole record, not only its output.

``agent()`` keeps resolving to the plain text or object scripts for the reference and
for Claude Code expect; a script that needs the branch an edit landed on, the files it
changed or what was refused asks ``agentRun()`` instead and reads fields, never text.
The record is built from the step's stored result, so a replayed call gives the same one.
"""

from __future__ import annotations

from smolwf.jsontypes import JSON, JSONObject
from smolwf.store.origin import Origin
from smolwf.usage import ZERO_USAGE


def call_record(
    stored: JSONObject,
    *,
    step_id: str,
    provider: str,
    replayed: bool,
    origin: Origin | None = None,
) -> JSONObject:
    """The record of a finished call from its stored (checkpointed) result. An answer
    made elsewhere (``origin``: a fork source, the cache, a cassette) cost this run
    nothing: its ``usage`` is zero and the record names where it came from."""
    isolation = stored.get("isolation")
    answered_by = stored.get("provider")
    refusals = stored.get("refusals")
    record: JSONObject = {
        "output": stored.get("output"),
        "stepId": step_id,
        "provider": answered_by if isinstance(answered_by, str) else provider,
        "model": stored.get("model"),
        "sessionId": stored.get("sessionId"),
        "usage": stored.get("usage") if origin is None else ZERO_USAGE.to_json(),
        "refusals": refusals if isinstance(refusals, list) else [],
        "worktree": _worktree(isolation),
        "isolation": isolation if isinstance(isolation, dict) else None,
        "replayed": replayed,
    }
    if origin is not None:
        record.update(origin.fields())
    return record


def _worktree(isolation: JSON) -> JSON:
    """``{branch, commit, base, changedFiles}`` of a worktree call that changed something."""
    if not isinstance(isolation, dict) or isolation.get("kind") != "worktree":
        return None
    if not isinstance(isolation.get("branch"), str):
        return None
    changed = isolation.get("changedFiles")
    return {
        "branch": isolation.get("branch"),
        "commit": isolation.get("commit"),
        "base": isolation.get("base"),
        "changedFiles": changed if isinstance(changed, list) else [],
    }

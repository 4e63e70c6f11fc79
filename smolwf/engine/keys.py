"""Checkpoint keys: what a call asks for, hashed, plus its occurrence among equal asks.

The key never contains the call's position, its start order or the process cwd,
so editing other calls, reordering a fan-out or resuming from another directory
does not re-run a finished call.
"""

from __future__ import annotations

import hashlib
import json

from smolwf.jsontypes import JSON, JSONObject

KEY_VERSION = 1
EXECUTION_OPTIONS = frozenset({"label", "retry", "timeout", "idleTimeout", "onRefusal"})
"""Options that change how a call is run, not what it asks; they stay out of the key."""


_CANONICAL = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)


def canonical_json(value: JSON) -> str:
    """Sorted keys, compact separators, non-ASCII kept: one text per value."""
    return _CANONICAL.encode(value)


def agent_key(
    *, scope: str, provider: str, prompt: str, options: JSONObject, phase: str | None
) -> str:
    """The content hash of one ``agent()`` call."""
    asked = {name: value for name, value in options.items() if name not in EXECUTION_OPTIONS}
    signature: JSONObject = {
        "v": KEY_VERSION,
        "kind": "agent",
        "scope": scope,
        "provider": provider,
        "prompt": prompt,
        "options": asked,
        "phase": phase,
    }
    digest = hashlib.blake2b(canonical_json(signature).encode("utf-8"), digest_size=16)
    return "agent:" + digest.hexdigest()


def workflow_key(*, scope: str, ref: JSON, args: JSON) -> str:
    """A child workflow is keyed by what the parent asked: the reference and the args."""
    signature: JSONObject = {
        "v": KEY_VERSION,
        "kind": "workflow",
        "scope": scope,
        "ref": ref,
        "args": args,
    }
    digest = hashlib.blake2b(canonical_json(signature).encode("utf-8"), digest_size=16)
    return "workflow:" + digest.hexdigest()


def sleep_key(*, scope: str, ms: int) -> str:
    """Sleeps of the same length in the same scope differ only by occurrence."""
    return f"sleep:{scope}:{ms}"


class Occurrences:
    """Numbers equal keys in the order the script made the calls: ``k``, ``k#2``, ``k#3``…"""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def checkpoint(self, key: str) -> str:
        count = self._seen.get(key, 0) + 1
        self._seen[key] = count
        return key if count == 1 else f"{key}#{count}"

"""Checkpoint keys: what a call asks for, hashed, plus its occurrence among equal asks.

The key never contains the call's position, its start order or the process cwd,
so editing other calls, reordering a fan-out or resuming from another directory
does not re-run a finished call.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from json.encoder import encode_basestring

from smolwf.jsontext import canonical
from smolwf.jsontypes import JSON, JSONObject

KEY_VERSION = 1
EXECUTION_OPTIONS = frozenset(
    {"label", "retry", "timeout", "idleTimeout", "onRefusal", "resources"}
)
"""Options that change how a call is run, not what it asks; they stay out of the key."""


canonical_json = canonical
"""Sorted keys, compact separators, non-ASCII kept: one text per value."""


@dataclass(frozen=True, slots=True)
class AgentKeyParts:
    """The canonical text of an ``agent()`` signature around its prompt: calls that differ
    only by prompt share it, and a key is then one concatenation and one hash."""

    before_prompt: str
    after_prompt: str

    def key(self, prompt: str) -> str:
        text = self.before_prompt + encode_basestring(prompt) + self.after_prompt
        return "agent:" + hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def agent_key_parts(
    *, scope: str, provider: str, options: JSONObject, phase: str | None
) -> AgentKeyParts:
    """``canonical_json`` of the signature, split at the prompt (keys sort: ``kind``,
    ``options``, ``phase``, ``prompt``, ``provider``, ``scope``, ``v``)."""
    asked = {name: value for name, value in options.items() if name not in EXECUTION_OPTIONS}
    before = f'{{"kind":"agent","options":{canonical(asked)},"phase":{canonical(phase)},"prompt":'
    after = f',"provider":{canonical(provider)},"scope":{canonical(scope)},"v":{KEY_VERSION}}}'
    return AgentKeyParts(before, after)


def agent_key(
    *, scope: str, provider: str, prompt: str, options: JSONObject, phase: str | None
) -> str:
    """The content hash of one ``agent()`` call: ``canonical_json`` of its signature
    ``{v, kind: "agent", scope, provider, prompt, options (what it asks), phase}``."""
    parts = agent_key_parts(scope=scope, provider=provider, options=options, phase=phase)
    return parts.key(prompt)


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

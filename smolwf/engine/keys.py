"""Checkpoint keys: what a call asks for, hashed, plus its occurrence among equal asks.

The key never contains the call's position, its start order or the process cwd,
so editing other calls, reordering a fan-out or resuming from another directory
does not re-run a finished call.
"""

from __future__ import annotations

import hashlib
from json.encoder import encode_basestring

from smolwf.jsontext import canonical
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record

KEY_VERSION = 1
EXECUTION_OPTIONS = frozenset(
    {"label", "retry", "timeout", "idleTimeout", "onRefusal", "resources", "cache"}
)
"""Options that change how a call is run, not what it asks; they stay out of the key."""
CACHE_KEY_VERSION = 1


canonical_json = canonical
"""Sorted keys, compact separators, non-ASCII kept: one text per value."""


@record
class AgentKeyParts:
    """The canonical text of an ``agent()`` signature around its prompt: calls that differ
    only by prompt share it, and a key is then one concatenation and one hash."""

    before_prompt: str
    after_prompt: str
    kind: str = "agent"

    def key(self, prompt: str) -> str:
        text = self.before_prompt + encode_basestring(prompt) + self.after_prompt
        digest = hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()
        return f"{self.kind}:{digest}"


def agent_key_parts(
    *, scope: str, provider: str, options: JSONObject, phase: str | None
) -> AgentKeyParts:
    """``canonical_json`` of the signature, split at the prompt (keys sort: ``kind``,
    ``options``, ``phase``, ``prompt``, ``provider``, ``scope``, ``v``)."""
    asked = {name: value for name, value in options.items() if name not in EXECUTION_OPTIONS}
    before = f'{{"kind":"agent","options":{canonical(asked)},"phase":{canonical(phase)},"prompt":'
    after = f',"provider":{canonical(provider)},"scope":{canonical(scope)},"v":{KEY_VERSION}}}'
    return AgentKeyParts(before, after)


@record
class CacheAsk:
    """What decides a call's answer across runs (``engine/cache.py``): not its scope, phase
    or label, so equal questions asked anywhere share their answers."""

    providers: tuple[str, ...]
    model: str | None
    effort: str | None
    agent_type: str | None
    permissions: str
    schema: JSON
    has_schema: bool
    key: JSON = None
    """The ``key`` option, which scripts set to keep equal prompts apart."""
    settings: JSON = None
    """The chain's providers' settings that may change answers (``--provider-setting``: a
    model API's model, base URL…), as the ``model`` option does; never a header."""


def cache_key_parts(ask: CacheAsk) -> AgentKeyParts:
    """``canonical_json`` of ``{"ask": …, "prompt": …}``, split at the prompt."""
    signature: JSONObject = {
        "v": CACHE_KEY_VERSION,
        "providers": list(ask.providers),
        "model": ask.model,
        "effort": ask.effort,
        "agentType": ask.agent_type,
        "permissions": ask.permissions,
        "key": ask.key,
    }
    if ask.has_schema:
        signature["schema"] = ask.schema
    if ask.settings:  # absent without settings: the keys of earlier runs stay the same
        signature["settings"] = ask.settings
    return AgentKeyParts(f'{{"ask":{canonical(signature)},"prompt":', "}", kind="cache")


def agent_key(
    *, scope: str, provider: str, prompt: str, options: JSONObject, phase: str | None
) -> str:
    """The content hash of one ``agent()`` call: ``canonical_json`` of its signature
    ``{v, kind: "agent", scope, provider, prompt, options (what it asks), phase}``."""
    parts = agent_key_parts(scope=scope, provider=provider, options=options, phase=phase)
    return parts.key(prompt)


def _hashed(kind: str, scope: str, asked: JSONObject) -> str:
    """``kind:`` plus the hash of ``{v, kind, scope, ...asked}``."""
    signature: JSONObject = {"v": KEY_VERSION, "kind": kind, "scope": scope, **asked}
    digest = hashlib.blake2b(canonical_json(signature).encode("utf-8"), digest_size=16)
    return f"{kind}:{digest.hexdigest()}"


def workflow_key(*, scope: str, ref: JSON, args: JSON) -> str:
    """A child workflow is keyed by what the parent asked: the reference and the args."""
    return _hashed("workflow", scope, {"ref": ref, "args": args})


def approval_key(*, scope: str, message: str) -> str:
    """An approval is keyed by its message; label and timeout only say how it is asked."""
    return _hashed("approval", scope, {"message": message})


def signal_key(*, scope: str, name: str, schema: JSON) -> str:
    """A signal wait is keyed by its name and schema (a payload must match it)."""
    return _hashed("signal", scope, {"name": name, "schema": schema})


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

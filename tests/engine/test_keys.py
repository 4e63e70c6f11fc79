"""Checkpoint keys never change: a resumed run must find every call it finished before.

Keys are computed from a signature text split around the prompt (so a fan-out hashes
one concatenation per call); these tests hold that text to the definition, the canonical
JSON of the whole signature, and pin one key as it was first released.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

import pytest

from smolwf.engine.keys import KEY_VERSION, CacheAsk, agent_key, cache_key_parts, canonical_json
from smolwf.jsontypes import JSON, JSONObject

PROMPTS = {
    "plain": "Review src/app.py",
    "quotes-and-backslashes": 'say "hi" \\ bye',
    "control-characters": "tab\there\nnew line\x00\x1f",
    "non-ascii": "héllo wörld — 日本語 🙂",
    "json-looking": '{"prompt":"x","v":1}',
    "line-separators": "a\u2028b\u2029c",
    "empty": "",
}
OPTIONS: dict[str, tuple[JSONObject, str | None]] = {
    "none": ({}, None),
    "phase-and-model": ({"phase": "Draft", "model": "deep"}, "Draft"),
    "execution-options-left-out": ({"label": "a", "retry": {"maxAttempts": 2}, "b": [1]}, None),
    "cache-option-left-out": ({"cache": True, "onRefusal": "fail"}, None),
    "nested": ({"schema": {"type": "object", "properties": {"é": {"type": "string"}}}}, "P"),
}


def reference_key(
    scope: str, provider: str, prompt: str, options: JSONObject, phase: str | None
) -> str:
    asked: JSONObject = {
        k: v
        for k, v in options.items()
        if k not in ("label", "retry", "timeout", "idleTimeout", "onRefusal", "cache")
    }
    signature: dict[str, JSON] = {
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


@pytest.mark.parametrize("prompt", PROMPTS.values(), ids=PROMPTS.keys())
@pytest.mark.parametrize("case", OPTIONS.values(), ids=OPTIONS.keys())
def test_agent_key_is_the_hash_of_the_canonical_signature(
    prompt: str, case: tuple[JSONObject, str | None]
) -> None:
    options, phase = case
    for scope, provider in (("root", "debug"), ('root/workflow:ab"c#2', "claude-code")):
        expected = reference_key(scope, provider, prompt, options, phase)
        assert (
            agent_key(scope=scope, provider=provider, prompt=prompt, options=options, phase=phase)
            == expected
        )


def test_a_released_key_is_unchanged() -> None:
    key = agent_key(scope="root", provider="debug", prompt="item 0", options={}, phase=None)
    assert key == "agent:c7175c28f0058e5329cfd4b8381f75fe"


ASK = CacheAsk(("claude-code",), "opus", "high", None, "read-only", None, False)
CHANGED_ASKS = {
    "provider": replace(ASK, providers=("codex",)),
    "fallback-chain": replace(ASK, providers=("claude-code", "codex")),
    "model": replace(ASK, model="sonnet"),
    "effort": replace(ASK, effort="low"),
    "agent-type": replace(ASK, agent_type="reviewer"),
    "permissions": replace(ASK, permissions="edit"),
    "schema": replace(ASK, schema={"type": "object"}, has_schema=True),
    "key-option": replace(ASK, key="second opinion"),
}


@pytest.mark.parametrize("changed", CHANGED_ASKS.values(), ids=CHANGED_ASKS.keys())
def test_a_cache_key_changes_with_what_decides_the_answer(changed: CacheAsk) -> None:
    prompt = "Review src/app.py"
    assert cache_key_parts(changed).key(prompt) != cache_key_parts(ASK).key(prompt)


def test_a_cache_key_changes_with_the_prompt_and_is_not_a_checkpoint_key() -> None:
    parts = cache_key_parts(ASK)
    assert parts.key("a") != parts.key("b")
    assert parts.key("a").startswith("cache:")

"""Resuming with the inputs a run was recorded with, unless the caller overrides them.

Users of other runners lose work when a resume silently runs with different inputs;
here the stored inputs win by default and every override is said out loud. Which inputs
are stored is declared on ``RunConfig``'s fields (``engine/config.py``).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from smolwf.engine.config import RECORDED, RunConfig
from smolwf.jsontypes import JSON, JSONObject
from smolwf.store.runs import RunRecord

ARGS_GIVEN = "argsGiven"
"""The ``params_json`` key that says whether the caller passed args at all."""


def recorded_params(config: RunConfig) -> JSONObject:
    """What a new run stores so a resume can use the same inputs."""
    params = {item.key: item.to_json(getattr(config, name)) for name, item in RECORDED.items()}
    params[ARGS_GIVEN] = args_given(config)
    return params


def args_given(config: RunConfig) -> bool:
    """Whether the script was given args: a Claude Code-form script without them sees
    ``args === undefined``; a module-form one sees ``{}`` either way."""
    if config.args_given is not None:
        return config.args_given
    return "args" in config.explicit


def resume_config(config: RunConfig, record: RunRecord) -> tuple[RunConfig, list[str]]:
    """The config to resume with, and one note per input the caller changed."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for name, item in RECORDED.items():
        if item.key not in record.params:
            continue  # recorded by an older smol-wf that did not store it
        stored = record.params[item.key]
        current = getattr(config, name)
        if name not in config.explicit:
            changes[name] = item.from_json(stored, current)
        elif item.flag is not None and item.to_json(current) != stored:
            notes.append(f"{item.flag} {_show(item.to_json(current))} (recorded {_show(stored)})")
    if "args" not in config.explicit:
        changes["args"] = record.args
        changes["args_given"] = record.params.get(ARGS_GIVEN, True) is not False
    elif config.args != record.args:
        notes.append("different --args-* values")
    recorded_script = Path(record.script_path)
    if config.script_path is None or "script_path" not in config.explicit:
        changes["script_path"] = recorded_script
    elif config.script_path.resolve() != recorded_script:
        notes.append(f"script {config.script_path} (recorded {recorded_script})")
    return replace(config, **changes), notes


def _show(value: JSON) -> str:
    if value is None:
        return "unset"
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items()) or "none"
    return str(value)

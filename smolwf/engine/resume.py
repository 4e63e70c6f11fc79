"""Resuming with the inputs a run was recorded with, unless the caller overrides them.

Users of other runners lose work when a resume silently runs with different inputs;
here the stored inputs win by default and every override is said out loud.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from smolwf.engine.config import RunConfig
from smolwf.jsontypes import JSON, JSONObject
from smolwf.store.runs import RunRecord

RECORDED_FIELDS: tuple[tuple[str, str, str], ...] = (
    # (RunConfig field, key in the run's params_json, the flag that sets it)
    ("provider", "provider", "--agent-provider"),
    ("model_map", "modelMap", "--model-map"),
    ("budget_allowance", "budgetAllowance", "--budget-allowance"),
    ("max_parallel_agents", "maxParallelAgents", "--max-parallel-agents"),
    ("max_agents", "maxAgents", "--max-agents"),
    ("js_memory_mib", "jsMemoryMib", "--js-memory"),
    ("js_slice_timeout_s", "jsSliceTimeoutS", "--js-slice-timeout"),
    ("js_stack_kib", "jsStackKib", "--js-stack"),
    ("max_workflow_depth", "maxWorkflowDepth", "--max-workflow-depth"),
    ("max_output_tokens", "maxOutputTokens", "--max-output-tokens"),
    ("max_total_tokens", "maxTotalTokens", "--max-total-tokens"),
    ("max_cost_usd", "maxCostUsd", "--max-cost-usd"),
    ("agent_permissions", "agentPermissions", "--agent-permissions"),
    ("on_refusal", "onRefusal", "--on-refusal"),
)


def recorded_params(config: RunConfig, cwd: Path) -> JSONObject:
    """What a new run stores so a resume can use the same inputs."""
    params: JSONObject = {
        key: _to_json(getattr(config, field)) for field, key, _ in RECORDED_FIELDS
    }
    params["cwd"] = str(cwd)
    return params


def resume_config(config: RunConfig, record: RunRecord) -> tuple[RunConfig, list[str]]:
    """The config to resume with, and one note per input the caller changed."""
    changes: dict[str, Any] = {}
    notes: list[str] = []
    for field, key, flag in RECORDED_FIELDS:
        if key not in record.params:
            continue
        stored = record.params[key]
        if field not in config.explicit:
            changes[field] = stored
        elif _to_json(getattr(config, field)) != stored:
            notes.append(f"{flag} {_show(getattr(config, field))} (recorded {_show(stored)})")
    if "args" not in config.explicit:
        changes["args"] = record.args
    elif config.args != record.args:
        notes.append("different --args-* values")
    recorded_script = Path(record.script_path)
    if config.script_path is None or "script_path" not in config.explicit:
        changes["script_path"] = recorded_script
    elif config.script_path.resolve() != recorded_script:
        notes.append(f"script {config.script_path} (recorded {recorded_script})")
    stored_cwd = record.params.get("cwd")
    if "cwd" not in config.explicit and isinstance(stored_cwd, str) and Path(stored_cwd).is_dir():
        changes["cwd"] = Path(stored_cwd)
    return replace(config, **changes), notes


def _to_json(value: Any) -> JSON:
    if isinstance(value, dict):
        return dict(value)
    if hasattr(value, "items"):
        return dict(value.items())
    return value  # type: ignore[no-any-return]


def _show(value: JSON) -> str:
    if value is None:
        return "unset"
    if isinstance(value, dict):
        return ",".join(f"{k}:{v}" for k, v in value.items()) or "none"
    return str(value)

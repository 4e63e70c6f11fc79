"""Where a run's provider calls go: the executor, the Ray cluster's address, what each call
reserves on it and how the agent's working directory reaches the worker."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import field
from typing import Literal

from smolwf.jsontypes import JSON
from smolwf.records import record

ExecutorKind = Literal["local", "ray"]
EXECUTORS: tuple[ExecutorKind, ...] = ("local", "ray")
WorkdirMode = Literal["git", "shared"]
WORKDIR_MODES: tuple[WorkdirMode, ...] = ("git", "shared")

DEFAULT_AGENT_RESOURCES: Mapping[str, float] = {"CPU": 1.0}
"""What one provider call reserves unless the run, its phase or the call says otherwise:
a CLI is one busy process (plus what it builds and tests)."""

RAY_EXTRA_HINT = "install it with `pip install 'smolwf[ray]'`"


class ResourceSpecError(ValueError):
    """A resource request that is not an object of non-negative numbers; the caller words
    where it came from."""


def parse_resources(value: JSON) -> dict[str, float]:
    """``{"CPU": 2, "agents": 1}``: Ray resource names to non-negative amounts."""
    if not isinstance(value, dict) or not value:
        raise ResourceSpecError('must be a non-empty object such as {"CPU": 1, "agents": 1}')
    amounts: dict[str, float] = {}
    for name, amount in value.items():
        if isinstance(amount, bool) or not isinstance(amount, int | float) or amount < 0:
            raise ResourceSpecError(f"{name!r} must be a non-negative number, got {amount!r}")
        amounts[name] = float(amount)
    return amounts


def parse_resources_text(text: str) -> dict[str, float]:
    """``--ray-agent-resources '{"agents": 1}'``."""
    try:
        value: JSON = json.loads(text)
    except ValueError:
        raise ResourceSpecError(
            f'must be a JSON object such as {{"agents": 1}}, got {text!r}'
        ) from None
    return parse_resources(value)


@record
class RaySettings:
    """How a run uses its Ray cluster. ``address`` None is Ray's own rule (``RAY_ADDRESS``,
    else a cluster started on this machine, else a new local one); ``workdir`` None is
    ``git`` when the run's directory is in a git repository, else ``shared``."""

    address: str | None = None
    agent_resources: Mapping[str, float] = field(
        default_factory=lambda: dict(DEFAULT_AGENT_RESOURCES)
    )
    workdir: WorkdirMode | None = None


@record
class TaskResources:
    """A resource request split the way ``ray.remote(...).options`` takes it; a request
    that names no ``CPU`` takes one, as any Ray task does."""

    num_cpus: float
    num_gpus: float
    memory: float | None
    custom: dict[str, float]

    @classmethod
    def of(cls, amounts: Mapping[str, float]) -> TaskResources:
        custom = {k: v for k, v in amounts.items() if k not in ("CPU", "GPU", "memory")}
        return cls(
            num_cpus=amounts.get("CPU", 1.0),
            num_gpus=amounts.get("GPU", 0.0),
            memory=amounts.get("memory"),
            custom=custom,
        )

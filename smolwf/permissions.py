"""Permission levels: how much an agent may change, in the same three words for every CLI.

Each provider maps a level onto its CLI's own flags and reports every tool use the CLI
refused as a ``Refusal``, so a run can never call a refused edit a silent success.
"""

from __future__ import annotations

from typing import Literal, TypeAlias

from smolwf.excerpts import clip
from smolwf.jsontypes import JSON, JSONObject
from smolwf.records import record

PermissionLevel: TypeAlias = Literal["read-only", "edit", "full"]
PERMISSION_LEVELS: tuple[PermissionLevel, ...] = ("read-only", "edit", "full")
"""From least to most: read and search; also write files and run commands in the agent's
working directory; everything the CLI can do, with no prompts."""
DEFAULT_PERMISSIONS: PermissionLevel = "read-only"
"""What the CLIs do headless without flags, so scripts that never ask behave as before."""

RefusalPolicy: TypeAlias = Literal["warn", "fail"]
REFUSAL_POLICIES: tuple[RefusalPolicy, ...] = ("warn", "fail")
"""``warn``: a refused tool use is a ``[warn]`` line and part of the step's record;
``fail``: it also fails the call (for workflows that must not "succeed" without acting)."""
DEFAULT_REFUSAL_POLICY: RefusalPolicy = "warn"

ATTEMPT_PREVIEW_CHARS = 120
"""How much of what a refused tool tried is kept (one line)."""


def permission_level(value: object) -> PermissionLevel | None:
    """``value`` as a level, or ``None`` when it is not one."""
    for level in PERMISSION_LEVELS:
        if value == level:
            return level
    return None


def level_above(level: PermissionLevel) -> PermissionLevel | None:
    """The next level up, the one that usually allows what ``level`` refused."""
    index = PERMISSION_LEVELS.index(level)
    return PERMISSION_LEVELS[index + 1] if index + 1 < len(PERMISSION_LEVELS) else None


def preview(text: str, limit: int = ATTEMPT_PREVIEW_CHARS) -> str:
    """One line of at most ``limit`` characters."""
    return clip(text, limit)


@record
class Refusal:
    """One tool use the CLI refused: which tool, a short form of what it tried, and the
    level that would have allowed it (``None`` when no level would)."""

    tool: str
    attempted: str
    needs: PermissionLevel | None

    def to_json(self) -> JSONObject:
        return {"tool": self.tool, "attempted": self.attempted, "needs": self.needs}

    @classmethod
    def from_json(cls, value: JSON) -> Refusal | None:
        if not isinstance(value, dict) or not isinstance(tool := value.get("tool"), str):
            return None
        attempted = value.get("attempted")
        return cls(
            tool=tool,
            attempted=attempted if isinstance(attempted, str) else "",
            needs=permission_level(value.get("needs")),
        )

    def describe(self) -> str:
        """``Bash (echo hi > a.txt) needs 'edit'``."""
        what = f"{self.tool} ({self.attempted})" if self.attempted else self.tool
        if self.needs is None:
            return f"{what}, which no permission level allows"
        return f"{what} needs permissions '{self.needs}'"


def refusals_json(refusals: tuple[Refusal, ...]) -> list[JSON]:
    return [refusal.to_json() for refusal in refusals]


def refusals_from_json(value: JSON) -> tuple[Refusal, ...]:
    if not isinstance(value, list):
        return ()
    found = (Refusal.from_json(item) for item in value)
    return tuple(refusal for refusal in found if refusal is not None)


def refusal_summary(who: str, level: PermissionLevel, refusals: tuple[Refusal, ...]) -> str:
    """The one ``[warn]`` line of a call whose tool uses were refused."""
    count = len(refusals)
    noun = "tool use" if count == 1 else "tool uses"
    listed = "; ".join(refusal.describe() for refusal in refusals[:3])
    more = f"; and {count - 3} more" if count > 3 else ""
    return f"agent {who} had {count} {noun} refused at permissions '{level}': {listed}{more}"

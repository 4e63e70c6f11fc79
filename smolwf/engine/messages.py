"""``phase()``, ``log()`` and the warnings of ``parallel``/``pipeline``: requests that
only become events (nothing to run, nothing to settle)."""

from __future__ import annotations

from smolwf.engine.context import RunContext
from smolwf.engine.scope import Scope
from smolwf.events.types import EventType
from smolwf.js.requests import LogEvent, PhaseEvent, WarningEvent
from smolwf.jsontypes import JSONObject


class Messages:
    def __init__(self, ctx: RunContext) -> None:
        self.ctx = ctx

    def phase(self, scope: Scope, request: PhaseEvent) -> None:
        data: JSONObject = {"name": request.name}
        if request.has_options:
            data["options"] = request.options
        self.ctx.emit(scope, EventType.PHASE, data)

    def log(self, scope: Scope, request: LogEvent) -> None:
        self.ctx.emit(scope, EventType.LOG, {"message": request.message})

    def warning(self, scope: Scope, request: WarningEvent) -> None:
        """A failed ``parallel`` task or ``pipeline`` item: its first line, and the detail."""
        detail = scope.host.render(request.message)
        first_line = detail.split("\n", 1)[0]
        noun = "task" if request.source == "parallel" else "item"
        data: JSONObject = {
            "message": f"{request.source} {noun} {request.index} failed: {first_line}",
            "source": request.source,
            "index": request.index,
            "detail": detail,
        }
        self.ctx.emit(scope, EventType.WARNING, data)

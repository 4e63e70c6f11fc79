"""A run's stop request: set from anywhere (a signal handler, the TUI), honoured by the loop.

The loop is handed this object rather than the ``WorkflowRun`` that owns it, so the engine
parts below ``run.py`` never see their owner.
"""

from __future__ import annotations

import anyio


class Cancellation:
    """Remembers the first exit code asked for and cancels the loop's scope once bound."""

    def __init__(self) -> None:
        self.exit_code: int | None = None
        self._scope: anyio.CancelScope | None = None

    @property
    def requested(self) -> bool:
        return self.exit_code is not None

    def cancel(self, exit_code: int = 130) -> None:
        """Stop the run: in-flight calls are cancelled, the run is marked cancelled."""
        if self.exit_code is None:
            self.exit_code = exit_code
        if self._scope is not None:
            self._scope.cancel()

    def bind(self, scope: anyio.CancelScope) -> None:
        """The loop's scope (it needs a running event loop); a request made earlier applies."""
        self._scope = scope
        if self.exit_code is not None:
            scope.cancel()

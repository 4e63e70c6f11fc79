"""The root group's commands, each imported and built on first use.

``smol-wf run`` then pays for the run command's module and click parameters alone, not
for every command's (start-up is most of a short run). Listing the names, as help and
"did you mean" do, builds nothing; showing a command's help builds it, as typer would.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping, MutableMapping

import typer
import typer.main
from typer._click import Command

from smolwf.records import record


@record
class CommandSource:
    """Where a root command is declared: the ``typer.Typer`` named ``app`` in ``module``.

    A ``group`` app is the command itself (``cache``, ``tui``, ``llm``); otherwise the
    app declares top-level commands (``run``, ``approve``, …) and the one of that name is it.
    """

    module: str
    app: str
    group: bool = False

    def build(self, name: str) -> Command:
        """The click command typer makes of this source under the root group."""
        app = getattr(importlib.import_module(self.module), self.app)
        assert isinstance(app, typer.Typer), f"{self.module}.{self.app} is not a typer.Typer"
        if self.group:
            return typer.main.get_group(app)
        (info,) = (info for info in app.registered_commands if info.name == name)
        return typer.main.get_command_from_info(
            info,
            pretty_exceptions_short=app.pretty_exceptions_short,
            rich_markup_mode=app.rich_markup_mode,
        )


class LazyCommands(MutableMapping[str, Command]):
    """``TyperGroup.commands`` whose entries are built from their sources when first read;
    iteration keeps the sources' order, as a group's listing does."""

    def __init__(self, sources: Mapping[str, CommandSource]) -> None:
        self._entries: dict[str, CommandSource | Command] = dict(sources)

    def __getitem__(self, name: str) -> Command:
        entry = self._entries[name]
        if isinstance(entry, CommandSource):
            entry = self._entries[name] = entry.build(name)
        return entry

    def __setitem__(self, name: str, command: Command) -> None:
        self._entries[name] = command

    def __delitem__(self, name: str) -> None:
        del self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

"""The command line: parse arguments, call the library, print.

Every ``MonitorError`` becomes one line on stderr and exit status 1, here and only here;
click's usage errors exit with status 2.

This package holds the click group and what every command shares; the commands live in
:mod:`.check` (check), :mod:`.history` (list, log, show, diff, status, relearn, search),
:mod:`.pages` (add, extract, feeds, reextract), :mod:`.service` (run, demo) and :mod:`.web`
(serve), imported when the group first looks a command up (each registers its own), not
with this package.
"""

from __future__ import annotations

import importlib
import logging
import signal
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from monitor.clock import Clock, system_clock
from monitor.config import Config, load_config
from monitor.errors import MonitorError, UsageError
from monitor.logs import setup_logging

log = logging.getLogger(__name__)

FORMAT_ALIASES = {"md": "markdown", "txt": "text", "term": "terminal"}


#: The modules that define the commands, imported when a command is looked up: `monitor
#: --help` and the start of every command do not pay for what the other commands import.
COMMAND_MODULES = ("check", "history", "pages", "service", "web")


class MonitorGroup(click.Group):
    """A click group that turns monitor's own errors into one message and exit status 1,
    and whose commands are imported when it first looks one up."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register_commands()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        _register_commands()
        return super().get_command(ctx, cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except MonitorError as exc:
            raise click.ClickException(str(exc)) from None


@dataclass
class App:
    """What every command needs: the config and the database, opened on first use."""

    config_path: str | None
    db_path: str | None
    verbose: int = 0
    clock: Clock = system_clock
    _config: Config | None = field(default=None, repr=False)

    def log_level(self, default: int) -> int:
        """``default``, or more detail for each -v."""
        levels = [logging.WARNING, logging.INFO, logging.DEBUG]
        return levels[min(levels.index(default) + self.verbose, 2)]

    @property
    def config(self) -> Config:
        if self._config is None:
            self._config = load_config(self.config_path)
        return self._config

    @property
    def database(self) -> str:
        return self.db_path or self.config.settings.database

    def sync(self, store: Any, *, deactivate: bool = False) -> None:
        """Bring the config file's [[watch]] and [[feed]] entries into the database (if there
        is a file); with ``deactivate``, those no longer in it stop being checked."""
        if self.config.path is not None:
            store.sync_config(self.config, deactivate=deactivate)

    def store(self, *, existing: bool = False) -> Any:
        """The snapshot database; ``existing``: a missing file is an error, not a new one."""
        from monitor.store import Store

        if existing and self.database != ":memory:" and not Path(self.database).exists():
            raise UsageError(
                f"no database at {self.database} yet: add a watch with `monitor add URL`"
            )
        return Store(self.database)

    def defines_watching(self) -> bool:
        """True if the config file has watches or feeds (so commands that list or check may
        create the database for them)."""
        config = self.config
        return config.path is not None and bool(config.watches or config.feeds)

    def listing_store(self) -> Any:
        """The database for a command that lists what is watched (list, status, feeds): made
        when the config has watches or feeds to list, else a missing file is an error (a
        mistyped --db creates nothing)."""
        return self.store(existing=not self.defines_watching())


@dataclass(frozen=True)
class Environment:
    """What the commands take from outside the command line; a caller of :data:`cli` (a
    test) passes its own as ``obj``: ``CliRunner().invoke(cli, args, obj=Environment(clock))``."""

    clock: Clock = system_clock


pass_app = click.make_pass_decorator(App)


@click.group(cls=MonitorGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    envvar="MONITOR_CONFIG",
    help="Config file (default: $MONITOR_CONFIG if set, else ./config.toml).",
)
@click.option(
    "--db", "db_path", type=click.Path(dir_okay=False), help="Database file (overrides the config)."
)
@click.option("-v", "--verbose", count=True, help="Log more: -v info, -vv debug.")
@click.version_option(package_name="monitor")
@click.pass_context
def cli(ctx: click.Context, config_path: str | None, db_path: str | None, verbose: int) -> None:
    """Watch published articles and report exactly what changed in their text.

    Checks fetch each watched page, strip the boilerplate around the article, keep every
    distinct version in SQLite and show a readable diff when the article text changes.
    WATCH arguments take a watch's name, id or URL.
    """
    given = ctx.obj if isinstance(ctx.obj, Environment) else Environment()
    ctx.obj = App(config_path, db_path, verbose, clock=given.clock)
    setup_logging(ctx.obj.log_level(logging.WARNING))


def fit(text: str, width: int) -> str:
    """``text`` cut (with an ellipsis) or padded to ``width`` terminal columns: Japanese and
    other wide characters take two."""
    size = sum(_columns(char) for char in text)
    if size <= width:
        return text + " " * (width - size)
    kept, columns = [], 0
    for char in text:
        if columns + _columns(char) > width - 1:
            break
        kept.append(char)
        columns += _columns(char)
    return "".join(kept) + "…" + " " * (width - 1 - columns)


@dataclass(frozen=True)
class Column:
    """A column of a CLI table: its heading, its width in terminal columns (0: as wide as
    its text, for the last column), and whether its cells align right (numbers)."""

    heading: str
    width: int = 0
    right: bool = False

    def cell(self, text: str) -> str:
        if not self.width:
            return text
        if self.right and len(text) <= self.width:
            return text.rjust(self.width)
        return fit(text, self.width)


def table(columns: Sequence[Column], rows: Iterable[Sequence[str]]) -> str:
    """A header row and one line per row, cells cut (with an ellipsis) or padded to their
    column's width and two spaces apart, so columns never run together."""
    lines = [[c.cell(c.heading) for c in columns]]
    lines += [[c.cell(text) for c, text in zip(columns, row, strict=True)] for row in rows]
    return "\n".join("  ".join(cells).rstrip() for cells in lines)


def _columns(char: str) -> int:
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """``1 version``, ``2 versions`` (``nouns`` when the plural is not ``noun`` + s)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def _render(report: Any, fmt: str | None) -> str:
    from monitor.report import render

    chosen = FORMAT_ALIASES.get(fmt or "", fmt) or ("terminal" if sys.stdout.isatty() else "text")
    text: str = render(report, chosen, color=sys.stdout.isatty())
    return text if text.endswith("\n") else text + "\n"


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _interrupt)
    cli.main(args=list(argv) if argv is not None else None, prog_name="monitor")


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM ends a command as Ctrl-C does: a transaction under way rolls back and the
    database is closed whole, never left with its last commits only in the write-ahead
    log (the daemon and the demo handle the signal themselves while they run)."""
    raise KeyboardInterrupt


def _register_commands() -> None:
    """Import the command modules: each registers its commands on :data:`cli` when it is
    first imported (later calls find them in ``sys.modules``)."""
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")

"""Long-running commands: monitor run (the daemon) and monitor demo."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import click

from monitor.cli import App, cli, pass_app
from monitor.config import load_config
from monitor.logs import LOG_FORMATS, setup_logging


@cli.command()
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="One event per line on stderr, as text or JSON (for log shippers).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    help="Processes for parsing and diffing (default: one per CPU; 0: threads).",
)
@pass_app
def run(app: App, log_format: str, workers: int | None) -> None:
    """Run the daemon in the foreground: check every watch on its interval until stopped.

    SIGTERM or Ctrl-C finishes in-flight checks (within shutdown_grace) and exits 0;
    SIGHUP reloads config.toml. Only one daemon runs per database.
    """
    from monitor.service import Daemon

    setup_logging(app.log_level(logging.INFO), log_format)
    app.config  # noqa: B018 - fail early, before the lock, on a bad config
    daemon = Daemon(lambda: load_config(app.config_path), app.db_path, workers=workers)
    asyncio.run(daemon.run())


@cli.command()
@click.option(
    "--duration",
    type=click.FloatRange(min=10),
    default=60,
    show_default=True,
    help="Seconds the demo runs.",
)
@click.option(
    "--dir",
    "workdir",
    type=click.Path(file_okay=False),
    help="Where the demo's database and reports go (default: a new temporary folder).",
)
@pass_app
def demo(app: App, duration: float, workdir: str | None) -> None:
    """The offline demo: a built-in sample site edited while the real daemon watches it.

    Serves a Japanese WordPress (Jannah theme) article and an English one on 127.0.0.1,
    runs the daemon against them, and edits them as it goes: a one-character correction,
    a changed number, an added paragraph, page noise, a 503 and a maintenance page.
    Only the real edits are reported. Needs no network; ends by itself.
    """
    from monitor.demo import run_demo

    setup_logging(app.log_level(logging.WARNING))
    directory = Path(workdir) if workdir else None
    asyncio.run(run_demo(duration, directory, emit=click.echo, color=sys.stdout.isatty()))

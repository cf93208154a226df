"""Long-running commands: monitor run (the daemon) and monitor demo."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from monitor.cli import App, cli, pass_app
from monitor.config import load_config
from monitor.logs import LOG_FORMATS, setup_logging

if TYPE_CHECKING:
    from monitor.service import WebOptions


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
    help="Processes for parsing and diffing (default: one per 25 watches fetched without a "
    "browser when the daemon starts, up to one per CPU but one, at least one; 0 below 25: "
    "threads).",
)
@click.option(
    "--web",
    "web_address",
    metavar="HOST:PORT",
    help="Also serve the read-only web UI and API (as monitor serve does) at this address, "
    "e.g. 127.0.0.1:8080. A non-loopback address needs $MONITOR_WEB_TOKEN or web_token.",
)
@pass_app
def run(app: App, log_format: str, workers: int | None, web_address: str | None) -> None:
    """Run the daemon in the foreground: check every watch on its interval until stopped.

    SIGTERM or Ctrl-C finishes in-flight checks (within shutdown_grace) and exits 0;
    SIGHUP reloads config.toml. Only one daemon runs per database.
    """
    from monitor.service import Daemon

    setup_logging(app.log_level(logging.INFO), log_format)
    app.config  # noqa: B018 - fail early, before the lock, on a bad config
    web = _web_options(app, web_address)
    daemon = Daemon(lambda: load_config(app.config_path), app.db_path, workers=workers, web=web)
    asyncio.run(daemon.run())


def _web_options(app: App, address: str | None) -> WebOptions | None:
    if address is None:
        return None
    from monitor.cli.web import access_token, parse_address
    from monitor.service import WebOptions

    host, port = parse_address(address)
    token = access_token(app, host, os.environ.get("MONITOR_WEB_TOKEN"), option=None)
    return WebOptions(host, port, token)


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
@click.option(
    "--serve",
    is_flag=True,
    help="Keep serving the web UI over the demo's database when the demo ends (Ctrl-C stops).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port of the demo's web UI on 127.0.0.1 (a free one if it is taken).",
)
@pass_app
def demo(app: App, duration: float, workdir: str | None, serve: bool, port: int) -> None:
    """The offline demo: a built-in sample site edited while the real daemon watches it.

    Serves a Japanese WordPress (Jannah theme) article and an English one on 127.0.0.1,
    runs the daemon against them, and edits them as it goes: a one-character correction,
    a changed number, an added paragraph, page noise, a 503 and a maintenance page.
    Only the real edits are reported. The web UI serves the demo's database while it runs
    and prints its URL at the end. Needs no network; ends by itself, unless --serve.
    """
    from monitor.demo import run_demo

    setup_logging(app.log_level(logging.WARNING))
    directory = Path(workdir) if workdir else None
    color = sys.stdout.isatty()
    asyncio.run(run_demo(duration, directory, emit=click.echo, color=color, serve=serve, port=port))

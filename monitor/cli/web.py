"""The web UI: monitor serve."""

from __future__ import annotations

import logging

import click

from monitor.cli import App, cli, pass_app
from monitor.config import parse_web_token
from monitor.errors import UsageError


def _token(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return parse_web_token(value)
    except ValueError as exc:
        raise click.BadParameter(f"expected {exc}", param_hint="--token") from None


def parse_address(value: str) -> tuple[str, int]:
    """``HOST:PORT``, ``[::1]:PORT`` or ``PORT`` (on 127.0.0.1) as (host, port)."""
    host, sep, port = value.rpartition(":")
    if not sep:
        host, port = "127.0.0.1", value
    if not port.isdigit() or int(port) > 65535:
        raise click.BadParameter(
            f"{value!r}: expected HOST:PORT (e.g. 127.0.0.1:8080) or a port number",
            param_hint="--web",
        )
    return host.strip("[]") or "127.0.0.1", int(port)


def access_token(
    app: App, host: str, token: str | None, *, option: str | None = "--token"
) -> str | None:
    """The token the web UI asks for: the option (or $MONITOR_WEB_TOKEN), else the config's;
    a UsageError when there is none and ``host`` is not a loopback address (naming
    ``option`` among the ways to give one, if the command has it)."""
    from monitor.web import is_loopback

    token = _token(token) or app.config.settings.web_token
    if not is_loopback(host) and token is None:
        ways = f"Give {option}, set" if option else "Set"
        raise click.UsageError(
            f"refusing to serve on {host} without an access token: anyone who can reach it "
            f"could read the database. {ways} $MONITOR_WEB_TOKEN or [monitor] web_token in "
            "the config, or listen on 127.0.0.1."
        )
    return token


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8080,
    show_default=True,
    help="Port to listen on (0: any free port).",
)
@click.option(
    "--token",
    envvar="MONITOR_WEB_TOKEN",
    help="Access token every request must carry (default: $MONITOR_WEB_TOKEN, else the "
    "config's [monitor] web_token). Required to listen on a non-loopback address.",
)
@pass_app
def serve(app: App, host: str, port: int, token: str | None) -> None:
    """Serve a read-only web UI and JSON API over the database.

    Pages: the watch list (/), each watch with its versions and checks, diffs between any
    two versions (inline or side by side), every stored version's text, the latest changes
    (/changes) and full-text search (/search). Atom feeds of changes (/feed.atom and one per
    watch), a JSON API under /api/ with the same fields as the --json outputs, described by
    /openapi.json. The database is opened read-only; the daemon may run beside it.

    With a token, requests need "Authorization: Bearer TOKEN" or the cookie that opening
    any page once with ?token=TOKEN sets. Without one, monitor serve only listens on a
    loopback address (127.0.0.1, ::1, localhost).
    """
    from monitor.web import serve as run_server

    token = access_token(app, host, token)
    database = app.database

    def ready(url: str) -> None:
        click.echo(f"serving {database} (read-only) at {url}  (Ctrl-C stops)")

    try:
        run_server(
            database,
            host,
            port,
            token,
            access_log=app.verbose > 0,
            ready=ready,
            default_interval=app.config.settings.interval,
        )
    except OSError as exc:
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    logging.getLogger(__name__).info("web server stopped")

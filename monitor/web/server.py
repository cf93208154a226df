"""Running the web app: ``monitor serve`` (its own process) or inside the daemon's loop.

:func:`build_server` gives a uvicorn server that leaves signal handling to its host (the
daemon owns SIGTERM/SIGINT/SIGHUP): run it with ``await server.serve()`` in the daemon's
event loop and stop it with ``server.should_exit = True``. :func:`serve` is the blocking
form ``monitor serve`` uses, with uvicorn's own signal handling (Ctrl-C stops it).
"""

from __future__ import annotations

import contextlib
import logging
import signal
import socket
from collections.abc import Callable, Generator
from pathlib import Path

import uvicorn
from starlette.types import ASGIApp

from monitor.web.app import create_app
from monitor.web.protocol import MAX_HEAD, BoundedH11Protocol
from monitor.web.security import is_loopback, redact_access_log

__all__ = ["EmbeddedWeb", "build_server", "is_loopback", "serve"]

log = logging.getLogger(__name__)


class EmbeddedServer(uvicorn.Server):
    """A uvicorn server that installs no signal handlers: its host process owns them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ForegroundServer(uvicorn.Server):
    """A uvicorn server that stops on SIGINT or SIGTERM and then returns normally (uvicorn's
    own raises the signal again after shutting down, so the process would die of it)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        stops = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self.handle_exit) for sig in stops}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)


def _config(app: ASGIApp, host: str, port: int, access_log: bool) -> uvicorn.Config:
    if access_log:
        redact_access_log()  # ?token= values never reach the log
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_config=None,  # monitor's logging setup stays in charge
        access_log=access_log,
        server_header=False,
        proxy_headers=False,
        lifespan="on",
        http=BoundedH11Protocol,  # a request too big to read is answered 414/431, not cut
        h11_max_incomplete_event_size=MAX_HEAD,
    )


def build_server(
    app: ASGIApp, host: str = "127.0.0.1", port: int = 8080, *, access_log: bool = False
) -> uvicorn.Server:
    """A uvicorn server for ``app`` to run in an existing event loop (``await
    server.serve()``; ``server.should_exit = True`` stops it). It handles no signals."""
    return EmbeddedServer(_config(app, host, port, access_log))


def serve(
    db_path: str | Path,
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str | None = None,
    *,
    access_log: bool = False,
    ready: Callable[[str], None] | None = None,
    default_interval: float | None = None,
) -> None:
    """Serve the web UI over ``db_path`` until interrupted; ``ready`` gets the URL once the
    socket is bound (port 0 picks a free port). ``default_interval`` (the config's) is shown
    as the pace of watches without their own."""
    app = create_app(db_path, token=token, allowed_hosts=[host], default_interval=default_interval)
    config = _config(app, host, port, access_log)
    sock = bind(host, port)
    if ready is not None:
        ready(url_of(host, sock))
    ForegroundServer(config).run(sockets=[sock])


def bind(host: str, port: int) -> socket.socket:
    """A listening socket on ``host``:``port`` (0: a free port); OSError if it cannot be
    bound (uvicorn's own binding exits the process instead)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host.strip("[]"), port))
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_of(host: str, sock: socket.socket) -> str:
    """The URL a socket bound on ``host`` serves at."""
    shown = f"[{host.strip('[]')}]" if ":" in host else host
    return f"http://{shown}:{sock.getsockname()[1]}/"


class EmbeddedWeb:
    """The web UI served inside another program's event loop (``monitor run --web``,
    ``monitor demo --serve``): the socket is bound at once, so a port in use is an error
    before anything starts; :meth:`run` serves until :meth:`stop`."""

    def __init__(
        self,
        db_path: str | Path,
        host: str,
        port: int,
        token: str | None,
        *,
        default_interval: float | None = None,
    ) -> None:
        app = create_app(
            db_path, token=token, allowed_hosts=[host], default_interval=default_interval
        )
        self.socket = bind(host, port)
        self.url = url_of(host, self.socket)
        self.server = build_server(app, host, port)

    async def run(self) -> None:
        """Serve until :meth:`stop`."""
        try:
            await self.server.serve(sockets=[self.socket])
        finally:
            self.socket.close()

    def stop(self) -> None:
        """Stop accepting; requests under way finish."""
        self.server.should_exit = True

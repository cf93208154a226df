"""A real HTTP/1.1 server on 127.0.0.1 for tests, with routes set at run time.

    server.set("/a", "<p>hi</p>")                      # str -> UTF-8, text/html; charset=utf-8
    server.set("/b", b"...", status=503, headers={"Retry-After": "1"})
    server.set("/c", "<p>x</p>", etag="v1")            # 304 when If-None-Match matches
    server.route("/d", lambda request: Response(302, {"Location": "/a"}))
    server.route("/e", server.trickle(b"abcdef", delay=0.1))
    server.route("/f", truncated(b"short", length=1000))
    server.route("/g", reset())
    server.url("/a")   # "http://127.0.0.1:PORT/a"
    server.requests    # [Request(method, path, headers, body), ...], headers with lowercased names

A handler takes a ``Request`` and returns a ``Response``. Its ``body`` may be bytes or an
iterable of byte chunks, each written and flushed at once, so a generator can pause between
chunks (use ``server.wait(seconds)``, which ends early when the server stops). A chunked body
without Content-Length ends by closing the connection. A Content-Length larger than the body
makes a truncated answer. Raising ``Reset`` in a handler or mid-body resets the connection.
Unknown paths answer 404. An error raised by a handler is re-raised when the server stops.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self

from monitor.samplesite.stopping import Stopping


@dataclass(frozen=True)
class Request:
    """One request as the server saw it."""

    method: str
    path: str
    headers: dict[str, str]  # lowercased names
    body: bytes = b""


@dataclass
class Response:
    """What a handler answers; ``body`` may be an iterable of chunks, sent one by one."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""


Handler = Callable[[Request], Response]


class Reset(Exception):
    """Raised by a handler (or its body iterator) to reset the connection with a TCP RST."""


class LocalServer:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0) in a daemon thread; a context manager."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.tls = tls  # serve https with this server-side context
        self.requests: list[Request] = []
        self.errors: list[BaseException] = []
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._stopping = Stopping()
        self._connections: set[socket.socket] = set()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if exc is None and self.errors:
            raise self.errors[0]

    @property
    def port(self) -> int:
        """The port the server listens on."""
        return int(self._httpd.server_address[1])

    def url(self, path: str = "/") -> str:
        """The full URL of ``path`` on this server."""
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> None:
        """Answer requests for ``path`` (exact, or without its query) with ``handler``."""
        self._routes[path] = handler

    def set(
        self,
        path: str,
        body: bytes | str,
        status: int = 200,
        headers: dict[str, str] | None = None,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> None:
        """A static answer; with ``etag``/``last_modified``, 304 to a matching conditional GET."""
        headers = dict(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
            if not any(name.lower() == "content-type" for name in headers):
                headers["Content-Type"] = "text/html; charset=utf-8"
        self.route(path, _static(Response(status, headers, body), etag, last_modified))

    def wait(self, seconds: float) -> bool:
        """Sleep in a handler; returns early (True) when the server is stopping."""
        return self._stopping.wait(seconds)

    def slow(self, seconds: float, response: Response) -> Handler:
        """A handler that waits ``seconds`` before answering ``response``."""

        def handler(request: Request) -> Response:
            self.wait(seconds)
            return response

        return handler

    def trickle(
        self, body: bytes, delay: float, headers: dict[str, str] | None = None, chunk: int = 1
    ) -> Handler:
        """A handler sending ``body`` ``chunk`` bytes at a time, ``delay`` seconds apart."""

        def chunks() -> Iterator[bytes]:
            for start in range(0, len(body), chunk):
                if self.wait(delay):
                    return
                yield body[start : start + chunk]

        all_headers = {"Content-Length": str(len(body)), **(headers or {})}
        return lambda request: Response(200, all_headers, chunks())

    def stop(self) -> None:
        """Stop serving, cut open connections, join every handler thread, close the socket."""
        self._stopping.set()
        self._httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):  # already closed by its handler
                connection.shutdown(socket.SHUT_RDWR)
        self._httpd.server_close()
        self._thread.join()
        self._stopping.close()

    def _handler_for(self, path: str) -> Handler:
        return self._routes.get(path) or self._routes.get(path.split("?")[0]) or _not_found

    def _log(self, request: Request) -> None:
        with self._lock:
            self.requests.append(request)

    def _track(self, connection: socket.socket, *, is_open: bool) -> None:
        with self._lock:
            if is_open:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)


def truncated(body: bytes, length: int, headers: dict[str, str] | None = None) -> Handler:
    """A handler declaring Content-Length ``length`` but sending only ``body``, then closing."""
    all_headers = {"Content-Type": "text/html", **(headers or {}), "Content-Length": str(length)}
    return lambda request: Response(200, all_headers, body)


def reset(after: bytes = b"") -> Handler:
    """A handler resetting the connection: at once, or after headers and ``after`` of body."""

    def chunks() -> Iterator[bytes]:
        yield after
        raise Reset

    def handler(request: Request) -> Response:
        if not after:
            raise Reset
        return Response(200, {"Content-Length": "100000"}, chunks())

    return handler


def redirect(location: str, status: int = 302) -> Handler:
    """A handler redirecting to ``location``."""
    return lambda request: Response(status, {"Location": location}, b"")


def _not_found(request: Request) -> Response:
    return Response(404, {"Content-Type": "text/plain"}, b"not found")


def _static(response: Response, etag: str | None, last_modified: str | None) -> Handler:
    """A static answer that honours If-None-Match / If-Modified-Since."""
    validators = {}
    if etag is not None:
        validators["ETag"] = etag if etag.startswith(('"', "W/")) else f'"{etag}"'
    if last_modified is not None:
        validators["Last-Modified"] = last_modified
    full = Response(response.status, {**response.headers, **validators}, response.body)

    def handler(request: Request) -> Response:
        if_none_match = request.headers.get("if-none-match")
        if if_none_match is not None and "ETag" in validators:
            tags = {tag.strip() for tag in if_none_match.split(",")}
            fresh = "*" in tags or validators["ETag"] in tags
        else:
            since = request.headers.get("if-modified-since")
            fresh = since is not None and since == last_modified
        return Response(304, validators) if fresh else full

    return handler


class _HTTPServer(ThreadingHTTPServer):
    def __init__(self, owner: LocalServer) -> None:
        self.owner = owner
        super().__init__(("127.0.0.1", 0), _RequestHandler)
        if owner.tls is not None:
            self.socket = owner.tls.wrap_socket(self.socket, server_side=True)

    def handle_error(self, request: object, client_address: object) -> None:
        """Keep handler errors for the test (a client hanging up is not one)."""
        exc = sys.exc_info()[1]
        if exc is not None and not isinstance(exc, OSError):
            self.owner.errors.append(exc)


class _RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 10  # a backstop: an idle keep-alive connection cannot hold a thread for long
    server: _HTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.owner._track(self.connection, is_open=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.owner._track(self.connection, is_open=False)

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        owner = self.server.owner
        headers = {name.lower(): value for name, value in self.headers.items()}
        request = Request(self.command, self.path, headers, self._read_body())
        owner._log(request)
        try:
            self._send(owner._handler_for(self.path)(request))
        except Reset:
            self._reset()

    do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_GET

    def _read_body(self) -> bytes:
        length = self.headers.get("Content-Length", "")
        return self.rfile.read(int(length)) if length.isdigit() else b""

    def _send(self, response: Response) -> None:
        headers = dict(response.headers)
        declared = next((v for k, v in headers.items() if k.lower() == "content-length"), None)
        no_body = self.command == "HEAD" or response.status in (204, 304)
        if isinstance(response.body, bytes | bytearray):
            chunks: Iterable[bytes] = [bytes(response.body)]
            if declared is None and response.status not in (204, 304):
                headers["Content-Length"] = declared = str(len(response.body))
        else:
            chunks = response.body
            if declared is None:
                headers["Connection"] = "close"  # the body ends when the connection does
        self.send_response(response.status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if no_body:
            return
        sent = 0
        for chunk in chunks:
            self.wfile.write(chunk)
            self.wfile.flush()
            sent += len(chunk)
        if declared is not None and str(sent) != declared.strip():
            self.close_connection = True

    def _reset(self) -> None:
        """Close with SO_LINGER 0, so the peer gets a RST instead of a FIN."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()
        self.connection.close()

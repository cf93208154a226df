"""A fault server for tests: every way a web server or page can go wrong, on 127.0.0.1.

``install_faults(server)`` adds one route per fault to a :class:`server.LocalServer` and
returns the faults with what a check of each must end in. Bodies that would be large (50 MB,
a gzip bomb) are generated in chunks, so the test process never holds them.
"""

from __future__ import annotations

import socket
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from server import Handler, LocalServer, Response, reset, truncated

from monitor import samplesite
from monitor.models import CheckStatus

HTML = {"Content-Type": "text/html; charset=utf-8"}
MB = 1024 * 1024


@dataclass(frozen=True)
class Fault:
    """One fault: where it is served and how a check of it must end."""

    name: str
    path: str
    status: CheckStatus
    error: str  # a piece of the error message the check must record


def closed_port() -> int:
    """A local port nobody listens on (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _big_body(size: int) -> Iterator[bytes]:
    chunk = b"<p>" + b"x" * (64 * 1024 - 7) + b"</p>\n"
    for _ in range(size // len(chunk)):
        yield chunk


def _gzip_bomb() -> bytes:
    """A few kB of gzip that inflate to 100 MB."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    data = b"".join(compressor.compress(b"\0" * MB) for _ in range(100))
    return data + compressor.flush()


def _static(status: int, body: bytes, headers: dict[str, str] | None = None) -> Handler:
    response = Response(status, headers if headers is not None else HTML, body)
    return lambda request: response


def _page(kind: str) -> Handler:
    return _static(200, samplesite.error_page(kind).encode("utf-8"))


def _chain(server: LocalServer, prefix: str, hops: int) -> Handler:
    """A redirect chain of ``hops`` hops ending on an article."""
    for hop in range(hops):
        target = f"{prefix}{hop + 1}" if hop + 1 < hops else "/article/"
        server.route(f"{prefix}{hop}", _static(302, b"", {"Location": target}))
    return _static(302, b"", {"Location": f"{prefix}0"})


def fault_handlers(server: LocalServer) -> dict[str, Handler]:
    """Fault name -> the handler that serves it (connection refused has none: see below)."""
    never = Response(200, HTML, b"<html></html>")  # headers and body only after 60 s
    return {
        "reset mid-body": reset(after=b"<html><body><p>half"),
        "never answers": server.slow(60, never),
        "slow trickle": server.trickle(b"<html>" + b"x" * 200, delay=1.0),  # 1 byte/s
        "truncated body": truncated(b"<html><body><p>half a page", 50_000),
        "500": _static(500, b"<h1>Internal Server Error</h1>"),
        "502": _static(502, b"<h1>Bad Gateway</h1>"),
        "503": _static(503, b"<h1>Service Unavailable</h1>"),
        "504": _static(504, b"<h1>Gateway Timeout</h1>"),
        "429 with Retry-After": _static(429, b"slow down", {**HTML, "Retry-After": "3600"}),
        "redirect loop": lambda request: Response(301, {"Location": request.path}, b""),
        "long redirect chain": _chain(server, "/fault/chain-", 25),
        "redirect to file:": _static(302, b"", {"Location": "file:///etc/passwd"}),
        "redirect to ftp:": _static(302, b"", {"Location": "ftp://127.0.0.1/article"}),
        "50 MB body": lambda request: Response(200, HTML, _big_body(50 * MB)),
        "50 MB declared": lambda request: Response(
            200, {**HTML, "Content-Length": str(50 * MB)}, _big_body(50 * MB)
        ),
        "gzip bomb": _static(200, _gzip_bomb(), {**HTML, "Content-Encoding": "gzip"}),
        "binary as HTML": _static(200, bytes(range(256)) * 64),
        "empty 200": _static(200, b""),
        "bot challenge": _static(
            200,
            b"<html><head><title>Just a moment...</title></head><body>Checking</body></html>",
            {**HTML, "cf-mitigated": "challenge"},
        ),
        "login wall": _page("login"),
        "maintenance page": _page("maintenance"),
        "soft 404": _page("not_found"),
    }


EXPECTED: dict[str, tuple[CheckStatus, str]] = {
    "connection refused": (CheckStatus.NETWORK_ERROR, "refused"),
    "reset mid-body": (CheckStatus.NETWORK_ERROR, ""),
    "never answers": (CheckStatus.NETWORK_ERROR, "timeout"),
    "slow trickle": (CheckStatus.NETWORK_ERROR, "total timeout"),
    "truncated body": (CheckStatus.NETWORK_ERROR, "truncated"),
    "500": (CheckStatus.HTTP_ERROR, "HTTP 500"),
    "502": (CheckStatus.HTTP_ERROR, "HTTP 502"),
    "503": (CheckStatus.HTTP_ERROR, "HTTP 503"),
    "504": (CheckStatus.HTTP_ERROR, "HTTP 504"),
    "429 with Retry-After": (CheckStatus.HTTP_ERROR, "Retry-After"),
    "redirect loop": (CheckStatus.NETWORK_ERROR, "redirect"),
    "long redirect chain": (CheckStatus.NETWORK_ERROR, "redirect"),
    "redirect to file:": (CheckStatus.NETWORK_ERROR, "file"),
    "redirect to ftp:": (CheckStatus.NETWORK_ERROR, "ftp"),
    "50 MB body": (CheckStatus.NETWORK_ERROR, "body exceeds"),
    "50 MB declared": (CheckStatus.NETWORK_ERROR, "body exceeds"),
    "gzip bomb": (CheckStatus.NETWORK_ERROR, "body exceeds"),
    "binary as HTML": (CheckStatus.SOFT_ERROR, "binary"),
    "empty 200": (CheckStatus.SOFT_ERROR, "empty"),
    "bot challenge": (CheckStatus.SOFT_ERROR, "challenge"),
    "login wall": (CheckStatus.SOFT_ERROR, "login"),
    "maintenance page": (CheckStatus.SOFT_ERROR, "maintenance"),
    "soft 404": (CheckStatus.SOFT_ERROR, "not found"),
}


def install_faults(server: LocalServer) -> dict[str, str]:
    """Add every fault to ``server``; fault name -> URL."""
    urls = {"connection refused": f"http://127.0.0.1:{closed_port()}/article/"}
    for name, handler in fault_handlers(server).items():
        path = "/fault/" + name.replace(" ", "-").replace(":", "")
        server.route(path, handler)
        urls[name] = server.url(path)
    return urls

"""httpx exceptions -> short messages: the one boundary where fetch errors are translated.

``Fetcher`` catches httpx errors and calls ``_describe``; nothing else turns an httpx exception
into text. ``_MESSAGES`` maps each httpx error class to its message (tests check none is missing).
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator

import httpx

from monitor.config import FetchSettings

_Describer = Callable[[Exception, FetchSettings], str]

_CAUSES: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused"),
    (ConnectionResetError, "connection reset by peer"),
    (socket.gaierror, "DNS lookup failed"),
    (ssl.SSLCertVerificationError, "TLS certificate verification failed"),
    (ssl.SSLError, "TLS error"),
)


def _reason(exc: BaseException) -> str:
    """An exception's own message, or its class name."""
    return str(exc).strip().rstrip(".") or type(exc).__name__


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """The exception and its causes, outermost first."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _network(prefix: str) -> _Describer:
    """A describer naming the OS-level cause (refused, reset, DNS, TLS) when there is one."""

    def describe(exc: Exception, settings: FetchSettings) -> str:
        for cause in _chain(exc):
            for kind, label in _CAUSES:
                if isinstance(cause, kind):
                    return label if isinstance(cause, ConnectionError) else f"{label}: {cause}"
        return f"{prefix}: {_reason(exc)}"

    return describe


def _protocol_error(exc: Exception, settings: FetchSettings) -> str:
    """A broken answer: most often a body cut short."""
    reason = _reason(exc)
    if "complete message body" in reason:
        return "response truncated: connection closed before the end of the body"
    if "without sending a response" in reason:
        return "server closed the connection without answering"
    return f"protocol error: {reason}"


_MESSAGES: dict[type[Exception], _Describer] = {
    httpx.ConnectTimeout: lambda e, s: f"connect timeout after {s.connect_timeout:g}s",
    httpx.ReadTimeout: lambda e, s: f"read timeout after {s.read_timeout:g}s",
    httpx.WriteTimeout: lambda e, s: f"write timeout after {s.read_timeout:g}s",
    httpx.PoolTimeout: lambda e, s: "timed out waiting for a free connection",
    httpx.ConnectError: _network("connection failed"),
    httpx.ReadError: _network("connection lost while reading"),
    httpx.WriteError: _network("connection lost while sending"),
    httpx.CloseError: _network("error closing the connection"),
    httpx.RemoteProtocolError: _protocol_error,
    httpx.LocalProtocolError: lambda e, s: f"invalid request: {_reason(e)}",
    httpx.ProxyError: lambda e, s: f"proxy error: {_reason(e)}",
    httpx.UnsupportedProtocol: lambda e, s: _reason(e),
    httpx.TooManyRedirects: lambda e, s: f"redirect loop / more than {s.max_redirects} redirects",
    httpx.DecodingError: lambda e, s: f"could not decode the body: {_reason(e)}",
    httpx.InvalidURL: lambda e, s: f"invalid URL: {_reason(e)}",
}


def _describe(exc: Exception, settings: FetchSettings) -> str:
    """A short human-readable message for an httpx exception."""
    for kind in type(exc).__mro__:
        describe = _MESSAGES.get(kind)
        if describe is not None:
            return describe(exc, settings)
    return f"{type(exc).__name__}: {_reason(exc)}"

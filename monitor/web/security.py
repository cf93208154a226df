"""The web app's outer layer: security headers on every response and the access token.

Every response gets a strict Content-Security-Policy (no inline script or style, nothing from
other origins, no framing), ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy:
no-referrer``; a response that sets its own CSP (the raw page download adds ``sandbox``)
keeps it.

With a token, every request must carry it: ``Authorization: Bearer <token>``, or the cookie
``monitor_token``. A page opened once with ``?token=<token>`` sets that cookie (HttpOnly,
SameSite=Strict) and redirects to the same URL without the token, so it does not stay in the
address bar or the history. Feeds (``*.atom``) and the JSON API accept ``?token=`` directly:
feed readers and scripts do not keep cookies. Anything else is 401 ("invalid token" when a
wrong one was given).

Without a token the app is only served on loopback addresses, and it answers only requests
whose ``Host`` is a loopback name or address (``localhost``, ``127.x.x.x``, ``[::1]``) or the
host it listens on: a web page elsewhere cannot reach it through DNS rebinding (its requests
carry the attacker's host name). Anything else is 400. With a token, the token protects it.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, quote, urlencode

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
COOKIE = "monitor_token"
Denial = tuple[int, list[tuple[bytes, bytes]], bytes]  # status, headers, body
_TEXT = (b"content-type", b"text/plain; charset=utf-8")
_PORT = re.compile(r":\d*$")


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` plus the security headers it does not set itself."""
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS if name not in present]


class SecurityMiddleware:
    """ASGI middleware: security headers on every response; the token check, if any."""

    def __init__(
        self, app: ASGIApp, token: str | None = None, allowed_hosts: Iterable[str] = ()
    ) -> None:
        self.app = app
        self.token = token
        self.allowed_hosts = frozenset(normal_host(host) for host in allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        denied = self._check_token(scope) if self.token is not None else self._check_host(scope)
        if denied is not None:
            await _respond(send_with_headers, *denied)
            return
        await self.app(scope, receive, send_with_headers)

    def _check_host(self, scope: Scope) -> Denial | None:
        """Without a token: None for a loopback or the listened-on Host, else a 400."""
        host = dict(scope.get("headers", [])).get(b"host")
        if host is None:  # HTTP/1.0 without Host: not a browser, no rebinding
            return None
        name = normal_host(host.decode("latin-1"))
        if is_loopback(name) or name in self.allowed_hosts:
            return None
        log.warning("web request refused: Host %r is not this machine", name[:100])
        text = b"400: this monitor answers only on localhost (its Host header is another)\n"
        return 400, [_TEXT], text

    def _check_token(self, scope: Scope) -> Denial | None:
        """None to let the request through, else the response (status, headers, body)."""
        headers = dict(scope.get("headers", []))
        bearer = _bearer(headers.get(b"authorization", b""))
        cookie = _cookie(headers.get(b"cookie", b""))
        if self._matches(bearer) or self._matches(cookie):
            return None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [value for name, value in query if name == "token"]
        if given and self._matches(given[-1]):
            if _is_machine_path(scope):
                return None
            return self._redirect_with_cookie(scope, query)
        wrong = bool(given) or bearer is not None or cookie is not None
        return _unauthorized(scope, wrong)

    def _matches(self, candidate: str | None) -> bool:
        assert self.token is not None
        return candidate is not None and hmac.compare_digest(
            candidate.encode("utf-8", "replace"), self.token.encode("utf-8")
        )

    def _redirect_with_cookie(self, scope: Scope, query: list[tuple[str, str]]) -> Denial:
        assert self.token is not None
        rest = urlencode([(name, value) for name, value in query if name != "token"])
        location = local_path(scope.get("root_path", "") + _route_path(scope))
        location += f"?{rest}" if rest else ""
        cookie = f"{COOKIE}={self.token}; Path={scope.get('root_path', '') or '/'}; HttpOnly; "
        cookie += "SameSite=Strict" + ("; Secure" if scope.get("scheme") == "https" else "")
        headers = [(b"location", location.encode()), (b"set-cookie", cookie.encode())]
        return 303, headers, b""


_TOKEN_PARAM = re.compile(r"((?:^|[?&;])token=)[^&;#\s\"]*", re.IGNORECASE)


def redact_tokens(text: str) -> str:
    """``text`` (a logged URL or request line) with any ``token=`` value replaced by ***."""
    return _TOKEN_PARAM.sub(r"\1***", text)


class RedactTokens(logging.Filter):
    """A logging filter that keeps ``?token=`` values out of log lines (uvicorn's access
    log shows each request's path and query)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact_tokens(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact_tokens(record.msg)
        return True


def redact_access_log(logger: logging.Logger | None = None) -> None:
    """Install :class:`RedactTokens` on uvicorn's access logger (once)."""
    target = logger or logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactTokens) for f in target.filters):
        target.addFilter(RedactTokens())


def normal_host(host: str) -> str:
    """A Host header or host name without its port, lower case: ``[::1]:8080`` -> ``::1``.
    A bracketed address must be all of the host: ``[::1].evil.example`` stays as it is (and
    is no loopback name)."""
    host = host.strip().lower()
    if host.startswith("["):
        address, _, rest = host[1:].partition("]")
        return address if _PORT.fullmatch(rest) or not rest else host
    return host if host.count(":") > 1 else _PORT.sub("", host)  # a bare IPv6 address


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost."""
    host = host.lower()
    if host in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def local_path(path: str) -> str:
    """``path`` as a redirect target on this site only: leading slashes and backslashes
    collapsed to one ``/`` (``//evil.example`` would be another host), percent-encoded."""
    path = "/" + path.lstrip("/\\")
    return quote(path, safe="/:@!$&'()*+,;=-._~%")


def _route_path(scope: Scope) -> str:
    """The request path below the app's root path."""
    path: str = scope.get("path", "/")
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def _is_machine_path(scope: Scope) -> bool:
    path = _route_path(scope)
    return path.startswith("/api/") or path.endswith(".atom") or path == "/openapi.json"


def _bearer(value: bytes) -> str | None:
    scheme, _, credentials = value.decode("latin-1").partition(" ")
    return credentials.strip() if scheme.lower() == "bearer" else None


def _cookie(value: bytes) -> str | None:
    """The token cookie, read leniently: other cookies of the host (localhost is shared by
    every local app, whatever its port) may be malformed without hiding it."""
    return cookie_parser(value.decode("latin-1")).get(COOKIE)


def _unauthorized(scope: Scope, wrong: bool) -> Denial:
    headers = [(b"www-authenticate", b'Bearer realm="monitor"')]
    if wrong:
        message = "invalid token"
    elif _is_machine_path(scope):
        message = "a token is required (Authorization: Bearer …)"
    else:
        message = (
            "this monitor needs its access token. Open the page once with ?token=… "
            "(it is then kept in a cookie) or send Authorization: Bearer …"
        )
    if _is_machine_path(scope):
        body = json.dumps({"error": message}).encode()
        return 401, [*headers, (b"content-type", b"application/json")], body
    return 401, [*headers, _TEXT], f"401: {message}\n".encode()


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

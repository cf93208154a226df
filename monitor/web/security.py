"""The web app's outer layer: security headers on every response and the access token.

Every response gets a strict Content-Security-Policy (no inline script or style, nothing from
other origins, no framing), ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy:
no-referrer``; a response that sets its own CSP (the raw page download adds ``sandbox``)
keeps it.

With a token, every request must carry it: ``Authorization: Bearer <token>``, or the cookie
``monitor_token``. A page opened once with ``?token=<token>`` sets that cookie (HttpOnly,
SameSite=Strict) and redirects to the same URL without the token, so it does not stay in the
address bar or the history. Feeds (``*.atom``) and the JSON API accept ``?token=`` directly:
feed readers and scripts do not keep cookies. Anything else is 401.
"""

from __future__ import annotations

import hmac
import json
import logging
from http.cookies import CookieError, SimpleCookie
from urllib.parse import parse_qsl, urlencode

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


def with_security_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` plus the security headers it does not set itself."""
    present = {name.lower() for name, _ in headers}
    return headers + [(name, value) for name, value in SECURITY_HEADERS if name not in present]


class SecurityMiddleware:
    """ASGI middleware: security headers on every response; the token check, if any."""

    def __init__(self, app: ASGIApp, token: str | None = None) -> None:
        self.app = app
        self.token = token

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_security_headers(list(message.get("headers", [])))
            await send(message)

        if self.token is not None:
            denied = self._check_token(scope)
            if denied is not None:
                await _respond(send_with_headers, *denied)
                return
        await self.app(scope, receive, send_with_headers)

    def _check_token(self, scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes] | None:
        """None to let the request through, else the response (status, headers, body)."""
        headers = dict(scope.get("headers", []))
        if self._matches(_bearer(headers.get(b"authorization", b""))):
            return None
        if self._matches(_cookie(headers.get(b"cookie", b""))):
            return None
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        given = [value for name, value in query if name == "token"]
        if given and self._matches(given[-1]):
            if _is_machine_path(scope):
                return None
            return self._redirect_with_cookie(scope, query)
        return _unauthorized(scope)

    def _matches(self, candidate: str | None) -> bool:
        assert self.token is not None
        return candidate is not None and hmac.compare_digest(
            candidate.encode("utf-8", "replace"), self.token.encode("utf-8")
        )

    def _redirect_with_cookie(
        self, scope: Scope, query: list[tuple[str, str]]
    ) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        assert self.token is not None
        rest = urlencode([(name, value) for name, value in query if name != "token"])
        location = scope.get("root_path", "") + _route_path(scope) + (f"?{rest}" if rest else "")
        cookie = f"{COOKIE}={self.token}; Path={scope.get('root_path', '') or '/'}; HttpOnly; "
        cookie += "SameSite=Strict" + ("; Secure" if scope.get("scheme") == "https" else "")
        headers = [(b"location", location.encode()), (b"set-cookie", cookie.encode())]
        return 303, headers, b""


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
    cookies: SimpleCookie = SimpleCookie()
    try:
        cookies.load(value.decode("latin-1"))
    except CookieError:  # a malformed Cookie header is no credential
        return None
    morsel = cookies.get(COOKIE)
    return morsel.value if morsel is not None else None


def _unauthorized(scope: Scope) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    headers = [(b"www-authenticate", b'Bearer realm="monitor"')]
    if _is_machine_path(scope):
        body = json.dumps({"error": "a token is required (Authorization: Bearer …)"}).encode()
        return 401, [*headers, (b"content-type", b"application/json")], body
    text = (
        "401: this monitor needs its access token. Open the page once with ?token=… "
        "(it is then kept in a cookie) or send Authorization: Bearer …\n"
    )
    return 401, [*headers, (b"content-type", b"text/plain; charset=utf-8")], text.encode()


async def _respond(
    send: Send, status: int, headers: list[tuple[bytes, bytes]], body: bytes
) -> None:
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

"""How a page is requested: extra headers, fixed cookies, a proxy, and whether a real browser
renders it; the ``headers``, ``cookies``, ``proxy``, ``render`` and ``wait_for`` keys of
``[monitor]``, ``[[site]]``, ``[[watch]]`` and ``[[feed]]``.

:class:`RequestOptions` is plain data; ``config.py`` reads it with the converters here, which
raise ``ValueError`` saying what is allowed (never echoing a value that may be a secret), and
lays the options of a watch over those of its site, its feed and ``[monitor]``
(:meth:`RequestOptions.merged`). Proxy credentials come from the URL or from environment
variables (``${NAME}``); :func:`redact` takes them out of any text that might carry them, and
:meth:`RequestOptions.describe` says what is used without a value in it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urlsplit

RENDER_MODES = ("http", "browser")
PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
#: Headers monitor sets itself: a configured value would break what it relies on.
MANAGED_HEADERS = {
    "host": "monitor sets it from the URL",
    "cookie": "use the cookies key",
    "content-length": "monitor sends no body",
    "transfer-encoding": "monitor sends no body",
    "connection": "the connection pool manages it",
    "accept-encoding": "monitor decodes gzip and deflate only, and asks for those",
    "if-none-match": "conditional requests are monitor's (from the last good fetch)",
    "if-modified-since": "conditional requests are monitor's (from the last good fetch)",
    "proxy-authorization": "put the proxy's credentials in the proxy URL",
}
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # RFC 9110 token: header and cookie names
_COOKIE_VALUE = re.compile(r'^"?[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*"?$')  # RFC 6265
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0A-\x1F\x7F]")
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

Pairs = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class RequestOptions:
    """How to request a page. ``None`` (and empty) fields inherit from the options below
    them; ``proxy = ""`` is an explicit "no proxy" (``proxy = false`` in config.toml)."""

    headers: Pairs = ()
    cookies: Pairs = ()
    proxy: str | None = field(default=None, repr=False)  # may hold credentials: never shown
    render: str | None = None  # "http" or "browser"; None: inherit (in the end, "http")
    wait_for: str | None = None  # a CSS selector the browser waits for before reading

    def merged(self, other: RequestOptions) -> RequestOptions:
        """These options with ``other`` laid over them: its headers and cookies replace
        those of the same name, its proxy, render and wait_for replace these when set."""
        return RequestOptions(
            headers=_merge_pairs(self.headers, other.headers, key=str.lower),
            cookies=_merge_pairs(self.cookies, other.cookies, key=str),
            proxy=self.proxy if other.proxy is None else other.proxy,
            render=other.render or self.render,
            wait_for=other.wait_for or self.wait_for,
        )

    @property
    def uses_browser(self) -> bool:
        """True when a real browser renders the page."""
        return self.render == "browser"

    @property
    def proxy_url(self) -> str | None:
        """The proxy to use (with its credentials), or None for a direct connection."""
        return self.proxy or None

    def over_http(self) -> RequestOptions:
        """The same options for a plain GET (a feed, a sitemap: never rendered)."""
        return RequestOptions(self.headers, self.cookies, self.proxy, "http", None)

    def header(self, name: str) -> str | None:
        """The configured value of header ``name`` (any case), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)

    def secrets(self) -> tuple[str, ...]:
        """The proxy's credentials, as written and decoded: what :func:`redact` removes."""
        return proxy_secrets(self.proxy_url)

    def describe(self) -> str:
        """What is configured, without a value that could be a secret: header and cookie
        names, the proxy without its credentials, how the page is fetched."""
        parts = [f"fetched with {'a browser' if self.uses_browser else 'a plain GET'}"]
        if self.uses_browser and self.wait_for:
            parts.append(f"waiting for {self.wait_for!r}")
        if self.headers:
            parts.append("headers " + ", ".join(name for name, _ in self.headers))
        if self.cookies:
            parts.append("cookies " + ", ".join(name for name, _ in self.cookies))
        if self.proxy_url:
            parts.append(f"through the proxy {shown_proxy(self.proxy_url)}")
        return "; ".join(parts)


def _merge_pairs(base: Pairs, over: Pairs, *, key: Callable[[str], str]) -> Pairs:
    if not over:
        return base
    replaced = {key(name) for name, _ in over}
    return tuple((n, v) for n, v in base if key(n) not in replaced) + over


# --- reading config values (ValueError says what is allowed; the value is never echoed) ---


def parse_headers(value: object) -> Pairs:
    """``{Accept-Language = "en-GB", User-Agent = "..."}`` -> pairs, checked."""
    expected = 'a table of header names to strings, e.g. {Accept-Language = "en-GB,en;q=0.8"}'
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(expected)
    pairs = []
    for name, text in value.items():
        name = str(name).strip()
        if not _TOKEN.match(name):
            raise ValueError(f"{expected} ({name!r} is not a header name)")
        if name.lower() in MANAGED_HEADERS:
            why = MANAGED_HEADERS[name.lower()]
            raise ValueError(f"a header monitor does not set itself ({name}: {why})")
        if _BAD_HEADER_VALUE.search(text):
            raise ValueError(f"header values without line breaks or control characters ({name})")
        pairs.append((name, text.strip()))
    return tuple(pairs)


def parse_cookies(value: object) -> Pairs:
    """``{consent = "yes"}`` -> pairs: cookie names (tokens) and values (RFC 6265)."""
    expected = 'a table of cookie names to values, e.g. {euconsent = "yes"}'
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError(expected)
    for name, text in value.items():
        if not _TOKEN.match(str(name)):
            raise ValueError(f"{expected} ({name!r} is not a cookie name)")
        if not _COOKIE_VALUE.match(text):
            raise ValueError(
                f"{expected}; the value of {name!r} has a space, a comma, a semicolon, a "
                "backslash or a control character (percent-encode them)"
            )
    return tuple((str(name), text) for name, text in value.items())


def parse_render(value: object) -> str:
    """``"http"`` or ``"browser"``."""
    if value not in RENDER_MODES:
        raise ValueError(f"one of {', '.join(repr(m) for m in RENDER_MODES)}")
    return str(value)


def parse_proxy(value: object, environ: Mapping[str, str] | None = None) -> str:
    """A proxy URL (``http``, ``https``, ``socks5``, ``socks5h``), with ``${NAME}`` taken from
    the environment; ``false`` is ``""``, no proxy (where ``[monitor]`` sets one)."""
    expected = (
        'a proxy URL such as "http://proxy.example:3128" or "socks5://127.0.0.1:1080" '
        '(credentials in the URL or from the environment: "http://${PROXY_USER}:'
        '${PROXY_PASSWORD}@proxy.example:3128"), or false for none'
    )
    if value is False:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(expected)
    url = expand_variables(value.strip(), os.environ if environ is None else environ)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValueError(expected) from None
    if parts.scheme.lower() not in PROXY_SCHEMES or not parts.hostname:
        raise ValueError(expected)
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{expected}; no path, query or fragment")
    if port is None and parts.scheme.lower().startswith("socks"):
        raise ValueError(f"{expected}; a SOCKS proxy needs its port")
    return url


def expand_variables(text: str, environ: Mapping[str, str]) -> str:
    """``${NAME}`` -> the environment variable's value: the whole value verbatim (a whole
    proxy URL), a part percent-encoded (a user name or password may hold ``@`` or ``:``)."""
    whole = _VARIABLE.fullmatch(text)
    names = [whole.group(1)] if whole else _VARIABLE.findall(text)
    missing = [name for name in names if name not in environ]
    if missing:
        raise ValueError(f"the environment variable {missing[0]} to be set (it is not)")
    if whole:
        return environ[whole.group(1)].strip()
    return _VARIABLE.sub(lambda m: quote(environ[m.group(1)], safe=""), text)


# --- keeping credentials out of sight -------------------------------------------------------


def shown_proxy(url: str) -> str:
    """The proxy URL without its credentials (``http://proxy:3128``, "with credentials"
    said when it has some)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    note = " (with credentials)" if parts.username or parts.password else ""
    return f"{parts.scheme}://{host}{port}{note}"


def proxy_secrets(url: str | None) -> tuple[str, ...]:
    """The parts of a proxy URL that must never be shown: its user info, the password and
    user name (as written and decoded)."""
    if not url:
        return ()
    parts = urlsplit(url)
    userinfo = parts.netloc.rpartition("@")[0] if "@" in parts.netloc else ""
    found = {userinfo, parts.password or "", parts.username or ""}
    found |= {unquote(item) for item in found}
    return tuple(sorted((item for item in found if len(item) >= 3), key=len, reverse=True))


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """``text`` with every secret replaced by ``***``."""
    for secret in secrets:
        text = text.replace(secret, "***")
    return text

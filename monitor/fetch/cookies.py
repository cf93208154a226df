"""Cookies: the one place where a fetch's cookies are kept, sent and bounded.

No cookie outlives the fetch that received it: every fetch starts with an empty jar (so one
watch's cookies never reach another watch, and no metered paywall counts our views), and the
jar follows that fetch's redirect hops, because many sites set a cookie on a redirect and
expect it back on the next hop. The jar is bounded: at most :data:`MAX_COOKIES` cookies and a
``Cookie`` header of at most :data:`MAX_HEADER_BYTES`; what a page sets beyond that is dropped,
so a page setting 1,000 cookies cannot make the next hop's request one that the origin
refuses.

The shared httpx clients get a jar that never stores anything (:func:`no_jar`), so httpx's own
cookie handling has nothing to carry. :class:`FetchCookies` takes the cookies a user configured
for the page (``cookies = {consent = "yes"}`` in config.toml: a consent cookie), and sends them
on every hop of the fetch that stays on the page's site (its registrable domain), never to
another site a redirect leads to.
"""

from __future__ import annotations

from collections.abc import Mapping
from http.cookiejar import Cookie, CookieJar

import httpx

from monitor.urls import same_site

MAX_COOKIES = 50
MAX_HEADER_BYTES = 4096


class _NeverStores(CookieJar):
    """A cookie jar that keeps nothing: the shared clients' jar."""

    def set_cookie(self, cookie: Cookie) -> None:
        return

    def extract_cookies(self, response: object, request: object) -> None:
        return


def no_jar() -> CookieJar:
    """The cookie jar of a shared client: nothing is ever stored in it. A jar, not an
    ``httpx.Cookies``: a client copies the cookies of a ``Cookies`` it is given into a jar
    of its own, which keeps every cookie every answer sets, for as long as the client
    lives, and copies them all into every request it builds (where :class:`FetchCookies`
    replaced them)."""
    return _NeverStores()


class FetchCookies:
    """The cookies of one fetch: set by its answers, sent on its next hops, bounded."""

    def __init__(self, fixed: Mapping[str, str] | None = None, *, site: str | None = None) -> None:
        self._fixed = dict(fixed or {})
        self._site = site  # the URL whose site the fixed cookies are for (None: every hop)
        self._jar = httpx.Cookies()

    def __len__(self) -> int:
        return len(self._jar.jar)

    def keep(self, response: httpx.Response) -> None:
        """Take the cookies ``response`` sets, within the bounds."""
        if "set-cookie" not in response.headers:
            return
        self._jar.extract_cookies(response)
        self._bound()

    def apply(self, request: httpx.Request) -> None:
        """Give ``request`` the Cookie header of this fetch (or none)."""
        if "cookie" in request.headers:
            del request.headers["cookie"]
        pairs: list[tuple[str, str]] = []
        if self._fixed and (self._site is None or same_site(str(request.url), self._site)):
            pairs = list(self._fixed.items())
        sent = None
        if self._jar.jar:  # (most fetches: no answer set a cookie)
            scratch = httpx.Request(request.method, request.url)
            self._jar.set_cookie_header(scratch)
            sent = scratch.headers.get("cookie")
        header = "; ".join([f"{name}={value}" for name, value in pairs] + ([sent] if sent else []))
        if header:
            request.headers["Cookie"] = header[:MAX_HEADER_BYTES]

    def _bound(self) -> None:
        """Drop the cookies past the count or size bound (in the jar's order)."""
        size = sum(len(name) + len(value) + 2 for name, value in self._fixed.items())
        kept = 0
        for cookie in list(self._jar.jar):
            size += len(cookie.name) + len(cookie.value or "") + 2
            if kept >= MAX_COOKIES or size > MAX_HEADER_BYTES:
                self._jar.jar.clear(cookie.domain, cookie.path, cookie.name)
            else:
                kept += 1

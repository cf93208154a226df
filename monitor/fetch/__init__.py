"""httpx -> FetchResult: fetching pages, and the one place where fetch errors are translated.

``Fetcher.fetch`` never raises for network or HTTP problems. Every fetch ends as one
``FetchResult`` whose ``outcome`` is:

    OK               a 2xx answer read within the size cap (``text`` decoded if text-ish)
    NOT_MODIFIED     a 304 answer to a conditional request
    HTTP_ERROR       a final status >= 400, or a 3xx without a usable Location
    NETWORK_ERROR    no complete answer: refused, DNS, timeouts, reset, a body that did
                     not arrive whole (shorter than its Content-Length, a chunked or
                     compressed stream cut short, a page cut when the connection closed),
                     redirect loop or non-http(s) redirect, body over the size cap

httpx exceptions become ``error`` messages in one place, ``errors._describe``. Connection
errors, a cut body, no answer within ``read_timeout``, 5xx and 429 are retried a bounded
number of times with exponential backoff (honouring Retry-After); the wait uses an injected
``sleep`` so tests need not wait. A server that answers, however slowly, is not retried, and
all attempts of one fetch together get ``total_timeout``. Redirects are followed one hop at a
time (not by httpx) so a redirect's body is never read; cookies live for one fetch.

A fetch takes the watch's :class:`~monitor.request.RequestOptions`: its configured headers and
cookies (sent on the hops that stay on the page's site), its proxy (HTTP, HTTPS or SOCKS5,
through httpx's own proxy support: one set of clients per proxy), and ``render = "browser"``,
which fetches the page in a real browser instead (``render.py``). No error message carries a
proxy's credentials.

Here: ``Fetcher`` (requests, redirects, retries, limits). Beside it: ``decode.py`` (bytes ->
text), ``body.py`` (bounded Content-Encoding, whole bodies), ``cookies.py`` (one fetch's
cookies), ``validators.py`` (validators that can be true), ``errors.py`` (httpx errors ->
messages), ``address.py`` (the allow_private_addresses check) and ``render.py`` (the browser).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import ssl
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpcore
import httpx

from monitor.config import FetchSettings
from monitor.errors import FetchCancelled
from monitor.fetch.address import AddressRefused, PublicOnlyBackend, _check_public, pinned_transport
from monitor.fetch.body import Truncated, _BodyDecoder, check_page_end
from monitor.fetch.cookies import FetchCookies, no_jar
from monitor.fetch.decode import decode_html
from monitor.fetch.errors import _MESSAGES as _MESSAGES  # re-exported, for tests
from monitor.fetch.errors import _describe
from monitor.fetch.render import Renderer
from monitor.fetch.stream import AsyncioBackend
from monitor.fetch.validators import CLOCK_SKEW, http_date, sane_validators
from monitor.models import FetchOutcome, FetchResult, Validators
from monitor.request import RequestOptions, redact
from monitor.urls import same_site

__all__ = [
    "CLIENT_CONNECTIONS",
    "AddressRefused",
    "Fetcher",
    "Renderer",
    "RequestOptions",
    "Sleep",
    "decode_html",
]

log = logging.getLogger(__name__)

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], datetime]

_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Language": "ja,en;q=0.8",
    "Accept-Encoding": "gzip, deflate",  # what _BodyDecoder undoes, in bounded pieces
}
CLIENT_CONNECTIONS = 4
_JITTER = 0.1  # up to 10% on top of each backoff, so the retries of many watches spread out
_RETRY_AFTER_STATUSES = frozenset({429, 503})
_TRANSIENT = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)
_TEXT_TYPES = frozenset({"application/xhtml+xml", "application/xml", "application/json"})
_NO_VALIDATORS = Validators()
_PLAIN = RequestOptions()
#: A retry starts only if this much of total_timeout is left (or connect_timeout, if less).
_MIN_RETRY_BUDGET = 1.0


class _BodyStalled(Exception):
    """A timeout while reading the body of an answer: the server answers, slowly."""

    def __init__(self, cause: httpx.TimeoutException) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class _Attempt:
    """One try at a URL: its result, and whether (and after how long) another try may help."""

    result: FetchResult
    retry: bool = False
    retry_after: float | None = None


class _HostSlot:
    """The per-host limit, and how many fetches hold it or wait for it."""

    def __init__(self, limit: int) -> None:
        self.semaphore = asyncio.Semaphore(limit)
        self.users = 0


class Fetcher:
    """Fetches pages over shared httpx clients (one set per proxy) or a browser, within a
    global and a per-host limit."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        network_backend: httpcore.AsyncNetworkBackend | None = None,
        clock: Clock = _utcnow,
        renderer: Renderer | None = None,
    ) -> None:
        self.settings = settings
        self._sleep = sleep
        self._clock = clock  # the reference for validators when an answer has no Date
        network_backend = network_backend or _backend_for(settings)
        self._transport = transport
        self._backend = network_backend
        self._pools: dict[str | None, Iterator[httpx.AsyncClient]] = {}
        self._tls: ssl.SSLContext | None = None
        self._clients: list[httpx.AsyncClient] = []
        self._pool(None)  # the direct clients, built now
        self._renderer = renderer
        self._slots = asyncio.Semaphore(settings.concurrency)
        self._host_slots: dict[str, _HostSlot] = {}
        self._closing = False

    def _pool(self, proxy: str | None) -> Iterator[httpx.AsyncClient]:
        """The clients of one proxy (None: direct), made at its first use. httpx's pool costs
        grow with the requests in flight on one client (encode/httpx#3215): a client per
        CLIENT_CONNECTIONS slots keeps each in its fast range."""
        pool = self._pools.get(proxy)
        if pool is None:
            shards = max(1, -(-self.settings.concurrency // CLIENT_CONNECTIONS))
            size = -(-self.settings.concurrency // shards)
            # one TLS context (the CA bundle) for every client: each would load the bundle
            # again otherwise (about 30 ms and 1 MB a client)
            self._tls = self._tls or httpx.create_ssl_context()
            clients = [
                _make_client(self.settings, self._transport, size, self._backend, proxy, self._tls)
                for _ in range(shards)
            ]
            self._clients.extend(clients)
            pool = self._pools[proxy] = itertools.cycle(clients)
        return pool

    @property
    def renderer(self) -> Renderer:
        """The browser of ``render = "browser"`` pages (started at its first render)."""
        if self._renderer is None:
            self._renderer = Renderer(self.settings, base_headers=_HEADERS)
        return self._renderer

    def refuse_new(self) -> None:
        """Start no new request (shutting down): a fetch still waiting for a slot, or about
        to retry, raises FetchCancelled; requests already sent finish."""
        self._closing = True

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the shared clients and their connections, and stop the browser."""
        for client in self._clients:
            await client.aclose()
        if self._renderer is not None:
            await self._renderer.aclose()

    async def fetch(
        self,
        url: str,
        validators: Validators = _NO_VALIDATORS,
        options: RequestOptions | None = None,
    ) -> FetchResult:
        """Fetch ``url``, conditionally if ``validators`` are set, as ``options`` say (headers,
        cookies, proxy, a browser); never raises for I/O or HTTP.

        All attempts together get ``total_timeout`` (the waits between them come on top):
        a retry starts only while some of it is left, and runs within what is left."""
        options = options or _PLAIN
        started = time.monotonic()
        if options.uses_browser:
            result = await self._render(url, options)
            return self._finished(result, options, 1, started)
        budget = self.settings.total_timeout
        attempts = 0
        while True:
            attempts += 1
            attempt, spent = await self._attempt(url, validators, budget, options)
            budget -= spent
            delay = self._retry_delay(attempt, attempts, budget)
            if delay is None:
                break
            log.debug(
                "retrying %s in %.2fs after: %s",
                url,
                delay,
                redact(attempt.result.error or "", options.secrets()),
            )
            await self._sleep(delay)
            if self._closing:
                raise FetchCancelled("monitor is stopping: the retry was not started")
        return self._finished(attempt.result, options, attempts, started)

    def _finished(
        self, result: FetchResult, options: RequestOptions, attempts: int, started: float
    ) -> FetchResult:
        """The result with its attempts and duration, and no proxy credentials in it."""
        duration_ms = round((time.monotonic() - started) * 1000)
        error = redact(result.error, options.secrets()) if result.error else result.error
        return replace(result, attempts=attempts, duration_ms=duration_ms, error=error)

    async def _render(self, url: str, options: RequestOptions) -> FetchResult:
        """The page as a browser renders it, within the fetcher's host and global limits."""
        try:
            _check_scheme(httpx.Request("GET", url), first=True)
            if not self.settings.allow_private_addresses:
                parts = httpx.URL(url)
                await _check_public(parts.host, parts.port or 443)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            return _failure(url, _describe(exc, self.settings))
        except AddressRefused as exc:
            return _failure(url, str(exc))
        if self._closing:
            raise FetchCancelled("monitor is stopping: the render was not started")
        return await self.renderer.render(url, options, slot=lambda: self._slot(url))

    def _retry_delay(self, attempt: _Attempt, attempts: int, budget: float) -> float | None:
        """Seconds to wait before the next try, or None when there is none."""
        if not attempt.retry or attempts > self.settings.retries:
            return None
        if budget < min(self.settings.connect_timeout, _MIN_RETRY_BUDGET):
            return None  # too little of total_timeout is left for another try
        if attempt.retry_after is not None:
            return attempt.retry_after
        delay = self.settings.backoff * 2.0 ** (attempts - 1)
        return delay + random.uniform(0, delay * _JITTER)

    async def _attempt(
        self, url: str, validators: Validators, budget: float, options: RequestOptions
    ) -> tuple[_Attempt, float]:
        """One request with its redirects, within the limits and what is left of the
        whole-fetch deadline; and the seconds it took (waiting for a slot aside)."""
        async with self._slot(url):
            started = time.monotonic()
            attempt = await self._bounded(url, validators, budget, options)
            return attempt, time.monotonic() - started

    async def _bounded(
        self, url: str, validators: Validators, budget: float, options: RequestOptions
    ) -> _Attempt:
        """One request within ``budget`` seconds. Retried after: connection errors, a cut
        body, no answer within read_timeout, 5xx and 429. Not retried: a server that
        answers, however slowly (the whole-fetch deadline, a stall in the body)."""
        try:
            async with asyncio.timeout(max(budget, 0.0)):
                return await self._request(url, validators, options)
        except TimeoutError:
            limit = self.settings.total_timeout
            message = f"total timeout: no complete answer within {limit:g}s"
            return _Attempt(_failure(url, message), retry=False)
        except AddressRefused as exc:
            return _Attempt(_failure(url, str(exc)), retry=False)
        except Truncated as exc:
            return _Attempt(_failure(url, str(exc)), retry=True)
        except _BodyStalled as exc:
            log.debug("fetch of %s stalled in the body: %s", url, _shown(exc.cause, options))
            return _Attempt(_failure(url, _describe(exc.cause, self.settings)), retry=False)
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            log.debug("fetch of %s failed: %s", url, _shown(exc, options))
            retry = isinstance(exc, _TRANSIENT)
            return _Attempt(_failure(url, _describe(exc, self.settings)), retry=retry)

    @asynccontextmanager
    async def _slot(self, url: str) -> AsyncIterator[None]:
        """Hold a per-host slot, then a global one (so a busy host cannot hoard global slots)."""
        host = _host_of(url)
        slot = self._host_slots.get(host)
        if slot is None:
            slot = self._host_slots[host] = _HostSlot(self.settings.per_host_concurrency)
        slot.users += 1
        try:
            async with slot.semaphore, self._slots:
                if self._closing:
                    raise FetchCancelled("monitor is stopping: the fetch was not started")
                yield
        finally:
            slot.users -= 1
            if not slot.users:  # nobody holds or waits for it: 50k hosts don't pile up
                del self._host_slots[host]

    @property
    def busy_hosts(self) -> int:
        """Hosts with a fetch in flight or waiting for a slot."""
        return len(self._host_slots)

    async def _request(self, url: str, validators: Validators, options: RequestOptions) -> _Attempt:
        """Send the request, follow redirects and read the final answer."""
        conditional = _conditional_headers(validators, self._clock() + CLOCK_SKEW)
        response = await self._open(url, conditional, options)
        try:
            return await self._read(url, response, validators)
        except httpx.TimeoutException as exc:
            raise _BodyStalled(exc) from exc  # it answered: a stall is no reason to retry
        finally:
            await response.aclose()

    async def _open(
        self, url: str, headers: dict[str, str], options: RequestOptions
    ) -> httpx.Response:
        """The streamed final response, following redirects one hop at a time; the hops
        share this request's cookies (and nothing else does). Configured headers and
        cookies go to the hops on the page's own site only."""
        client = next(self._pool(options.proxy_url))
        cookies = FetchCookies(dict(options.cookies), site=url)
        request = client.build_request("GET", url, headers=headers)
        for hop in range(self.settings.max_redirects + 1):
            _check_scheme(request, first=hop == 0)
            if not self.settings.allow_private_addresses:
                await _check_public(request.url.host, request.url.port or 443)
            _apply_headers(request, options, url, client)
            cookies.apply(request)
            response = await client.send(request, stream=True)
            cookies.keep(response)
            if response.next_request is None:
                return response
            await response.aclose()  # a redirect's body is never read
            request = response.next_request
        raise httpx.TooManyRedirects("too many redirects", request=request)

    async def _read(self, url: str, response: httpx.Response, validators: Validators) -> _Attempt:
        """Turn the final response into an attempt result."""
        status = response.status_code
        log.debug("GET %s -> %s %s", url, status, response.url)
        if status == 304:
            kept = _validators_of(response, self._clock(), fallback=validators)
            return _Attempt(
                replace(_base(url, response, FetchOutcome.NOT_MODIFIED), validators=kept)
            )
        if status >= 300:
            return self._http_error(url, response)
        body = await self._body(response)
        if body is None:
            limit = _format_size(self.settings.max_bytes)
            error = f"body exceeds {limit} limit"
            return _Attempt(replace(_base(url, response, FetchOutcome.NETWORK_ERROR), error=error))
        return _Attempt(_ok(url, response, body, self._clock()))

    def _http_error(self, url: str, response: httpx.Response) -> _Attempt:
        """An error status: retried for 5xx and 429, waiting as long as Retry-After asks."""
        status = response.status_code
        message = f"HTTP {status} {response.reason_phrase}".rstrip()
        if status < 400:
            message += " (a redirect without a usable Location)"
        result = replace(_base(url, response, FetchOutcome.HTTP_ERROR), error=message)
        if status < 500 and status != 429:
            return _Attempt(result)
        wait = None
        if status in _RETRY_AFTER_STATUSES:
            wait = _parse_retry_after(response.headers.get("retry-after"))
        if wait is not None and wait > self.settings.max_retry_after:
            limit = self.settings.max_retry_after
            error = f"{message}; Retry-After {wait:.0f}s is over the {limit:g}s limit"
            return _Attempt(replace(result, error=error))
        return _Attempt(result, retry=True, retry_after=wait)

    async def _body(self, response: httpx.Response) -> bytes | None:
        """The decoded body, or None as soon as it is known to exceed ``max_bytes``; raises
        Truncated for a body that did not arrive whole."""
        limit = self.settings.max_bytes
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > limit:
            return None
        if response.is_stream_consumed:  # built in memory (a MockTransport), already decoded
            return response.content if len(response.content) <= limit else None
        decoder = _BodyDecoder(response.headers.get("content-encoding", ""))
        chunks: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            for chunk in decoder.feed(raw):
                size += len(chunk)
                if size > limit:
                    return None
                chunks.append(chunk)
        decoder.finish()
        body = b"".join(chunks)
        if _ends_on_close(response) and not decoder.compressed:
            check_page_end(body, _media_type(response.headers.get("content-type")))
        return body


def _backend_for(settings: FetchSettings) -> httpcore.AsyncNetworkBackend:
    """Connections on asyncio's own transports (:mod:`.stream`), to public addresses only
    unless ``allow_private_addresses``."""
    direct = AsyncioBackend()
    return direct if settings.allow_private_addresses else PublicOnlyBackend(direct)


def _make_client(
    settings: FetchSettings,
    transport: httpx.AsyncBaseTransport | None,
    connections: int,
    backend: httpcore.AsyncNetworkBackend | None,
    proxy: str | None = None,
    tls: ssl.SSLContext | bool = True,
) -> httpx.AsyncClient:
    """A shared client (through ``proxy``, if given: httpx's own proxy transport, to a
    proxy the user configured, whatever its address); redirects are followed by
    ``Fetcher._open``, not by httpx."""
    timeout = httpx.Timeout(
        connect=settings.connect_timeout,
        read=settings.read_timeout,
        write=settings.read_timeout,
        pool=settings.connect_timeout,
    )
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    if transport is None and backend is not None and proxy is None:
        transport = pinned_transport(limits, backend, tls)
    return httpx.AsyncClient(
        transport=transport,
        verify=tls,
        proxy=proxy,
        timeout=timeout,
        limits=limits,
        follow_redirects=False,
        cookies=no_jar(),  # cookies live for one fetch: monitor.fetch.cookies
        headers={"User-Agent": settings.user_agent, **_HEADERS},
        event_hooks={"response": [_check_location]},
    )


async def _check_location(response: httpx.Response) -> None:
    """Refuse a redirect off http(s); make one whose Location is unusable a final answer."""
    location = response.headers.get("location")
    if location is None or not response.is_redirect:
        return
    try:
        scheme = httpx.URL(location).scheme
    except httpx.InvalidURL:
        location = scheme = ""
    if scheme not in ("", "http", "https"):
        raise httpx.UnsupportedProtocol(
            f"redirect to a non-http(s) URL: {location[:200]}", request=response.request
        )
    if not location.strip():
        del response.headers["location"]


def _apply_headers(
    request: httpx.Request, options: RequestOptions, url: str, client: httpx.AsyncClient
) -> None:
    """The configured headers on a hop to the page's own site; on a hop elsewhere (a
    redirect to another site), the client's defaults instead."""
    if not options.headers:
        return
    on_site = same_site(str(request.url), url)
    for name, value in options.headers:
        if on_site:
            request.headers[name] = value
        elif name in client.headers:
            request.headers[name] = client.headers[name]
        elif name in request.headers:
            del request.headers[name]


def _shown(exc: BaseException, options: RequestOptions) -> str:
    """An exception for a debug log line, without proxy credentials."""
    return redact(repr(exc), options.secrets())


def _check_scheme(request: httpx.Request, *, first: bool) -> None:
    """Refuse a URL that is not http(s), or whose port is none (``:99999``), before it
    reaches the transport (asyncio fails on such a port with an IndexError)."""
    port = request.url.port
    if port is not None and not 0 < port < 65536:
        what = "a URL" if first else "a redirect to a URL"
        raise httpx.UnsupportedProtocol(
            f"{what} with port {port}, out of range 1-65535: {str(request.url)[:200]}",
            request=request,
        )
    if request.url.scheme in ("http", "https"):
        return
    what = "not an http(s) URL" if first else "redirect to a non-http(s) URL"
    raise httpx.UnsupportedProtocol(f"{what}: {str(request.url)[:200]}", request=request)


def _host_of(url: str) -> str:
    """The host:port a URL is fetched from, for the per-host limit."""
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""


def _conditional_headers(validators: Validators, now: datetime) -> dict[str, str]:
    """If-None-Match / If-Modified-Since from the last good fetch, those that can be true."""
    headers = {}
    kept = sane_validators(validators, now)
    if kept.etag:
        headers["If-None-Match"] = kept.etag
    if kept.last_modified:
        headers["If-Modified-Since"] = kept.last_modified
    return headers


def _validators_of(
    response: httpx.Response, now: datetime, fallback: Validators = _NO_VALIDATORS
) -> Validators:
    """The ETag and Last-Modified of an answer that can be true (a 304 may repeat them or
    not): a Last-Modified ahead of the answer's Date (or of now, without one) or a malformed
    ETag is not kept, so it is never sent back."""
    sent = http_date(response.headers.get("date")) or now
    fresh = sane_validators(
        Validators(response.headers.get("etag"), response.headers.get("last-modified")), sent
    )
    return Validators(
        etag=fresh.etag or fallback.etag,
        last_modified=fresh.last_modified or fallback.last_modified,
    )


def _base(url: str, response: httpx.Response, outcome: FetchOutcome) -> FetchResult:
    """A result with what every answer has: status, final URL, headers, media type."""
    return FetchResult(
        url=url,
        outcome=outcome,
        final_url=str(response.url),
        http_status=response.status_code,
        content_type=_media_type(response.headers.get("content-type")),
        headers=dict(response.headers.items()),
    )


def _ok(url: str, response: httpx.Response, body: bytes, now: datetime) -> FetchResult:
    """A good answer: the bytes, and the decoded text if the media type is text."""
    validators = _validators_of(response, now)
    result = replace(_base(url, response, FetchOutcome.OK), content=body, validators=validators)
    if not _is_text(result.content_type):
        return result
    text, encoding = decode_html(body, response.headers.get("content-type"))
    return replace(result, text=text, encoding=encoding)


def _failure(url: str, error: str) -> FetchResult:
    """A fetch that got no usable answer."""
    return FetchResult(url=url, outcome=FetchOutcome.NETWORK_ERROR, error=error)


def _media_type(content_type: str | None) -> str | None:
    """``text/html; charset=x`` -> ``text/html``."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type or None


def _is_text(media_type: str | None) -> bool:
    """True for media types worth decoding (a missing one is sniffed as text)."""
    if media_type is None or media_type.startswith("text/") or media_type in _TEXT_TYPES:
        return True
    return media_type.endswith(("+xml", "+json"))


def _format_size(size: int) -> str:
    """1048576 -> ``1.0 MB``."""
    if size >= 1024**2:
        return f"{size / 1024**2:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.1f} kB"
    return f"{size} bytes"


def _ends_on_close(response: httpx.Response) -> bool:
    """True for a body whose end is known only from the connection closing."""
    headers = response.headers
    chunked = "chunked" in headers.get("transfer-encoding", "").lower()
    return "content-length" not in headers and not chunked and response.http_version != "HTTP/2"


def _parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds from now (delta-seconds or an HTTP-date), None if absent or bad."""
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())

"""A real browser for the pages that need one (``render = "browser"``): Playwright driving
Debian's Chromium (no browser download), as another way of fetching a page.

One Chromium for the fetcher (the daemon's), started at the first render in a process group
of its own, dying with the process that started it (``setpriv --pdeathsig``), and reached by
Playwright over the DevTools protocol on 127.0.0.1. At most ``render_concurrency`` pages at
once; each render has a fresh browser context (no cookie, cache or storage carries from one
render to another, nor from one watch to another), blocks images, media and fonts, and is
closed after use. Each render has a deadline (``render_timeout``); a browser that crashes,
or that hangs (a context that does not close, a call that does not return), is killed with
its whole process group and started again at the next render; the render that saw it is a
``network_error``. Nothing here waits without a bound, so the daemon never hangs on a browser.

A render ends as a :class:`~monitor.models.FetchResult` like a plain GET: the navigation
response's status (an error status is an ``http_error``, its body unread), headers and
validators, the final URL, and the page's DOM as HTML once the page has settled: the network
idle for half a second (or, at the deadline, the page as it is then), or the ``wait_for``
selector present (its absence at the deadline is an error). No conditional request is sent:
what scripts bring in is not covered by the document's validators, so a 304 to the document
would say nothing about the article.

Playwright is the optional extra ``monitor[browser]``; without it, or without a Chromium, a
render is a ``network_error`` saying what to install (:class:`BrowserUnavailable`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import re
import shlex
import shutil
import signal
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

from monitor.config import FetchSettings
from monitor.fetch.address import AddressRefused, _check_public
from monitor.fetch.validators import http_date, sane_validators
from monitor.models import FetchOutcome, FetchResult, Validators
from monitor.request import RequestOptions
from monitor.urls import host_of, same_site, site_of

if TYPE_CHECKING:
    from playwright._impl._api_structures import SetCookieParam
    from playwright.async_api import Browser, BrowserContext, Page, Playwright, Response, Route

log = logging.getLogger(__name__)

NEEDS_EXTRA = (
    "render = \"browser\" needs Playwright, the browser extra: pip install 'monitor[browser]'"
)
#: Debian's chromium-headless-shell first where it is installed: Chromium's headless-only
#: build, made for automation (measured at 50 pages, 4 at once: its browser process 87 MB
#: PSS against 178, and no storage service process of 35 MB; 20% more renders a minute).
EXECUTABLES = (
    "chromium-headless-shell",
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
)
#: Chromium without what it does on its own: phoning home (refused, over and over, on a
#: closed network), extensions, the omnibox popup's WebUI renderer (about 50 MB a window), a
#: spare renderer kept warm (25 MB), a network service process of its own (25 MB), timers
#: slowed in pages it thinks hidden (a render would wait on them); and no compositor thread
#: in each renderer, which only paints (measured at 50 pages, 4 at once: renderers 70 MB PSS
#: against 85 on WordPress-like pages, the whole tree 20 to 50 MB less).
CHROMIUM_ARGS = (
    "--headless",
    "--disable-gpu",
    "--in-process-gpu",
    "--disable-software-rasterizer",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--no-startup-window",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-default-apps",
    "--disable-breakpad",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-threaded-compositing",
    "--disable-threaded-animation",
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,SpareRendererForSitePerProcess,"
    "Translate,MediaRouter,OptimizationHints,AutofillServerCommunication,"
    "CertificateTransparencyComponentUpdater",
    "--enable-features=NetworkServiceInProcess2",
    "--mute-audio",
    "--hide-scrollbars",
    "--password-store=basic",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
#: As root, Chromium runs only without its sandbox (and then without the zygote).
ROOT_ARGS = ("--no-sandbox", "--no-zygote")
#: Playwright's driver (Node.js) with a small young generation: 30 MB less at four pages at
#: once, for a little more garbage collection (unless NODE_OPTIONS says otherwise).
DRIVER_NODE_OPTIONS = "--max-semi-space-size=1"
#: V8 switches for the driver that NODE_OPTIONS does not take: code and heap laid out for
#: size, no V8 helper threads, and no JIT compiler (the driver only relays the DevTools
#: protocol: its interpreter keeps up, and the compiler's code is never paged in; measured at
#: 50 pages, 4 at once: 132 -> 115 MB PSS for the first two, 115 -> 103 with --jitless, as
#: many renders a minute). Without the JIT there is no WebAssembly in the driver: Playwright
#: needs it only for WebP screenshots and image comparison, and Node.js for its built-in
#: ``fetch``; monitor asks for neither. Node.js gets the switches from a two-line script
#: that ``exec``s Playwright's own Node.js (see :func:`_driver_environment`).
DRIVER_V8_FLAGS = ("--optimize-for-size", "--single-threaded", "--jitless")
BLOCKED_RESOURCES = frozenset({"image", "media", "font"})
#: The window a page is laid out in: a desktop's, Playwright's default. The browser keeps a
#: composited frame of it for each open page (1280 x 1800 cost the browser process 10 MB
#: more at 4 pages at once); what lies below the fold is in the DOM all the same.
VIEWPORT = {"width": 1280, "height": 720}
START_TIMEOUT = 30.0  # Chromium up and Playwright connected
CLOSE_TIMEOUT = 5.0  # a context that does not close within this is a hung browser
SLACK = 5.0  # on top of render_timeout and CLOSE_TIMEOUT: the bound on a render, whatever
#: A page idle this long is settled (Playwright's "networkidle").
_DEVTOOLS = re.compile(rb"DevTools listening on (ws://\S+)")
_NET_ERROR = re.compile(r"net::(ERR_[A-Z_]+)")
_NET_ERRORS = {
    "ERR_CONNECTION_REFUSED": "connection refused",
    "ERR_CONNECTION_RESET": "connection reset by peer",
    "ERR_CONNECTION_CLOSED": "server closed the connection without answering",
    "ERR_EMPTY_RESPONSE": "server closed the connection without answering",
    "ERR_NAME_NOT_RESOLVED": "DNS lookup failed",
    "ERR_CONNECTION_TIMED_OUT": "connect timeout",
    "ERR_TIMED_OUT": "timed out",
    "ERR_ADDRESS_UNREACHABLE": "address unreachable",
    "ERR_CERT_AUTHORITY_INVALID": "TLS certificate verification failed",
    "ERR_CERT_COMMON_NAME_INVALID": "TLS certificate verification failed",
    "ERR_CERT_DATE_INVALID": "TLS certificate verification failed",
    "ERR_SSL_PROTOCOL_ERROR": "TLS error",
    "ERR_PROXY_CONNECTION_FAILED": "proxy error: cannot connect to the proxy",
    "ERR_TUNNEL_CONNECTION_FAILED": "proxy error: the proxy refused the connection",
    "ERR_PROXY_AUTH_UNSUPPORTED": "proxy error: the proxy's authentication is not supported",
    "ERR_INVALID_AUTH_CREDENTIALS": "proxy error: the proxy refused the credentials",
    "ERR_TOO_MANY_REDIRECTS": "redirect loop / too many redirects",
    "ERR_INCOMPLETE_CHUNKED_ENCODING": "response truncated: a chunked body cut short",
    "ERR_CONTENT_LENGTH_MISMATCH": "response truncated: shorter than its Content-Length",
    "ERR_UNSAFE_REDIRECT": "redirect to a non-http(s) URL",
    "ERR_BLOCKED_BY_CLIENT": "refused by monitor",
}


class BrowserUnavailable(Exception):
    """No browser can be had: Playwright is not installed, no Chromium is found, or it does
    not start. The message says what to do."""


class BrowserGone(Exception):
    """The browser crashed, was killed or hung during a render."""


Loader = Callable[[], Any]


def load_playwright() -> Any:
    """Playwright's async API: ``async_playwright``, ``Error`` and ``TimeoutError``; and
    ``node``, the Node.js its driver runs on."""
    try:
        from playwright.async_api import Error, TimeoutError, async_playwright
    except ImportError:
        raise BrowserUnavailable(NEEDS_EXTRA) from None
    return SimpleNamespace(
        start=async_playwright, Error=Error, TimeoutError=TimeoutError, node=_playwright_node
    )


def _playwright_node() -> str | None:
    """Playwright's own Node.js, which its driver runs on (None: not found, or the
    environment names another with PLAYWRIGHT_NODEJS_PATH, left as it is)."""
    if "PLAYWRIGHT_NODEJS_PATH" in os.environ:
        return None
    try:
        from playwright._impl._driver import compute_driver_executable

        return compute_driver_executable()[0]
    except Exception:  # a Playwright laid out otherwise: its driver as it comes
        return None


def find_chromium(configured: str | None) -> str:
    """The Chromium executable: ``[monitor] browser``, else the first found on PATH; the
    program a wrapper script runs, when it is one that runs a single program with its
    arguments (see :func:`wrapped_program`)."""
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise BrowserUnavailable(f"[monitor] browser = {configured!r}: no such program")
        return wrapped_program(found)
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found is not None:
            return wrapped_program(found)
    raise BrowserUnavailable(
        'render = "browser" needs Chromium: none found on PATH (apt-get install chromium), '
        'or set [monitor] browser = "/path/to/chromium"'
    )


_WRAPPED = re.compile(r'^\s*(?:exec\s+)?(/\S+)\s+"\$@"\s*$')


def wrapped_program(path: str) -> str:
    """The program that ``path`` runs, if ``path`` is a small shell script whose one command
    is ``/absolute/program "$@"`` (Debian's chromium-headless-shell); else ``path``.

    Such a script does not ``exec``: the browser would be the script's child, and the
    death signal that ``setpriv`` gives the script (so that Chromium dies with monitor, even
    on ``kill -9``) would never reach it."""
    try:
        with open(path, "rb") as script:
            head = script.read(4097)
    except OSError:
        return path
    if not head.startswith(b"#!") or len(head) > 4096:
        return path
    lines = [
        line
        for line in head.decode("utf-8", "replace").splitlines()[1:]
        if line.strip() and not line.lstrip().startswith("#")
    ]
    found = _WRAPPED.match(lines[0]) if len(lines) == 1 else None
    if found is None or not os.access(found[1], os.X_OK):
        return path
    return found[1]


@dataclass
class _Chromium:
    """One running Chromium: its process (group), profile folder and Playwright's handle."""

    process: asyncio.subprocess.Process
    profile: str
    browser: Browser
    stderr: collections.deque[str]
    drain: asyncio.Task[None]
    gone: bool = False
    renders: int = 0

    @property
    def pid(self) -> int:
        return self.process.pid


class Renderer:
    """Renders pages in one Chromium, restarting it when it crashes or hangs."""

    def __init__(
        self,
        settings: FetchSettings,
        *,
        base_headers: Mapping[str, str] | None = None,
        loader: Loader = load_playwright,
    ) -> None:
        self.settings = settings
        self._base_headers = dict(base_headers or {})
        self._loader = loader
        self._api: Any = None
        self._playwright: Playwright | None = None
        self._chromium: _Chromium | None = None
        self._starting = asyncio.Lock()
        self._pages = asyncio.Semaphore(settings.render_concurrency)
        self.starts = 0  # browsers started (1 + restarts)
        self._closed = False
        self._v8_switches = True  # False once the driver did not start with them

    @property
    def pid(self) -> int | None:
        """The running Chromium's process id (its process group's), if one runs."""
        chromium = self._chromium
        return chromium.pid if chromium is not None and not chromium.gone else None

    async def render(
        self,
        url: str,
        options: RequestOptions,
        *,
        slot: Callable[[], AbstractAsyncContextManager[None]] | None = None,
    ) -> FetchResult:
        """Render ``url`` (within one of the pages at once, then ``slot``, the fetcher's
        host limit); never raises for the page or the browser, only for cancellation."""
        async with self._pages, slot() if slot is not None else contextlib.nullcontext():
            try:
                return await self._bounded(url, options)
            except BrowserUnavailable as exc:
                return _failure(url, str(exc))

    async def _bounded(self, url: str, options: RequestOptions) -> FetchResult:
        """One render within its bound; a browser that crashed or hung is discarded."""
        headers = page_headers(self._base_headers, options)
        options_of_context = context_options(self.settings, headers, options)
        chromium = await self._browser()
        limit = self.settings.render_timeout + CLOSE_TIMEOUT + SLACK
        try:
            async with asyncio.timeout(limit):
                return await self._render_in(chromium, url, options, (options_of_context, headers))
        except TimeoutError:
            await self._discard(chromium, "it did not answer")
            return _failure(url, f"the browser did not answer within {limit:g}s (restarted)")
        except BrowserGone as exc:
            await self._discard(chromium, str(exc))
            return _failure(url, f"the browser {exc} while rendering the page (restarted)")

    async def aclose(self) -> None:
        """Stop the browser (its whole process group) and Playwright; renders after this
        fail as the browser being unavailable."""
        self._closed = True
        async with self._starting:
            if self._chromium is not None:
                await self._discard(self._chromium, "monitor is stopping")
            await self._forget_playwright()

    # --- the browser's life ------------------------------------------------------------

    async def _browser(self) -> _Chromium:
        """The running browser, started (again) if there is none."""
        async with self._starting:
            if self._closed:
                raise BrowserUnavailable("monitor is stopping: no new render")
            chromium = self._chromium
            if chromium is not None and not chromium.gone:
                return chromium
            if chromium is not None:
                await self._discard(chromium, "it was gone")
            try:
                async with asyncio.timeout(START_TIMEOUT):
                    self._chromium = await self._start()
            except BrowserUnavailable:
                raise
            except TimeoutError:
                await self._forget_playwright()
                raise BrowserUnavailable(
                    f"the browser did not start within {START_TIMEOUT:g}s"
                ) from None
            except Exception as exc:  # Playwright's driver gone, a refused connection...
                await self._forget_playwright()
                raise BrowserUnavailable(f"the browser did not start: {_first_line(exc)}") from exc
            return self._chromium

    async def _forget_playwright(self) -> None:
        """Stop Playwright's driver, to start a new one with the next browser."""
        if self._playwright is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._playwright.stop(), CLOSE_TIMEOUT)
            self._playwright = None

    async def _start(self) -> _Chromium:
        playwright = await self._playwright_api()
        executable = find_chromium(self.settings.browser)
        profile = tempfile.mkdtemp(prefix="monitor-chromium-")
        args = [*_launcher(), executable, *_arguments(self.settings), f"--user-data-dir={profile}"]
        try:
            process = await asyncio.create_subprocess_exec(
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,  # its own process group: killed whole
            )
        except OSError as exc:
            shutil.rmtree(profile, ignore_errors=True)
            raise BrowserUnavailable(f"cannot start {executable}: {exc}") from None
        stderr: collections.deque[str] = collections.deque(maxlen=20)
        try:
            endpoint = await _devtools_endpoint(process, stderr)
            browser = await playwright.chromium.connect_over_cdp(endpoint)
        except BaseException:
            _kill_group(process.pid)
            await process.wait()
            shutil.rmtree(profile, ignore_errors=True)
            raise
        drain = asyncio.create_task(_drain(process, stderr))
        chromium = _Chromium(process, profile, browser, stderr, drain)
        browser.on("disconnected", lambda _: setattr(chromium, "gone", True))
        self.starts += 1
        log.info(
            "browser started: %s (pid %d, Chromium %s)", executable, process.pid, browser.version
        )
        return chromium

    async def _playwright_api(self) -> Playwright:
        if self._api is None:
            self._api = self._loader()
        if self._playwright is None:
            node = getattr(self._api, "node", lambda: None)() if self._v8_switches else None
            try:
                with _driver_environment(node):
                    self._playwright = await self._api.start().start()
            except Exception as exc:
                if node is None:
                    raise
                # a temporary folder mounted noexec, say: the driver as Playwright starts
                # it, from now on
                log.warning("Playwright's driver did not start with V8 switches: %s", exc)
                self._v8_switches = False
                with _driver_environment(None):
                    self._playwright = await self._api.start().start()
        return self._playwright

    async def _discard(self, chromium: _Chromium, why: str) -> None:
        """Kill ``chromium``'s process group and forget it (once)."""
        if self._chromium is chromium:
            self._chromium = None
        if chromium.process.returncode is None:
            level = logging.INFO if self._closed else logging.WARNING
            log.log(level, "stopping the browser (pid %d): %s", chromium.pid, why)
        chromium.gone = True
        _kill_group(chromium.pid)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(chromium.process.wait(), CLOSE_TIMEOUT)
        chromium.drain.cancel()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(chromium.browser.close(), CLOSE_TIMEOUT)
        shutil.rmtree(chromium.profile, ignore_errors=True)

    # --- one render --------------------------------------------------------------------

    async def _render_in(
        self,
        chromium: _Chromium,
        url: str,
        options: RequestOptions,
        how: tuple[dict[str, Any], dict[str, str]],
    ) -> FetchResult:
        errors = self._api.Error
        settings, headers = how
        try:
            context = await chromium.browser.new_context(**settings)
        except errors as exc:
            raise BrowserGone(_gone_or_failed(chromium, exc)) from exc
        chromium.renders += 1
        try:
            async with self._context(chromium, context):
                return await _PageLoad(self.settings, self._api, headers).run(context, url, options)
        except errors as exc:
            if _is_gone(chromium, exc):
                raise BrowserGone("crashed") from exc
            return _failure(url, _describe(exc, self.settings))

    @contextlib.asynccontextmanager
    async def _context(self, chromium: _Chromium, context: BrowserContext) -> AsyncIterator[None]:
        """The context, closed after use: one that does not close is a hung browser."""
        try:
            yield
        finally:
            try:
                await asyncio.wait_for(context.close(), CLOSE_TIMEOUT)
            except TimeoutError:
                raise BrowserGone("hung (a page did not close)") from None
            except self._api.Error as exc:
                if not _is_gone(chromium, exc):
                    raise


class _PageLoad:
    """One page in one fresh context: cookies set, requests routed, opened, settled, read."""

    def __init__(self, settings: FetchSettings, api: Any, headers: dict[str, str]) -> None:
        self.settings = settings
        self.api = api
        self.headers = headers

    async def run(self, context: BrowserContext, url: str, options: RequestOptions) -> FetchResult:
        """Open the page, let it settle, read it."""
        await context.add_cookies([_cookie(url, name, value) for name, value in options.cookies])
        refused: list[str] = []
        await context.route("**/*", self._router(url, self.headers, refused))
        page = await context.new_page()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.render_timeout
        try:
            response = await page.goto(
                url, wait_until="domcontentloaded", timeout=_ms(deadline, loop)
            )
        except self.api.Error:
            if refused:  # a redirect to a non-public address, aborted
                return _failure(url, refused_message(refused[0]))
            raise
        if response is None:
            return _failure(url, "the browser opened no page")
        if response.status >= 400:
            return await _http_error(url, response)
        error = await self._settle(page, options, deadline)
        if error is not None:
            return _failure(url, error)
        return await self._read(url, page, response)

    async def _settle(self, page: Page, options: RequestOptions, deadline: float) -> str | None:
        """Wait for ``wait_for`` (an error if it never comes) or an idle network (best
        effort: a page that keeps polling is read as it is at the deadline)."""
        loop = asyncio.get_running_loop()
        if options.wait_for:
            try:
                await page.wait_for_selector(
                    options.wait_for, state="attached", timeout=_ms(deadline, loop)
                )
            except self.api.TimeoutError:
                limit = self.settings.render_timeout
                return f"the page showed no {options.wait_for!r} within {limit:g}s"
            return None
        try:
            await page.wait_for_load_state("networkidle", timeout=_ms(deadline, loop))
        except self.api.TimeoutError:
            log.debug("%s: the network never went idle; reading the page as it is", page.url)
        return None

    async def _read(self, url: str, page: Page, response: Response) -> FetchResult:
        html = await page.content()
        body = html.encode("utf-8")
        if len(body) > self.settings.max_bytes:
            return _failure(
                url, f"the rendered page exceeds the {self.settings.max_bytes} byte limit"
            )
        headers = await response.all_headers()
        sent = http_date(headers.get("date")) or datetime.now(UTC)
        validators = sane_validators(
            Validators(headers.get("etag"), headers.get("last-modified")), sent
        )
        return FetchResult(
            url=url,
            outcome=FetchOutcome.OK,
            final_url=page.url,
            http_status=response.status,
            content=body,
            text=html,
            encoding="utf-8",
            content_type="text/html",  # the DOM, serialised, whatever the document was
            headers=headers,
            validators=validators,
        )

    def _router(
        self, url: str, headers: dict[str, str], refused: list[str]
    ) -> Callable[[Route], Any]:
        """The context's request handler: blocks images, media and fonts (and, with
        allow_private_addresses = false, non-public hosts); gives requests to the page's
        own site the configured headers."""
        public_only = not self.settings.allow_private_addresses
        errors = self.api.Error

        async def route(route: Route) -> None:
            request = route.request
            try:
                if request.resource_type in BLOCKED_RESOURCES:
                    await route.abort("blockedbyclient")
                elif public_only and not await _is_public(request.url):
                    refused.append(request.url)
                    await route.abort("addressunreachable")
                elif headers and same_site(request.url, url):
                    await route.continue_(headers={**request.headers, **headers})
                else:
                    await route.continue_()
            except errors:
                log.debug("request %s: the page went away", request.url)

        return route


def context_options(
    settings: FetchSettings, headers: dict[str, str], options: RequestOptions
) -> dict[str, Any]:
    """The browser context of one render: its user agent, locale (from Accept-Language),
    proxy; JavaScript on, service workers and downloads off."""
    language = headers.get("Accept-Language", "")
    context: dict[str, Any] = {
        "user_agent": options.header("User-Agent") or settings.user_agent,
        "java_script_enabled": True,
        "service_workers": "block",
        "accept_downloads": False,
        "viewport": dict(VIEWPORT),
    }
    locale = language.split(",")[0].split(";")[0].strip()
    if locale and locale != "*":
        context["locale"] = locale
    if options.proxy_url:
        context["proxy"] = browser_proxy(options.proxy_url)
    return context


def page_headers(base: Mapping[str, str], options: RequestOptions) -> dict[str, str]:
    """What the page's own requests carry: the fetcher's defaults and the configured
    headers (User-Agent aside: the context sets it for every request)."""
    headers = {**base, **dict(options.headers)}
    headers.pop("User-Agent", None)
    headers.pop("Accept-Encoding", None)  # the browser's own decoding
    return headers


# --- helpers ---------------------------------------------------------------------------------


@contextlib.contextmanager
def _driver_environment(node: str | None) -> Iterator[None]:
    """The environment Playwright's driver inherits while it starts: NODE_OPTIONS (unless
    the environment sets it), and, given ``node`` (Playwright's own Node.js: none when the
    environment names another, :func:`_playwright_node`), PLAYWRIGHT_NODEJS_PATH set to a
    script that runs ``node`` with :data:`DRIVER_V8_FLAGS`, removed once the driver runs."""
    with contextlib.ExitStack() as stack:
        if "NODE_OPTIONS" not in os.environ:
            stack.enter_context(_environment("NODE_OPTIONS", DRIVER_NODE_OPTIONS))
        if node is not None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="monitor-node-"))
            script = Path(folder) / "node"
            flags = " ".join(DRIVER_V8_FLAGS)
            script.write_text(f'#!/bin/sh\nexec {shlex.quote(node)} {flags} "$@"\n')
            script.chmod(0o700)
            stack.enter_context(_environment("PLAYWRIGHT_NODEJS_PATH", str(script)))
        yield


@contextlib.contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """``name`` set to ``value`` in this process's environment, for a while."""
    os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)


def _launcher() -> list[str]:
    """``setpriv --pdeathsig KILL --`` where it exists: Chromium dies with monitor."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


def _arguments(settings: FetchSettings) -> list[str]:
    root = ROOT_ARGS if os.geteuid() == 0 else ()
    return [*CHROMIUM_ARGS, *root, *settings.browser_args]


async def _devtools_endpoint(
    process: asyncio.subprocess.Process, stderr: collections.deque[str]
) -> str:
    """The DevTools WebSocket URL Chromium prints once it listens."""
    assert process.stderr is not None
    while True:
        line = await process.stderr.readline()
        if not line:
            said = " / ".join(stderr) or "nothing"
            raise BrowserUnavailable(f"the browser exited at start; it said: {said[-400:]}")
        found = _DEVTOOLS.search(line)
        if found:
            return found.group(1).decode("ascii")
        text = line.decode("utf-8", "replace").strip()
        if text and "dbus" not in text:
            stderr.append(text)


async def _drain(process: asyncio.subprocess.Process, stderr: collections.deque[str]) -> None:
    """Read what Chromium says (a full pipe would stop it), keeping the last lines."""
    assert process.stderr is not None
    while line := await process.stderr.readline():
        text = line.decode("utf-8", "replace").strip()
        if text and "dbus" not in text:
            stderr.append(text)


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def browser_proxy(url: str) -> dict[str, str]:
    """A proxy URL as Playwright takes it: server, and credentials apart; loopback
    addresses go through the proxy too, as in a plain GET."""
    parts = urlsplit(url)
    scheme = "socks5" if parts.scheme.lower().startswith("socks") else parts.scheme.lower()
    if scheme == "socks5" and (parts.username or parts.password):
        raise BrowserUnavailable(
            "Chromium cannot log in to a SOCKS proxy: use an HTTP proxy for rendered pages"
        )
    host = parts.hostname or ""
    server = f"{scheme}://[{host}]" if ":" in host else f"{scheme}://{host}"
    proxy = {"server": f"{server}:{parts.port}" if parts.port else server, "bypass": "<-loopback>"}
    if parts.username:
        proxy["username"] = unquote(parts.username)
        proxy["password"] = unquote(parts.password or "")
    return proxy


def _cookie(url: str, name: str, value: str) -> SetCookieParam:
    """A configured cookie for the page's whole site (its registrable domain), as a plain
    GET sends it; for an IP address or a single-label host, for that host."""
    host = host_of(url)
    site = site_of(host)
    if "." not in site or site.strip("[]").replace(".", "").isdigit() or ":" in site:
        return {"name": name, "value": value, "url": url}
    return {"name": name, "value": value, "domain": f".{site}", "path": "/"}


async def _is_public(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        return True  # data:, blob: and the like never reach the network
    try:
        await _check_public(parts.hostname or "", parts.port or 443)
    except AddressRefused:
        return False
    return True


def refused_message(url: str) -> str:
    host = host_of(url)
    return f"refused: {host} is a non-public address; allow_private_addresses = false"


async def _http_error(url: str, response: Response) -> FetchResult:
    headers = await response.all_headers()
    message = f"HTTP {response.status} {response.status_text}".rstrip()
    return FetchResult(
        url=url,
        outcome=FetchOutcome.HTTP_ERROR,
        final_url=response.url,
        http_status=response.status,
        content_type=(headers.get("content-type") or "").split(";")[0].strip().lower() or None,
        headers=headers,
        error=message,
    )


def _describe(exc: BaseException, settings: FetchSettings) -> str:
    """A browser error as a short message, like a plain GET's (the one place they are
    translated)."""
    text = _first_line(exc)
    if type(exc).__name__ == "TimeoutError":
        return f"render timeout: the page did not load within {settings.render_timeout:g}s"
    found = _NET_ERROR.search(text)
    if found:
        return _NET_ERRORS.get(found.group(1), f"browser: {found.group(1)}")
    if "Download is starting" in text:
        return "the page is a download, not a web page"
    return f"browser: {text[:200]}"


#: What Playwright says when the browser (not only a page) went away.
_GONE = ("has been closed", "Connection closed", "Browser closed", "browser has disconnected")


def _is_gone(chromium: _Chromium, exc: BaseException) -> bool:
    """True if ``exc`` came from the browser going away (killed, crashed)."""
    if chromium.gone or chromium.process.returncode is not None:
        return True
    if not chromium.browser.is_connected():
        return True
    return any(marker in str(exc) for marker in _GONE)


def _gone_or_failed(chromium: _Chromium, exc: BaseException) -> str:
    return "crashed" if _is_gone(chromium, exc) else f"failed ({_first_line(exc)})"


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _ms(deadline: float, loop: asyncio.AbstractEventLoop) -> float:
    """Milliseconds left until ``deadline`` (at least one: Playwright reads 0 as forever)."""
    return max(1.0, (deadline - loop.time()) * 1000)


def _failure(url: str, error: str) -> FetchResult:
    return FetchResult(url=url, outcome=FetchOutcome.NETWORK_ERROR, error=error)

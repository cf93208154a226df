"""The Starlette application: routes, templates, error handling and the security layer.

Endpoints are plain (sync) functions: Starlette runs them in its thread pool, where each
borrows a read-only connection from :class:`~monitor.web.db.StorePool`. Errors are turned
into responses here, in one place: WebError carries its status, UsageError (an unknown
watch, version or change) is 404, StoreError 503; under ``/api/`` as ``{"error": …}``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from monitor.clock import Clock, system_clock
from monitor.errors import StoreError, UsageError, WebError
from monitor.pace import format_duration
from monitor.web import api, feeds, pages
from monitor.web.db import StorePool
from monitor.web.diffcache import DiffCache
from monitor.web.security import SecurityMiddleware, with_security_headers
from monitor.web.views import feed_state, watch_state

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
DIFF_CACHE_SIZE = 64  # comparisons of two versions kept (stored changes need none)
_LANG = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")


def routes() -> list[BaseRoute]:
    """Every route of the app (pages, feeds, API, static files)."""
    return [
        Route("/", pages.watch_list, name="watches"),
        Route("/watches/{watch_id:int}", pages.watch_page, name="watch"),
        Route("/watches/{watch_id:int}/diff/{a:int}/{b:int}", pages.diff_page, name="diff"),
        Route("/watches/{watch_id:int}/versions/{n:int}", pages.version_page, name="version"),
        Route("/watches/{watch_id:int}/versions/{n:int}/raw", pages.raw_page, name="raw"),
        Route("/watches/{watch_id:int}/feed.atom", feeds.watch_feed, name="watch_feed"),
        Route("/changes", pages.changes_page, name="changes"),
        Route("/changes/{change_id:int}", pages.change_redirect, name="change"),
        Route("/search", pages.search_page, name="search"),
        Route("/feeds", pages.feeds_page, name="feeds"),
        Route("/feeds/{feed_id:int}", pages.feed_page, name="feed_page"),
        Route("/feed.atom", feeds.all_feed, name="feed"),
        Route("/openapi.json", api.openapi, name="openapi"),
        Route("/api", pages.api_docs, name="api_docs"),
        *api.routes(),
        Mount("/static", app=StaticFiles(directory=HERE / "static"), name="static"),
    ]


DEFAULT_PAGE_SIZES = pages.PageSizes()


def create_app(
    db_path: str | Path,
    *,
    token: str | None = None,
    allowed_hosts: Iterable[str] = (),
    default_interval: float | None = None,
    clock: Clock = system_clock,
    page_sizes: pages.PageSizes = DEFAULT_PAGE_SIZES,
) -> Starlette:
    """The read-only web UI and JSON API over the database at ``db_path``.

    The database must exist (StoreError otherwise); it is opened read-only and never
    written. With ``token``, every request must carry it; without, only requests whose Host
    is a loopback address or one of ``allowed_hosts`` (the host listened on) are answered
    (see :mod:`monitor.web.security`). ``default_interval`` is the config's check interval,
    shown as the pace of watches without their own (unknown if None); ``clock`` tells the
    time that paces are computed for; ``page_sizes``, how many rows each page shows.
    """
    if token is not None and not token:
        raise ValueError("the token must not be empty")
    pool = StorePool(db_path)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        pool.close()

    app = Starlette(
        routes=routes(),
        middleware=[
            Middleware(SecurityMiddleware, token=token, allowed_hosts=tuple(allowed_hosts))
        ],
        exception_handlers={
            WebError: _error_response,
            UsageError: _error_response,
            StoreError: _error_response,
            HTTPException: _error_response,
            500: _server_error,
        },
        lifespan=lifespan,
    )
    app.state.pool = pool
    app.state.templates = _templates()
    app.state.default_interval = default_interval
    app.state.clock = clock
    app.state.page_sizes = page_sizes
    app.state.diffs = DiffCache(DIFF_CACHE_SIZE)
    return app


def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = display_time
    env.filters["when_s"] = display_seconds
    env.filters["url_text"] = url_text
    env.filters["percent"] = display_percent
    env.filters["lang"] = language_tag
    env.filters["state"] = watch_state
    env.filters["feed_state"] = feed_state
    env.filters["duration"] = format_duration
    env.tests["web_url"] = is_web_url
    return Jinja2Templates(env=env, context_processors=[_root])


def _root(request: Request) -> dict[str, Any]:
    return {"root": request.scope.get("root_path", "").rstrip("/")}


def display_time(value: str | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """An ISO-8601 UTC time as "2026-11-27 09:00 UTC" (or "–")."""
    if not value:
        return "–"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    zone = " UTC" if moment.utcoffset() is not None and not moment.utcoffset() else ""
    return moment.strftime(pattern) + zone


_URL_BREAKS = re.compile(r"(?<=[/?&=#])")


def url_text(url: str) -> Markup:
    """A URL as text that wraps at its path boundaries, never inside its host: the scheme
    and host in one unbreakable span, a break opportunity after each / ? & = # of the rest."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return Markup(escape(url))
    host, slash, path = rest.partition("/")
    pieces = [escape(p) for p in _URL_BREAKS.split(slash + path) if p]
    head = Markup('<span class="host">{}</span>').format(f"{scheme}://{host}")
    return head + Markup("<wbr>").join(pieces) if pieces else head


def display_seconds(value: str | None) -> str:
    """An ISO-8601 UTC time to the second: "2026-11-27 09:00:05 UTC" (or "–")."""
    return display_time(value, "%Y-%m-%d %H:%M:%S")


def display_percent(share: float) -> str:
    """A share (0–1) as a percentage for people: "1.2%", "<0.1%"."""
    percent = share * 100
    return "<0.1%" if 0 < percent < 0.1 else f"{percent:.1f}%"


def language_tag(value: str | None) -> str:
    """A page's declared language if it looks like a BCP 47 tag, else ""."""
    value = (value or "").strip().replace("_", "-")
    return value if _LANG.match(value) else ""


def is_web_url(value: object) -> bool:
    """True for http(s) URLs: the only ones that become links."""
    return isinstance(value, str) and re.match(r"https?://[^\s\x00-\x1f]", value, re.I) is not None


def is_api(request: Request) -> bool:
    """True for requests to the JSON API (errors answered as JSON)."""
    path = request.url.path
    root = request.scope.get("root_path", "")
    path = path[len(root) :] if root and path.startswith(root) else path
    return path.startswith("/api/") or path == "/openapi.json"


def is_feed(request: Request) -> bool:
    """True for requests to an Atom feed (errors answered as plain text: a feed reader
    shows that, not a web page)."""
    return request.url.path.endswith(".atom")


def _status(exc: Exception) -> int:
    if isinstance(exc, WebError):
        return exc.status
    if isinstance(exc, HTTPException):
        return exc.status_code
    return 503 if isinstance(exc, StoreError) else 404


def _error_response(request: Request, exc: Exception) -> Response:
    status = _status(exc)
    message = exc.detail if isinstance(exc, HTTPException) else str(exc)
    if is_api(request):
        return JSONResponse({"error": message}, status_code=status)
    if is_feed(request):
        return PlainTextResponse(f"{status}: {message}\n", status_code=status)
    templates: Jinja2Templates = request.app.state.templates
    context = {"status": status, "message": message}
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


def _server_error(request: Request, exc: Exception) -> Response:
    """500, with the security headers (this response bypasses the middleware)."""
    log.error("web request %s failed", request.url.path, exc_info=exc)
    response: Response
    if is_api(request):
        response = JSONResponse({"error": "internal error"}, status_code=500)
    else:
        response = PlainTextResponse("500: internal error (see the log)", status_code=500)
    response.raw_headers = with_security_headers(response.raw_headers)
    return response

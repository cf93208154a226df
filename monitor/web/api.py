"""The JSON API under /api/: the same objects and field names as the CLI's ``--json``
outputs (``list --json``, ``log --json``, ``show --json``, ``diff --format json``), built by
the same functions (:mod:`monitor.store.read`, :func:`monitor.report.report_to_dict`).

Followed feeds are the objects of ``monitor feeds --json``. Lists are objects holding the
items under the name ``log --json`` uses (``watches``, ``versions``, ``changes``, ``checks``,
``hits``; ``feeds``, and a feed's ``articles``) with ``limit``, ``offset`` and ``next`` (the
URL of the next page, or null). Errors are ``{"error": "…"}`` with status 400 (a bad
parameter) or 404 (no such watch, version or change). /openapi.json describes every route.
"""

from __future__ import annotations

import hashlib
import logging
import re
from base64 import b64encode
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from monitor.report import render, report_to_dict
from monitor.store.read import (
    change_dict,
    count_feeds,
    count_watches,
    feed_dict,
    feed_entry_changes,
    learned_dict,
    list_changes,
    list_checks,
    list_feed_articles,
    list_feeds,
    list_versions,
    list_watches,
    version_dict,
    watch_counts,
    watch_dict,
)
from monitor.store.search import Found, clean_query, search
from monitor.web import openapi as spec
from monitor.web.params import Page, choice_param, page_param, path_int, text_param
from monitor.web.security import CSP
from monitor.web.views import (
    FeedRow,
    change_row,
    diff_report,
    feed_rows,
    find_feed,
    get_watch,
    read,
    show_all,
    stored_reports,
    version_of,
    watch_extras,
    watch_items,
    watch_query,
)

log = logging.getLogger(__name__)

DIFF_FORMATS = ("json", "text", "markdown", "html")
FEED_CHANGES = 100  # feed entry changes in a watch object (the latest)


def routes() -> list[Route]:
    """The API's routes."""
    return [
        Route("/api/watches", watches, name="api_watches"),
        Route("/api/watches/{watch_id:int}", watch, name="api_watch"),
        Route("/api/watches/{watch_id:int}/versions", versions, name="api_versions"),
        Route("/api/watches/{watch_id:int}/versions/{n:int}", version, name="api_version"),
        Route("/api/watches/{watch_id:int}/checks", checks, name="api_checks"),
        Route("/api/watches/{watch_id:int}/changes", watch_changes, name="api_watch_changes"),
        Route("/api/watches/{watch_id:int}/diff/{a:int}/{b:int}", diff, name="api_diff"),
        Route("/api/changes", changes, name="api_changes"),
        Route("/api/changes/{change_id:int}", change, name="api_change"),
        Route("/api/search", search_api, name="api_search"),
        Route("/api/feeds", feeds, name="api_feeds"),
        Route("/api/feeds/{feed_id:int}", feed, name="api_feed"),
    ]


def _listing(
    request: Request,
    key: str,
    items: list[Any],
    page: Page,
    *,
    keyset: bool = False,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    """A page of items with its paging fields; ``items`` holds up to one more than the page."""
    more = len(items) > page.limit
    items = items[: page.limit]
    next_url = None
    if more and keyset:
        next_url = str(request.url.include_query_params(before=items[-1]["id"], offset=0))
    elif more:
        next_url = str(request.url.include_query_params(offset=page.offset + page.limit))
    body = {**(extra or {}), key: items}
    body |= {"limit": page.limit, "offset": page.offset, "next": next_url}
    return JSONResponse(body)


def watches(request: Request) -> Response:
    """GET /api/watches: watches as `monitor list --json` shows them, filtered and sorted."""
    page = page_param(request, 100)
    query = watch_query(request, page.limit + 1, page.offset)
    with read(request) as store:
        rows = list_watches(store, query)
        total = count_watches(store, query)
        items = watch_items(request, store, rows)
    response = _listing(request, "watches", items, page)
    response.headers["X-Total-Count"] = str(total)
    return response


def watch(request: Request) -> Response:
    """GET /api/watches/{id}: one watch, with its feed entry changes and what it learned
    of its page (as `monitor log --json`)."""
    watch_id = path_int(request, "watch_id")
    with read(request) as store:
        target = get_watch(store, watch_id)
        counts = watch_counts(store, watch_id)
        extras = watch_extras(request, store, [target])[watch_id]
        feed_changes = (
            feed_entry_changes(store, watch_id, limit=FEED_CHANGES) if target.feed_id else []
        )
    more = {"feed_changes": feed_changes, "learned": learned_dict(target)}
    return JSONResponse(watch_dict(target, counts) | extras | more)


def versions(request: Request) -> Response:
    """GET /api/watches/{id}/versions: versions as `monitor log --json` lists them."""
    watch_id = path_int(request, "watch_id")
    page = page_param(request, 100)
    newest_first = choice_param(request, "order", ("asc", "desc"), "asc") == "desc"
    with read(request) as store:
        get_watch(store, watch_id)
        rows = list_versions(
            store, watch_id, limit=page.limit + 1, offset=page.offset, newest_first=newest_first
        )
    items = [version_dict(row.snapshot, row.chars) for row in rows]
    return _listing(request, "versions", items, page)


def version(request: Request) -> Response:
    """GET /api/watches/{id}/versions/{n}: one version with its text (`show --json`)."""
    watch_id, number = path_int(request, "watch_id"), path_int(request, "n")
    with read(request) as store:
        snapshot = version_of(store, get_watch(store, watch_id), number)
    return JSONResponse(version_dict(snapshot) | {"text": snapshot.text})


def checks(request: Request) -> Response:
    """GET /api/watches/{id}/checks: checks, newest first (`log --json` "checks")."""
    watch_id = path_int(request, "watch_id")
    page = page_param(request, 100)
    with read(request) as store:
        get_watch(store, watch_id)
        rows = list_checks(
            store, watch_id, limit=page.limit + 1, offset=page.offset, before=page.before
        )
    return _listing(request, "checks", rows, page, keyset=True)


def _changes(request: Request, watch_id: int | None) -> Response:
    page = page_param(request, 100)
    with read(request) as store:
        if watch_id is not None:
            get_watch(store, watch_id)
        rows = list_changes(
            store, watch_id, limit=page.limit + 1, offset=page.offset, before=page.before
        )
    return _listing(request, "changes", [change_dict(r) for r in rows], page, keyset=True)


def watch_changes(request: Request) -> Response:
    """GET /api/watches/{id}/changes: a watch's changes, newest first."""
    return _changes(request, path_int(request, "watch_id"))


def changes(request: Request) -> Response:
    """GET /api/changes: every watch's changes, newest first."""
    return _changes(request, None)


def change(request: Request) -> Response:
    """GET /api/changes/{id}: one change with its diff (`diff --format json`)."""
    change_id = path_int(request, "change_id")
    with read(request) as store:
        (report,) = stored_reports(store, [change_row(store, change_id)])
    return JSONResponse(report_to_dict(report))


def diff(request: Request) -> Response:
    """GET /api/watches/{id}/diff/{a}/{b}?format=: version a against version b, as
    `monitor diff WATCH A B`: the stored change between them if there is one, else a fresh
    comparison (cached)."""
    watch_id, a, b = (path_int(request, name) for name in ("watch_id", "a", "b"))
    fmt = choice_param(request, "format", DIFF_FORMATS, "json")
    with read(request) as store:
        target = get_watch(store, watch_id)
        versions = version_of(store, target, a), version_of(store, target, b)
        report = diff_report(request, store, target, versions)
    if fmt == "json":
        return JSONResponse(report_to_dict(report))
    if fmt == "html":
        return _report_page(render(report, "html"))
    media = "text/markdown" if fmt == "markdown" else "text/plain"
    return PlainTextResponse(render(report, fmt), media_type=f"{media}; charset=utf-8")


def _report_page(page: str) -> Response:
    """The self-contained HTML report, its own <style> allowed by hash (no inline script)."""
    styles = re.findall(r"<style>(.*?)</style>", page, re.DOTALL)
    hashes = " ".join(
        f"'sha256-{b64encode(hashlib.sha256(s.encode()).digest()).decode()}'" for s in styles
    )
    csp = CSP.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())
    return Response(
        page, media_type="text/html; charset=utf-8", headers={"Content-Security-Policy": csp}
    )


def search_api(request: Request) -> Response:
    """GET /api/search?q=: versions containing every word, newest first."""
    query = clean_query(text_param(request, "q")).strip()
    page = page_param(request, 20)
    found = Found([])
    if query:
        with read(request) as store:
            found = search(store, query, limit=page.limit + 1, offset=page.offset)
    items = [hit.as_dict() for hit in found.hits]
    extra = {"query": query, "scanned": found.scanned}
    return _listing(request, "hits", items, page, extra=extra)


def _feed_item(row: FeedRow) -> dict[str, Any]:
    return feed_dict(row.feed, (row.articles, row.active))


def feeds(request: Request) -> Response:
    """GET /api/feeds: followed feeds as `monitor feeds --json` shows them (``?all=1``: also
    those no longer followed, as `--all`)."""
    page = page_param(request, 100)
    everything = show_all(request)
    with read(request) as store:
        listed = list_feeds(
            store, active_only=not everything, limit=page.limit + 1, offset=page.offset
        )
        items = [_feed_item(row) for row in feed_rows(store, listed)]
        followed, unfollowed = count_feeds(store)
    response = _listing(request, "feeds", items, page)
    response.headers["X-Total-Count"] = str(followed + unfollowed if everything else followed)
    return response


def feed(request: Request) -> Response:
    """GET /api/feeds/{id}: one feed (`monitor feeds --json`) and a page of the articles it
    found, newest published first, as /api/watches lists them."""
    feed_id = path_int(request, "feed_id")
    page = page_param(request, 100)
    with read(request) as store:
        (row,) = feed_rows(store, [find_feed(store, feed_id)])
        articles = list_feed_articles(store, feed_id, limit=page.limit + 1, offset=page.offset)
        items = watch_items(request, store, articles)
    return _listing(request, "articles", items, page, extra={"feed": _feed_item(row)})


def openapi(request: Request) -> Response:
    """GET /openapi.json: the OpenAPI 3.1 description of this API."""
    return JSONResponse(spec.document(str(request.base_url).rstrip("/")))

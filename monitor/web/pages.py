"""The HTML pages: watch list, watch, diff, version (and its raw page), changes, search,
followed feeds and one feed's articles.

Each endpoint reads what it shows through one read-only connection and hands plain data to
a template; templates escape everything (Jinja autoescape), so page text never becomes
markup. The DOM ids and classes are a contract (browser tests rely on them): see the README.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from monitor.errors import WebError
from monitor.extract.learned import Learned
from monitor.report import content_language, notes
from monitor.store import Watch
from monitor.store.read import (
    WATCH_FILTERS,
    confidences,
    count_feeds,
    count_watches,
    feed_entry_changes,
    list_changes,
    list_checks,
    list_feed_articles,
    list_feeds,
    list_versions,
    list_watches,
    stored_page,
    watch_counts,
)
from monitor.store.search import Found, clean_query, scan_note, search
from monitor.web import openapi
from monitor.web.diffview import all_lines, blocks
from monitor.web.params import choice_param, int_param, path_int, text_param
from monitor.web.views import (
    DESCENDING_FIRST,
    change_entry,
    change_row,
    diff_report,
    feed_rows,
    find_feed,
    get_watch,
    page_number,
    read,
    render,
    schedules,
    show_all,
    version_of,
    watch_extras,
    watch_query,
    with_query,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PageSizes:
    """How many rows each page shows (``create_app(page_sizes=...)`` takes others)."""

    watches: int = 500
    versions: int = 100
    checks: int = 50
    changes: int = 50
    hits: int = 20
    feed_changes: int = 100  # a feed article's changes shown on its watch page
    feeds: int = 500
    articles: int = 100  # a feed's articles


def sizes(request: Request) -> PageSizes:
    """The page sizes of the app that ``request`` came to."""
    found: PageSizes = request.app.state.page_sizes
    return found


COLUMNS = (  # watch-list columns: (sort key or None, heading)
    ("name", "Name"),
    (None, "URL"),
    ("status", "Status"),
    ("last_check", "Last check"),
    ("last_change", "Last change"),
    ("next_check", "Next check"),
    ("errors", "Errors"),
    (None, "Versions"),
)


def watch_list(request: Request) -> Response:
    """GET /: every watch, filtered and sorted."""
    size = sizes(request)
    page = page_number(request)
    query = watch_query(request, size.watches + 1, (page - 1) * size.watches)
    with read(request) as store:
        rows = list_watches(store, query)
        total = count_watches(store, query)
        sure = confidences(store, (row.watch.id for row in rows[: size.watches]))
    more = len(rows) > size.watches
    context = {
        "rows": rows[: size.watches],
        "uncertain": {i: c.reason for i, c in sure.items() if c.is_uncertain},
        "total": total,
        "query": query,
        "order": "desc" if query.descending else "asc",
        "statuses": tuple(WATCH_FILTERS),
        "sorts": [key for key, _ in COLUMNS if key],
        "headings": [_heading(request, query.sort, query.descending, *c) for c in COLUMNS],
        "next_url": with_query(request, page=page + 1) if more else None,
        "prev_url": with_query(request, page=page - 1 if page > 2 else None) if page > 1 else None,
    }
    return render(request, "watches.html", context)


def _heading(
    request: Request, current: str, descending: bool, key: str | None, label: str
) -> dict[str, Any]:
    """A column heading: its label, and a link that sorts by it (again: reversed)."""
    if key is None:
        return {"label": label, "url": None, "sort": None}
    if key == current:
        order = "asc" if descending else "desc"
        state = "descending" if descending else "ascending"
    else:
        order = "desc" if key in DESCENDING_FIRST else "asc"
        state = None
    return {
        "label": label,
        "url": with_query(request, sort=key, order=order, page=None),
        "sort": state,
        "key": key,
    }


def learned_lines(watch: Watch) -> list[str]:
    """What a watch learned of its page, in words (empty: nothing yet)."""
    learned = Learned.from_json(watch.learned)
    return learned.describe() if learned is not None else []


def watch_page(request: Request) -> Response:
    """GET /watches/{id}: metadata, the versions timeline and the checks."""
    size = sizes(request)
    watch_id = path_int(request, "watch_id")
    vpage, cpage = page_number(request, "vpage"), page_number(request, "cpage")
    with read(request) as store:
        watch = get_watch(store, watch_id)
        versions, changes = watch_counts(store, watch_id)
        timeline = list_versions(
            store,
            watch_id,
            limit=size.versions,
            offset=(vpage - 1) * size.versions,
        )
        checks = list_checks(
            store,
            watch_id,
            limit=size.checks + 1,
            offset=(cpage - 1) * size.checks,
        )
        extras = watch_extras(request, store, [watch])[watch_id]
        feed_changes = (
            feed_entry_changes(store, watch_id, limit=size.feed_changes) if watch.feed_id else []
        )
    context = {
        "watch": watch,
        "feed": extras["feed"],
        "schedule": extras["schedule"],
        "confidence": extras["confidence"],
        "feed_changes": feed_changes,
        "learned": learned_lines(watch),
        "version_count": versions,
        "change_count": changes,
        "timeline": timeline,
        "checks": checks[: size.checks],
        "versions_next": with_query(request, vpage=vpage + 1)
        if vpage * size.versions < versions
        else None,
        "versions_prev": with_query(request, vpage=vpage - 1) if vpage > 1 else None,
        "checks_next": with_query(request, cpage=cpage + 1) if len(checks) > size.checks else None,
        "checks_prev": with_query(request, cpage=cpage - 1) if cpage > 1 else None,
    }
    return render(request, "watch.html", context)


def diff_page(request: Request) -> Response:
    """GET /watches/{id}/diff/{a}/{b}: version a against version b, inline or side by side."""
    watch_id, a, b = (path_int(request, name) for name in ("watch_id", "a", "b"))
    view = choice_param(request, "view", ("inline", "side"), "inline")
    change_id = int_param(request, "change", None, low=1)
    with read(request) as store:
        watch = get_watch(store, watch_id)
        versions = version_of(store, watch, a), version_of(store, watch, b)
        report = diff_report(request, store, watch, versions, change_id)
    new_language = versions[1].metadata.language
    lines = all_lines(report.diff)
    base = f"/watches/{watch_id}/diff/{a}/{b}"
    keep = f"&change={report.change_id}" if report.change_id is not None else ""
    context = {
        "watch": watch,
        "report": report,
        "view": view,
        "blocks": blocks(lines),
        "changed_lines": sum(1 for line in lines if line.is_change),
        "notes": [n for n in notes(report) if not n.startswith("Silent edit")],
        "lang": new_language or content_language(report),
        "inline_url": f"{base}?view=inline{keep}",
        "side_url": f"{base}?view=side{keep}",
        "permalink": f"{base}?view={view}{keep}",
        "a": a,
        "b": b,
    }
    return render(request, "diff.html", context)


def change_redirect(request: Request) -> Response:
    """GET /changes/{id}: to the diff page of that change."""
    change_id = path_int(request, "change_id")
    with read(request) as store:
        row = change_row(store, change_id)
    root = request.scope.get("root_path", "").rstrip("/")
    if row["old_version"] is None:
        target = f"{root}/watches/{row['watch_id']}/versions/{row['new_version']}"
    else:
        target = (
            f"{root}/watches/{row['watch_id']}/diff/{row['old_version']}/{row['new_version']}"
            f"?change={change_id}"
        )
    return RedirectResponse(target, status_code=302)


def version_page(request: Request) -> Response:
    """GET /watches/{id}/versions/{n}: the stored text of one version and its metadata."""
    watch_id, number = path_int(request, "watch_id"), path_int(request, "n")
    with read(request) as store:
        watch = get_watch(store, watch_id)
        snapshot = version_of(store, watch, number)
        latest = watch_counts(store, watch_id)[0]
    context = {
        "watch": watch,
        "snapshot": snapshot,
        "lines": [line for line in snapshot.text.split("\n") if line],
        "latest": latest,
        "metadata": snapshot.metadata,
    }
    return render(request, "version.html", context)


def raw_page(request: Request) -> Response:
    """GET /watches/{id}/versions/{n}/raw: the page as fetched, as a download only."""
    watch_id, number = path_int(request, "watch_id"), path_int(request, "n")
    with read(request) as store:
        watch = get_watch(store, watch_id)
        raw = stored_page(store, watch.id, number)
    if raw is None:
        raise WebError(f"{watch.label} has no version {number}", status=404)
    headers = {
        "Content-Disposition": f'attachment; filename="watch{watch_id}-v{number}.html"',
        "Content-Security-Policy": "sandbox; default-src 'none'; frame-ancestors 'none'",
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, max-age=3600",
    }
    return Response(raw, media_type="application/octet-stream", headers=headers)


def changes_page(request: Request) -> Response:
    """GET /changes: the latest changes of every watch, newest first (keyset: ?before=)."""
    size = sizes(request)
    before = int_param(request, "before", None, low=1)
    with read(request) as store:
        rows = list_changes(store, limit=size.changes + 1, before=before, with_diff=True)
    more = len(rows) > size.changes
    rows = rows[: size.changes]
    context = {
        "changes": [change_entry(row) for row in rows],
        "next_url": with_query(request, before=rows[-1]["id"]) if more else None,
        "first_url": with_query(request, before=None) if before else None,
    }
    return render(request, "changes.html", context)


def search_page(request: Request) -> Response:
    """GET /search?q=: every version whose title or text contains the words."""
    size = sizes(request)
    query = clean_query(text_param(request, "q")).strip()
    page = page_number(request)
    found = Found([])
    if query:
        with read(request) as store:
            found = search(store, query, limit=size.hits + 1, offset=(page - 1) * size.hits)
    hits = found.hits
    context = {
        "q": query,
        "hits": hits[: size.hits],
        "note": scan_note(found),
        "next_url": with_query(request, page=page + 1) if len(hits) > size.hits else None,
        "prev_url": with_query(request, page=page - 1) if page > 1 else None,
    }
    return render(request, "search.html", context)


def feeds_page(request: Request) -> Response:
    """GET /feeds: the followed feeds (``?all=1``: also those no longer followed)."""
    size = sizes(request)
    everything = show_all(request)
    page = page_number(request)
    with read(request) as store:
        listed = list_feeds(
            store,
            active_only=not everything,
            limit=size.feeds + 1,
            offset=(page - 1) * size.feeds,
        )
        rows = feed_rows(store, listed[: size.feeds])
        followed, unfollowed = count_feeds(store)
    context = {
        "rows": rows,
        "all": everything,
        "followed": followed,
        "unfollowed": unfollowed,
        "all_url": with_query(request, all=None if everything else 1, page=None),
        "next_url": with_query(request, page=page + 1) if len(listed) > size.feeds else None,
        "prev_url": with_query(request, page=page - 1 if page > 2 else None) if page > 1 else None,
    }
    return render(request, "feeds.html", context)


def feed_page(request: Request) -> Response:
    """GET /feeds/{id}: a feed's state and the articles it found, newest published first."""
    size = sizes(request)
    feed_id = path_int(request, "feed_id")
    page = page_number(request)
    with read(request) as store:
        (row,) = feed_rows(store, [find_feed(store, feed_id)])
        articles = list_feed_articles(
            store,
            feed_id,
            limit=size.articles,
            offset=(page - 1) * size.articles,
        )
        paces = schedules(request, store, [article.watch for article in articles])
    context = {
        "row": row,
        "feed": row.feed,
        "articles": articles,
        "paces": paces,
        "first": (page - 1) * size.articles + 1,
        "next_url": with_query(request, page=page + 1)
        if page * size.articles < row.articles
        else None,
        "prev_url": with_query(request, page=page - 1 if page > 2 else None) if page > 1 else None,
    }
    return render(request, "feed.html", context)


def api_docs(request: Request) -> Response:
    """GET /api: the API's endpoints, from the OpenAPI description."""
    return render(request, "api.html", {"endpoints": openapi.endpoints()})

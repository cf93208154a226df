"""Atom feeds of changes: all watches (/feed.atom) and one watch (/watches/{id}/feed.atom).

The feed is rendered by :mod:`monitor.atom`; this module picks the changes, builds their
reports from the diffs stored with them and makes the absolute links from the request's
base URL.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from monitor.atom import FeedEntry, FeedInfo, render_atom
from monitor.history import build_report
from monitor.store.read import ReadOnlyStore, list_changes
from monitor.web.params import int_param, path_int
from monitor.web.views import get_watch, read

log = logging.getLogger(__name__)

FEED_ENTRIES = 50
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _entries(store: ReadOnlyStore, base: str, rows: list[dict[str, Any]]) -> list[FeedEntry]:
    entries = []
    for row in rows:
        change = store.change(row["id"])
        report = build_report(store, change)
        url = f"{base}/changes/{row['id']}"
        if row["old_version"] is not None:
            url = (
                f"{base}/watches/{row['watch_id']}/diff/{row['old_version']}/"
                f"{row['new_version']}?change={row['id']}"
            )
        entries.append(FeedEntry(report, url))
    return entries


def all_feed(request: Request) -> Response:
    """GET /feed.atom: the latest changes of every watch."""
    limit = int_param(request, "limit", FEED_ENTRIES, low=1, high=200) or FEED_ENTRIES
    base = _base(request)
    with read(request) as store:
        entries = _entries(store, base, list_changes(store, limit=limit))
    info = FeedInfo("monitor: changes", f"{base}/feed.atom", f"{base}/changes")
    return Response(render_atom(info, entries), media_type=ATOM_TYPE)


def watch_feed(request: Request) -> Response:
    """GET /watches/{id}/feed.atom: the latest changes of one watch."""
    watch_id = path_int(request, "watch_id")
    limit = int_param(request, "limit", FEED_ENTRIES, low=1, high=200) or FEED_ENTRIES
    base = _base(request)
    with read(request) as store:
        watch = get_watch(store, watch_id)
        entries = _entries(store, base, list_changes(store, watch_id, limit=limit))
    info = FeedInfo(
        f"monitor: {watch.label}",
        f"{base}/watches/{watch_id}/feed.atom",
        f"{base}/watches/{watch_id}",
    )
    return Response(render_atom(info, entries), media_type=ATOM_TYPE)

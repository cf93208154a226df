"""Atom feeds of changes: all watches (/feed.atom) and one watch (/watches/{id}/feed.atom).

The feed is rendered by :mod:`monitor.atom`; this module picks the changes, builds their
reports from the diffs stored with them (a few queries for the whole feed, never the stored
pages nor the texts: the stored ops hold what changed) and makes the absolute links from the
request's base URL. Ids are tag URIs, the same whatever host the feed is read through.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from monitor.atom import FeedEntry, FeedInfo, render_atom, tag_uri
from monitor.store.read import ReadOnlyStore, list_changes
from monitor.web.params import int_param, path_int
from monitor.web.views import get_watch, read, stored_reports

log = logging.getLogger(__name__)

FEED_ENTRIES = 50
MAX_FEED_ENTRIES = 200
ATOM_TYPE = "application/atom+xml; charset=utf-8"


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _limit(request: Request) -> int:
    return int_param(request, "limit", FEED_ENTRIES, low=1, high=MAX_FEED_ENTRIES) or FEED_ENTRIES


def _link(base: str, row: dict[str, Any]) -> str:
    if row["old_version"] is None:
        return f"{base}/changes/{row['id']}"
    return (
        f"{base}/watches/{row['watch_id']}/diff/{row['old_version']}/"
        f"{row['new_version']}?change={row['id']}"
    )


def _entries(store: ReadOnlyStore, base: str, watch_id: int | None, limit: int) -> list[FeedEntry]:
    # a feed reader is told what a notification channel is: flaps are not in it
    rows = list_changes(store, watch_id, limit=limit, with_diff=True, notified=True)
    reports = stored_reports(store, rows)
    return [FeedEntry(report, _link(base, row)) for row, report in zip(rows, reports, strict=True)]


def all_feed(request: Request) -> Response:
    """GET /feed.atom: the latest changes of every watch."""
    limit = _limit(request)
    base = _base(request)
    with read(request) as store:
        entries = _entries(store, base, None, limit)
    info = FeedInfo(
        "monitor: changes", f"{base}/feed.atom", f"{base}/changes", feed_id=tag_uri("changes")
    )
    return Response(render_atom(info, entries), media_type=ATOM_TYPE)


def watch_feed(request: Request) -> Response:
    """GET /watches/{id}/feed.atom: the latest changes of one watch."""
    watch_id = path_int(request, "watch_id")
    limit = _limit(request)
    base = _base(request)
    with read(request) as store:
        watch = get_watch(store, watch_id)
        entries = _entries(store, base, watch_id, limit)
    info = FeedInfo(
        f"monitor: {watch.label}",
        f"{base}/watches/{watch_id}/feed.atom",
        f"{base}/watches/{watch_id}",
        feed_id=tag_uri("watch", watch_id),
    )
    return Response(render_atom(info, entries), media_type=ATOM_TYPE)

"""What the pages and the API share: finding a watch, version, diff or feed (404 when
missing), the watch-list query from request parameters, and rendering a template."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from monitor.clock import Clock
from monitor.errors import UsageError, WebError
from monitor.excerpt import first_passage
from monitor.feeds.pacer import schedule_dicts
from monitor.history import compare_versions, report_from_change, stored_ops
from monitor.models import ChangeReport
from monitor.store import Snapshot, Watch
from monitor.store.feeds import Feed
from monitor.store.read import (
    WATCH_FILTERS,
    WATCH_SORTS,
    ReadOnlyStore,
    WatchQuery,
    WatchRow,
    confidences,
    feed_counts,
    feeds_by_id,
    get_change,
    get_feed,
    get_version,
    snapshots_by_id,
    watch_dict,
    watches_by_id,
)
from monitor.urls import host_of
from monitor.web.diffcache import DiffCache
from monitor.web.params import choice_param, int_param, text_param

DESCENDING_FIRST = ("last_change", "last_check", "errors")  # newest / worst first by default


@contextmanager
def read(request: Request) -> Iterator[ReadOnlyStore]:
    """A read-only store for this request."""
    with request.app.state.pool.store() as store:
        yield store


def render(request: Request, name: str, context: dict[str, Any], *, status: int = 200) -> Response:
    """A page from a template (autoescaped)."""
    templates: Jinja2Templates = request.app.state.templates
    return templates.TemplateResponse(request, name, context, status_code=status)


def get_watch(store: ReadOnlyStore, watch_id: int) -> Watch:
    """The watch with this id (404 if none)."""
    try:
        return store.watches.get(watch_id)
    except UsageError:
        raise WebError(f"no watch with id {watch_id}", status=404) from None


def version_of(store: ReadOnlyStore, watch: Watch, number: int) -> Snapshot:
    """Version ``number`` of a watch (404 if none)."""
    snapshot = get_version(store, watch, number)
    if snapshot is None:
        raise WebError(f"{watch.label} has no version {number}", status=404)
    return snapshot


def diff_report(
    request: Request,
    store: ReadOnlyStore,
    watch: Watch,
    versions: tuple[Snapshot, Snapshot],
    change_id: int | None = None,
) -> ChangeReport:
    """Version ``a`` against version ``b``: the stored change between them if there is one
    (``change_id`` picks which), else a comparison (computed once, then cached)."""
    old, new = versions
    row = get_change(store, change_id) if change_id is not None else None
    if row is not None and (row["old_snapshot_id"], row["new_snapshot_id"]) != (old.id, new.id):
        row = None
    if row is None and old.id != new.id:
        row = store.changes.between(watch.id, old.id, new.id)
    if row is not None:
        return report_from_change(row, watch, old, new)
    return compared(request, watch, old, new)


def compared(request: Request, watch: Watch, old: Snapshot, new: Snapshot) -> ChangeReport:
    """A fresh comparison of two versions, from the app's cache when done before."""
    cache: DiffCache = request.app.state.diffs
    return cache.get_or_compute(watch, old, new, compare_versions)


def stored_reports(store: ReadOnlyStore, rows: list[dict[str, Any]]) -> list[ChangeReport]:
    """Stored changes (rows with ``diff_json``) as reports, in three queries whatever their
    number: their watches, then their versions without texts or stored pages."""
    watches = watches_by_id(store, (row["watch_id"] for row in rows))
    ids = [row[key] for row in rows for key in ("old_snapshot_id", "new_snapshot_id")]
    snapshots = snapshots_by_id(store, (i for i in ids if i is not None))
    reports = []
    for row in rows:
        old = snapshots.get(row["old_snapshot_id"]) if row["old_snapshot_id"] else None
        watch = watches[row["watch_id"]]
        reports.append(report_from_change(row, watch, old, snapshots[row["new_snapshot_id"]]))
    return reports


def schedules(
    request: Request, store: ReadOnlyStore, watches: list[Watch]
) -> dict[int, dict[str, object]]:
    """Per watch id, how often it is checked now and why, as `monitor status` says it
    (``{"interval_s", "reason"}``). Without the config's default interval (not given to
    the app), a watch that uses it says so (``interval_s`` null)."""
    default: float | None = request.app.state.default_interval
    clock: Clock = request.app.state.clock
    paces = schedule_dicts(store, watches, default if default is not None else 0.0, clock())
    if default is None:
        for watch in watches:
            if watch.feed_id is None and watch.duplicate_of is None and watch.interval is None:
                note = "" if watch.active else " (inactive)"
                paces[watch.id] = {"interval_s": None, "reason": f"the default interval{note}"}
    return paces


def watch_extras(
    request: Request, store: ReadOnlyStore, watches: list[Watch]
) -> dict[int, dict[str, Any]]:
    """Per watch id, what the web shows beyond `monitor list --json`: the feed that found
    it (``{"id", "name", "url"}`` or None), its current pace (``schedule``) and how sure
    extraction was of its current version (``confidence``: ``{"level", "reason"}`` or None)."""
    feeds = feeds_by_id(store, (w.feed_id for w in watches if w.feed_id is not None))
    paces = schedules(request, store, watches)
    sure = confidences(store, (w.id for w in watches))
    return {
        w.id: {
            "feed": feeds.get(w.feed_id) if w.feed_id is not None else None,
            "schedule": paces[w.id],
            "confidence": sure[w.id].as_dict() if w.id in sure else None,
        }
        for w in watches
    }


def watch_items(
    request: Request, store: ReadOnlyStore, rows: list[WatchRow]
) -> list[dict[str, Any]]:
    """Listed watches as the API gives them: `monitor list --json` objects with their feed
    and their pace (:func:`watch_extras`)."""
    extras = watch_extras(request, store, [row.watch for row in rows])
    return [
        watch_dict(row.watch, (row.versions, row.changes)) | extras[row.watch.id] for row in rows
    ]


def find_feed(store: ReadOnlyStore, feed_id: int) -> Feed:
    """The feed with this id (404 if none)."""
    feed = get_feed(store, feed_id)
    if feed is None:
        raise WebError(f"no feed with id {feed_id}", status=404)
    return feed


@dataclass(frozen=True)
class FeedRow:
    """A followed feed with its numbers of articles found and still checked."""

    feed: Feed
    articles: int
    active: int


def feed_rows(store: ReadOnlyStore, feeds: list[Feed]) -> list[FeedRow]:
    """The feeds with their article counts (one query for all)."""
    counts = feed_counts(store, (feed.id for feed in feeds))
    return [FeedRow(feed, *counts.get(feed.id, (0, 0))) for feed in feeds]


def feed_state(feed: Feed) -> str:
    """A feed's state in a word or two: "inactive", its last poll's status ("ok",
    "not_modified", "error"…), or "never polled"."""
    if not feed.active:
        return "inactive"
    return feed.last_status or "never polled"


def show_all(request: Request) -> bool:
    """``?all=1``: also list what is no longer followed."""
    return choice_param(request, "all", ("0", "1", "false", "true"), "0") in ("1", "true")


def watch_state(watch: Watch) -> str:
    """The watch's state in one word or two: "duplicate", "retired", "inactive", its last
    status, or "never checked"."""
    if watch.duplicate_of is not None:
        return "duplicate"
    if watch.retired_at is not None:
        return "retired"
    if not watch.active:
        return "inactive"
    return watch.last_status or "never checked"


def change_row(store: ReadOnlyStore, change_id: int) -> dict[str, Any]:
    """A stored change with the version numbers it compares (404 if none)."""
    row = get_change(store, change_id)
    if row is None:
        raise WebError(f"no change with id {change_id}", status=404)
    return row


def watch_query(request: Request, limit: int, offset: int = 0) -> WatchQuery:
    """The watch-list query from ``q``, ``status``, ``sort`` and ``order``."""
    sort = choice_param(request, "sort", tuple(WATCH_SORTS), "name")
    default_order = "desc" if sort in DESCENDING_FIRST else "asc"
    order = choice_param(request, "order", ("asc", "desc"), default_order)
    return WatchQuery(
        text=text_param(request, "q"),
        status=choice_param(request, "status", tuple(WATCH_FILTERS), "all"),
        sort=sort,
        descending=order == "desc",
        limit=limit,
        offset=offset,
    )


def page_number(request: Request, name: str = "page") -> int:
    """A 1-based page number parameter."""
    number = int_param(request, name, 1, low=1, high=1_000_000)
    assert number is not None
    return number


def with_query(request: Request, **changes: object) -> str:
    """This request's path (below the root) and query with some parameters changed
    (None removes one): for links to other pages of a list."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    root: str = request.scope.get("root_path", "")
    path = request.url.path
    path = path[len(root) :] if root and path.startswith(root) else path
    query = urlencode(params)
    return root.rstrip("/") + path + (f"?{query}" if query else "")


def change_entry(row: dict[str, Any]) -> dict[str, Any]:
    """A ``list_changes`` row (with its ``diff_json``) as /changes shows it: with the site of
    its watch and the first changed passage (``passage``, None for a change with no ops)."""
    ops, _ = stored_ops(row["diff_json"])
    return {**row, "site": host_of(row["watch_url"]), "passage": first_passage(ops)}

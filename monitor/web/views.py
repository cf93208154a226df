"""What the pages and the API share: finding a watch, version or diff (404 when missing),
the watch-list query from request parameters, and rendering a template."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from monitor.errors import UsageError, WebError
from monitor.history import build_report, compare_versions
from monitor.models import ChangeReport
from monitor.store import Snapshot, Watch
from monitor.store.read import (
    WATCH_FILTERS,
    WATCH_SORTS,
    ReadOnlyStore,
    WatchQuery,
    find_change,
    get_change,
    get_version,
)
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
        return store.get_watch(watch_id)
    except UsageError:
        raise WebError(f"no watch with id {watch_id}", status=404) from None


def version_of(store: ReadOnlyStore, watch: Watch, number: int) -> Snapshot:
    """Version ``number`` of a watch (404 if none)."""
    snapshot = get_version(store, watch, number)
    if snapshot is None:
        raise WebError(f"{watch.label} has no version {number}", status=404)
    return snapshot


def diff_report(
    store: ReadOnlyStore, watch: Watch, a: int, b: int, change_id: int | None = None
) -> ChangeReport:
    """Version ``a`` against version ``b``: the stored change between them if there is one
    (``change_id`` picks which), else a fresh comparison."""
    old, new = version_of(store, watch, a), version_of(store, watch, b)
    row = get_change(store, change_id) if change_id is not None else None
    if row is not None and (row["old_snapshot_id"], row["new_snapshot_id"]) != (old.id, new.id):
        row = None
    if row is None and a != b:
        row = find_change(store, watch.id, old.id, new.id)
    if row is not None:
        return build_report(store, row)
    return compare_versions(watch, old, new)


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

"""Read-only views of the snapshot database: the JSON shapes of its rows and the paged,
filtered queries the web UI and its JSON API run.

Nothing here writes. The queries use the schema's indexes (``watches`` by id, ``snapshots``
by ``(watch_id, version)``, ``changes`` and ``checks`` by ``(watch_id, id)``) and never read
the stored pages (``html_gz``) unless asked for them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor.errors import StoreError
from monitor.extract.learned import Learned
from monitor.models import Confidence
from monitor.store import StoreReader
from monitor.store.database import Database
from monitor.store.feeds import Feed, feed_from_row
from monitor.store.records import Snapshot, Watch, snapshot_from_row, watch_from_row
from monitor.store.schema import CONFIDENCE_SCHEMA_VERSION

log = logging.getLogger(__name__)

#: The oldest schema these queries can read (version 3 added ``snapshots.origin``); a
#: read-only connection cannot migrate an older file.
MIN_SCHEMA_VERSION = 3
#: The schema version that added followed feeds (the ``feeds`` table).
FEEDS_SCHEMA_VERSION = 4
#: The columns of ``snapshots`` but the stored page, which only the raw download reads.
SNAPSHOT_COLUMNS = (
    "id, watch_id, version, created_at, title, text, text_sha256, metadata_json, final_url, "
    "extractor, origin"
)
#: ... and, from the schema version that added them, which extractor and how sure it was.
CONFIDENCE_COLUMNS = ", extractor_version, confidence, confidence_reason"


def snapshot_columns(store: StoreReader) -> str:
    """The columns of ``snapshots`` to read from this file (an older one, opened read-only
    and so not migrated, has no confidence yet)."""
    if store.schema_version >= CONFIDENCE_SCHEMA_VERSION:
        return SNAPSHOT_COLUMNS + CONFIDENCE_COLUMNS
    return SNAPSHOT_COLUMNS


_CHANGE_COLUMNS = (
    "c.id, c.watch_id, c.old_snapshot_id, c.new_snapshot_id, c.detected_at, c.kind, "
    "c.chars_added, c.chars_removed, c.share_changed, c.silent_edit"
)

WATCH_SORTS = {
    "name": "coalesce(w.name, w.url) COLLATE NOCASE",
    "last_change": "w.last_change_at",
    "last_check": "w.last_check_at",
    "next_check": "w.next_check_at",
    "status": "w.last_status",
    "errors": "w.error_streak",
}
WATCH_FILTERS = {
    "all": "1",
    "active": "w.active = 1",
    "ok": "w.active = 1 AND w.error_streak = 0 AND w.last_status IS NOT NULL",
    "failing": "w.active = 1 AND w.error_streak > 0 AND w.last_status IS NOT 'gone'",
    "gone": "w.last_status = 'gone'",
    "never": "w.active = 1 AND w.last_check_at IS NULL",
    "inactive": "w.active = 0",
}


class ReadOnlyStore(StoreReader):
    """The database opened read-only (``mode=ro``, ``query_only``): every repository's
    reads and no write at all. Its connection may be handed from one thread to another, as
    a pool does: it is used by one thread at a time."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(Database(path, readonly=True, shared=True))
        version = self.schema_version
        if version < MIN_SCHEMA_VERSION:
            self.close()
            reason = "not a monitor database" if version == 0 else "run `monitor list` once"
            raise StoreError(f"{path} has schema version {version}: {reason}")

    def __enter__(self) -> ReadOnlyStore:
        return self


# -- JSON shapes (the CLI's --json outputs and the web API) ---------------------------------


def watch_dict(watch: Watch, counts: tuple[int, int]) -> dict[str, Any]:
    """A watch as `monitor list --json` shows it; ``counts`` is (versions, changes)."""
    return {
        "id": watch.id,
        "name": watch.name,
        "url": watch.url,
        "source": watch.source,
        "active": watch.active,
        "interval_s": watch.interval,
        "last_check_at": watch.last_check_at,
        "last_status": watch.last_status,
        "last_error": watch.last_error,
        "error_streak": watch.error_streak,
        "last_change_at": watch.last_change_at,
        "next_check_at": watch.next_check_at,
        "versions": counts[0],
        "changes": counts[1],
        "feed_id": watch.feed_id,
        "published_at": watch.published_at,
        "retired_at": watch.retired_at,
        "duplicate_of": watch.duplicate_of,
    }


def confidences(
    store: StoreReader, watch_ids: Iterable[int] | None = None
) -> dict[int, Confidence]:
    """How sure extraction was of each watch's current version (of these watches, or all),
    by watch id; versions stored before monitor assessed it, or files not migrated yet, are
    not listed."""
    if store.schema_version < CONFIDENCE_SCHEMA_VERSION:
        return {}
    wanted = None if watch_ids is None else sorted(set(watch_ids))
    where = "" if wanted is None else f" AND w.id IN ({', '.join('?' * len(wanted))})"
    rows = store.db.execute(
        "SELECT w.id, s.confidence, s.confidence_reason FROM watches w "
        "JOIN snapshots s ON s.id = w.current_snapshot_id WHERE s.confidence IS NOT NULL" + where,
        wanted or [],
    ).fetchall()
    return {watch_id: Confidence(level, reason or "") for watch_id, level, reason in rows}


def version_dict(snapshot: Snapshot, chars: int | None = None) -> dict[str, Any]:
    """A stored version as `monitor log --json` lists it (`show --json` adds ``text``);
    ``chars`` stands in for the text's length when the text was not read."""
    return {
        "version": snapshot.version,
        "snapshot_id": snapshot.id,
        "created_at": snapshot.created_at,
        "title": snapshot.title,
        "chars": len(snapshot.text) if chars is None else chars,
        "text_sha256": snapshot.text_sha256,
        "extractor": snapshot.extractor,
        "origin": snapshot.origin,
        "confidence": snapshot.confidence.as_dict(),
        "metadata": snapshot.metadata.as_dict(),
    }


def change_dict(row: dict[str, Any]) -> dict[str, Any]:
    """A ``changes`` row as `monitor log --json` lists it: every column but the diff, with
    ``silent_edit`` a boolean (as in `diff --format json`)."""
    data = {key: value for key, value in row.items() if key != "diff_json"}
    if "silent_edit" in data:
        data["silent_edit"] = bool(data["silent_edit"])
    return data


def learned_dict(watch: Watch) -> dict[str, Any] | None:
    """What the watch learned of its page, as `log --json` and the API show it."""
    learned = Learned.from_json(watch.learned)
    if learned is None:
        return None
    return {
        "learned_at": watch.learned_at,
        "extractor": learned.extractor,
        "origin": learned.origin,
        "region": list(learned.learning.region),
        "region_lines": len(learned.learning.lines),
        "article_churn": learned.article.as_dict(),
        "region_churn": learned.region.as_dict(),
    }


# -- watches ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WatchQuery:
    """Which watches to list, in which order: ``text`` matches name or URL."""

    text: str = ""
    status: str = "all"  # a key of WATCH_FILTERS
    sort: str = "name"  # a key of WATCH_SORTS
    descending: bool = False
    limit: int = 1000
    offset: int = 0


@dataclass(frozen=True)
class WatchRow:
    """A listed watch with its numbers of versions and changes."""

    watch: Watch
    versions: int
    changes: int


def _watch_where(query: WatchQuery) -> tuple[str, list[Any]]:
    where, params = WATCH_FILTERS[query.status], []
    if query.text:
        pattern = f"%{like_escape(query.text)}%"
        where += " AND (w.name LIKE ? ESCAPE '\\' OR w.url LIKE ? ESCAPE '\\')"
        params += [pattern, pattern]
    return where, params


_WATCH_ROWS = (
    "SELECT w.*, (SELECT count(*) FROM snapshots s WHERE s.watch_id = w.id) AS n_versions, "
    "(SELECT count(*) FROM changes c WHERE c.watch_id = w.id) AS n_changes FROM watches w "
)


def list_watches(store: StoreReader, query: WatchQuery) -> list[WatchRow]:
    """One page of watches matching ``query``, with their counts."""
    where, params = _watch_where(query)
    direction = "DESC" if query.descending else "ASC"
    rows = store.db.query(
        f"{_WATCH_ROWS} WHERE {where} "
        f"ORDER BY {WATCH_SORTS[query.sort]} {direction} NULLS LAST, w.id {direction} "
        "LIMIT ? OFFSET ?",
        [*params, query.limit, query.offset],
    )
    return [WatchRow(watch_from_row(r), r["n_versions"], r["n_changes"]) for r in rows]


def count_watches(store: StoreReader, query: WatchQuery) -> int:
    """How many watches match ``query`` (all pages)."""
    where, params = _watch_where(query)
    row = store.db.execute(f"SELECT count(*) FROM watches w WHERE {where}", params).fetchone()
    return int(row[0])


def watch_counts(store: StoreReader, watch_id: int) -> tuple[int, int]:
    """(versions, changes) of one watch."""
    row = store.db.execute(
        "SELECT (SELECT count(*) FROM snapshots WHERE watch_id = ?), "
        "(SELECT count(*) FROM changes WHERE watch_id = ?)",
        [watch_id, watch_id],
    ).fetchone()
    return int(row[0]), int(row[1])


def like_escape(text: str) -> str:
    """``text`` as a literal inside a LIKE pattern with ``ESCAPE '\\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- versions, checks, changes ----------------------------------------------------------------


@dataclass(frozen=True)
class VersionRow:
    """A version without its text (``snapshot.text`` is empty) and the text's length."""

    snapshot: Snapshot
    chars: int


def list_versions(
    store: StoreReader, watch_id: int, *, limit: int, offset: int = 0, newest_first: bool = True
) -> list[VersionRow]:
    """One page of a watch's versions, without their texts."""
    direction = "DESC" if newest_first else "ASC"
    columns = snapshot_columns(store).replace("text,", "'' AS text, length(text) AS chars,", 1)
    rows = store.db.query(
        f"SELECT {columns} FROM snapshots WHERE watch_id = ? ORDER BY version {direction} "
        "LIMIT ? OFFSET ?",
        [watch_id, limit, offset],
    )
    return [VersionRow(snapshot_from_row(r), r["chars"]) for r in rows]


def get_version(store: StoreReader, watch: Watch, version: int) -> Snapshot | None:
    """Version ``version`` of a watch with its text (not its stored page), or None."""
    row = next(
        store.db.query(
            f"SELECT {snapshot_columns(store)} FROM snapshots WHERE watch_id = ? AND version = ?",
            [watch.id, version],
        ),
        None,
    )
    return snapshot_from_row(row) if row else None


def list_checks(
    store: StoreReader, watch_id: int, *, limit: int, offset: int = 0, before: int | None = None
) -> list[dict[str, Any]]:
    """One page of a watch's checks, newest first (``before``: ids below this one), with the
    number of the version each saw (``version``, None for a check that saw none)."""
    rows = store.db.query(
        "SELECT c.*, s.version AS version FROM checks c "
        "LEFT JOIN snapshots s ON s.id = c.snapshot_id "
        "WHERE c.watch_id = ? AND c.id < ? ORDER BY c.id DESC LIMIT ? OFFSET ?",
        [watch_id, before if before is not None else 2**62, limit, offset],
    )
    return list(rows)


def list_changes(
    store: StoreReader,
    watch_id: int | None = None,
    *,
    limit: int,
    offset: int = 0,
    before: int | None = None,
    with_diff: bool = False,
    notified: bool = False,
) -> list[dict[str, Any]]:
    """One page of changes (of one watch, or of all), newest first, with the version numbers
    they compare (``old_version``, ``new_version``), the new version's ``title`` and their
    watch's name and URL; with ``with_diff``, their ``diff_json`` too; with ``notified``,
    only those notified (no flaps)."""
    where = "c.id < ?" + (" AND c.watch_id = ?" if watch_id is not None else "")
    where += " AND c.kind != 'flap'" if notified else ""
    params: list[Any] = [before if before is not None else 2**62]
    params += [watch_id] if watch_id is not None else []
    columns = _CHANGE_COLUMNS + (", c.diff_json" if with_diff else "")
    rows = store.db.query(
        f"SELECT {columns}, o.version AS old_version, n.version AS new_version, "
        "n.title AS title, w.name AS watch_name, w.url AS watch_url FROM changes c "
        "JOIN watches w ON w.id = c.watch_id "
        "LEFT JOIN snapshots o ON o.id = c.old_snapshot_id "
        "LEFT JOIN snapshots n ON n.id = c.new_snapshot_id "
        f"WHERE {where} ORDER BY c.id DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return list(rows)


def snapshots_by_id(
    store: StoreReader, ids: Iterable[int], *, with_text: bool = False
) -> dict[int, Snapshot]:
    """Versions by snapshot id, in one query, never with their stored page; without
    ``with_text``, without their text either (``snapshot.text`` is empty)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    columns = snapshot_columns(store)
    columns = columns if with_text else columns.replace("text,", "'' AS text,", 1)
    rows = store.db.query(
        f"SELECT {columns} FROM snapshots WHERE id IN ({', '.join('?' * len(wanted))})", wanted
    )
    return {row["id"]: snapshot_from_row(row) for row in rows}


def watches_by_id(store: StoreReader, ids: Iterable[int]) -> dict[int, Watch]:
    """Watches by id, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = store.db.query(
        f"SELECT * FROM watches WHERE id IN ({', '.join('?' * len(wanted))})", wanted
    )
    return {row["id"]: watch_from_row(row) for row in rows}


def get_change(store: StoreReader, change_id: int) -> dict[str, Any] | None:
    """One change (with its diff) and the version numbers it compares, or None."""
    return next(
        store.db.query(
            "SELECT c.*, o.version AS old_version, n.version AS new_version FROM changes c "
            "LEFT JOIN snapshots o ON o.id = c.old_snapshot_id "
            "LEFT JOIN snapshots n ON n.id = c.new_snapshot_id WHERE c.id = ?",
            [change_id],
        ),
        None,
    )


def stored_page(store: StoreReader, watch_id: int, version: int) -> bytes | None:
    """The stored page of a version, as fetched (None: no such version or no page)."""
    row = store.db.execute(
        "SELECT id FROM snapshots WHERE watch_id = ? AND version = ?", [watch_id, version]
    ).fetchone()
    if row is None:
        return None
    raw, _ = store.versions.page(int(row[0]))
    return raw


# -- feeds --------------------------------------------------------------------------------------


def feeds_by_id(store: StoreReader, ids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """The feeds (``id``, ``name``, ``url``) that found these watches, by id, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = store.db.query(
        f"SELECT id, name, url FROM feeds WHERE id IN ({', '.join('?' * len(wanted))})", wanted
    )
    return {row["id"]: row for row in rows}


def feed_entry_changes(store: StoreReader, watch_id: int, *, limit: int) -> list[dict[str, Any]]:
    """The latest feed-side changes of an article's title or summary, newest first."""
    return list(
        store.db.query(
            "SELECT id, detected_at, field, old, new FROM feed_entry_changes WHERE watch_id = ? "
            "ORDER BY id DESC LIMIT ?",
            [watch_id, limit],
        )
    )


def feed_dict(feed: Feed, counts: tuple[int, int]) -> dict[str, Any]:
    """A followed feed as `monitor feeds --json` shows it; ``counts`` is (articles found,
    articles still checked)."""
    return {
        "id": feed.id,
        "name": feed.name,
        "url": feed.url,
        "source": feed.source,
        "active": feed.active,
        "interval_s": feed.interval,
        "last_polled_at": feed.last_polled_at,
        "last_status": feed.last_status,
        "last_error": feed.last_error,
        "last_warning": feed.last_warning,  # off-site entries skipped, child sitemaps failed
        "any_host": feed.any_host,
        "error_streak": feed.error_streak,
        "entries": feed.last_entries,
        "articles": counts[0],
        "articles_active": counts[1],  # articles still checked (not retired nor unfollowed)
    }


def has_feeds(store: StoreReader) -> bool:
    """Whether the database knows followed feeds at all (schema version 4 or later)."""
    return store.schema_version >= FEEDS_SCHEMA_VERSION


def list_feeds(
    store: StoreReader, *, active_only: bool = True, limit: int = 1000, offset: int = 0
) -> list[Feed]:
    """One page of followed feeds (with ``active_only``, those still followed), by id."""
    if not has_feeds(store):
        return []
    where = "WHERE active = 1" if active_only else ""
    rows = store.db.query(
        f"SELECT * FROM feeds {where} ORDER BY id LIMIT ? OFFSET ?", [limit, offset]
    )
    return [feed_from_row(row) for row in rows]


def count_feeds(store: StoreReader) -> tuple[int, int]:
    """(feeds followed, feeds no longer followed)."""
    if not has_feeds(store):
        return 0, 0
    row = store.db.execute(
        "SELECT coalesce(sum(active = 1), 0), coalesce(sum(active = 0), 0) FROM feeds"
    ).fetchone()
    return int(row[0]), int(row[1])


def get_feed(store: StoreReader, feed_id: int) -> Feed | None:
    """The feed with this id, or None."""
    if not has_feeds(store):
        return None
    row = next(store.db.query("SELECT * FROM feeds WHERE id = ?", [feed_id]), None)
    return feed_from_row(row) if row else None


def feed_counts(store: StoreReader, ids: Iterable[int]) -> dict[int, tuple[int, int]]:
    """Per feed id: (articles found, articles still checked), in one query (the
    ``watches_feed`` index); a feed that found nothing is absent."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = store.db.query(
        "SELECT feed_id, count(*) AS n, sum(active) AS a FROM watches "
        f"WHERE feed_id IN ({', '.join('?' * len(wanted))}) GROUP BY feed_id",
        wanted,
    )
    return {row["feed_id"]: (row["n"], row["a"] or 0) for row in rows}


def list_feed_articles(
    store: StoreReader, feed_id: int, *, limit: int, offset: int = 0
) -> list[WatchRow]:
    """One page of the watches a feed found, newest published first, with their counts
    (counted for that page only: the page's ids are picked first)."""
    rows = store.db.query(
        f"{_WATCH_ROWS} WHERE w.id IN (SELECT id FROM watches WHERE feed_id = ? "
        "ORDER BY published_at DESC NULLS LAST, id DESC LIMIT ? OFFSET ?) "
        "ORDER BY w.published_at DESC NULLS LAST, w.id DESC",
        [feed_id, limit, offset],
    )
    return [WatchRow(watch_from_row(r), r["n_versions"], r["n_changes"]) for r in rows]

"""Followed feeds in the snapshot database: the ``feeds`` table, the watches feeds found, and
``feed_entry_changes`` (a feed retitling or re-summarising an article: metadata, not a change).

Every poll of a feed is written in one transaction: the new watches, the metadata changes
and the feed's state, or none of it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from monitor.config import Config, FeedConfig, Rules
from monitor.errors import ConfigError, UsageError
from monitor.pace import DEFAULT_DECAY, DecaySchedule, Tier, next_due
from monitor.store.database import Database
from monitor.store.records import rules_from_json, rules_json, utcnow
from monitor.store.watches import Names

_CHUNK = 500  # SQLite host parameters per IN (...)


@dataclass(frozen=True)
class Feed:
    """A followed feed or sitemap and the state of its last poll."""

    id: int
    url: str
    name: str | None
    interval: float
    rules: Rules
    schedule: DecaySchedule
    max_age: float | None
    source: str
    active: bool
    created_at: str
    etag: str | None = None
    last_modified: str | None = None
    last_polled_at: str | None = None
    last_status: str | None = None
    last_error: str | None = None
    error_streak: int = 0
    last_entries: int = 0
    any_host: bool = False  # articles on other sites than the feed's own are accepted
    max_new: int = 500  # new watches one poll may add
    kind: str | None = None  # what the last good poll read: "rss", "sitemapindex"...
    children: dict[str, dict[str, Any]] = field(default_factory=dict, compare=False)
    baseline_at: str | None = None  # the first good poll that listed entries; None: none yet
    last_warning: str | None = None  # what the last good poll skipped or could not read

    @property
    def label(self) -> str:
        """The feed's name, or its URL when it has none."""
        return self.name or self.url


@dataclass(frozen=True)
class KnownEntry:
    """A watch that a feed entry may be: found by URL key or canonical key."""

    watch_id: int
    feed_id: int | None
    feed_title: str | None
    feed_summary: str | None


@dataclass(frozen=True)
class NewWatch:
    """A watch to add for a new feed entry."""

    url: str
    key: str
    title: str
    summary: str | None
    published_at: str | None


@dataclass(frozen=True)
class EntryChange:
    """The feed gives a known article another title or summary."""

    watch_id: int
    field: str  # "title" or "summary"
    old: str | None
    new: str | None


@dataclass(frozen=True)
class PollRecord:
    """Everything one successful poll of a feed writes, in one transaction."""

    feed_id: int
    polled_at: str
    status: str  # "ok" or "not_modified"
    etag: str | None = None
    last_modified: str | None = None
    entries: int = 0
    new: tuple[NewWatch, ...] = ()
    changes: tuple[EntryChange, ...] = ()
    kind: str | None = None
    children: dict[str, dict[str, Any]] | None = None  # a sitemap index's child sitemaps
    baseline: tuple[str, ...] = ()  # URL keys of undated entries listed for the first time
    sitemaps: tuple[str, ...] = ()  # child sitemaps read (or unchanged): now known
    warning: str | None = None  # entries skipped as off-site, child sitemaps that failed


def schedule_json(schedule: DecaySchedule) -> str:
    """A decay schedule as the JSON stored in ``feeds.schedule_json``."""
    data = {
        "tiers": [[t.until, t.every] for t in schedule.tiers],
        "keep_after": schedule.keep_after,
        "reset_for": schedule.reset_for,
    }
    return json.dumps(data)


def schedule_from_json(text: str | None) -> DecaySchedule:
    """The decay schedule stored as JSON (the default one when none is)."""
    data = json.loads(text or "{}")
    if not data.get("tiers"):
        return DEFAULT_DECAY
    return DecaySchedule(
        tiers=tuple(Tier(float(u), float(e)) for u, e in data["tiers"]),
        keep_after=data.get("keep_after"),
        reset_for=data.get("reset_for"),
    )


def feed_from_row(row: dict[str, Any]) -> Feed:
    return Feed(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        interval=row["interval_s"],
        rules=rules_from_json(row["rules_json"]),
        schedule=schedule_from_json(row["schedule_json"]),
        max_age=row["max_age_s"],
        source=row["source"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        last_polled_at=row["last_polled_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        error_streak=row["error_streak"],
        last_entries=row["last_entries"],
        any_host=bool(row.get("any_host")),
        max_new=row.get("max_new") or FeedConfig.max_new,
        kind=row.get("kind"),
        children=json.loads(row.get("children_json") or "{}"),
        baseline_at=row.get("baseline_at"),
        last_warning=row.get("last_warning"),
    )


#: Columns that decide which of a feed's entries become watches: a change means a full re-read.
_ENTRY_CHOICE = ("any_host", "max_new", "max_age_s")


def _feed_values(entry: FeedConfig) -> dict[str, Any]:
    return {
        "name": entry.name,
        "interval_s": entry.interval,
        "rules_json": rules_json(entry.rules),
        "schedule_json": schedule_json(entry.schedule),
        "max_age_s": entry.entry_max_age,
        "any_host": int(entry.any_host),
        "max_new": entry.max_new,
        "active": 1,
    }


def _poll_values(feed: Feed, poll: PollRecord) -> dict[str, Any]:
    """The columns of ``feeds`` a successful poll sets."""
    values: dict[str, Any] = {
        "last_polled_at": poll.polled_at,
        "last_status": poll.status,
        "last_error": None,
        "error_streak": 0,
    }
    if poll.status == "ok":
        values.update(
            etag=poll.etag,
            last_modified=poll.last_modified,
            last_entries=poll.entries,
            kind=poll.kind,
            baseline_at=feed.baseline_at or (poll.polled_at if poll.entries else None),
            last_warning=poll.warning,
        )
    if poll.children is not None:
        values["children_json"] = json.dumps(poll.children)
    return values


def _names_to_release(
    config: Config, wanted: dict[str, dict[str, Any]], rows: dict[str, dict[str, Any]]
) -> list[int]:
    """Feeds whose name config.toml now gives to another URL (an earlier config's feed, no
    longer in it: it keeps its history, findable by URL or id). A name a feed followed with
    `monitor add --follow-feed` holds is an error."""
    holders = {row["name"]: row for row in rows.values() if row["name"]}
    released = []
    for url, values in wanted.items():
        holder = holders.get(values["name"]) if values["name"] else None
        if holder is None or holder["url"] == url or holder["url"] in wanted:
            continue
        if holder["source"] != "config" and holder["active"]:
            raise ConfigError(
                f"the name {values['name']!r} belongs to feed {holder['id']} "
                f"({holder['url']}), followed with `monitor add --follow-feed`",
                path=config.path,
                key="feed.name",
            )
        released.append(int(holder["id"]))
    return released


class FeedReader:
    """Reads feeds and what they found."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.db

    def get_feed(self, feed_id: int) -> Feed:
        """The feed with this id."""
        row = self.database.row("feeds", "id = ?", [feed_id])
        if row is None:
            raise UsageError(f"no feed with id {feed_id}")
        return feed_from_row(row)

    def all(self, *, active_only: bool = True) -> list[Feed]:
        """All feeds, in id order."""
        where = "WHERE active = 1" if active_only else ""
        rows = self.db.query(f"SELECT * FROM feeds {where} ORDER BY id")
        return [feed_from_row(r) for r in rows]

    def urls(self) -> dict[int, str]:
        """Every feed's URL by id (those no longer polled too: their articles may be
        checked still, and are requested as their feed says)."""
        return {row["id"]: row["url"] for row in self.db.query("SELECT id, url FROM feeds")}

    def entry_counts(self) -> dict[int, tuple[int, int]]:
        """Per feed id: (articles found, articles still checked)."""
        rows = self.db.query(
            "SELECT feed_id, count(*) AS n, sum(active) AS a FROM watches "
            "WHERE feed_id IS NOT NULL GROUP BY feed_id"
        )
        return {r["feed_id"]: (r["n"], r["a"] or 0) for r in rows}

    def active_articles(self) -> int:
        """How many articles found through feeds are still checked."""
        row = self.db.execute(
            "SELECT count(*) FROM watches WHERE active = 1 AND feed_id IS NOT NULL"
        ).fetchone()
        return int(row[0])

    def schedule_of(self, feed_id: int) -> DecaySchedule:
        """The decay schedule of a feed's articles."""
        row = self.db.execute("SELECT schedule_json FROM feeds WHERE id = ?", [feed_id]).fetchone()
        return schedule_from_json(row[0] if row else None)

    def known(self, keys: Iterable[str]) -> dict[str, KnownEntry]:
        """Watches whose URL key or canonical key is one of ``keys``, by that key."""
        found: dict[str, KnownEntry] = {}
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            rows = self.db.query(
                "SELECT id, feed_id, url_key, canonical_key, feed_title, feed_summary "
                f"FROM watches WHERE url_key IN ({marks}) OR canonical_key IN ({marks}) "
                "ORDER BY id",
                [*chunk, *chunk],
            )
            for r in rows:
                entry = KnownEntry(r["id"], r["feed_id"], r["feed_title"], r["feed_summary"])
                for key in (r["url_key"], r["canonical_key"]):
                    if key in chunk:
                        found.setdefault(key, entry)
        return found

    def sitemaps_read(self, feed_id: int) -> set[str]:
        """The child sitemaps of a sitemap index that a poll has ever read."""
        rows = self.db.execute("SELECT url FROM feed_sitemaps WHERE feed_id = ?", [feed_id])
        return {r[0] for r in rows}

    def baselined(self, feed_id: int, keys: Iterable[str]) -> set[str]:
        """Those of ``keys`` that the feed's first poll listed undated (never watched)."""
        found: set[str] = set()
        wanted = list(dict.fromkeys(keys))
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            rows = self.db.execute(
                f"SELECT url_key FROM feed_baseline WHERE feed_id = ? "
                f"AND url_key IN ({', '.join('?' * len(chunk))})",
                [feed_id, *chunk],
            )
            found.update(r[0] for r in rows)
        return found

    def due_watches(self, now: str, limit: int, skip: Iterable[int] = ()) -> list[int]:
        """Ids of feed-found watches due by ``now``, most overdue first (partial index
        ``watches_due``)."""
        skipped = set(skip)
        rows = self.db.execute(
            "SELECT id FROM watches WHERE active = 1 AND feed_id IS NOT NULL "
            "AND next_check_at <= ? ORDER BY next_check_at LIMIT ?",
            [now, limit + len(skipped)],
        ).fetchall()
        return [r[0] for r in rows if r[0] not in skipped][:limit]

    def next_due(self) -> str | None:
        """The earliest next check of a feed-found watch."""
        row = self.db.execute(
            "SELECT min(next_check_at) FROM watches WHERE active = 1 AND feed_id IS NOT NULL"
        ).fetchone()
        return row[0] if row else None

    def duplicate_of(self, watch_id: int, key: str | None) -> int | None:
        """An older watch whose URL key or canonical key is ``key``: the same article."""
        if key is None:
            return None
        row = self.db.execute(
            "SELECT id FROM watches WHERE (url_key = ? OR canonical_key = ?) AND id < ? "
            "AND duplicate_of IS NULL ORDER BY id LIMIT 1",
            [key, key, watch_id],
        ).fetchone()
        return int(row[0]) if row else None

    def entry_changes(self, watch_id: int) -> list[dict[str, Any]]:
        """The feed-side title and summary changes of an article, oldest first."""
        return list(
            self.db.query(
                "SELECT * FROM feed_entry_changes WHERE watch_id = ? ORDER BY id", [watch_id]
            )
        )


class Feeds(FeedReader):
    """Reads and writes feeds and what they found; every poll in one transaction."""

    def sync_config(
        self, config: Config, *, deactivate: bool = True, now: datetime | None = None
    ) -> None:
        """Make the feeds of config.toml match the file; a feed no longer in it stops being
        polled and its articles stop being checked (their history stays). A feed whose
        schedule changed brings its articles' next checks forward to the new pace."""
        rows = {r["url"]: r for r in self.db.query("SELECT * FROM feeds")}
        wanted = {f.url: _feed_values(f) for f in config.feeds}
        changed = [
            (url, values)
            for url, values in wanted.items()
            if url not in rows or any(rows[url][k] != v for k, v in values.items())
        ]
        stale = [
            row["id"]
            for url, row in rows.items()
            if deactivate and row["source"] == "config" and row["active"] and url not in wanted
        ]
        released = _names_to_release(config, wanted, rows)
        if not (changed or stale or released):
            return
        with self.database.transaction():
            for feed_id in released:
                self.db.execute("UPDATE feeds SET name = NULL WHERE id = ?", [feed_id])
            for feed_id in stale:
                self._set_active(feed_id, False)
            for url, values in changed:
                self._upsert(url, values, rows.get(url), now or datetime.now(UTC))

    def _upsert(
        self, url: str, values: dict[str, Any], row: dict[str, Any] | None, now: datetime
    ) -> None:
        if row is None:
            self.database.insert(
                "feeds", {"url": url, "source": "config", "created_at": utcnow(), **values}
            )
            return
        self.db.table("feeds").update(row["id"], values)
        if any(row[key] != values[key] for key in _ENTRY_CHOICE):
            self._read_again(row["id"])
        if row["schedule_json"] != values["schedule_json"]:
            self._bring_forward(row["id"], schedule_from_json(values["schedule_json"]), now)
        self.db.execute(
            "UPDATE watches SET rules_json = ? WHERE feed_id = ? AND rules_json != ?",
            [values["rules_json"], row["id"], values["rules_json"]],
        )
        if not row["active"]:
            self._set_active(row["id"], True)

    def _bring_forward(self, feed_id: int, schedule: DecaySchedule, now: datetime) -> None:
        """Each active article's next check: no later than its last check plus its interval
        under ``schedule`` (now if it was never checked)."""
        rows = self.db.execute(
            "SELECT id, published_at, created_at, last_check_at, last_change_at, next_check_at "
            "FROM watches WHERE feed_id = ? AND active = 1 AND retired_at IS NULL",
            [feed_id],
        ).fetchall()
        for watch_id, published, created, checked, changed, current in rows:
            due = next_due(schedule, now, published or created, checked, changed)
            if due is not None and (current is None or due < current):
                self.db.execute(
                    "UPDATE watches SET next_check_at = ? WHERE id = ?", [due, watch_id]
                )

    def _set_active(self, feed_id: int, active: bool) -> None:
        """A feed (and its unretired articles) taken out of or back into service."""
        self.db.execute("UPDATE feeds SET active = ? WHERE id = ?", [int(active), feed_id])
        self.db.execute(
            "UPDATE watches SET active = ? WHERE feed_id = ? AND retired_at IS NULL",
            [int(active), feed_id],
        )

    def add_feed(
        self,
        url: str,
        *,
        name: str | None = None,
        interval: float | None = None,
        any_host: bool = False,
    ) -> Feed:
        """Follow a feed from the command line (stored in the database). With ``any_host``,
        a feed already followed this way is made to accept articles on other sites."""
        existing = self.database.row("feeds", "url = ?", [url])
        if existing is not None and any_host and existing["source"] == "cli":
            with self.database.transaction():
                self.db.execute("UPDATE feeds SET any_host = 1 WHERE id = ?", [existing["id"]])
                self._read_again(existing["id"])
            return self.get_feed(existing["id"])
        for column, value in (("url", url), ("name", name)):
            if value is not None and self.database.row("feeds", f"{column} = ?", [value]):
                raise UsageError(f"{value} is already followed (see `monitor feeds`)")
        values = _feed_values(FeedConfig(url=url, name=name, any_host=any_host))
        if interval is not None:
            values["interval_s"] = interval
        with self.database.transaction():
            feed_id = self.database.insert(
                "feeds", {"url": url, "source": "cli", "created_at": utcnow(), **values}
            )
        return self.get_feed(feed_id)

    def _read_again(self, feed_id: int) -> None:
        """Drop the feed's validators: which entries it takes changed, so the next poll reads
        it whole (a 304 would leave the entries skipped before unread)."""
        self.db.execute(
            "UPDATE feeds SET etag = NULL, last_modified = NULL, children_json = '{}', "
            "last_warning = NULL WHERE id = ?",
            [feed_id],
        )

    def record_poll(self, feed: Feed, poll: PollRecord, rules: Rules) -> list[int]:
        """:meth:`write_poll` in a transaction of its own."""
        with self.database.transaction():
            return self.write_poll(feed, poll, rules)

    def write_poll(self, feed: Feed, poll: PollRecord, rules: Rules) -> list[int]:
        """Write a poll (in the caller's transaction): new watches (due at once), metadata
        changes, the baseline, the child sitemaps now known, the feed's state. The ids of
        the new watches."""
        names = Names(self.db)
        new_ids = [
            self._insert_watch(feed, poll.polled_at, entry, rules, names) for entry in poll.new
        ]
        for change in poll.changes:
            self._record_entry_change(feed.id, poll.polled_at, change)
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO feed_baseline (feed_id, url_key) VALUES (?, ?)",
            [(feed.id, key) for key in poll.baseline],
        )
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO feed_sitemaps (feed_id, url, first_read_at) VALUES (?, ?, ?)",
            [(feed.id, url, poll.polled_at) for url in poll.sitemaps],
        )
        self.db.table("feeds").update(feed.id, _poll_values(feed, poll))
        return new_ids

    def record_failure(self, feed_id: int, polled_at: str, error: str) -> None:
        """A poll that failed: recorded on the feed; nothing it found before is touched."""
        with self.database.transaction():
            self.db.execute(
                "UPDATE feeds SET last_polled_at = ?, last_status = 'error', last_error = ?, "
                "error_streak = error_streak + 1 WHERE id = ?",
                [polled_at, error[:500], feed_id],
            )

    def _insert_watch(
        self, feed: Feed, now: str, entry: NewWatch, rules: Rules, names: Names
    ) -> int:
        row = {
            "url": entry.url,
            "url_key": entry.key,
            "name": names.allocate(entry.title) if entry.title.strip() else None,
            "rules_json": rules_json(rules),
            "source": "feed",
            "active": 1,
            "created_at": now,
            "feed_id": feed.id,
            "published_at": entry.published_at,
            "feed_title": entry.title or None,
            "feed_summary": entry.summary,
            "next_check_at": now,
        }
        return self.database.insert("watches", row)

    def _record_entry_change(self, feed_id: int, now: str, change: EntryChange) -> None:
        row = {
            "watch_id": change.watch_id,
            "feed_id": feed_id,
            "detected_at": now,
            "field": change.field,
            "old": change.old,
            "new": change.new,
        }
        self.database.insert("feed_entry_changes", row)
        column = "feed_title" if change.field == "title" else "feed_summary"
        self.db.execute(
            f"UPDATE watches SET {column} = ? WHERE id = ?", [change.new, change.watch_id]
        )

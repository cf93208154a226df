"""The snapshot database: schema, migrations, reads and writes (SQLite through sqlite-utils).

Tables (see the README for every column):

* ``watches``   one row per watched URL, with its state (validators, error streaks, schedule)
* ``snapshots`` one row per distinct version of an article: text, title, metadata, raw HTML
* ``checks``    one row per fetch, whatever its outcome
* ``changes``   one row per detected change: old and new snapshot, stats and the diff
* ``snapshots_fts``  full-text index over snapshot titles and texts (FTS5, trigram)

The database runs in WAL mode, so readers never block the writer. Every check is written
in one ``BEGIN IMMEDIATE`` transaction: a crash at any moment leaves either the whole check
or none of it. The schema version is SQLite's ``user_version``; :data:`MIGRATIONS` brings any
older file up to date.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from monitor.config import Config, Rules, WatchConfig
from monitor.errors import ConfigError, StaleBaselineError, StoreError, UsageError
from monitor.feeds.urls import canonical_key, url_key
from monitor.models import CheckStatus, Confidence
from monitor.store.records import (
    CheckRecord,
    NewChange,
    NewSnapshot,
    OutboxItem,
    OutboxRow,
    Recorded,
    Snapshot,
    Watch,
    outbox_from_row,
    rules_json,
    snapshot_from_row,
    utcnow,
    watch_from_row,
)
from monitor.store.schema import MIGRATIONS, SCHEMA_VERSION

if TYPE_CHECKING:
    from monitor.store.feeds import Names

__all__ = [
    "SCHEMA_VERSION",
    "CheckRecord",
    "NewChange",
    "NewSnapshot",
    "OutboxItem",
    "OutboxRow",
    "Recorded",
    "Snapshot",
    "SnapshotStore",
    "Watch",
    "utcnow",
]

log = logging.getLogger(__name__)


class SnapshotStore:
    """Reads and writes the snapshot database."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        self.readonly = readonly
        try:
            self.db = sqlite_utils.Database(self._connect(readonly))
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA foreign_keys = ON")
            # WAL + NORMAL: a killed process loses no commit; only a power cut can lose the
            # last few, and none corrupts the file. One fsync per checkpoint, not per check.
            self.db.execute("PRAGMA synchronous = NORMAL")
            if not readonly:
                self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc

    def _connect(self, readonly: bool) -> sqlite3.Connection:
        if self.path == ":memory:":
            return sqlite3.connect(":memory:")
        path = Path(self.path)
        if readonly:
            if not path.exists():
                raise StoreError(f"no database at {self.path} (nothing has been checked yet)")
            return sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(path)

    def close(self) -> None:
        """Close the database connection, leaving the file whole: what the write-ahead log
        holds is copied into it first (readers still open elsewhere do not stop that), so
        the database file alone, copied or opened by any tool, has every commit."""
        if not self.readonly:
            self.checkpoint()
        self.db.close()

    def checkpoint(self) -> None:
        """Copy the write-ahead log into the database file and empty it (best effort: a
        reader in the middle of a long read may keep the last frames for later)."""
        try:
            self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            log.warning("cannot checkpoint %s: %s", self.path, exc)

    def __enter__(self) -> SnapshotStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        row = self.db.execute("PRAGMA user_version").fetchone()
        return int(row[0])

    def _migrate(self) -> None:
        if self.db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
            self.db.execute("PRAGMA journal_mode = WAL")
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {version}; this monitor knows up to "
                f"{SCHEMA_VERSION}: upgrade monitor"
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                if self.schema_version > number:  # another process migrated meanwhile
                    continue
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
            log.info("database %s migrated to schema version %d", self.path, number + 1)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE: writers queue up instead of failing)."""
        conn = self.db.conn
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc
        try:
            yield
        except sqlite3.Error as exc:
            conn.rollback()
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc
        except BaseException:
            conn.rollback()
            raise
        try:
            conn.commit()
        except sqlite3.Error as exc:
            conn.rollback()
            raise StoreError(f"cannot write to {self.path}: {exc}") from exc

    # -- watches --------------------------------------------------------------------------

    def add_watch(
        self,
        url: str,
        *,
        name: str | None = None,
        interval: float | None = None,
        rules: Rules | None = None,
        source: str = "cli",
    ) -> Watch:
        """Add a watch. A URL or name that is already watched is a UsageError (see
        :meth:`check_addable`). An article a feed found (the same URL key: ``?utm_source=...``
        and the fragment aside) becomes an ordinary watch of ``url`` (checked on its
        interval, never retired), its history kept; a name a feed article holds is taken
        from it (it gets ``name (2)``)."""
        with self.transaction():
            watch_id = self._add_watch_row(url, name, interval, rules or Rules(), source)
        return self.get_watch(watch_id)

    def add_checked_watch(
        self, url: str, first_check: CheckRecord, *, name: str | None, interval: float | None
    ) -> tuple[Watch, Recorded]:
        """Add a new watch of ``url`` (`monitor add`) with its first check, decided before
        the watch was stored, in one transaction; the watch and what the check wrote. A URL
        a feed found is adopted with :meth:`add_watch` and checked as usual instead."""
        with self.transaction():
            watch_id = self._add_watch_row(url, name, interval, Rules(), "cli", new_only=True)
            recorded = self._write_check(replace(first_check, watch_id=watch_id, baseline_id=None))
        return self.get_watch(watch_id), recorded

    def _add_watch_row(
        self,
        url: str,
        name: str | None,
        interval: float | None,
        rules: Rules,
        source: str,
        *,
        new_only: bool = False,
    ) -> int:
        existing, holder = self.check_addable(url, name)
        if existing is not None and new_only:
            raise UsageError(f"{url} is an article a feed found: adopt it, do not add it")
        row = {
            "url": url,
            "url_key": url_key(url),
            "name": name,
            "interval_s": interval,
            "rules_json": rules_json(rules),
            "source": source,
            "active": 1,
        }
        if holder is not None and (existing is None or holder["id"] != existing["id"]):
            self._rename_feed_watch(holder["id"], str(name))
        if existing is None:
            return self._insert("watches", {**row, "created_at": utcnow()})
        row["name"] = name or existing["name"]
        self.db.table("watches").update(existing["id"], {**row, **_ADOPTED})
        return int(existing["id"])

    def check_addable(
        self, url: str, name: str | None
    ) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """Refuse (UsageError) a URL already watched, under any URL with its URL key (the
        same article with ``?utm_source=...`` or a ``#fragment``), and a name another watch
        has; articles a feed found are adopted, not refused. The row of the feed article
        ``url`` is (or None) and of the feed article holding ``name`` (or None)."""
        existing = self._row(
            "watches",
            "url = ? OR url_key = ? ORDER BY feed_id IS NOT NULL, url = ? DESC, id",
            [url, url_key(url), url],
        )
        if existing is not None and existing["feed_id"] is None:
            label = f"watch {existing['id']}" + (
                f" ({existing['name']})" if existing["name"] else ""
            )
            raise UsageError(f"{url} is already watched as {label}: {existing['url']}")
        holder = self._row("watches", "name = ?", [name]) if name is not None else None
        if holder is not None and holder["source"] != "feed":
            raise UsageError(
                f"the name {name!r} is taken by watch {holder['id']} ({holder['url']}): "
                "give another --name"
            )
        return existing, holder

    def drop_unread_page(self, url: str) -> int | None:
        """Deactivate the watch `monitor add` made of ``url`` if it never stored a version
        (its site's feed is followed instead; its checks stay). Its id, or None."""
        row = self.db.execute(
            "SELECT id FROM watches WHERE url = ? AND source = 'cli' AND active = 1 "
            "AND NOT EXISTS (SELECT 1 FROM snapshots s WHERE s.watch_id = watches.id)",
            [url],
        ).fetchone()
        if row is None:
            return None
        with self.transaction():
            self.db.execute("UPDATE watches SET active = 0 WHERE id = ?", [row[0]])
        return int(row[0])

    def _rename_feed_watch(self, watch_id: int, name: str, names: Names | None = None) -> None:
        """Give a feed article whose name config.toml or `monitor add` wants another one
        (from ``names``, a :class:`~monitor.store.feeds.Names` that knows the names
        reserved for others)."""
        from monitor.store.feeds import free_name

        free = names.allocate(name) if names is not None else free_name(self.db, name)
        self.db.execute("UPDATE watches SET name = ? WHERE id = ?", [free, watch_id])

    def sync_config(self, config: Config, *, deactivate: bool = True) -> None:
        """Make the watches of config.toml match the file: add, update and (with
        ``deactivate``) deactivate the ones no longer in it. Writes only what differs. An
        entry whose URL is not watched but whose URL key is an article a feed found adopts
        that article (its URL becomes the entry's)."""
        rows = {r["url"]: r for r in self.db.query("SELECT * FROM watches")}
        matched = _matched(config, rows)
        wanted = {
            w.url: {**_config_values(w, matched.get(w.url), config.settings.interval), "url": w.url}
            for w in config.watches
        }
        updates = [
            (matched[url]["id"], values)
            for url, values in wanted.items()
            if url in matched and any(matched[url][k] != v for k, v in values.items())
        ]
        inserts = [(url, values) for url, values in wanted.items() if url not in matched]
        stale = [
            row["id"]
            for url, row in rows.items()
            if deactivate and row["source"] == "config" and row["active"] and url not in wanted
        ]
        released, renamed = _names_to_release(config, wanted, rows)
        if not (updates or inserts or stale or released or renamed):
            return
        with self.transaction():
            for watch_id in released:
                self.db.execute("UPDATE watches SET name = NULL WHERE id = ?", [watch_id])
            self._rename_all(renamed, {w.name for w in config.watches if w.name})
            for watch_id in stale:
                self.db.execute("UPDATE watches SET active = 0 WHERE id = ?", [watch_id])
            for watch_id, values in updates:
                self.db.table("watches").update(watch_id, values)
            for url, values in inserts:
                row = {"url_key": url_key(url), "created_at": utcnow(), **values}
                self._insert("watches", row)

    def _rename_all(self, renamed: list[tuple[int, str]], reserved: set[str]) -> None:
        """Feed articles renamed away from names config.toml wants; none gets a name
        config.toml wants either (``reserved``)."""
        from monitor.store.feeds import Names

        names = Names(self.db, reserved)
        for watch_id, name in renamed:
            self._rename_feed_watch(watch_id, name, names)

    def get_watch(self, watch_id: int) -> Watch:
        """The watch with this id."""
        row = self._row("watches", "id = ?", [watch_id]) if _is_row_id(watch_id) else None
        if row is None:
            raise UsageError(f"no watch with id {watch_id}")
        return watch_from_row(row)

    def find_watch(self, ref: str) -> Watch:
        """A watch by name, id or URL."""
        row = self._row("watches", "name = ? OR url = ?", [ref, ref])
        if row is None and ref.isascii() and ref.isdigit() and _is_row_id(int(ref)):
            row = self._row("watches", "id = ?", [int(ref)])
        if row is None:
            what = "with id or name" if ref.isdigit() else "named"
            raise UsageError(
                f"no watch {what} {ref!r} (give a name, id or URL; see `monitor list`)"
            )
        return watch_from_row(row)

    def watches(self, *, active_only: bool = True) -> list[Watch]:
        """All watches, in id order."""
        where = "WHERE active = 1" if active_only else ""
        return [
            watch_from_row(r) for r in self.db.query(f"SELECT * FROM watches {where} ORDER BY id")
        ]

    def interval_watches(self) -> list[Watch]:
        """The active watches checked on a fixed interval (not found through a feed)."""
        rows = self.db.query(
            "SELECT * FROM watches WHERE active = 1 AND feed_id IS NULL ORDER BY id"
        )
        return [watch_from_row(r) for r in rows]

    def set_next_check(self, watch_id: int, when: str | None) -> None:
        """Record when a watch is next due."""
        with self.transaction():
            self.db.table("watches").update(watch_id, {"next_check_at": when})

    # -- snapshots ------------------------------------------------------------------------

    def snapshot(self, snapshot_id: int) -> Snapshot:
        """One snapshot by id."""
        row = self._row("snapshots", "id = ?", [snapshot_id])
        if row is None:
            raise UsageError(f"no snapshot with id {snapshot_id}")
        return snapshot_from_row(row)

    def snapshot_version(self, snapshot_id: int) -> int:
        """The version number of a snapshot (without reading its text)."""
        row = self.db.execute("SELECT version FROM snapshots WHERE id = ?", [snapshot_id])
        found = row.fetchone()
        if found is None:
            raise UsageError(f"no snapshot with id {snapshot_id}")
        return int(found[0])

    def current_snapshot(self, watch: Watch) -> Snapshot | None:
        """The version the watch's last good check saw: the baseline of the next comparison."""
        if watch.current_snapshot_id is None:
            return None
        return self.snapshot(watch.current_snapshot_id)

    def snapshot_by_sha(self, watch_id: int, sha: str) -> Snapshot | None:
        """An earlier version with exactly this text, if any."""
        row = self._row("snapshots", "watch_id = ? AND text_sha256 = ?", [watch_id, sha])
        return snapshot_from_row(row) if row else None

    def snapshot_by_version(self, watch: Watch, version: int) -> Snapshot:
        """Version ``version`` (1 = first) of a watch."""
        row = self._row("snapshots", "watch_id = ? AND version = ?", [watch.id, version])
        if row is None:
            raise UsageError(f"{watch.label} has no version {version} (see `monitor log`)")
        return snapshot_from_row(row)

    def snapshot_at(self, watch: Watch, when: str) -> Snapshot:
        """The version a watch showed at time ``when`` (ISO-8601, UTC if no offset)."""
        row = next(
            self.db.query(
                "SELECT snapshot_id FROM checks WHERE watch_id = ? AND snapshot_id IS NOT NULL "
                "AND checked_at <= ? ORDER BY id DESC LIMIT 1",
                [watch.id, when],
            ),
            None,
        )
        if row is None:
            raise UsageError(f"{watch.label} had no version yet at {when}")
        return self.snapshot(int(row["snapshot_id"]))

    def snapshots(self, watch: Watch) -> list[Snapshot]:
        """All versions of a watch, oldest first."""
        rows = self.db.query(
            "SELECT * FROM snapshots WHERE watch_id = ? ORDER BY version", [watch.id]
        )
        return [snapshot_from_row(r) for r in rows]

    def raw_html(self, snapshot_id: int) -> tuple[bytes, str | None]:
        """The raw page bytes stored with a snapshot, and their encoding."""
        row = self._row("snapshots", "id = ?", [snapshot_id])
        if row is None or row["html_gz"] is None:
            return b"", None
        return zlib.decompress(row["html_gz"]), row["html_encoding"]

    # -- checks and changes ---------------------------------------------------------------

    def checks(self, watch: Watch, limit: int = 50) -> list[dict[str, Any]]:
        """The latest checks of a watch, newest first, with the number of the version each
        saw (``version``; None for a check that saw none)."""
        return list(
            self.db.query(
                "SELECT c.*, s.version AS version FROM checks c "
                "LEFT JOIN snapshots s ON s.id = c.snapshot_id "
                "WHERE c.watch_id = ? ORDER BY c.id DESC LIMIT ?",
                [watch.id, limit],
            )
        )

    def recent_candidates(self, watch_id: int, count: int) -> list[str | None]:
        """Text hashes seen by the last ``count`` checks, newest first."""
        rows = self.db.query(
            "SELECT candidate_sha256 FROM checks WHERE watch_id = ? ORDER BY id DESC LIMIT ?",
            [watch_id, count],
        )
        return [r["candidate_sha256"] for r in rows]

    def recent_snapshot_ids(self, watch_id: int, count: int) -> set[int]:
        """The versions the last ``count`` good checks saw."""
        rows = self.db.query(
            "SELECT snapshot_id FROM checks WHERE watch_id = ? AND snapshot_id IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            [watch_id, count],
        )
        return {r["snapshot_id"] for r in rows}

    def changes(self, watch: Watch) -> list[dict[str, Any]]:
        """All changes of a watch, oldest first."""
        return list(
            self.db.query("SELECT * FROM changes WHERE watch_id = ? ORDER BY id", [watch.id])
        )

    def change(self, change_id: int) -> dict[str, Any]:
        """One change row."""
        row = self._row("changes", "id = ?", [change_id])
        if row is None:
            raise UsageError(f"no change with id {change_id}")
        return row

    def counts(self) -> dict[int, tuple[int, int]]:
        """Per watch id: (number of versions, number of changes)."""
        rows = self.db.query(
            "SELECT w.id, (SELECT count(*) FROM snapshots s WHERE s.watch_id = w.id) AS v, "
            "(SELECT count(*) FROM changes c WHERE c.watch_id = w.id) AS c FROM watches w"
        )
        return {r["id"]: (r["v"], r["c"]) for r in rows}

    # -- outbox -----------------------------------------------------------------------------

    def due_notifications(self, now: str, limit: int = 100) -> list[OutboxRow]:
        """Pending notifications whose retry time has come, oldest first."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE state = 'pending' AND (not_before IS NULL OR "
            "not_before <= ?) ORDER BY id LIMIT ?",
            [now, limit],
        )
        return [outbox_from_row(r) for r in rows]

    def claim_notification(self, row_id: int, now: str) -> bool:
        """Mark a pending notification as being sent; False if someone else has it."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE outbox SET state = 'claimed', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND state = 'pending'",
                [now, row_id],
            )
        return cursor.rowcount == 1

    def finish_notification(
        self,
        row_id: int,
        state: str,
        now: str,
        error: str | None = None,
        retry_at: str | None = None,
    ) -> None:
        """Record how sending went: sent, failed, or pending again (retry at ``retry_at``)."""
        with self.transaction():
            self.db.execute(
                "UPDATE outbox SET state = ?, updated_at = ?, error = ?, not_before = ? "
                "WHERE id = ?",
                [state, now, error, retry_at, row_id],
            )

    def abandon_claimed(self, channels_to_requeue: tuple[str, ...], now: str) -> int:
        """After a crash: claimed rows of idempotent channels go back to pending; the others
        become 'unknown' (they may have been delivered, so they are never sent twice)."""
        marks = ", ".join("?" * len(channels_to_requeue)) or "''"
        with self.transaction():
            self.db.execute(
                f"UPDATE outbox SET state = 'pending', updated_at = ? "
                f"WHERE state = 'claimed' AND channel IN ({marks})",
                [now, *channels_to_requeue],
            )
            cursor = self.db.execute(
                "UPDATE outbox SET state = 'unknown', updated_at = ?, error = 'the process "
                "stopped while sending: it may or may not have been delivered' "
                "WHERE state = 'claimed'",
                [now],
            )
        return cursor.rowcount

    def notifications(self, watch: Watch | None = None) -> list[OutboxRow]:
        """All queued and sent notifications (of one watch), oldest first."""
        where, params = ("WHERE watch_id = ?", [watch.id]) if watch else ("", [])
        rows = self.db.query(f"SELECT * FROM outbox {where} ORDER BY id", params)
        return [outbox_from_row(r) for r in rows]

    def check_row(self, check_id: int) -> dict[str, Any]:
        """One row of ``checks``."""
        row = self._row("checks", "id = ?", [check_id])
        if row is None:
            raise UsageError(f"no check with id {check_id}")
        return row

    def record_check(self, record: CheckRecord) -> Recorded:
        """Write one check, with its new snapshot and change if any, in one transaction."""
        with self.transaction():
            return self._write_check(record)

    def _write_check(self, record: CheckRecord) -> Recorded:
        self._check_baseline(record)
        snapshot_id, version = record.snapshot_id, None
        if record.new_snapshot is not None:
            snapshot_id, version = self._insert_snapshot(record)
        change_id = self._insert_change(record, snapshot_id) if record.change else None
        check_id = self._insert("checks", _check_row(record, snapshot_id, change_id))
        for item in record.events:
            self._insert("outbox", _outbox_row(record, item, check_id, change_id))
        self._update_watch(record.watch_id, _watch_state(record, snapshot_id))
        return Recorded(check_id, snapshot_id, change_id, version)

    def _check_baseline(self, record: CheckRecord) -> None:
        """Refuse a check decided against a baseline that has changed since (another process
        checked the same watch meanwhile); the caller decides again."""
        if record.status.is_good:
            self._check_baseline_is(record.watch_id, record.baseline_id)

    def _check_baseline_is(self, watch_id: int, expected: int | None) -> None:
        row = self.db.execute(
            "SELECT current_snapshot_id FROM watches WHERE id = ?", [watch_id]
        ).fetchone()
        if row is not None and row[0] != expected:
            raise StaleBaselineError(f"watch {watch_id}: baseline is {row[0]}, not {expected}")

    def last_good_final_url(self, watch_id: int) -> str | None:
        """Where the last check that saw the article ended (after redirects)."""
        row = self.db.execute(
            "SELECT final_url FROM checks WHERE watch_id = ? AND snapshot_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            [watch_id],
        ).fetchone()
        return str(row[0]) if row and row[0] else None

    def _insert_snapshot(self, record: CheckRecord) -> tuple[int, int]:
        assert record.new_snapshot is not None
        return self._insert_version(record.watch_id, record.new_snapshot, record.checked_at)

    def add_baseline(
        self, watch_id: int, new: NewSnapshot, created_at: str, *, expected_current: int
    ) -> int:
        """Store a re-extraction of the current version as the new baseline: a version that
        is no change (no ``changes`` row, no notification). Its version number. Refused
        (StaleBaselineError) if a check stored another version meanwhile."""
        with self.transaction():
            self._check_baseline_is(watch_id, expected_current)
            snapshot_id, version = self._insert_version(watch_id, new, created_at, "reextract")
            self.db.execute(
                "UPDATE watches SET current_snapshot_id = ?, content_key = NULL WHERE id = ?",
                [snapshot_id, watch_id],
            )
        return version

    def mark_extracted(
        self, snapshot_id: int, extractor_version: str, confidence: Confidence
    ) -> None:
        """Record that today's extractor gives this version's text again (with this
        confidence): derived facts about a version, never its text."""
        with self.transaction():
            self.db.execute(
                "UPDATE snapshots SET extractor_version = ?, confidence = ?, "
                "confidence_reason = ? WHERE id = ?",
                [
                    extractor_version,
                    confidence.level or None,
                    confidence.reason or None,
                    snapshot_id,
                ],
            )

    def _insert_version(
        self, watch_id: int, new: NewSnapshot, created_at: str, origin: str = "fetch"
    ) -> tuple[int, int]:
        version = (
            1
            + self.db.execute(
                "SELECT coalesce(max(version), 0) FROM snapshots WHERE watch_id = ?",
                [watch_id],
            ).fetchone()[0]
        )
        row = {
            "watch_id": watch_id,
            "version": version,
            "created_at": created_at,
            "origin": origin,
            "title": new.title,
            "text": new.text,
            "text_sha256": new.text_sha256,
            "metadata_json": json.dumps(new.metadata.as_dict(), ensure_ascii=False),
            "final_url": new.final_url,
            "extractor": new.extractor,
            "extractor_version": new.extractor_version,
            "confidence": new.confidence.level or None,
            "confidence_reason": new.confidence.reason or None,
            "html_gz": new.html_gz if new.html_gz is not None else zlib.compress(new.raw, 6),
            "html_encoding": new.encoding,
        }
        return self._insert("snapshots", row), version

    def _insert_change(self, record: CheckRecord, snapshot_id: int | None) -> int:
        change = record.change
        assert change is not None
        row = {
            "watch_id": record.watch_id,
            "old_snapshot_id": change.old_snapshot_id,
            "new_snapshot_id": change.new_snapshot_id or snapshot_id,
            "detected_at": record.checked_at,
            "kind": change.kind,
            "chars_added": change.chars_added,
            "chars_removed": change.chars_removed,
            "share_changed": change.share_changed,
            "silent_edit": int(change.silent_edit),
            "diff_json": change.diff_json,
        }
        return self._insert("changes", row)

    def _insert(self, table: str, row: dict[str, Any]) -> int:
        """INSERT one row; its id."""
        cursor = self.db.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        return int(cursor.lastrowid or 0)

    def _update_watch(self, watch_id: int, state: dict[str, Any]) -> None:
        """UPDATE watches; values marked by :func:`_increment` become ``column + 1``."""
        sets, params = [], []
        for column, value in state.items():
            if isinstance(value, _Increment):
                sets.append(f"{column} = {column} + 1")
            else:
                sets.append(f"{column} = ?")
                params.append(value)
        self.db.execute(f"UPDATE watches SET {', '.join(sets)} WHERE id = ?", [*params, watch_id])

    def _row(self, table: str, where: str, params: list[Any]) -> dict[str, Any] | None:
        return next(self.db.query(f"SELECT * FROM {table} WHERE {where} LIMIT 1", params), None)


def _check_row(
    record: CheckRecord, snapshot_id: int | None, change_id: int | None
) -> dict[str, Any]:
    return {
        "watch_id": record.watch_id,
        "checked_at": record.checked_at,
        "status": record.status.value,
        "http_status": record.http_status,
        "duration_ms": record.duration_ms,
        "error": record.error,
        "final_url": record.final_url,
        "size": record.size,
        "attempts": record.attempts,
        "candidate_sha256": record.candidate_sha256,
        "snapshot_id": snapshot_id,
        "change_id": change_id,
    }


def _matched(config: Config, rows: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The watch each config.toml entry is: the one with its URL, else the oldest article a
    feed found with its URL key (each adopted by one entry at most)."""
    exact = {entry.url for entry in config.watches if entry.url in rows}
    articles: dict[str, dict[str, Any]] = {}
    for row in sorted(rows.values(), key=lambda r: r["id"]):
        if row["feed_id"] is not None and row["url_key"] and row["url"] not in exact:
            articles.setdefault(row["url_key"], row)
    matched: dict[str, dict[str, Any]] = {}
    for entry in config.watches:
        found = rows.get(entry.url) or articles.pop(url_key(entry.url), None)
        if found is not None:
            matched[entry.url] = found
    return matched


def _names_to_release(
    config: Config, wanted: dict[str, dict[str, Any]], rows: dict[str, dict[str, Any]]
) -> tuple[list[int], list[tuple[int, str]]]:
    """Watches whose name config.toml now gives to another URL: they keep their history,
    findable by URL or id (a feed article gets ``name (2)``: config names win over feed
    titles). A name held by a watch added with `monitor add` is an error."""
    holders = {row["name"]: row for row in rows.values() if row["name"]}
    released, renamed = [], []
    for url, values in wanted.items():
        holder = holders.get(values["name"]) if values["name"] else None
        if holder is None or holder["url"] == url:
            continue
        if holder["source"] == "feed" and holder["url"] not in wanted:
            renamed.append((holder["id"], str(values["name"])))
            continue
        if holder["source"] != "config" and holder["active"] and holder["url"] not in wanted:
            raise ConfigError(
                f"the name {values['name']!r} belongs to watch {holder['id']} "
                f"({holder['url']}), added with `monitor add`",
                path=config.path,
                key="watch.name",
            )
        released.append(holder["id"])
    return released, renamed


_MAX_ROW_ID = 2**63 - 1
#: What a feed article becomes when config.toml or `monitor add` takes its URL: an ordinary
#: watch, checked on its interval (the dispatcher of feed articles no longer sees it).
_ADOPTED = {"feed_id": None, "retired_at": None, "duplicate_of": None}


def _is_row_id(value: int) -> bool:
    """Whether ``value`` can be an SQLite row id (a bigger integer overflows SQLite)."""
    return 0 <= value <= _MAX_ROW_ID


def _config_values(
    entry: WatchConfig, existing: dict[str, Any] | None, default_interval: float
) -> dict[str, Any]:
    """The columns of ``watches`` that a config.toml entry sets, its interval the one it is
    checked on (its own, else the config's), so what the database says is what the daemon
    does. A watch added with `monitor add` stays one (removing the entry later does not
    deactivate it), and keeps its name unless the entry gives one."""
    values: dict[str, Any] = {
        "name": entry.name,
        "interval_s": entry.interval or default_interval,
        "rules_json": rules_json(entry.rules),
        "source": "config",
        "active": 1,
    }
    if existing is not None and existing["feed_id"] is not None:
        values.update(_ADOPTED)  # a feed article config.toml now names: an ordinary watch
        if entry.name is None:
            values["name"] = existing["name"]
    elif existing is not None and existing["source"] != "config":
        values["source"] = existing["source"]
        if entry.name is None:
            values["name"] = existing["name"]
    return values


def _outbox_row(
    record: CheckRecord, item: OutboxItem, check_id: int, change_id: int | None
) -> dict[str, Any]:
    return {
        "created_at": record.checked_at,
        "kind": item.kind,
        "channel": item.channel,
        "watch_id": record.watch_id,
        "check_id": check_id,
        "change_id": change_id,
        "payload_json": json.dumps(dict(item.payload), ensure_ascii=False),
        "state": "pending",
    }


def _watch_state(record: CheckRecord, snapshot_id: int | None) -> dict[str, Any]:
    """The columns of ``watches`` a check updates."""
    status = record.status
    state: dict[str, Any] = {
        "last_check_at": record.checked_at,
        "last_status": status.value,
        "last_error": record.error,
    }
    if record.next_check_at is not None:
        state["next_check_at"] = record.next_check_at
    if status.is_error:
        state["error_streak"] = _increment("error_streak")
        gone = status is CheckStatus.GONE or (
            status is CheckStatus.HTTP_ERROR and record.http_status in (404, 410)
        )
        state["gone_streak"] = _increment("gone_streak") if gone else 0
    else:
        state.update(_good_state(record, snapshot_id))
    if record.retired_at is not None:
        state.update(
            active=0,
            retired_at=record.retired_at,
            next_check_at=None,
            duplicate_of=record.duplicate_of,
        )
    return state


def _good_state(record: CheckRecord, snapshot_id: int | None) -> dict[str, Any]:
    """The columns a check that saw the article updates."""
    state: dict[str, Any] = {"error_streak": 0, "gone_streak": 0}
    if snapshot_id is not None:
        state["current_snapshot_id"] = snapshot_id
    if record.status is not CheckStatus.NOT_MODIFIED:
        state.update(
            etag=record.etag, last_modified=record.last_modified, content_key=record.content_key
        )
    if record.change is not None:
        state["last_change_at"] = record.checked_at
    if record.new_snapshot is not None:
        state["canonical_key"] = canonical_key(record.new_snapshot.metadata.canonical_url)
    return state


class _Increment:
    """Marks a column update as ``column + 1`` (see ``SnapshotStore._update_watch``)."""


def _increment(column: str) -> Any:
    return _Increment()

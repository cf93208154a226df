"""The snapshot database (SQLite through sqlite-utils): the only place SQL is written.

Tables (see the README for every column), each group with its repository:

* ``watches``                 :mod:`.watches`   watched URLs and their state
* ``snapshots``, ``checks``   :mod:`.versions`  versions of articles, and every fetch
* ``changes``                 :mod:`.changes`   detected changes with their diffs
* ``outbox``                  :mod:`.outbox`    notifications and reports to deliver
* ``feeds`` and what feeds found   :mod:`.feeds`
* ``snapshots_fts``           :mod:`.search`    full-text index (FTS5, trigram)

:class:`Database` (:mod:`.database`) is the connection, transactions and migrations.
:class:`StoreReader` holds the readers of every group and has no write method at all;
:class:`Store` holds the writers, and writes what spans groups (a check: its version, change,
notifications and the watch's state) in one transaction. :class:`~.read.ReadOnlyStore` is a
StoreReader over a read-only connection, for the web UI.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path

from monitor.config import Config, Rules
from monitor.errors import StoreError
from monitor.models import Confidence
from monitor.store.changes import ChangeReader, Changes
from monitor.store.database import Database
from monitor.store.feeds import FeedReader, Feeds
from monitor.store.outbox import Outbox, OutboxReader
from monitor.store.records import (
    CheckRecord,
    FailureState,
    NewChange,
    NewSnapshot,
    OutboxItem,
    OutboxRow,
    Recorded,
    Snapshot,
    Watch,
    utcnow,
)
from monitor.store.schema import SCHEMA_VERSION
from monitor.store.versions import Baseline, VersionReader, Versions
from monitor.store.watches import Queued, Requested, Scheduled, Watches, WatchReader

__all__ = [
    "SCHEMA_VERSION",
    "Baseline",
    "CheckRecord",
    "Database",
    "FailureState",
    "NewChange",
    "NewSnapshot",
    "OutboxItem",
    "OutboxRow",
    "Queued",
    "Recorded",
    "Requested",
    "Scheduled",
    "Snapshot",
    "Store",
    "StoreReader",
    "Watch",
    "utcnow",
]


class StoreReader:
    """Every repository's reads over one :class:`Database`; nothing here writes."""

    watches: WatchReader
    versions: VersionReader
    changes: ChangeReader
    outbox: OutboxReader
    feeds: FeedReader

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.db  # the sqlite-utils database, for the repositories and tests
        self.watches = WatchReader(database)
        self.versions = VersionReader(database)
        self.changes = ChangeReader(database)
        self.outbox = OutboxReader(database)
        self.feeds = FeedReader(database)

    @property
    def path(self) -> str:
        """The database file."""
        return self.database.path

    @property
    def schema_version(self) -> int:
        """The schema version of the open file."""
        return self.database.schema_version

    def close(self) -> None:
        """Close the connection (a writable one leaves the file whole)."""
        self.database.close()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Store(StoreReader):
    """The database opened for writing (created and migrated as needed), with every
    repository's writes."""

    watches: Watches
    versions: Versions
    changes: Changes
    outbox: Outbox
    feeds: Feeds

    def __init__(self, path: str | Path) -> None:
        database = Database(path)
        super().__init__(database)
        self.watches = Watches(database)
        self.versions = Versions(database)
        self.changes = Changes(database)
        self.outbox = Outbox(database)
        self.feeds = Feeds(database)

    def __enter__(self) -> Store:
        return self

    def transaction(self) -> AbstractContextManager[None]:
        """One write transaction (see :meth:`Database.transaction`)."""
        return self.database.transaction()

    def sync_config(self, config: Config, *, deactivate: bool = True) -> None:
        """Make the watches and feeds of config.toml match the file (with ``deactivate``,
        those no longer in it stop being checked; their history stays)."""
        self.watches.sync_config(config, deactivate=deactivate)
        self.feeds.sync_config(config, deactivate=deactivate)

    def record_check(self, record: CheckRecord) -> Recorded:
        """Write one check, with its new version, change and notifications if any, and the
        watch's new state, in one transaction. A check decided against a baseline another
        process has replaced meanwhile is refused (StaleBaselineError)."""
        with self.database.transaction():
            return self._write_check(record)

    def record_checks(self, records: Sequence[CheckRecord]) -> list[Recorded | Exception]:
        """Write several checks in one transaction, one commit for all, each in a savepoint
        of its own: a check that cannot be written (a stale baseline, a constraint, any
        error) is undone alone and its error takes its place in the list; the others are
        written. If the transaction itself fails, none is written (StoreError)."""
        outcomes: list[Recorded | Exception] = []
        with self.database.transaction():
            for record in records:
                try:
                    with self.database.savepoint():
                        outcomes.append(self._write_check(record))
                except Exception as exc:  # that check alone failed ...
                    if not self.database.conn.in_transaction:  # ... unless it ended them all
                        raise StoreError(f"cannot write to {self.path}: {exc}") from exc
                    outcomes.append(exc)
        return outcomes

    def add_checked_watch(
        self, url: str, first_check: CheckRecord, *, name: str | None, interval: float | None
    ) -> tuple[Watch, Recorded]:
        """Add a new watch of ``url`` (`monitor add`) with its first check, decided before
        the watch was stored, in one transaction; the watch and what the check wrote. A URL
        a feed found is adopted with ``watches.add`` and checked as usual instead."""
        with self.database.transaction():
            watch_id = self.watches.insert(url, name, interval, Rules(), "cli", new_only=True)
            first = replace(first_check, watch_id=watch_id, baseline_id=None)
            recorded = self._write_check(first)
        return self.watches.get(watch_id), recorded

    def add_baseline(
        self, watch_id: int, new: NewSnapshot, created_at: str, *, expected_current: int
    ) -> int:
        """Store a re-extraction of the current version as the new baseline: a version that
        is no change (no ``changes`` row, no notification). Its version number. Refused
        (StaleBaselineError) if a check stored another version meanwhile."""
        with self.database.transaction():
            self.versions.check_baseline(watch_id, expected_current)
            snapshot_id, version = self.versions.insert(watch_id, new, created_at, "reextract")
            self.watches.set_baseline(watch_id, snapshot_id)
        return version

    def mark_extracted(
        self, snapshot_id: int, extractor_version: str, confidence: Confidence
    ) -> None:
        """Record that today's extractor gives this version's text again (with this
        confidence), as `monitor reextract` and a check after an upgrade find."""
        with self.database.transaction():
            self.versions.mark_extracted(snapshot_id, extractor_version, confidence)

    def _write_check(self, record: CheckRecord) -> Recorded:
        if record.status.is_good:
            self.versions.check_baseline(record.watch_id, record.baseline_id)
        snapshot_id, version = record.snapshot_id, None
        if record.new_snapshot is not None:
            snapshot_id, version = self.versions.insert(
                record.watch_id, record.new_snapshot, record.checked_at
            )
        change_id = self.changes.insert(record, snapshot_id) if record.change else None
        check_id = self.versions.insert_check(record, snapshot_id, change_id)
        for item in record.events:
            self.outbox.enqueue(record, item, check_id, change_id)
        self.watches.update_state(record, snapshot_id)
        return Recorded(check_id, snapshot_id, change_id, version)

"""The schema of the snapshot database and its migrations.

The schema version is SQLite's ``user_version``; :data:`MIGRATIONS` brings an older file up to
date, one named step at a time, each in its own transaction.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Callable

import sqlite_utils

log = logging.getLogger(__name__)


def create_tables(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE watches (
            id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, name TEXT UNIQUE,
            interval_s REAL, rules_json TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL DEFAULT 'cli', active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL, current_snapshot_id INTEGER,
            etag TEXT, last_modified TEXT, content_key TEXT,
            last_check_at TEXT, last_status TEXT, last_error TEXT,
            error_streak INTEGER NOT NULL DEFAULT 0, gone_streak INTEGER NOT NULL DEFAULT 0,
            next_check_at TEXT, last_change_at TEXT)"""
    )
    db.execute(
        """CREATE TABLE snapshots (
            id INTEGER PRIMARY KEY, watch_id INTEGER NOT NULL REFERENCES watches(id),
            version INTEGER NOT NULL, created_at TEXT NOT NULL, title TEXT NOT NULL,
            text TEXT NOT NULL, text_sha256 TEXT NOT NULL, metadata_json TEXT NOT NULL,
            final_url TEXT, extractor TEXT NOT NULL, html_gz BLOB, html_encoding TEXT,
            UNIQUE (watch_id, version))"""
    )
    db.execute("CREATE INDEX snapshots_watch_sha ON snapshots (watch_id, text_sha256)")
    db.execute(
        """CREATE TABLE changes (
            id INTEGER PRIMARY KEY, watch_id INTEGER NOT NULL REFERENCES watches(id),
            old_snapshot_id INTEGER REFERENCES snapshots(id),
            new_snapshot_id INTEGER NOT NULL REFERENCES snapshots(id),
            detected_at TEXT NOT NULL, kind TEXT NOT NULL,
            chars_added INTEGER NOT NULL, chars_removed INTEGER NOT NULL,
            share_changed REAL NOT NULL, silent_edit INTEGER NOT NULL DEFAULT 0,
            diff_json TEXT NOT NULL)"""
    )
    db.execute("CREATE INDEX changes_watch ON changes (watch_id, id)")
    db.execute(
        """CREATE TABLE checks (
            id INTEGER PRIMARY KEY, watch_id INTEGER NOT NULL REFERENCES watches(id),
            checked_at TEXT NOT NULL, status TEXT NOT NULL, http_status INTEGER,
            duration_ms INTEGER NOT NULL DEFAULT 0, error TEXT, final_url TEXT,
            size INTEGER NOT NULL DEFAULT 0, attempts INTEGER NOT NULL DEFAULT 1,
            candidate_sha256 TEXT, snapshot_id INTEGER REFERENCES snapshots(id),
            change_id INTEGER REFERENCES changes(id))"""
    )
    db.execute("CREATE INDEX checks_watch ON checks (watch_id, id)")
    _enable_fts(db)


def _enable_fts(db: sqlite_utils.Database) -> None:
    """Full-text search over snapshots; trigram finds Japanese substrings without spaces."""
    try:
        db.table("snapshots").enable_fts(
            ["title", "text"], tokenize="trigram", create_triggers=True
        )
    except sqlite3.OperationalError:
        log.warning("this SQLite has no trigram tokenizer; full-text search uses unicode61")
        db.table("snapshots").enable_fts(["title", "text"], create_triggers=True)


def add_outbox(db: sqlite_utils.Database) -> None:
    """Notifications to send, written with the check that raised them (the outbox pattern).

    ``state``: pending -> claimed -> sent | failed; a row claimed by a process that died is
    never sent again (it may have been delivered), so nobody is notified twice.
    """
    db.execute(
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, kind TEXT NOT NULL,
            channel TEXT NOT NULL, watch_id INTEGER NOT NULL REFERENCES watches(id),
            check_id INTEGER REFERENCES checks(id), change_id INTEGER REFERENCES changes(id),
            payload_json TEXT NOT NULL DEFAULT '{}', state TEXT NOT NULL DEFAULT 'pending',
            attempts INTEGER NOT NULL DEFAULT 0, not_before TEXT, updated_at TEXT, error TEXT)"""
    )
    db.execute("CREATE INDEX outbox_state ON outbox (state, id)")


def add_snapshot_origin(db: sqlite_utils.Database) -> None:
    """Where a version came from: a fetch, or `monitor reextract` (a new extraction baseline)."""
    db.execute("ALTER TABLE snapshots ADD COLUMN origin TEXT NOT NULL DEFAULT 'fetch'")


#: Schema migrations; index + 1 is the schema version each one produces.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    create_tables,
    add_outbox,
    add_snapshot_origin,
)
SCHEMA_VERSION = len(MIGRATIONS)

"""The schema of the snapshot database and its migrations.

The schema version is SQLite's ``user_version``; :data:`MIGRATIONS` brings an older file up to
date, one named step at a time, each in its own transaction.
"""

from __future__ import annotations

import json
import logging
import re
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


def add_feeds(db: sqlite_utils.Database) -> None:
    """Followed feeds and sitemaps, the watches they found, and feed-side metadata changes.

    ``watches`` gains: ``feed_id`` (the feed that found it), ``url_key`` (its URL without
    tracking parameters or fragment), ``canonical_key`` (the key of the page's
    ``<link rel=canonical>``), ``published_at``, ``feed_title``, ``feed_summary``,
    ``retired_at`` (no more checks: too old, or a duplicate) and ``duplicate_of``.
    Idempotent: a column or table already there is left as it is.
    """
    db.execute(
        """CREATE TABLE IF NOT EXISTS feeds (
            id INTEGER PRIMARY KEY, url TEXT NOT NULL UNIQUE, name TEXT UNIQUE,
            interval_s REAL NOT NULL DEFAULT 900, rules_json TEXT NOT NULL DEFAULT '{}',
            schedule_json TEXT NOT NULL DEFAULT '{}', max_age_s REAL,
            source TEXT NOT NULL DEFAULT 'config', active INTEGER NOT NULL DEFAULT 1,
            created_at TEXT NOT NULL, etag TEXT, last_modified TEXT, last_polled_at TEXT,
            last_status TEXT, last_error TEXT, error_streak INTEGER NOT NULL DEFAULT 0,
            last_entries INTEGER NOT NULL DEFAULT 0)"""
    )
    for column, declaration in (
        ("feed_id", "INTEGER REFERENCES feeds(id)"),
        ("url_key", "TEXT"),
        ("canonical_key", "TEXT"),
        ("published_at", "TEXT"),
        ("feed_title", "TEXT"),
        ("feed_summary", "TEXT"),
        ("retired_at", "TEXT"),
        ("duplicate_of", "INTEGER REFERENCES watches(id)"),
    ):
        _add_column(db, "watches", column, declaration)
    db.execute(
        """CREATE TABLE IF NOT EXISTS feed_entry_changes (
            id INTEGER PRIMARY KEY, watch_id INTEGER NOT NULL REFERENCES watches(id),
            feed_id INTEGER REFERENCES feeds(id), detected_at TEXT NOT NULL,
            field TEXT NOT NULL, old TEXT, new TEXT)"""
    )
    for sql in (
        "CREATE INDEX IF NOT EXISTS watches_url_key ON watches (url_key)",
        "CREATE INDEX IF NOT EXISTS watches_canonical_key ON watches (canonical_key)",
        "CREATE INDEX IF NOT EXISTS watches_feed ON watches (feed_id)",
        "CREATE INDEX IF NOT EXISTS watches_due ON watches (next_check_at) "
        "WHERE active = 1 AND feed_id IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS feed_entry_changes_watch ON feed_entry_changes (watch_id, id)",
    ):
        db.execute(sql)
    _fill_keys(db)


def _add_column(db: sqlite_utils.Database, table: str, column: str, declaration: str) -> None:
    if column not in db.table(table).columns_dict:
        db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")


def _fill_keys(db: sqlite_utils.Database, *, every: bool = False) -> None:
    """URL keys of the watches without one (``every``: of all watches), and canonical keys
    from their current version."""
    from monitor.urls import canonical_key, url_key

    rows = db.execute(
        "SELECT w.id, w.url, s.metadata_json FROM watches w "
        "LEFT JOIN snapshots s ON s.id = w.current_snapshot_id"
        + ("" if every else " WHERE w.url_key IS NULL")
    ).fetchall()
    for watch_id, url, metadata in rows:
        canonical = json.loads(metadata).get("canonical_url") if metadata else None
        db.execute(
            "UPDATE watches SET url_key = ?, canonical_key = ? WHERE id = ?",
            [url_key(url), canonical_key(canonical), watch_id],
        )


def add_feed_options(db: sqlite_utils.Database) -> None:
    """Feeds gain ``any_host`` (accept articles on other sites), ``max_new`` (new watches one
    poll may add), ``kind`` (what the last poll read: ``rss``, ``sitemapindex``...),
    ``children_json`` (a sitemap index's child sitemaps: their validators and entry counts)
    and ``baseline_at`` (the first successful poll, whose undated entries are the site's back
    catalogue). ``feed_baseline`` keeps those undated entries' URL keys: never watched, never
    new. Feeds' validators are cleared, so the next poll learns each feed's kind.
    Idempotent.
    """
    for column, declaration in (
        ("any_host", "INTEGER NOT NULL DEFAULT 0"),
        ("max_new", "INTEGER NOT NULL DEFAULT 500"),
        ("kind", "TEXT"),
        ("children_json", "TEXT"),
        ("baseline_at", "TEXT"),
    ):
        _add_column(db, "feeds", column, declaration)
    db.execute(
        """CREATE TABLE IF NOT EXISTS feed_baseline (
            feed_id INTEGER NOT NULL REFERENCES feeds(id), url_key TEXT NOT NULL,
            PRIMARY KEY (feed_id, url_key)) WITHOUT ROWID"""
    )
    db.execute(
        "UPDATE feeds SET baseline_at = last_polled_at WHERE baseline_at IS NULL "
        "AND (last_entries > 0 OR last_status IN ('ok', 'not_modified'))"
    )
    db.execute("UPDATE feeds SET etag = NULL, last_modified = NULL WHERE kind IS NULL")


def add_feed_warnings(db: sqlite_utils.Database) -> None:
    """Schema version 6. Feeds gain ``last_warning`` (what their last good poll skipped as
    off-site, or the child sitemaps it could not read); ``feed_sitemaps`` keeps every child
    sitemap a poll has read (the undated entries of one read for the first time are its back
    catalogue: a baseline, not new articles), filled from ``children_json``. Every watch's
    ``url_key`` and ``canonical_key`` are recomputed (version 5 changed what they are: ``ref``
    and other ``at_*`` parameters kept, hosts in punycode without a trailing dot). A feed
    whose articles include some on another site than its own gets ``any_host``, so it goes on
    finding them. Idempotent.
    """
    _add_column(db, "feeds", "last_warning", "TEXT")
    db.execute(
        """CREATE TABLE IF NOT EXISTS feed_sitemaps (
            feed_id INTEGER NOT NULL REFERENCES feeds(id), url TEXT NOT NULL,
            first_read_at TEXT, PRIMARY KEY (feed_id, url)) WITHOUT ROWID"""
    )
    for feed_id, children in db.execute(
        "SELECT id, children_json FROM feeds WHERE children_json IS NOT NULL"
    ).fetchall():
        db.conn.executemany(
            "INSERT OR IGNORE INTO feed_sitemaps (feed_id, url) VALUES (?, ?)",
            [(feed_id, url) for url in json.loads(children or "{}")],
        )
    _rekey_watches(db)
    _keep_other_sites(db)


def _rekey_watches(db: sqlite_utils.Database) -> None:
    """Every watch's keys as today's :func:`url_key` and :func:`canonical_key` make them. Two
    watches may now share a key (both stay): a later one found by a feed is retired as the
    duplicate of the earlier, as a check would have retired it."""
    _fill_keys(db, every=True)
    cursor = db.execute(
        "UPDATE watches SET duplicate_of = (SELECT min(o.id) FROM watches o "
        "WHERE o.url_key = watches.url_key AND o.id < watches.id), "
        "retired_at = coalesce(retired_at, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')), "
        "active = 0, next_check_at = NULL "
        "WHERE feed_id IS NOT NULL AND duplicate_of IS NULL AND EXISTS (SELECT 1 FROM watches o "
        "WHERE o.url_key = watches.url_key AND o.id < watches.id)"
    )
    if cursor.rowcount:
        log.info("%d articles found through feeds retired as duplicates", cursor.rowcount)


def _keep_other_sites(db: sqlite_utils.Database) -> None:
    """``any_host`` for each feed that found articles on other sites than its own (feeds
    never had to be on their articles' site before): an upgrade stops none of them."""
    from monitor.urls import same_site

    rows = db.execute(
        "SELECT f.id, f.url, w.url FROM feeds f JOIN watches w ON w.feed_id = f.id "
        "WHERE f.any_host = 0"
    ).fetchall()
    elsewhere = sorted({feed_id for feed_id, feed_url, url in rows if not same_site(url, feed_url)})
    for feed_id in elsewhere:
        db.execute("UPDATE feeds SET any_host = 1 WHERE id = ?", [feed_id])
        log.warning("feed %d found articles on other sites: any_host set", feed_id)


def add_snapshot_extraction(db: sqlite_utils.Database) -> None:
    """Versions gain ``extractor_version`` (the ``EXTRACTOR_VERSION`` whose text they hold:
    a check that finds an older one re-extracts the stored page first, so an upgrade raises
    no alert), ``confidence`` (``high``, ``medium`` or ``low``: how sure extraction was that
    the text is the article) and ``confidence_reason`` (why, in words); NULL for versions
    stored before. Idempotent, and independent of the migrations around it, so it can move
    to another number."""
    _add_column(db, "snapshots", "extractor_version", "TEXT")
    _add_column(db, "snapshots", "confidence", "TEXT")
    _add_column(db, "snapshots", "confidence_reason", "TEXT")


def add_watch_learning(db: sqlite_utils.Database) -> None:
    """Watches gain ``learned_json`` (what full analyses of the page learned: where its
    article is, what churns on it; see :mod:`monitor.extract.replay`; NULL: nothing yet,
    the next check analyses the page in full and fetches it twice) and ``learned_at``.
    Idempotent, and independent of the migrations around it."""
    _add_column(db, "watches", "learned_json", "TEXT")
    _add_column(db, "watches", "learned_at", "TEXT")


def add_snapshot_signals(db: sqlite_utils.Database) -> None:
    """Versions gain ``signals_json``: what the markup of the page a version was read from
    says the page is (:class:`monitor.identity.PageSignals`: gates such as a login form or
    a consent manager, ``og:type``), which judging a later page compares with. NULL for
    versions stored before: read from their stored page when needed, as before. Idempotent,
    and independent of the migrations around it."""
    _add_column(db, "snapshots", "signals_json", "TEXT")


def add_failure_notices(db: sqlite_utils.Database) -> None:
    """Schema version 10. Watches gain what their failure notices go by across restarts
    (:class:`~monitor.store.records.FailureState`, :mod:`monitor.notices`):
    ``failing_since`` (the first failed check of the failure a watch is in; NULL: its last
    check was good), ``failing_told_at`` (when that failure's ``failing`` notice was queued;
    NULL: not told) and ``recovered_at`` (when it last recovered from a failure that makes
    it flapping). Filled from what is stored, so an upgrade tells nothing twice: a failing
    watch's failure began at the first of its last ``error_streak`` checks, and was told if
    a ``failing`` notice was queued since; its last ``recovered`` notice is its last
    recovery. Idempotent, and independent of the migrations around it."""
    for column in ("failing_since", "failing_told_at", "recovered_at"):
        _add_column(db, "watches", column, "TEXT")
    rows = db.execute(
        "SELECT id, error_streak, last_check_at FROM watches "
        "WHERE error_streak > 0 AND failing_since IS NULL"
    ).fetchall()
    for watch_id, streak, last_check_at in rows:
        _fill_failure(db, watch_id, streak, last_check_at)
    db.execute(
        "UPDATE watches SET recovered_at = (SELECT max(o.created_at) FROM outbox o "
        "WHERE o.watch_id = watches.id AND o.kind = 'recovered') WHERE recovered_at IS NULL"
    )


def _fill_failure(
    db: sqlite_utils.Database, watch_id: int, streak: int, last_check_at: str | None
) -> None:
    """The failure a watch failing ``streak`` checks in a row is in: since the first of
    them, told if a ``failing`` notice was queued with one of them."""
    first = db.execute(
        "SELECT id, checked_at FROM checks WHERE watch_id = ? ORDER BY id DESC LIMIT 1 OFFSET ?",
        [watch_id, streak - 1],
    ).fetchone()
    first_id, since = first if first is not None else (0, last_check_at)
    told = db.execute(
        "SELECT min(created_at) FROM outbox WHERE watch_id = ? AND kind = 'failing' "
        "AND check_id >= ?",
        [watch_id, first_id],
    ).fetchone()[0]
    db.execute(
        "UPDATE watches SET failing_since = ?, failing_told_at = ? WHERE id = ?",
        [since, told, watch_id],
    )


def add_watch_as_added(db: sqlite_utils.Database) -> None:
    """Schema version 11. Watches gain ``added_json``: the name, interval and rules a watch
    added with `monitor add` had before a config.toml entry gave it its own (NULL: no entry
    does, or one did before this version, whose values are lost), so that removing the
    entry leaves the watch as it was added. Idempotent, and independent of the migrations
    around it."""
    _add_column(db, "watches", "added_json", "TEXT")


#: The tables whose ids leave the database (watch, version, change, check and feed ids in
#: URLs, the API, webhooks and the Atom feed's entry ids) or that a process holds while the
#: row may be deleted (an outbox row being sent): their ids are never used twice.
KEPT_IDS = ("feeds", "watches", "snapshots", "changes", "checks", "outbox", "feed_entry_changes")


def keep_ids(db: sqlite_utils.Database) -> None:
    """Schema version 12. The tables of :data:`KEPT_IDS` number their rows with
    ``AUTOINCREMENT``: a row gets an id above every id the table ever had, also after
    `monitor remove --purge` deleted the highest (without it SQLite takes the largest id
    left plus one, and a purged change's id went to the next change: its webhook, its Atom
    entry id and its /changes/ID page). The largest id so far is in ``sqlite_sequence``;
    ids purged before this upgrade above the largest left are not known, and not kept.

    SQLite adds AUTOINCREMENT only to a new table, so each is rebuilt the documented way
    (https://www.sqlite.org/lang_altertable.html#otheralter): a copy with the same rows
    and ids, the old table dropped, the copy renamed, its indexes and triggers (the
    full-text index's, whose rows keep their ids) made again. That needs foreign keys off,
    which only happens outside a transaction: :class:`~monitor.store.database.Database`
    turns them off around this step (:data:`REBUILDS`), and the step fails, undone, if
    it finds them on or if the rebuilt tables break a foreign key that held before.
    Idempotent: a table already numbered so is left as it is."""
    if db.execute("PRAGMA foreign_keys").fetchone()[0]:
        raise sqlite3.OperationalError("rebuilding tables needs PRAGMA foreign_keys = OFF")
    before = set(db.execute("PRAGMA foreign_key_check").fetchall())
    for table in KEPT_IDS:
        _autoincrement(db, table)
    broken = set(db.execute("PRAGMA foreign_key_check").fetchall()) - before
    if broken:
        raise sqlite3.IntegrityError(f"rebuilt tables break foreign keys: {sorted(broken)[:5]}")


def _autoincrement(db: sqlite_utils.Database, table: str) -> None:
    """Rebuild ``table`` with ``id INTEGER PRIMARY KEY AUTOINCREMENT``, rows and ids kept."""
    (sql,) = db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]
    ).fetchone()
    if "AUTOINCREMENT" in sql.upper():
        return
    opening = rf'^CREATE TABLE "?{table}"?\s*\(\s*id INTEGER PRIMARY KEY\s*,'
    rebuilt, found = re.subn(
        opening, f"CREATE TABLE {table}_new (id INTEGER PRIMARY KEY AUTOINCREMENT,", sql
    )
    if found != 1:
        raise sqlite3.OperationalError(f"unexpected schema of {table}: {sql[:80]}")
    others = [
        row[0]
        for row in db.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL ORDER BY rowid",
            [table],
        ).fetchall()
    ]
    columns = ", ".join(column.name for column in db.table(table).columns)
    db.execute(rebuilt)
    db.execute(f"INSERT INTO {table}_new ({columns}) SELECT {columns} FROM {table} ORDER BY id")
    db.execute(f"DROP TABLE {table}")
    # legacy: the rename leaves views and triggers that name the table (someone's own, in
    # a file read with sqlite3 or Datasette) as they are, not failing on it being dropped
    db.execute("PRAGMA legacy_alter_table = ON")
    try:
        db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")
    finally:
        db.execute("PRAGMA legacy_alter_table = OFF")
    for other in others:
        db.execute(other)


#: Schema migrations; index + 1 is the schema version each one produces.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (
    create_tables,
    add_outbox,
    add_snapshot_origin,
    add_feeds,
    add_feed_options,
    add_feed_warnings,
    add_snapshot_extraction,
    add_watch_learning,
    add_snapshot_signals,
    add_failure_notices,
    add_watch_as_added,
    keep_ids,
)
SCHEMA_VERSION = len(MIGRATIONS)
#: The schema version that added ``snapshots.confidence`` (its place in :data:`MIGRATIONS`).
CONFIDENCE_SCHEMA_VERSION = MIGRATIONS.index(add_snapshot_extraction) + 1
#: Migrations that rebuild tables: run with foreign keys off (checked before they commit).
REBUILDS = frozenset({keep_ids})

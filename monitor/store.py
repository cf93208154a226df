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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.config import Config, Rules
from monitor.errors import StoreError, UsageError
from monitor.models import CheckStatus, Metadata

log = logging.getLogger(__name__)


def utcnow() -> str:
    """The current time as UTC ISO-8601 with seconds precision."""
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Watch:
    """A watched URL and its state."""

    id: int
    url: str
    name: str | None
    interval: float | None
    rules: Rules
    source: str
    active: bool
    created_at: str
    current_snapshot_id: int | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_key: str | None = None
    last_check_at: str | None = None
    last_status: str | None = None
    last_error: str | None = None
    error_streak: int = 0
    gone_streak: int = 0
    next_check_at: str | None = None
    last_change_at: str | None = None

    @property
    def label(self) -> str:
        """The watch's name, or its URL when it has none."""
        return self.name or self.url


@dataclass(frozen=True)
class Snapshot:
    """One stored version of an article."""

    id: int
    watch_id: int
    version: int
    created_at: str
    title: str
    text: str
    text_sha256: str
    metadata: Metadata
    final_url: str | None
    extractor: str

    @property
    def document(self) -> str:
        """Title and body as one text, as compared and diffed."""
        return f"{self.title}\n{self.text}" if self.title else self.text


@dataclass(frozen=True)
class NewSnapshot:
    """A version to store."""

    title: str
    text: str
    text_sha256: str
    metadata: Metadata
    final_url: str | None
    extractor: str
    raw: bytes
    encoding: str | None


@dataclass(frozen=True)
class NewChange:
    """A change to store; ``new_snapshot_id`` None means the snapshot stored with it."""

    old_snapshot_id: int | None
    new_snapshot_id: int | None
    kind: str  # "changed" or "revert"
    chars_added: int
    chars_removed: int
    share_changed: float
    silent_edit: bool
    diff_json: str


@dataclass(frozen=True)
class CheckRecord:
    """Everything one check writes, in one transaction."""

    watch_id: int
    status: CheckStatus
    checked_at: str
    http_status: int | None = None
    duration_ms: int = 0
    error: str | None = None
    final_url: str | None = None
    size: int = 0
    attempts: int = 1
    candidate_sha256: str | None = None
    snapshot_id: int | None = None  # an existing snapshot this check saw (unchanged, revert)
    new_snapshot: NewSnapshot | None = None
    change: NewChange | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_key: str | None = None


@dataclass(frozen=True)
class Recorded:
    """Row ids written by :meth:`SnapshotStore.record_check`."""

    check_id: int
    snapshot_id: int | None
    change_id: int | None
    version: int | None


def _migration_1(db: sqlite_utils.Database) -> None:
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


#: Schema migrations; index + 1 is the schema version each one produces.
MIGRATIONS: tuple[Callable[[sqlite_utils.Database], None], ...] = (_migration_1,)
SCHEMA_VERSION = len(MIGRATIONS)


class SnapshotStore:
    """Reads and writes the snapshot database."""

    def __init__(self, path: str | Path, *, readonly: bool = False) -> None:
        self.path = str(path)
        try:
            self.db = sqlite_utils.Database(self._connect(readonly))
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA foreign_keys = ON")
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
        """Close the database connection."""
        self.db.close()

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
        """Add a watch; a URL or name that is already watched is a UsageError."""
        for column, value in (("url", url), ("name", name)):
            if value is not None and self._row("watches", f"{column} = ?", [value]):
                raise UsageError(f"{value} is already watched (see `monitor list`)")
        row = {
            "url": url,
            "name": name,
            "interval_s": interval,
            "rules_json": _rules_json(rules or Rules()),
            "source": source,
            "active": 1,
            "created_at": utcnow(),
        }
        with self.transaction():
            watch_id = self._insert("watches", row)
        return self.get_watch(watch_id)

    def sync_config(self, config: Config) -> None:
        """Make the watches of config.toml match the file: add, update, deactivate."""
        wanted = {w.url: w for w in config.watches}
        with self.transaction():
            for row in self.db.query("SELECT * FROM watches WHERE source = 'config'"):
                if row["url"] not in wanted and row["active"]:
                    self.db.table("watches").update(row["id"], {"active": 0})
            for url, entry in wanted.items():
                values = {
                    "name": entry.name,
                    "interval_s": entry.interval,
                    "rules_json": _rules_json(entry.rules),
                    "source": "config",
                    "active": 1,
                }
                existing = self._row("watches", "url = ?", [url])
                if existing:
                    self.db.table("watches").update(existing["id"], values)
                else:
                    self.db.table("watches").insert({"url": url, "created_at": utcnow(), **values})

    def get_watch(self, watch_id: int) -> Watch:
        """The watch with this id."""
        row = self._row("watches", "id = ?", [watch_id])
        if row is None:
            raise UsageError(f"no watch with id {watch_id}")
        return _watch(row)

    def find_watch(self, ref: str) -> Watch:
        """A watch by name, id or URL."""
        row = self._row("watches", "name = ? OR url = ?", [ref, ref])
        if row is None and ref.isdigit():
            row = self._row("watches", "id = ?", [int(ref)])
        if row is None:
            raise UsageError(f"no watch named {ref!r} (give a name, id or URL; see `monitor list`)")
        return _watch(row)

    def watches(self, *, active_only: bool = True) -> list[Watch]:
        """All watches, in id order."""
        where = "WHERE active = 1" if active_only else ""
        return [_watch(r) for r in self.db.query(f"SELECT * FROM watches {where} ORDER BY id")]

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
        return _snapshot(row)

    def current_snapshot(self, watch: Watch) -> Snapshot | None:
        """The version the watch's last good check saw: the baseline of the next comparison."""
        if watch.current_snapshot_id is None:
            return None
        return self.snapshot(watch.current_snapshot_id)

    def snapshot_by_sha(self, watch_id: int, sha: str) -> Snapshot | None:
        """An earlier version with exactly this text, if any."""
        row = self._row("snapshots", "watch_id = ? AND text_sha256 = ?", [watch_id, sha])
        return _snapshot(row) if row else None

    def snapshot_by_version(self, watch: Watch, version: int) -> Snapshot:
        """Version ``version`` (1 = first) of a watch."""
        row = self._row("snapshots", "watch_id = ? AND version = ?", [watch.id, version])
        if row is None:
            raise UsageError(f"{watch.label} has no version {version} (see `monitor log`)")
        return _snapshot(row)

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
        return [_snapshot(r) for r in rows]

    def raw_html(self, snapshot_id: int) -> tuple[bytes, str | None]:
        """The raw page bytes stored with a snapshot, and their encoding."""
        row = self._row("snapshots", "id = ?", [snapshot_id])
        if row is None or row["html_gz"] is None:
            return b"", None
        return zlib.decompress(row["html_gz"]), row["html_encoding"]

    # -- checks and changes ---------------------------------------------------------------

    def checks(self, watch: Watch, limit: int = 50) -> list[dict[str, Any]]:
        """The latest checks of a watch, newest first."""
        return list(
            self.db.query(
                "SELECT * FROM checks WHERE watch_id = ? ORDER BY id DESC LIMIT ?",
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

    def record_check(self, record: CheckRecord) -> Recorded:
        """Write one check, with its new snapshot and change if any, in one transaction."""
        with self.transaction():
            snapshot_id, version = record.snapshot_id, None
            if record.new_snapshot is not None:
                snapshot_id, version = self._insert_snapshot(record)
            change_id = self._insert_change(record, snapshot_id) if record.change else None
            check_id = self._insert("checks", _check_row(record, snapshot_id, change_id))
            self._update_watch(record.watch_id, _watch_state(record, snapshot_id))
        return Recorded(check_id, snapshot_id, change_id, version)

    def _insert_snapshot(self, record: CheckRecord) -> tuple[int, int]:
        new = record.new_snapshot
        assert new is not None
        version = (
            1
            + self.db.execute(
                "SELECT coalesce(max(version), 0) FROM snapshots WHERE watch_id = ?",
                [record.watch_id],
            ).fetchone()[0]
        )
        row = {
            "watch_id": record.watch_id,
            "version": version,
            "created_at": record.checked_at,
            "title": new.title,
            "text": new.text,
            "text_sha256": new.text_sha256,
            "metadata_json": json.dumps(new.metadata.as_dict(), ensure_ascii=False),
            "final_url": new.final_url,
            "extractor": new.extractor,
            "html_gz": zlib.compress(new.raw, 6),
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


def _watch_state(record: CheckRecord, snapshot_id: int | None) -> dict[str, Any]:
    """The columns of ``watches`` a check updates."""
    status = record.status
    state: dict[str, Any] = {
        "last_check_at": record.checked_at,
        "last_status": status.value,
        "last_error": record.error,
    }
    if status.is_error:
        state["error_streak"] = _increment("error_streak")
        gone = status is CheckStatus.GONE or (
            status is CheckStatus.HTTP_ERROR and record.http_status in (404, 410)
        )
        state["gone_streak"] = _increment("gone_streak") if gone else 0
        return state
    state.update(error_streak=0, gone_streak=0)
    if snapshot_id is not None:
        state["current_snapshot_id"] = snapshot_id
    if status is not CheckStatus.NOT_MODIFIED:
        state.update(
            etag=record.etag, last_modified=record.last_modified, content_key=record.content_key
        )
    if record.change is not None:
        state["last_change_at"] = record.checked_at
    return state


class _Increment:
    """Marks a column update as ``column + 1`` (see ``SnapshotStore._update_watch``)."""


def _increment(column: str) -> Any:
    return _Increment()


def _rules_json(rules: Rules) -> str:
    data = {k: list(v) for k, v in rules.__dict__.items() if v}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _watch(row: dict[str, Any]) -> Watch:
    rules = {k: tuple(v) for k, v in json.loads(row["rules_json"] or "{}").items()}
    return Watch(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        interval=row["interval_s"],
        rules=Rules(**rules),
        source=row["source"],
        active=bool(row["active"]),
        created_at=row["created_at"],
        current_snapshot_id=row["current_snapshot_id"],
        etag=row["etag"],
        last_modified=row["last_modified"],
        content_key=row["content_key"],
        last_check_at=row["last_check_at"],
        last_status=row["last_status"],
        last_error=row["last_error"],
        error_streak=row["error_streak"],
        gone_streak=row["gone_streak"],
        next_check_at=row["next_check_at"],
        last_change_at=row["last_change_at"],
    )


def _snapshot(row: dict[str, Any]) -> Snapshot:
    return Snapshot(
        id=row["id"],
        watch_id=row["watch_id"],
        version=row["version"],
        created_at=row["created_at"],
        title=row["title"],
        text=row["text"],
        text_sha256=row["text_sha256"],
        metadata=Metadata(**json.loads(row["metadata_json"])),
        final_url=row["final_url"],
        extractor=row["extractor"],
    )

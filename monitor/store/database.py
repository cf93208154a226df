"""The SQLite file itself: the connection, transactions, migrations and a few small helpers
that the repositories (:mod:`.watches`, :mod:`.versions`, :mod:`.changes`, :mod:`.outbox`,
:mod:`.feeds`) write their SQL with.

The database runs in WAL mode, so readers never block the writer. A write happens in one
``BEGIN IMMEDIATE`` transaction (:meth:`Database.transaction`): a crash at any moment leaves
all of it or none of it. Closing a writable database copies the write-ahead log into the
file, so the file alone holds every commit. The schema version is SQLite's
``user_version``; :data:`~monitor.store.schema.MIGRATIONS` brings an older file up to date.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlite_utils

from monitor.errors import StoreError
from monitor.store.schema import MIGRATIONS, REBUILDS, SCHEMA_VERSION

log = logging.getLogger(__name__)

_MAX_ROW_ID = 2**63 - 1


class Database:
    """One connection to the database at ``path``.

    ``readonly`` opens an existing file with ``mode=ro`` and ``query_only`` (it is never
    migrated nor written); ``shared`` lets the connection move between threads, one at a
    time, as a pool hands it out.
    """

    def __init__(self, path: str | Path, *, readonly: bool = False, shared: bool = False) -> None:
        self.path = str(path)
        self.readonly = readonly
        try:
            self.db = sqlite_utils.Database(self._connect(shared))
            self.db.execute("PRAGMA busy_timeout = 10000")
            self.db.execute("PRAGMA foreign_keys = ON")
            # WAL + NORMAL: a killed process loses no commit; only a power cut can lose the
            # last few, and none corrupts the file. One fsync per checkpoint, not per check.
            self.db.execute("PRAGMA synchronous = NORMAL")
            if readonly:
                self.db.execute("PRAGMA query_only = ON")
            else:
                self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {self.path}: {exc}") from exc

    def _connect(self, shared: bool) -> sqlite3.Connection:
        if self.path == ":memory:":
            return sqlite3.connect(":memory:", check_same_thread=not shared)
        path = Path(self.path)
        if self.readonly:
            if not path.is_file():
                raise StoreError(f"no database at {self.path} (nothing has been checked yet)")
            uri = f"{path.resolve().as_uri()}?mode=ro"
            return sqlite3.connect(uri, uri=True, check_same_thread=not shared)
        path.parent.mkdir(parents=True, exist_ok=True)
        return sqlite3.connect(path, check_same_thread=not shared)

    @property
    def conn(self) -> sqlite3.Connection:
        """The sqlite3 connection."""
        return self.db.conn

    def close(self) -> None:
        """Close the connection, leaving the file whole: what the write-ahead log holds is
        copied into it first (readers still open elsewhere do not stop that), so the file
        alone, copied or opened by any tool, has every commit."""
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
            rebuild = MIGRATIONS[number] in REBUILDS
            if rebuild and version:  # a copy of every row: seconds for a large file
                log.info(
                    "database %s: rebuilding its tables for schema version %d",
                    self.path,
                    number + 1,
                )
            with self._foreign_keys_off(rebuild), self.transaction():
                if self.schema_version > number:  # another process migrated meanwhile
                    continue
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version = {number + 1}")
            if rebuild:  # the log holds every page of the rebuilt tables: into the file now
                self.checkpoint()
            if version:  # a new file is created, not migrated: one line below
                log.info("database %s migrated to schema version %d", self.path, number + 1)
        if not version:
            log.info("database %s created (schema version %d)", self.path, SCHEMA_VERSION)

    @contextmanager
    def _foreign_keys_off(self, off: bool) -> Iterator[None]:
        """Foreign keys off (if ``off``) for the transaction inside: a migration that
        rebuilds a table drops it while others refer to it. The pragma changes nothing
        within a transaction, so it is set around one; the migration checks the keys
        itself before it commits."""
        if not off:
            yield
            return
        self.db.execute("PRAGMA foreign_keys = OFF")
        try:
            yield
        finally:
            self.db.execute("PRAGMA foreign_keys = ON")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction (BEGIN IMMEDIATE: writers queue up instead of failing)."""
        conn = self.conn
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

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the open transaction (:meth:`transaction`) that fails alone: if it
        raises, what it wrote is undone and the rest of the transaction stays (an SQLite
        error becomes StoreError). An error that ended the whole transaction is raised as
        it is: there is nothing left to undo."""
        conn = self.conn
        if not conn.in_transaction:  # alone, SAVEPOINT would open a transaction of its own
            raise StoreError(f"a savepoint of {self.path} needs an open transaction")
        conn.execute("SAVEPOINT part")
        try:
            yield
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK TO part")
                conn.execute("RELEASE part")
            if isinstance(exc, sqlite3.Error):
                raise StoreError(f"cannot write to {self.path}: {exc}") from exc
            raise
        conn.execute("RELEASE part")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """One read transaction: every query inside sees one state of the database, even
        while another process writes."""
        self.conn.execute("BEGIN")
        try:
            yield
        finally:
            self.conn.execute("COMMIT")

    # -- small helpers for the repositories --------------------------------------------------

    def row(self, table: str, where: str, params: list[Any]) -> dict[str, Any] | None:
        """The first row of ``table`` where ``where`` holds, or None."""
        return next(self.db.query(f"SELECT * FROM {table} WHERE {where} LIMIT 1", params), None)

    def insert(self, table: str, row: dict[str, Any]) -> int:
        """INSERT one row; its id."""
        cursor = self.db.execute(
            f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            list(row.values()),
        )
        return int(cursor.lastrowid or 0)

    def update(self, table: str, row_id: int, values: dict[str, Any]) -> None:
        """UPDATE one row by id."""
        self.db.table(table).update(row_id, values)


def is_row_id(value: int) -> bool:
    """Whether ``value`` can be an SQLite row id (a bigger integer overflows SQLite)."""
    return 0 <= value <= _MAX_ROW_ID

"""Detected changes: the ``changes`` table (old and new version, statistics, the diff's ops).

:class:`ChangeReader` only reads; :class:`Changes` also writes (inside the caller's
transaction, see :meth:`monitor.store.Store.record_check`).
"""

from __future__ import annotations

from typing import Any

from monitor.errors import UsageError
from monitor.store.database import Database
from monitor.store.records import CheckRecord, Watch


class ChangeReader:
    """Reads changes."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.db

    def of(self, watch: Watch) -> list[dict[str, Any]]:
        """All changes of a watch, oldest first."""
        return list(
            self.db.query("SELECT * FROM changes WHERE watch_id = ? ORDER BY id", [watch.id])
        )

    def get(self, change_id: int) -> dict[str, Any]:
        """One change row."""
        row = self.database.row("changes", "id = ?", [change_id])
        if row is None:
            raise UsageError(f"no change with id {change_id}")
        return row

    def between(self, watch_id: int, old_id: int, new_id: int) -> dict[str, Any] | None:
        """The latest stored change from one version to another, with its diff, or None."""
        return self.database.row(
            "changes",
            "watch_id = ? AND old_snapshot_id = ? AND new_snapshot_id = ? ORDER BY id DESC",
            [watch_id, old_id, new_id],
        )

    def flips(self, watch_id: int, one_id: int, other_id: int, within: int) -> int:
        """How many changes found by the last ``within`` checks went from one of two
        versions to the other, either way."""
        row = self.db.execute(
            "SELECT count(*) FROM changes WHERE id IN (SELECT change_id FROM checks "
            "WHERE watch_id = ? ORDER BY id DESC LIMIT ?) AND ("
            "(old_snapshot_id = ? AND new_snapshot_id = ?) OR "
            "(old_snapshot_id = ? AND new_snapshot_id = ?))",
            [watch_id, within, one_id, other_id, other_id, one_id],
        ).fetchone()
        return int(row[0])


class Changes(ChangeReader):
    """Reads and writes changes."""

    def insert(self, record: CheckRecord, snapshot_id: int | None) -> int:
        """The change a check found (to ``snapshot_id`` when it is a new version); its id."""
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
        return self.database.insert("changes", row)

"""Notifications and reports to deliver: the ``outbox`` table, written with the check that
raised them and delivered afterwards by :mod:`monitor.outbox`.

A row goes ``pending`` -> ``claimed`` (being sent) -> ``sent``, ``failed``, ``pending`` again
(a retry) or, after a crash while sending, ``unknown``: never sent twice.
"""

from __future__ import annotations

import json

from monitor.store.database import Database
from monitor.store.records import CheckRecord, OutboxItem, OutboxRow, Watch, outbox_from_row


class OutboxReader:
    """Reads the outbox."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.db

    def of(self, watch: Watch | None = None) -> list[OutboxRow]:
        """All queued and sent notifications (of one watch), oldest first."""
        where, params = ("WHERE watch_id = ?", [watch.id]) if watch else ("", [])
        rows = self.db.query(f"SELECT * FROM outbox {where} ORDER BY id", params)
        return [outbox_from_row(r) for r in rows]

    def due(self, now: str, limit: int = 100) -> list[OutboxRow]:
        """Pending notifications whose retry time has come, oldest first."""
        rows = self.db.query(
            "SELECT * FROM outbox WHERE state = 'pending' AND (not_before IS NULL OR "
            "not_before <= ?) ORDER BY id LIMIT ?",
            [now, limit],
        )
        return [outbox_from_row(r) for r in rows]


class Outbox(OutboxReader):
    """Reads and writes the outbox; each method but :meth:`enqueue` in a transaction."""

    def enqueue(
        self, record: CheckRecord, item: OutboxItem, check_id: int, change_id: int | None
    ) -> int:
        """A notification a check raised (in the check's transaction); its id."""
        row = {
            "created_at": record.checked_at,
            "kind": item.kind,
            "channel": item.channel,
            "watch_id": record.watch_id,
            "check_id": check_id,
            "change_id": change_id,
            "payload_json": json.dumps(dict(item.payload), ensure_ascii=False),
            "state": "pending",
        }
        return self.database.insert("outbox", row)

    def claim(self, row_id: int, now: str) -> bool:
        """Mark a pending notification as being sent; False if someone else has it."""
        with self.database.transaction():
            cursor = self.db.execute(
                "UPDATE outbox SET state = 'claimed', attempts = attempts + 1, updated_at = ? "
                "WHERE id = ? AND state = 'pending'",
                [now, row_id],
            )
        return cursor.rowcount == 1

    def finish(
        self,
        row_id: int,
        state: str,
        now: str,
        error: str | None = None,
        retry_at: str | None = None,
    ) -> None:
        """Record how sending went: sent, failed, or pending again (retry at ``retry_at``)."""
        with self.database.transaction():
            self.db.execute(
                "UPDATE outbox SET state = ?, updated_at = ?, error = ?, not_before = ? "
                "WHERE id = ?",
                [state, now, error, retry_at, row_id],
            )

    def abandon_claimed(
        self, channels_to_requeue: tuple[str, ...], now: str, claimed_before: str | None = None
    ) -> int:
        """After a crash: claimed rows of idempotent channels go back to pending; the others
        become 'unknown' (they may have been delivered, so they are never sent twice).
        ``claimed_before``: only rows claimed before then (a process still sending others)."""
        marks = ", ".join("?" * len(channels_to_requeue)) or "''"
        stale = "" if claimed_before is None else " AND updated_at < ?"
        older = [] if claimed_before is None else [claimed_before]
        with self.database.transaction():
            self.db.execute(
                f"UPDATE outbox SET state = 'pending', updated_at = ? "
                f"WHERE state = 'claimed' AND channel IN ({marks}){stale}",
                [now, *channels_to_requeue, *older],
            )
            cursor = self.db.execute(
                "UPDATE outbox SET state = 'unknown', updated_at = ?, error = 'the process "
                f"stopped while sending: it may or may not have been delivered' "
                f"WHERE state = 'claimed'{stale}",
                [now, *older],
            )
        return cursor.rowcount

"""The versions of articles and the checks that saw them: the ``snapshots`` and ``checks``
tables (and ``snapshots_fts``, which triggers keep in step with ``snapshots``).

:class:`VersionReader` only reads; :class:`Versions` also writes (inside the caller's
transaction, see :meth:`monitor.store.Store.record_check`).
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import Any

from monitor.errors import StaleBaselineError, UsageError
from monitor.models import Confidence
from monitor.store.database import Database
from monitor.store.records import CheckRecord, NewSnapshot, Snapshot, Watch, snapshot_from_row


@dataclass(frozen=True)
class Baseline:
    """Everything a check of a watch compares with, read at once: the current version, the
    text hashes the last checks saw (newest first), the versions the last good checks saw,
    and where the last good check ended (after redirects)."""

    current: Snapshot | None
    candidates: tuple[str | None, ...] = ()
    recent: frozenset[int] = frozenset()
    final_url: str | None = None


class VersionReader:
    """Reads versions and checks."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.db = database.db

    # -- versions ---------------------------------------------------------------------------

    def get(self, snapshot_id: int) -> Snapshot:
        """One version by snapshot id."""
        row = self.database.row("snapshots", "id = ?", [snapshot_id])
        if row is None:
            raise UsageError(f"no snapshot with id {snapshot_id}")
        return snapshot_from_row(row)

    def number(self, snapshot_id: int) -> int:
        """The version number of a snapshot (without reading its text)."""
        found = self.db.execute(
            "SELECT version FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchone()
        if found is None:
            raise UsageError(f"no snapshot with id {snapshot_id}")
        return int(found[0])

    def current(self, watch: Watch) -> Snapshot | None:
        """The version the watch's last good check saw: the baseline of the next comparison."""
        if watch.current_snapshot_id is None:
            return None
        return self.get(watch.current_snapshot_id)

    def by_sha(self, watch_id: int, sha: str) -> Snapshot | None:
        """An earlier version with exactly this text, if any."""
        row = self.database.row("snapshots", "watch_id = ? AND text_sha256 = ?", [watch_id, sha])
        return snapshot_from_row(row) if row else None

    def by_number(self, watch: Watch, version: int) -> Snapshot:
        """Version ``version`` (1 = first) of a watch."""
        row = self.database.row("snapshots", "watch_id = ? AND version = ?", [watch.id, version])
        if row is None:
            raise UsageError(f"{watch.label} has no version {version} (see `monitor log`)")
        return snapshot_from_row(row)

    def last_number(self, watch_id: int) -> int:
        """The number of a watch's latest version (0: none yet)."""
        row = self.db.execute(
            "SELECT MAX(version) FROM snapshots WHERE watch_id = ?", [watch_id]
        ).fetchone()
        return int(row[0] or 0)

    def at(self, watch: Watch, when: str) -> Snapshot:
        """The version a watch showed at time ``when`` (ISO-8601, UTC if no offset)."""
        row = self.db.execute(
            "SELECT snapshot_id FROM checks WHERE watch_id = ? AND snapshot_id IS NOT NULL "
            "AND checked_at <= ? ORDER BY id DESC LIMIT 1",
            [watch.id, when],
        ).fetchone()
        if row is None:
            raise UsageError(f"{watch.label} had no version yet at {when}")
        return self.get(int(row[0]))

    def of(self, watch: Watch) -> list[Snapshot]:
        """All versions of a watch, oldest first."""
        rows = self.db.query(
            "SELECT * FROM snapshots WHERE watch_id = ? ORDER BY version", [watch.id]
        )
        return [snapshot_from_row(r) for r in rows]

    def page(self, snapshot_id: int) -> tuple[bytes, str | None]:
        """The page as fetched, stored with a version, and its encoding."""
        row = self.db.execute(
            "SELECT html_gz, html_encoding FROM snapshots WHERE id = ?", [snapshot_id]
        ).fetchone()
        if row is None or row[0] is None:
            return b"", None
        return zlib.decompress(row[0]), row[1]

    def baseline(self, watch: Watch, candidates: int, seen: int) -> Baseline:
        """What a check of ``watch`` compares with (see :class:`Baseline`): the hashes of the
        last ``candidates`` checks and the versions of the last ``seen`` good checks."""
        hashes = self.recent_candidates(watch.id, candidates) if candidates else []
        good = self.db.execute(
            "SELECT snapshot_id, final_url FROM checks WHERE watch_id = ? "
            "AND snapshot_id IS NOT NULL ORDER BY id DESC LIMIT ?",
            [watch.id, max(seen, 1)],
        ).fetchall()
        return Baseline(
            current=self.current(watch),
            candidates=tuple(hashes),
            recent=frozenset(int(row[0]) for row in good[:seen]),
            final_url=str(good[0][1]) if good and good[0][1] else None,
        )

    # -- checks -----------------------------------------------------------------------------

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

    def check(self, check_id: int) -> dict[str, Any]:
        """One row of ``checks``."""
        row = self.database.row("checks", "id = ?", [check_id])
        if row is None:
            raise UsageError(f"no check with id {check_id}")
        return row

    def recent_candidates(self, watch_id: int, count: int) -> list[str | None]:
        """Text hashes seen by the last ``count`` checks, newest first."""
        rows = self.db.query(
            "SELECT candidate_sha256 FROM checks WHERE watch_id = ? ORDER BY id DESC LIMIT ?",
            [watch_id, count],
        )
        return [r["candidate_sha256"] for r in rows]

    def not_modified_run(self, watch_id: int) -> tuple[int, str | None]:
        """How many checks answered 304 since the last check that read the page in full
        (``new``, ``unchanged`` or ``changed``), and when that one was (None: never)."""
        row = self.db.execute(
            "SELECT id, checked_at FROM checks WHERE watch_id = ? AND status IN "
            "('new', 'unchanged', 'changed') ORDER BY id DESC LIMIT 1",
            [watch_id],
        ).fetchone()
        last_id, last_at = (row[0], str(row[1])) if row else (0, None)
        count = self.db.execute(
            "SELECT count(*) FROM checks WHERE watch_id = ? AND id > ? AND status = 'not_modified'",
            [watch_id, last_id],
        ).fetchone()[0]
        return int(count), last_at

    def last_final_url(self, watch_id: int) -> str | None:
        """Where the last check that saw the article ended (after redirects)."""
        row = self.db.execute(
            "SELECT final_url FROM checks WHERE watch_id = ? AND snapshot_id IS NOT NULL "
            "ORDER BY id DESC LIMIT 1",
            [watch_id],
        ).fetchone()
        return str(row[0]) if row and row[0] else None


class Versions(VersionReader):
    """Reads and writes versions and checks (in the caller's transaction)."""

    def check_baseline(self, watch_id: int, expected: int | None) -> None:
        """Refuse (StaleBaselineError) a write decided against a baseline that has changed
        since (another process checked the same watch meanwhile); the caller decides again."""
        row = self.db.execute(
            "SELECT current_snapshot_id FROM watches WHERE id = ?", [watch_id]
        ).fetchone()
        if row is not None and row[0] != expected:
            raise StaleBaselineError(f"watch {watch_id}: baseline is {row[0]}, not {expected}")

    def insert(
        self, watch_id: int, new: NewSnapshot, created_at: str, origin: str = "fetch"
    ) -> tuple[int, int]:
        """A new version of a watch: its snapshot id and version number."""
        version = 1 + int(
            self.db.execute(
                "SELECT coalesce(max(version), 0) FROM snapshots WHERE watch_id = ?", [watch_id]
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
            "signals_json": new.signals_json,
        }
        return self.database.insert("snapshots", row), version

    def mark_extracted(
        self, snapshot_id: int, extractor_version: str, confidence: Confidence
    ) -> None:
        """Record that this extractor gives the version's text again, with this confidence:
        derived facts about a version, never its text."""
        self.db.execute(
            "UPDATE snapshots SET extractor_version = ?, confidence = ?, confidence_reason = ? "
            "WHERE id = ?",
            [extractor_version, confidence.level or None, confidence.reason or None, snapshot_id],
        )

    def insert_check(
        self, record: CheckRecord, snapshot_id: int | None, change_id: int | None
    ) -> int:
        """The row of one check; its id."""
        row = {
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
        return self.database.insert("checks", row)

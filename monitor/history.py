"""Stored versions and changes, seen after the fact: the report of a stored change and the
comparison of any two versions. Nothing here writes.

The pipeline records checks; this module reads what they recorded (the CLI's ``diff``, the
web UI, the outbox's reports).
"""

from __future__ import annotations

import json
import logging
from typing import Any

from monitor.diff import diff_from_ops, diff_texts
from monitor.models import (
    Article,
    ChangeReport,
    DiffOp,
    TextDiff,
    VersionRef,
)
from monitor.store import Snapshot, Store, Watch

log = logging.getLogger(__name__)


def build_report(store: Store, change: dict[str, Any]) -> ChangeReport:
    """A stored change as a ChangeReport, from the diff stored with it (no diffing again)."""
    watch = store.watches.get(change["watch_id"])
    new = store.versions.get(change["new_snapshot_id"])
    old = store.versions.get(change["old_snapshot_id"]) if change["old_snapshot_id"] else None
    return report_from_change(change, watch, old, new)


def report_from_change(
    change: dict[str, Any], watch: Watch, old: Snapshot | None, new: Snapshot
) -> ChangeReport:
    """A stored change (a ``changes`` row with ``diff_json``) as a ChangeReport, given its
    watch and versions already read. The texts of the versions are not used (the stored
    ops hold them): callers reading many changes may leave them out."""
    ops, granularity = stored_ops(change["diff_json"])
    diff = diff_from_ops([(op.op, op.text) for op in ops], granularity=granularity)
    return change_report_of(
        watch,
        version_ref(old) if old else None,
        version_ref(new),
        diff,
        change_id=change["id"],
        detected_at=change["detected_at"],
        kind=change["kind"],
        silent_edit=bool(change["silent_edit"]),
    )


def change_report_of(
    watch: Watch,
    old: VersionRef | None,
    new: VersionRef,
    diff: TextDiff,
    *,
    change_id: int,
    detected_at: str,
    kind: str,
    silent_edit: bool,
) -> ChangeReport:
    """The report of a recorded change of ``watch`` from ``old`` to ``new`` (a revert or a
    flap returns to ``new``'s version): as stored, or as the check that found it holds it."""
    return ChangeReport(
        watch_id=watch.id,
        watch_name=watch.label,
        url=watch.url,
        old=old,
        new=new,
        diff=diff,
        change_id=change_id,
        detected_at=detected_at,
        reverted_to=new.version if kind in ("revert", "flap") else None,
        silent_edit=silent_edit,
        kind=kind,
    )


def stored_ops(diff_json: str) -> tuple[list[DiffOp], str]:
    """The ops and granularity of a stored change's ``diff_json``."""
    stored = json.loads(diff_json)
    if isinstance(stored, list):  # written before the granularity was stored with the ops
        stored = {"ops": stored}
    ops = [DiffOp(op, text) for op, text in stored["ops"]]
    return ops, stored.get("granularity", "token")


def compare_versions(watch: Watch, old: Snapshot | None, new: Snapshot) -> ChangeReport:
    """A report of the difference between any two versions of a watch."""
    diff = diff_texts(old.document if old else "", new.document)
    return _report(watch, old, new, diff)


def _report(watch: Watch, old: Snapshot | None, new: Snapshot, diff: TextDiff) -> ChangeReport:
    return ChangeReport(
        watch_id=watch.id,
        watch_name=watch.label,
        url=watch.url,
        old=version_ref(old) if old else None,
        new=version_ref(new),
        diff=diff,
        silent_edit=bool(old) and not diff.is_empty and is_silent_edit(old, new),
    )


def version_ref(snapshot: Snapshot) -> VersionRef:
    """A stored version as the reports show it."""
    return VersionRef(
        snapshot_id=snapshot.id,
        version=snapshot.version,
        created_at=snapshot.created_at,
        title=snapshot.title,
        modified_at=snapshot.metadata.modified_at,
    )


def is_silent_edit(old: Snapshot | None, new: Snapshot | Article) -> bool:
    """The text changed but the page still declares the same modification date."""
    old_date = old.metadata.modified_at if old else None
    return bool(old_date) and old_date == new.metadata.modified_at

"""Stored versions and changes, seen after the fact: the report of a stored change, the
comparison of any two versions, and re-extraction of stored pages.

The pipeline records checks; this module reads what they recorded (the CLI's ``diff`` and
``reextract``, the outbox's reports) and holds the small helpers both share.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlsplit

from monitor.analyse import text_sha256
from monitor.classify import classify_article
from monitor.config import Config
from monitor.diff import diff_from_ops, diff_texts
from monitor.errors import StaleBaselineError
from monitor.extract import EXTRACTOR_VERSION, extract_article
from monitor.fetch import decode_html
from monitor.models import (
    Article,
    ChangeReport,
    DiffOp,
    FetchOutcome,
    FetchResult,
    TextDiff,
    VersionRef,
)
from monitor.store import NewSnapshot, Snapshot, Store, Watch, utcnow

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
    return replace(
        _report(watch, old, new, diff),
        change_id=change["id"],
        detected_at=change["detected_at"],
        reverted_to=new.version if change["kind"] in ("revert", "flap") else None,
        silent_edit=bool(change["silent_edit"]),
        kind=change["kind"],
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


def page_key(url: str) -> tuple[str, str]:
    """What makes two URLs the same page: host (without www.) and path (without a trailing
    slash); scheme, query and fragment aside."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return host, parts.path.rstrip("/") or "/"


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


def new_snapshot(
    article: Article, sha: str, fetched: FetchResult, html_gz: bytes | None = None
) -> NewSnapshot:
    """A version to store: the article, its identity and the page it came from."""
    return NewSnapshot(
        title=article.title,
        text=article.text,
        text_sha256=sha,
        metadata=article.metadata,
        final_url=fetched.final_url,
        extractor=article.extractor,
        raw=fetched.content,
        encoding=fetched.encoding,
        html_gz=html_gz,
        confidence=article.confidence,
        extractor_version=EXTRACTOR_VERSION,
    )


@dataclass(frozen=True)
class Reextracted:
    """What `monitor reextract` did with one watch."""

    watch: Watch
    old_version: int | None
    new_version: int | None = None  # the new baseline, when the text changed
    note: str = ""

    @property
    def changed(self) -> bool:
        """True when the current extractor gives another text than the stored one."""
        return self.new_version is not None or self.note == "would change"


def reextract_watch(
    store: Store, config: Config, watch: Watch, *, dry_run: bool = False
) -> Reextracted:
    """Run today's extractor over the stored page of the current version; store a different
    text as the new baseline (not a change: nothing is reported or notified), or record that
    today's extractor gives the same text (and how sure it is)."""
    current = store.versions.current(watch)
    if current is None:
        return Reextracted(watch, None, note="no version yet")
    raw, encoding = store.versions.page(current.id)
    if not raw:
        return Reextracted(watch, current.version, note="no stored page")
    content_type = f"text/html; charset={encoding}" if encoding else None
    html, _ = decode_html(raw, content_type)
    rules = config.rules_for(watch.url, watch.rules)
    article = extract_article(html, current.final_url or watch.url, rules)
    sha = text_sha256(article.document)
    if sha == current.text_sha256:
        if not dry_run:
            store.mark_extracted(current.id, EXTRACTOR_VERSION, article.confidence)
        return Reextracted(watch, current.version, note="same text")
    verdict = classify_article(article)
    if verdict.status is not None:
        if not dry_run:  # today's extractor has looked at it: the next check compares as usual
            store.mark_extracted(current.id, EXTRACTOR_VERSION, current.confidence)
        return Reextracted(watch, current.version, note=f"kept: {verdict.error}")
    if dry_run:
        return Reextracted(watch, current.version, note="would change")
    fetched = FetchResult(
        url=watch.url,
        outcome=FetchOutcome.OK,
        final_url=current.final_url,
        content=raw,
        encoding=encoding,
    )
    try:
        version = store.add_baseline(
            watch.id, new_snapshot(article, sha, fetched), utcnow(), expected_current=current.id
        )
    except StaleBaselineError:
        return Reextracted(watch, current.version, note="a check stored a new version meanwhile")
    log.info("re-extracted watch=%s v%d -> v%d", watch.label, current.version, version)
    return Reextracted(watch, current.version, version)

"""Rows of the snapshot database as frozen dataclasses, and conversions from rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from monitor.clock import iso, system_clock
from monitor.config import Rules
from monitor.models import (
    Article,
    CheckStatus,
    Confidence,
    FetchResult,
    Metadata,
    TextDiff,
    VersionRef,
)


def utcnow() -> str:
    """The machine's current time as stored: UTC ISO-8601 with seconds precision."""
    return iso(system_clock())


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
    feed_id: int | None = None  # the feed that found it (its schedule decays with age)
    published_at: str | None = None  # from the feed; else when it was found
    retired_at: str | None = None  # no more checks: too old for its schedule, or a duplicate
    duplicate_of: int | None = None
    url_key: str | None = None
    canonical_key: str | None = None
    feed_title: str | None = None
    feed_summary: str | None = None
    learned: str | None = field(default=None, repr=False)  # JSON: see monitor.extract.replay
    learned_at: str | None = None
    failing_since: str | None = None  # the first failed check of the failure it is in
    failing_told_at: str | None = None  # when that failure's "failing" notice was queued
    recovered_at: str | None = None  # its last recovery that counts as flapping (notices)

    @property
    def label(self) -> str:
        """The watch's name, or its URL when it has none."""
        return self.name or self.url

    @property
    def failure(self) -> FailureState:
        """What its failure notices go by (see :mod:`monitor.notices`)."""
        return FailureState(self.failing_since, self.failing_told_at, self.recovered_at)


@dataclass(frozen=True)
class FailureState:
    """A watch's failure, as its notices need it across restarts (columns of ``watches``):
    the run of failed checks it is in (``since``: its first failed check; None: the last
    check was good), when that run's ``failing`` notice was queued (None: not told), and
    when the watch last recovered from a failure that makes it flapping (told, or begun
    while it was flapping already)."""

    since: str | None = None
    told_at: str | None = None
    recovered_at: str | None = None


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
    origin: str = "fetch"  # or "reextract": a new extraction of an earlier version's page
    confidence: Confidence = field(default_factory=Confidence)  # not assessed: older
    extractor_version: str | None = None  # the EXTRACTOR_VERSION of its text (None: older)
    #: what its page's markup says the page is (monitor.identity.PageSignals as JSON; None:
    #: stored before schema 9, read from the stored page when needed)
    signals_json: str | None = None

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
    html_gz: bytes | None = None  # ``raw`` compressed already (off the event loop), if done
    confidence: Confidence = field(default_factory=Confidence)
    extractor_version: str | None = None
    signals_json: str | None = None  # what the page's markup says it is (monitor.identity)


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
    # What the report of this change shows, held by the check that found it (not stored):
    old: VersionRef | None = field(default=None, compare=False)
    returned_to: VersionRef | None = field(default=None, compare=False)  # a revert's version
    diff: TextDiff | None = field(default=None, compare=False, repr=False)


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
    next_check_at: str | None = None
    events: tuple[OutboxItem, ...] = ()
    baseline_id: int | None = None  # the current snapshot this check was compared with
    retired_at: str | None = None  # set: the watch is checked no more (and made inactive)
    duplicate_of: int | None = None  # retired because the page is another watch's article
    learned: str | None = None  # set: what the watch learned now (JSON; "" forgets it)
    replayed: bool = False  # found unchanged by a replay (how the check decided; not stored)
    failure: FailureState | None = None  # set: the watch's failure state after this check
    #                                      (a failed check keeps the failure's start and
    #                                      notice if another process stored them first)
    version: int | None = None  # the number of snapshot_id, if the check holds it (not stored)


@dataclass(frozen=True)
class OutboxItem:
    """A notification to queue with a check: an event kind for one channel."""

    kind: str  # "change", "failing", "recovered", "removed", "returned"
    channel: str
    payload: tuple[tuple[str, Any], ...] = ()


@dataclass(frozen=True)
class OutboxRow:
    """A queued notification."""

    id: int
    created_at: str
    kind: str
    channel: str
    watch_id: int
    check_id: int | None
    change_id: int | None
    payload: dict[str, Any]
    state: str
    attempts: int


@dataclass(frozen=True)
class Recorded:
    """Row ids written by :meth:`Store.record_check`."""

    check_id: int
    snapshot_id: int | None
    change_id: int | None
    version: int | None


def outbox_from_row(row: dict[str, Any]) -> OutboxRow:
    """An ``outbox`` row as an OutboxRow."""
    return OutboxRow(
        id=row["id"],
        created_at=row["created_at"],
        kind=row["kind"],
        channel=row["channel"],
        watch_id=row["watch_id"],
        check_id=row["check_id"],
        change_id=row["change_id"],
        payload=json.loads(row["payload_json"] or "{}"),
        state=row["state"],
        attempts=row["attempts"],
    )


#: The rules a watch or feed row keeps (a site's plugin is the config's, never stored).
STORED_RULES = ("content", "title", "remove", "ignore")


def rules_json(rules: Rules) -> str:
    """Rules as the JSON stored in ``watches.rules_json``."""
    data = {k: list(getattr(rules, k)) for k in STORED_RULES if getattr(rules, k)}
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def rules_from_json(text: str | None) -> Rules:
    """The rules that ``rules_json`` stored."""
    data = json.loads(text or "{}")
    return Rules(
        content=tuple(data.get("content", ())),
        title=tuple(data.get("title", ())),
        remove=tuple(data.get("remove", ())),
        ignore=tuple(data.get("ignore", ())),
    )


def watch_from_row(row: dict[str, Any]) -> Watch:
    return Watch(
        id=row["id"],
        url=row["url"],
        name=row["name"],
        interval=row["interval_s"],
        rules=rules_from_json(row["rules_json"]),
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
        feed_id=row.get("feed_id"),
        published_at=row.get("published_at"),
        retired_at=row.get("retired_at"),
        duplicate_of=row.get("duplicate_of"),
        url_key=row.get("url_key"),
        canonical_key=row.get("canonical_key"),
        feed_title=row.get("feed_title"),
        feed_summary=row.get("feed_summary"),
        learned=row.get("learned_json"),
        learned_at=row.get("learned_at"),
        failing_since=row.get("failing_since"),
        failing_told_at=row.get("failing_told_at"),
        recovered_at=row.get("recovered_at"),
    )


def snapshot_from_row(row: dict[str, Any]) -> Snapshot:
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
        origin=row["origin"],
        confidence=Confidence(row.get("confidence") or "", row.get("confidence_reason") or ""),
        extractor_version=row.get("extractor_version"),
        signals_json=row.get("signals_json"),
    )


def new_snapshot(
    article: Article,
    sha: str,
    fetched: FetchResult,
    html_gz: bytes | None = None,
    *,
    extractor_version: str | None = None,
    signals_json: str | None = None,
) -> NewSnapshot:
    """A version to store: the article, its identity, the page it came from (and what its
    markup says it is), and the extractor (its ``EXTRACTOR_VERSION``) that made the text."""
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
        extractor_version=extractor_version,
        signals_json=signals_json,
    )

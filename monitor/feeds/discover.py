"""Feed entries -> watches: which entries are new articles, which known articles the feed
retitled, and how often each article found through a feed is checked.

An entry is a new article unless its URL key (:func:`~monitor.feeds.urls.url_key`: tracking
parameters and fragment aside) is the URL key or the canonical key of a watch already there
(from any feed, config.toml or `monitor add`). Entries older than the feed's ``max_age`` are
not watched. A new article becomes a watch named after its title (``title (2)`` on a clash),
due at once. Once fetched, an article whose ``<link rel=canonical>`` is an older watch's
article is retired as its duplicate. An entry that leaves the feed changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from monitor.errors import FeedError
from monitor.feeds.pace import DecaySchedule, Pace, format_duration, pace
from monitor.feeds.parse import Entry
from monitor.feeds.poll import FeedFetch, fetch_feed
from monitor.feeds.urls import canonical_key, clean_url, url_key
from monitor.fetch import Fetcher
from monitor.models import Validators
from monitor.store import CheckRecord, SnapshotStore, Watch
from monitor.store.feeds import EntryChange, Feed, FeedStore, KnownEntry, NewWatch, PollRecord

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Discovery:
    """What one poll of one feed found."""

    feed: Feed
    status: str  # "ok", "not_modified" or "error"
    entries: int = 0
    new: tuple[Watch, ...] = ()
    changes: int = 0  # feed-side title/summary changes of known articles
    error: str | None = None


def plan_entries(
    feed: Feed, entries: Iterable[Entry], known: dict[str, KnownEntry], now: datetime
) -> tuple[list[NewWatch], list[EntryChange]]:
    """The new watches and metadata changes a poll's entries make (pure)."""
    oldest = now - timedelta(seconds=feed.max_age) if feed.max_age else None
    new: dict[str, NewWatch] = {}
    changes: list[EntryChange] = []
    for entry in entries:
        key = url_key(entry.url)
        if key in known:
            changes.extend(_entry_changes(feed, known[key], entry))
        elif key in new:  # listed twice (two sitemaps): fill what the first listing lacked
            first = new[key]
            new[key] = replace(
                first,
                title=first.title or entry.title,
                published_at=first.published_at or entry.published_at,
            )
        elif not _too_old(entry, oldest):
            new[key] = NewWatch(
                url=clean_url(entry.url),
                key=key,
                title=entry.title,
                summary=entry.summary,
                published_at=entry.published_at,
            )
    return list(new.values()), changes


def _too_old(entry: Entry, oldest: datetime | None) -> bool:
    if oldest is None or entry.published_at is None:
        return False
    return datetime.fromisoformat(entry.published_at) < oldest


def _entry_changes(feed: Feed, known: KnownEntry, entry: Entry) -> list[EntryChange]:
    """A known article of this feed with another title or summary in it."""
    if known.feed_id != feed.id:
        return []
    found = []
    if entry.title and entry.title != (known.feed_title or ""):
        found.append(EntryChange(known.watch_id, "title", known.feed_title, entry.title))
    if entry.summary and entry.summary != (known.feed_summary or None):
        found.append(EntryChange(known.watch_id, "summary", known.feed_summary, entry.summary))
    return found


async def poll_feed(store: SnapshotStore, fetcher: Fetcher, feed: Feed, now: datetime) -> Discovery:
    """Fetch one feed and record what it found (one transaction); a failure is recorded on
    the feed and returned, never raised."""
    feeds = FeedStore(store)
    polled_at = now.astimezone(UTC).isoformat(timespec="seconds")
    try:
        fetched = await fetch_feed(fetcher, feed.url, Validators(feed.etag, feed.last_modified))
    except FeedError as exc:
        feeds.record_failure(feed.id, polled_at, str(exc))
        log.warning("feed=%s poll failed: %s", feed.label, exc)
        return Discovery(feed, "error", error=str(exc))
    if fetched.not_modified:
        feeds.record_poll(feed, PollRecord(feed.id, polled_at, "not_modified"), feed.rules)
        return Discovery(feed, "not_modified", entries=feed.last_entries)
    return _record(feeds, feed, fetched, now, polled_at)


def _record(
    feeds: FeedStore, feed: Feed, fetched: FeedFetch, now: datetime, polled_at: str
) -> Discovery:
    known = feeds.known(url_key(e.url) for e in fetched.entries)
    new, changes = plan_entries(feed, fetched.entries, known, now)
    record = PollRecord(
        feed_id=feed.id,
        polled_at=polled_at,
        status="ok",
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
        entries=len(fetched.entries),
        new=tuple(new),
        changes=tuple(changes),
    )
    ids = feeds.record_poll(feed, record, feed.rules)
    watches = tuple(feeds.store.get_watch(i) for i in ids)
    warning = "; ".join(fetched.warnings) or None
    log.info(
        "feed=%s polled: %d entries, %d new, %d retitled%s",
        feed.label,
        len(fetched.entries),
        len(watches),
        len(changes),
        f" ({warning})" if warning else "",
    )
    return Discovery(feed, "ok", len(fetched.entries), watches, len(changes), warning)


# -- pacing ---------------------------------------------------------------------------------


def _moment(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def article_pace(
    watch: Watch, schedule: DecaySchedule, now: datetime, last_change_at: str | None = None
) -> Pace:
    """The pace of an article found through a feed, at ``now``."""
    born = _moment(watch.published_at or watch.created_at)
    changed = last_change_at or watch.last_change_at
    since_change = (now - _moment(changed)).total_seconds() if changed else None
    return pace((now - born).total_seconds(), since_change, schedule)


class FeedPacer:
    """Plans the next check of an article found through a feed, after each check: a
    ``Checker`` hook (``plan_next``). Other watches' records pass unchanged."""

    def __init__(self, store: SnapshotStore) -> None:
        self.feeds = FeedStore(store)
        self._schedules: dict[int, DecaySchedule] = {}

    def schedule(self, feed_id: int) -> DecaySchedule:
        """The decay schedule of a feed (cached; a new pacer after a reload)."""
        if feed_id not in self._schedules:
            self._schedules[feed_id] = self.feeds.schedule_of(feed_id)
        return self._schedules[feed_id]

    def __call__(self, watch: Watch, record: CheckRecord) -> CheckRecord:
        if watch.feed_id is None:
            return record
        duplicate = self._duplicate(watch, record)
        if duplicate is not None:
            log.info("watch=%s is the article of watch %d: retired", watch.label, duplicate)
            return replace(record, retired_at=record.checked_at, duplicate_of=duplicate)
        now = _moment(record.checked_at)
        changed = record.checked_at if record.change is not None else None
        planned = article_pace(watch, self.schedule(watch.feed_id), now, changed)
        if planned.interval is None:
            log.info("watch=%s retired: %s", watch.label, planned.reason)
            return replace(record, retired_at=record.checked_at)
        due = now + timedelta(seconds=planned.interval)
        return replace(record, next_check_at=due.isoformat(timespec="seconds"))

    def describe(self, watch: Watch, now: datetime, default_interval: float) -> Pace:
        """How often ``watch`` is checked at ``now``, and why: ``age 3h: every 15m``."""
        if watch.duplicate_of is not None:
            return Pace(None, f"retired: the same article as watch {watch.duplicate_of}")
        if watch.feed_id is None:
            interval = watch.interval or default_interval
            note = "" if watch.active else " (inactive)"
            return Pace(interval, f"every {format_duration(interval)}{note}")
        if watch.retired_at is not None:
            return Pace(None, f"retired {watch.retired_at}")
        return article_pace(watch, self.schedule(watch.feed_id), now)

    def _duplicate(self, watch: Watch, record: CheckRecord) -> int | None:
        if record.new_snapshot is None or record.change is not None:
            return None
        key = canonical_key(record.new_snapshot.metadata.canonical_url)
        return self.feeds.duplicate_of(watch.id, key)


PlanNext = Callable[[Watch, CheckRecord], CheckRecord]


def schedule_dicts(
    store: SnapshotStore,
    watches: Iterable[Watch],
    default_interval: float,
    now: datetime | None = None,
) -> dict[int, dict[str, object]]:
    """Per watch id, how often it is checked now and why, for `monitor status` and `log`:
    ``{"interval_s": 900.0, "reason": "age 3h: every 15m"}`` (``interval_s`` None: retired)."""
    pacer = FeedPacer(store)
    moment = now or datetime.now(UTC)
    found: dict[int, dict[str, object]] = {}
    for watch in watches:
        planned = pacer.describe(watch, moment, default_interval)
        found[watch.id] = {"interval_s": planned.interval, "reason": planned.reason}
    return found

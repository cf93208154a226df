"""Feed entries -> watches: which entries are new articles, which known articles the feed
retitled, and how often each article found through a feed is checked.

An entry is a new article unless its URL key (:func:`~monitor.feeds.urls.url_key`: tracking
parameters and fragment aside) is the URL key or the canonical key of a watch already there
(from any feed, config.toml or `monitor add`). Only http(s) entries on the feed's own site
(unless the feed has ``any_host``) are watched, and not those older than the feed's
``max_age``, nor undated ones on a feed's first poll (its back catalogue), nor more than
``max_new`` per poll. A new article becomes a watch named after its title (``title (2)`` on
a clash), due at once. Once fetched, an article whose ``<link rel=canonical>`` is an older watch's
article is retired as its duplicate. An entry that leaves the feed changes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from monitor.errors import FeedError
from monitor.feeds.pace import DecaySchedule, Pace, format_duration, pace
from monitor.feeds.parse import Entry
from monitor.feeds.poll import FeedFetch, FeedState, fetch_feed
from monitor.feeds.urls import canonical_key, clean_url, is_web_url, same_site, url_key
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
    error: str | None = None  # the error, or the warnings of a good poll
    deferred: int = 0  # new articles left for later polls (``max_new``)


@dataclass(frozen=True)
class Plan:
    """What a poll's entries make (:func:`plan_entries`)."""

    new: list[NewWatch]
    changes: list[EntryChange]
    baseline: list[str] = field(default_factory=list)  # undated entries of a first poll
    deferred: int = 0  # new entries beyond ``max_new``, left for later polls
    foreign: int = 0  # entries skipped: not http(s), or on another site


def accepts(feed: Feed, url: str) -> bool:
    """Whether an entry's URL may become a watch: http(s) only, and on the feed's own site
    (its registrable host or a subdomain) unless the feed has ``any_host``."""
    return is_web_url(url) and (feed.any_host or same_site(url, feed.url))


def _listed(feed: Feed, entries: Iterable[Entry]) -> tuple[dict[str, Entry], int]:
    """The acceptable entries by URL key, each listed once (what a second listing, e.g. in
    another sitemap, adds fills what the first lacked); and how many were not acceptable."""
    found: dict[str, Entry] = {}
    foreign = 0
    for entry in entries:
        if not accepts(feed, entry.url):
            foreign += 1
            continue
        key = url_key(entry.url)
        first = found.get(key)
        if first is None:
            found[key] = entry
        else:
            found[key] = replace(
                first,
                title=first.title or entry.title,
                published_at=first.published_at or entry.published_at,
            )
    return found, foreign


def plan_entries(
    feed: Feed,
    entries: Iterable[Entry],
    known: dict[str, KnownEntry],
    now: datetime,
    baselined: Collection[str] = (),
) -> Plan:
    """The new watches, metadata changes and baseline a poll's entries make (pure).

    On a feed's first good poll, an undated entry (no way to tell a new article from the
    back catalogue) is baselined, not watched, when the feed has a ``max_age``; after that,
    an entry not seen before is a new article whatever its date. At most ``max_new`` new
    watches, the newest first (an undated one counts as published now)."""
    oldest = now - timedelta(seconds=feed.max_age) if feed.max_age else None
    first = feed.baseline_at is None and oldest is not None
    listed, foreign = _listed(feed, entries)
    new: list[NewWatch] = []
    changes: list[EntryChange] = []
    baseline: list[str] = []
    for key, entry in listed.items():
        if key in known:
            changes.extend(_entry_changes(feed, known[key], entry))
        elif key in baselined:
            continue
        elif first and entry.published_at is None:
            baseline.append(key)
        elif not _too_old(entry, oldest):
            new.append(_new_watch(key, entry))
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    new.sort(key=lambda w: w.published_at or stamp, reverse=True)
    cap = max(feed.max_new, 1)
    return Plan(new[:cap], changes, baseline, max(len(new) - cap, 0), foreign)


def _new_watch(key: str, entry: Entry) -> NewWatch:
    return NewWatch(
        url=clean_url(entry.url),
        key=key,
        title=entry.title,
        summary=entry.summary,
        published_at=entry.published_at,
    )


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
    """Fetch one feed and record what it found (one transaction); a failure (including one
    nobody foresaw while reading the document) is recorded on the feed and returned, never
    raised."""
    feeds = FeedStore(store)
    polled_at = now.astimezone(UTC).isoformat(timespec="seconds")
    state = FeedState(Validators(feed.etag, feed.last_modified), feed.kind, feed.children)
    try:
        fetched = await fetch_feed(fetcher, feed.url, state, lambda url: accepts(feed, url))
    except FeedError as exc:
        return _failed(feeds, feed, polled_at, str(exc))
    except Exception as exc:  # a parser bug must not stop the feed, nor hide it
        log.warning("feed=%s: unexpected error reading it", feed.label, exc_info=True)
        message = f"cannot read the feed (unexpected {type(exc).__name__}: {exc})"
        return _failed(feeds, feed, polled_at, message)
    if fetched.not_modified:
        feeds.record_poll(feed, PollRecord(feed.id, polled_at, "not_modified"), feed.rules)
        return Discovery(feed, "not_modified", entries=feed.last_entries)
    return _record(feeds, feed, fetched, now, polled_at)


def _failed(feeds: FeedStore, feed: Feed, polled_at: str, error: str) -> Discovery:
    feeds.record_failure(feed.id, polled_at, error)
    log.warning("feed=%s poll failed: %s", feed.label, error)
    return Discovery(feed, "error", error=error)


def _record(
    feeds: FeedStore, feed: Feed, fetched: FeedFetch, now: datetime, polled_at: str
) -> Discovery:
    keys = [url_key(e.url) for e in fetched.entries]
    plan = plan_entries(
        feed, fetched.entries, feeds.known(keys), now, feeds.baselined(feed.id, keys)
    )
    ids = feeds.record_poll(feed, _poll_record(feed, fetched, plan, polled_at), feed.rules)
    watches = tuple(feeds.store.get_watch(i) for i in ids)
    warning = "; ".join([*fetched.warnings, *_notes(plan)]) or None
    log.info(
        "feed=%s polled: %d entries, %d new, %d retitled%s",
        feed.label,
        fetched.entry_count,
        len(watches),
        len(plan.changes),
        f" ({warning})" if warning else "",
    )
    return Discovery(
        feed, "ok", fetched.entry_count, watches, len(plan.changes), warning, plan.deferred
    )


def _poll_record(feed: Feed, fetched: FeedFetch, plan: Plan, polled_at: str) -> PollRecord:
    """What a good poll writes. With new articles left for later (``max_new``), no
    validators are kept: the next poll reads the feed in full, whatever it answers."""
    validators, children = fetched.validators, fetched.children
    if plan.deferred:
        validators = Validators()
        children = {} if children is not None else None
    return PollRecord(
        feed_id=feed.id,
        polled_at=polled_at,
        status="ok",
        etag=validators.etag,
        last_modified=validators.last_modified,
        entries=fetched.entry_count,
        new=tuple(plan.new),
        changes=tuple(plan.changes),
        kind=fetched.kind,
        children=children,
        baseline=tuple(plan.baseline),
    )


def _notes(plan: Plan) -> list[str]:
    notes = []
    if plan.deferred:
        notes.append(f"{plan.deferred} more new articles left for the next polls (max_new)")
    if plan.baseline:
        notes.append(f"{len(plan.baseline)} undated entries taken as already published")
    if plan.foreign:
        notes.append(f"{plan.foreign} entries not on the feed's site skipped (any_host)")
    return notes


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

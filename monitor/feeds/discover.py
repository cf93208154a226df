"""Feed entries -> watches: which entries are new articles, and which known articles the
feed retitled (how often each article found through a feed is checked: :mod:`.pacer`).

An entry is a new article unless its URL key (:func:`~monitor.urls.url_key`: tracking
parameters and fragment aside) is the URL key or the canonical key of a watch already there
(from any feed, config.toml or `monitor add`). Only http(s) entries on the feed's own site
(unless the feed has ``any_host``) are watched, and not those older than the feed's
``max_age``, nor undated ones listed for the first time (a feed's first poll that lists
entries, a child sitemap of an index read for the first time: the back catalogue), nor more
than ``max_new`` per poll. Entries skipped as off-site, and child sitemaps that could not be
read, are kept on the feed as its ``last_warning`` (``monitor feeds``). A new article becomes
a watch named after its title (``title (2)`` on a clash), due at once. Once fetched, an
article whose ``<link rel=canonical>`` is an older watch's article is retired as its
duplicate (:class:`.pacer.FeedPacer`). An entry that leaves the feed changes nothing.
"""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial

from monitor.errors import FeedError, FetchCancelled, StoreError
from monitor.feeds.parse import Entry
from monitor.feeds.poll import FeedFetch, FeedState, fetch_feed
from monitor.fetch import Fetcher
from monitor.models import Validators
from monitor.request import RequestOptions
from monitor.store import Store, Watch
from monitor.store.feeds import EntryChange, Feed, Feeds, KnownEntry, NewWatch, PollRecord
from monitor.store.watches import WatchReader
from monitor.urls import (
    clean_url,
    host_of,
    is_web_url,
    legacy_key,
    same_site,
    url_key,
)

log = logging.getLogger(__name__)
#: How a poll fetches and reads a feed: :func:`~monitor.feeds.poll.fetch_feed`'s signature.
FeedReader = Callable[
    [Fetcher, str, FeedState, Callable[[str], bool], RequestOptions | None], Awaitable[FeedFetch]
]


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
    baseline: list[str] = field(default_factory=list)  # undated entries listed the first time
    deferred: int = 0  # new entries beyond ``max_new``, left for later polls
    foreign: int = 0  # entries skipped: not http(s), or on another site
    offsite: tuple[str, ...] = ()  # the other sites' hosts, the most frequent first


def accepts(feed: Feed, url: str) -> bool:
    """Whether an entry's URL may become a watch: http(s) only, and on the feed's own site
    (its registrable host or a subdomain) unless the feed has ``any_host``."""
    return is_web_url(url) and (feed.any_host or same_site(url, feed.url))


def _listed(feed: Feed, entries: Iterable[Entry]) -> tuple[dict[str, Entry], Counter[str]]:
    """The acceptable entries by URL key, each listed once (what a second listing, e.g. in
    another sitemap, adds fills what the first lacked); and the hosts of those that were not
    acceptable (``""``: not http(s))."""
    found: dict[str, Entry] = {}
    foreign: Counter[str] = Counter()
    for entry in entries:
        if not accepts(feed, entry.url):
            foreign[host_of(entry.url) if is_web_url(entry.url) else ""] += 1
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
    new_sitemaps: Collection[str] = (),
) -> Plan:
    """The new watches, metadata changes and baseline a poll's entries make (pure).

    An undated entry (no way to tell a new article from the back catalogue) listed for the
    first time is baselined, not watched, when the feed has a ``max_age``: on a feed's
    first good poll that lists entries, or in a child sitemap of an index not read before
    (``new_sitemaps``). After that, an entry not seen before is a new article whatever its
    date. At most ``max_new`` new watches, the newest first (an undated one counts as
    published now)."""
    oldest = now - timedelta(seconds=feed.max_age) if feed.max_age else None
    listed, foreign = _listed(feed, entries)
    new: list[NewWatch] = []
    changes: list[EntryChange] = []
    baseline: list[str] = []
    for key, entry in listed.items():
        if key in known:
            changes.extend(_entry_changes(feed, known[key], entry))
        elif key in baselined:
            continue
        elif oldest is not None and _back_catalogue(feed, entry, new_sitemaps):
            baseline.append(key)
        elif not _too_old(entry, oldest):
            new.append(_new_watch(key, entry))
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    new.sort(key=lambda w: w.published_at or stamp, reverse=True)
    cap = max(feed.max_new, 1)
    offsite = tuple(host for host, _ in foreign.most_common() if host)
    return Plan(new[:cap], changes, baseline, max(len(new) - cap, 0), foreign.total(), offsite)


def _back_catalogue(feed: Feed, entry: Entry, new_sitemaps: Collection[str]) -> bool:
    """An undated entry listed for the first time: in a child sitemap not read before, or
    by a feed (not an index) that never listed entries before."""
    if entry.published_at is not None:
        return False
    if entry.sitemap is not None:
        return entry.sitemap in new_sitemaps
    return feed.baseline_at is None


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


async def poll_feed(
    store: Store,
    fetcher: Fetcher,
    feed: Feed,
    now: datetime,
    options: RequestOptions | None = None,
    *,
    read: FeedReader = fetch_feed,
) -> Discovery:
    """Fetch one feed (with its request ``options``: headers, cookies, proxy; ``read``: how,
    :func:`~monitor.feeds.poll.fetch_feed`) and record what it found (one transaction); a
    failure (including one nobody foresaw while reading the document) is recorded on the
    feed and returned, never raised."""
    feeds = store.feeds
    polled_at = now.astimezone(UTC).isoformat(timespec="seconds")
    state = FeedState(Validators(feed.etag, feed.last_modified), feed.kind, feed.children)
    try:
        allow = partial(accepts, feed)
        fetched = await read(fetcher, feed.url, state, allow, options)
    except FeedError as exc:
        return _failed(feeds, feed, polled_at, str(exc))
    except FetchCancelled:
        raise  # monitor is stopping: no poll happened, nothing to record
    except Exception as exc:  # a parser bug must not stop the feed, nor hide it
        log.warning("feed=%s: unexpected error reading it", feed.label, exc_info=True)
        message = f"cannot read the feed (unexpected {type(exc).__name__}: {exc})"
        return _failed(feeds, feed, polled_at, message)
    try:
        if fetched.not_modified:
            feeds.record_poll(feed, PollRecord(feed.id, polled_at, "not_modified"), feed.rules)
            return Discovery(feed, "not_modified", entries=feed.last_entries)
        return _record(feeds, feed, fetched, now, polled_at)
    except (StoreError, sqlite3.Error) as exc:  # recorded as the poll's failure, not raised
        return _failed(feeds, feed, polled_at, f"cannot record what the poll found: {exc}")


def _failed(feeds: Feeds, feed: Feed, polled_at: str, error: str) -> Discovery:
    try:
        feeds.record_failure(feed.id, polled_at, error)
    except (StoreError, sqlite3.Error) as exc:
        log.error("feed=%s: cannot record its failed poll: %s", feed.label, exc)
    log.warning("feed=%s poll failed: %s", feed.label, error)
    return Discovery(feed, "error", error=error)


def _record(
    feeds: Feeds, feed: Feed, fetched: FeedFetch, now: datetime, polled_at: str
) -> Discovery:
    """Plan and write a good poll in one write transaction: what is known is read inside
    it, so two processes polling the same feed never add the same article twice."""
    with feeds.database.transaction():
        feed = feeds.get_feed(feed.id)  # as it is now, not when the poll began
        plan = _plan(feeds, feed, fetched, now)
        warning = _warning(feed, fetched, plan)
        record = _poll_record(feed, fetched, plan, polled_at, warning)
        ids = feeds.write_poll(feed, record, feed.rules)
    watches = tuple(WatchReader(feeds.database).get(i) for i in ids)
    notes = "; ".join(filter(None, [warning, *_notes(plan)])) or None
    log.log(
        logging.WARNING if warning else logging.INFO,
        "feed=%s polled: %d entries, %d new, %d feed-side edits%s",
        feed.label,
        fetched.entry_count,
        len(watches),
        len(plan.changes),
        f" ({notes})" if notes else "",
    )
    return Discovery(
        feed, "ok", fetched.entry_count, watches, len(plan.changes), notes, plan.deferred
    )


def _plan(feeds: Feeds, feed: Feed, fetched: FeedFetch, now: datetime) -> Plan:
    keys = [url_key(e.url) for e in fetched.entries]
    new_sitemaps = set(fetched.sitemaps) - feeds.sitemaps_read(feed.id)
    return plan_entries(
        feed,
        fetched.entries,
        _known(feeds, feed, fetched.entries),
        now,
        feeds.baselined(feed.id, keys),
        new_sitemaps,
    )


def _known(feeds: Feeds, feed: Feed, entries: Iterable[Entry]) -> dict[str, KnownEntry]:
    """The watches the entries are, by URL key; an entry not found by its key may be an
    article this feed found under schema version 4, stored under the URL that version made
    (without ``ref`` nor ``at_*``)."""
    keys = {url_key(e.url): legacy_key(e.url) for e in entries}
    known = feeds.known(keys)
    legacy = {old: key for key, old in keys.items() if key not in known and old != key}
    for old, found in feeds.known(legacy).items():
        if found.feed_id == feed.id:
            known.setdefault(legacy[old], found)
    return known


def _warning(feed: Feed, fetched: FeedFetch, plan: Plan) -> str | None:
    """What the poll skipped or could not read, kept on the feed (``monitor feeds``)."""
    parts = list(fetched.warnings)
    if plan.offsite:
        hosts = ", ".join(plan.offsite[:3]) + (", ..." if len(plan.offsite) > 3 else "")
        how = (
            "set any_host = true in its [[feed]]"
            if feed.source == "config"
            else f"`monitor add {feed.url} --follow-feed --any-host`"
        )
        parts.append(
            f"{_entries(plan.foreign)} on other sites skipped ({host_of(feed.url)} → {hosts}): "
            f"{how} to watch them"
        )
    elif plan.foreign:
        parts.append(f"{_entries(plan.foreign)} that are no web pages skipped")
    return "; ".join(parts) or None


def _poll_record(
    feed: Feed, fetched: FeedFetch, plan: Plan, polled_at: str, warning: str | None
) -> PollRecord:
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
        sitemaps=fetched.sitemaps,
        warning=warning,
    )


def _notes(plan: Plan) -> list[str]:
    notes = []
    if plan.deferred:
        notes.append(f"{plan.deferred} more new articles left for the next polls (max_new)")
    if plan.baseline:
        notes.append(f"{len(plan.baseline)} undated entries taken as already published")
    return notes


# -- pacing ---------------------------------------------------------------------------------


def _entries(count: int) -> str:
    return f"{count} {'entry' if count == 1 else 'entries'}"

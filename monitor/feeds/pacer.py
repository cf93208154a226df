"""How often each article found through a feed is checked: its pace decays with its age and
quickens after a change (:func:`monitor.pace.article_pace`), and an article that turns out to
be an older watch's (its canonical URL) is retired as its duplicate.

:class:`FeedPacer` is the checker's ``plan_next`` hook, in every run of checks; it reads only
the store, so a run of checks does not import the feed parsers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from monitor.clock import parse_moment
from monitor.pace import DecaySchedule, Pace, article_pace, format_duration
from monitor.store import CheckRecord, StoreReader, Watch
from monitor.urls import canonical_key

log = logging.getLogger(__name__)


class FeedPacer:
    """Plans the next check of an article found through a feed, after each check: a
    ``Checker`` hook (``plan_next``). Other watches' records pass unchanged."""

    def __init__(self, store: StoreReader) -> None:
        self.feeds = store.feeds
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
        now = parse_moment(record.checked_at)
        changed = record.checked_at if record.change is not None else None
        planned = _pace_of(watch, self.schedule(watch.feed_id), now, changed)
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
        return _pace_of(watch, self.schedule(watch.feed_id), now)

    def _duplicate(self, watch: Watch, record: CheckRecord) -> int | None:
        if record.new_snapshot is None or record.change is not None:
            return None
        key = canonical_key(record.new_snapshot.metadata.canonical_url)
        return self.feeds.duplicate_of(watch.id, key)


def _pace_of(
    watch: Watch, schedule: DecaySchedule, now: datetime, changed: str | None = None
) -> Pace:
    """The pace of an article found through a feed, at ``now`` (``changed``: a change just
    recorded, else the watch's last one)."""
    born = watch.published_at or watch.created_at
    return article_pace(schedule, now, born, changed or watch.last_change_at)


def schedule_dicts(
    store: StoreReader,
    watches: Iterable[Watch],
    default_interval: float,
    now: datetime,
) -> dict[int, dict[str, object]]:
    """Per watch id, how often it is checked now and why, for `monitor status` and `log`:
    ``{"interval_s": 900.0, "reason": "age 3h: every 15m"}`` (``interval_s`` None: retired)."""
    pacer = FeedPacer(store)
    found: dict[int, dict[str, object]] = {}
    for watch in watches:
        planned = pacer.describe(watch, now, default_interval)
        found[watch.id] = {"interval_s": planned.interval, "reason": planned.reason}
    return found

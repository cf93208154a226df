"""The daemon's feed side: one poll job per followed feed, and one dispatcher for the articles
feeds found.

Articles found through feeds are not scheduler jobs: each has its next check time in SQLite
(``watches.next_check_at``, set after every check by the decaying schedule of
:mod:`monitor.pace`), and one job reads the due ones every ``DISPATCH_EVERY`` seconds
through a partial index and starts their checks, at most ``slots`` at a time. 50,000
articles cost one indexed query a second, not 50,000 timers (``bench/feeds.py``).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from monitor.clock import iso
from monitor.errors import FetchCancelled, MonitorError
from monitor.fetch import Fetcher
from monitor.pace import format_duration
from monitor.request import RequestOptions
from monitor.schedule import WatchScheduler
from monitor.store import Store
from monitor.store.feeds import Feed

if TYPE_CHECKING:
    from monitor.feeds.discover import Discovery

log = logging.getLogger(__name__)

DISPATCH_EVERY = 1.0
RETRY_AFTER = 300.0  # an article whose check failed outright is tried again after this long
FIRST_POLL_SPREAD = 5.0


def first_poll(feed: Feed, now: datetime) -> datetime:
    """When to poll a feed first after a start: one interval after its last poll, or soon
    (spread over a few seconds) if that is past or it was never polled."""
    spread = min(FIRST_POLL_SPREAD, feed.interval)
    soon = now + timedelta(seconds=random.random() * spread)
    if not feed.last_polled_at:
        return soon
    due = datetime.fromisoformat(feed.last_polled_at) + timedelta(seconds=feed.interval)
    return max(soon, min(due, now + timedelta(seconds=feed.interval)))


class Follower:
    """Polls the followed feeds on their intervals and dispatches due articles' checks."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        scheduler: WatchScheduler,
        run_check: Callable[[int], Awaitable[None]],
        *,
        slots: int,
        inflight: set[asyncio.Task[None]],
        request_for: Callable[[str], RequestOptions] | None = None,
    ) -> None:
        self.store = store
        self.request_for = request_for  # a feed URL -> how to request it (the config's)
        self.feeds = store.feeds
        self.fetcher = fetcher
        self.scheduler = scheduler
        self.run_check = run_check
        self.slots = slots
        self.inflight = inflight  # the daemon's in-flight tasks, awaited on shutdown
        self.accepting = True
        self.on_discovery: Callable[[Discovery], None] | None = None
        self._intervals: dict[int, float] = {}
        self._articles: set[int] = set()
        self._tasks: set[asyncio.Task[None]] = set()  # held, so none is garbage-collected

    def start(self) -> None:
        """Schedule every active feed and the dispatcher."""
        self.scheduler.every("articles", self.dispatch, DISPATCH_EVERY, datetime.now(UTC))
        self.reconcile()

    def summary(self) -> str:
        """``following 2 feeds (40 articles)``: the feeds followed and their active articles,
        for the daemon's start-up line."""
        feeds = len(self.feeds.all())
        articles = self.feeds.active_articles()
        plural = "" if feeds == 1 else "s"
        return f"following {feeds} feed{plural} ({articles} article{'' if articles == 1 else 's'})"

    def reconcile(self) -> None:
        """Follow feeds added (config reload, `monitor add --follow-feed`), drop removed ones,
        and reschedule those whose interval changed."""
        feeds = {f.id: f for f in self.feeds.all()}
        for feed_id in set(self._intervals) - feeds.keys():
            self.scheduler.cancel(f"feed:{feed_id}")
            del self._intervals[feed_id]
            log.info("feed %d no longer followed", feed_id)
        for feed in feeds.values():
            if self._intervals.get(feed.id) != feed.interval:
                self._schedule(feed)

    def _schedule(self, feed: Feed) -> None:
        first = first_poll(feed, datetime.now(UTC))
        self.scheduler.every(f"feed:{feed.id}", self._poll_job(feed.id), feed.interval, first)
        self._intervals[feed.id] = feed.interval
        log.info("following feed %s every %s", feed.label, format_duration(feed.interval))

    def _poll_job(self, feed_id: int) -> Callable[[], Awaitable[None]]:
        async def job() -> None:
            await self.poll(feed_id)

        return job

    async def poll(self, feed_id: int) -> Discovery | None:
        """Poll one feed now; its failure is recorded, never raised. (The feed parsers are
        imported by a daemon's first poll: one that follows no feed never needs them.)"""
        from monitor.feeds.discover import poll_feed

        if not self.accepting:
            return None
        task = asyncio.current_task()
        if task is not None:
            self.inflight.add(task)
        try:
            feed = self.feeds.get_feed(feed_id)
            options = self.request_for(feed.url) if self.request_for else None
            discovery = await poll_feed(self.store, self.fetcher, feed, datetime.now(UTC), options)
        except FetchCancelled:
            log.debug("poll of feed %d not finished: stopping", feed_id)
            return None
        except MonitorError as exc:
            log.error("polling feed %d failed: %s", feed_id, exc)
            return None
        except Exception:
            log.exception("unexpected error while polling feed %d", feed_id)
            return None
        finally:
            if task is not None:
                self.inflight.discard(task)
        if self.on_discovery is not None:
            self.on_discovery(discovery)
        return discovery

    async def dispatch(self) -> None:
        """Start the checks of due articles, as many as there are free slots."""
        free = self.slots - len(self._articles)
        if not self.accepting or free <= 0:
            return
        try:
            due = self.feeds.due_watches(iso(datetime.now(UTC)), free, self._articles)
        except MonitorError as exc:
            log.error("reading due articles failed: %s", exc)
            return
        for watch_id in due:
            self._articles.add(watch_id)
            task = asyncio.create_task(self._check(watch_id))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _check(self, watch_id: int) -> None:
        started = iso(datetime.now(UTC))
        try:
            await self.run_check(watch_id)
        finally:
            self._articles.discard(watch_id)
            if self.accepting:
                self._postpone_if_stuck(watch_id, started)

    def _postpone_if_stuck(self, watch_id: int, started: str) -> None:
        """A check that recorded nothing (it failed outright: the watch's last check is
        older than ``started``) leaves the article due: try it again later, not every
        second. A check that took longer than the article's interval recorded itself and
        left it due as planned."""
        now = datetime.now(UTC)
        try:
            watch = self.store.watches.get(watch_id)
            recorded = (watch.last_check_at or "") >= started
            if watch.active and not recorded and (watch.next_check_at or "") <= iso(now):
                retry = now + timedelta(seconds=RETRY_AFTER)
                self.store.watches.set_next_check(watch_id, iso(retry))
        except MonitorError as exc:
            log.error("postponing article %d failed: %s", watch_id, exc)

"""Following feeds at scale: 50,000 watches found through 17 feeds of 3,000 articles.

Measures what following sites costs monitor, with no network: parsing a 3,000-entry feed and
telling its new articles from known ones (against a database of 50,000 watches), the memory
of one APScheduler job per article against one dispatcher reading SQLite, the wake-ups per
hour that the default decaying schedule makes, and the cost of finding the due articles.

    python bench/feeds.py [--watches 50000] [--feeds 17] [--entries 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.feeds.discover import plan_entries
from monitor.feeds.parse import parse_document
from monitor.follow import DISPATCH_EVERY
from monitor.pace import DAY, DEFAULT_DECAY, interval_for
from monitor.samplesite.feeds import FeedItem, rss
from monitor.store import Store
from monitor.urls import url_key

NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


def timed(function: Callable[[], object], repeat: int = 1) -> float:
    """Milliseconds per call."""
    started = time.perf_counter()
    for _ in range(repeat):
        function()
    return (time.perf_counter() - started) * 1000 / repeat


def ages(count: int, rng: random.Random) -> list[float]:
    """Article ages in seconds: a site publishing steadily, 90 days back (a third retired)."""
    return [rng.random() * 90 * DAY for _ in range(count)]


def populate(path: Path, feeds: int, per_feed: int, rng: random.Random) -> Store:
    store = Store(path)
    rows = []
    for feed in range(1, feeds + 1):
        store.db.execute(
            "INSERT INTO feeds (id, url, created_at) VALUES (?, ?, ?)",
            [feed, f"https://site{feed}.test/feed/", NOW.isoformat()],
        )
        for number, age in enumerate(ages(per_feed, rng)):
            url = f"https://site{feed}.test/2026/{number}/"
            published = NOW - timedelta(seconds=age)
            interval = interval_for(age, None, DEFAULT_DECAY)
            due = (NOW + timedelta(seconds=rng.random() * (interval or 0))).isoformat()
            rows.append(
                (
                    url,
                    url,
                    f"s{feed}-{number}",
                    "feed",
                    int(interval is not None),
                    NOW.isoformat(),
                    feed,
                    published.isoformat(),
                    due if interval else None,
                )
            )
    store.db.conn.executemany(
        "INSERT INTO watches (url, url_key, name, source, active, created_at, feed_id, "
        "published_at, next_check_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    store.db.conn.commit()
    return store


def bench_discovery(store: Store, entries: int) -> dict[str, float]:
    items = [
        FeedItem(f"https://site1.test/2026/{n}/?utm_source=rss", f"Article {n}", "s", NOW)
        for n in range(entries + 50)  # 50 new ones at the end
    ]
    document = rss(items, title="Site", home="https://site1.test/").encode()
    parsed = parse_document(document, "https://site1.test/feed/")
    feeds = store.feeds
    feed = feeds.get_feed(1)
    keys = [url_key(e.url) for e in parsed.entries]
    known = feeds.known(keys)
    new = plan_entries(feed, parsed.entries, known, NOW).new
    return {
        "parse": timed(lambda: parse_document(document, "https://site1.test/feed/"), 3),
        "keys": timed(lambda: [url_key(e.url) for e in parsed.entries], 3),
        "known": timed(lambda: feeds.known(keys), 3),
        "plan": timed(lambda: plan_entries(feed, parsed.entries, known, NOW), 3),
        "size_kb": len(document) / 1024,
        "new": len(new),
    }


def bench_due(store: Store) -> dict[str, float]:
    feeds = store.feeds
    moment = (NOW + timedelta(minutes=10)).isoformat()
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM watches WHERE active = 1 AND feed_id IS NOT NULL "
        "AND next_check_at <= ? ORDER BY next_check_at LIMIT 20",
        [moment],
    ).fetchall()
    assert any("watches_due" in str(row) for row in plan), plan
    return {"due_ms": timed(lambda: feeds.due_watches(moment, 20), 1000)}


async def _apscheduler_jobs(count: int) -> float:
    from apscheduler.schedulers.asyncio import AsyncIOScheduler
    from apscheduler.triggers.interval import IntervalTrigger

    async def job() -> None:
        pass

    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start(paused=True)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for number in range(count):
        trigger = IntervalTrigger(seconds=900 + number % 600, timezone=UTC)
        scheduler.add_job(job, trigger, id=str(number))
    used = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    scheduler.shutdown(wait=False)
    return used / 1024**2


def wakeups(count: int, rng: random.Random) -> tuple[float, float]:
    """Checks per hour under the default schedule, and the dispatcher's own wake-ups."""
    per_hour = sum(
        3600 / interval
        for age in ages(count, rng)
        if (interval := interval_for(age, None, DEFAULT_DECAY)) is not None
    )
    return per_hour, 3600 / DISPATCH_EVERY


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watches", type=int, default=50_000)
    parser.add_argument("--feeds", type=int, default=17)
    parser.add_argument("--entries", type=int, default=3000)
    args = parser.parse_args()
    rng = random.Random(8)
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        store = populate(Path(folder) / "m.db", args.feeds, args.watches // args.feeds, rng)
        built = time.perf_counter() - started
        total = store.db.execute("SELECT count(*) FROM watches").fetchone()[0]
        active = store.db.execute("SELECT count(*) FROM watches WHERE active = 1").fetchone()[0]
        discovery = bench_discovery(store, args.entries)
        due = bench_due(store)
        store.close()
    jobs_mb = asyncio.run(_apscheduler_jobs(active))
    checks, dispatcher = wakeups(total, rng)
    print(
        f"{total:,} watches ({active:,} active, the rest retired) in {args.feeds} feeds; "
        f"database built in {built:.1f} s\n"
    )
    rows = [
        (
            f"parse a {args.entries:,}-entry RSS feed ({discovery['size_kb']:.0f} kB)",
            f"{discovery['parse']:.0f} ms",
        ),
        ("URL keys of its entries", f"{discovery['keys']:.1f} ms"),
        (f"look them up among {total:,} watches", f"{discovery['known']:.1f} ms"),
        (f"tell new from known ({discovery['new']:.0f} new)", f"{discovery['plan']:.1f} ms"),
        ("find due articles (indexed, 20 at a time)", f"{due['due_ms'] * 1000:.0f} µs"),
        (f"one APScheduler job per article ({active:,} jobs)", f"{jobs_mb:.0f} MB"),
        ("one dispatcher job reading SQLite", "~0 MB (one job)"),
        ("checks per hour, default decay schedule", f"{checks:,.0f}"),
        ("scheduler wake-ups per hour: a job per article", f"{checks:,.0f}"),
        ("scheduler wake-ups per hour: dispatcher", f"{dispatcher:,.0f} (+ the checks)"),
    ]
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"{name:<{width}}  {value:>18}")


if __name__ == "__main__":
    main()

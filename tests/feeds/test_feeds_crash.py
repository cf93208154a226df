"""Crash safety of feed following: `monitor run` follows a growing RSS feed and is killed
with SIGKILL at random moments; afterwards every article is one watch, checked once into one
first version, and the database is intact."""

from __future__ import annotations

import random
import signal
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from daemon import Daemon, query, write_config
from server import LocalServer, Request, Response

from monitor import samplesite
from monitor.samplesite.feeds import FeedItem, rss
from monitor.urls import url_key

ROUNDS = 9
PER_ROUND = 30
SHARED_TITLE = "Breaking news"  # every sixth article: watches "Breaking news (2)", "(3)"...
BASE = samplesite.load_article("en")


class Article:
    """An article page on the test server, its canonical link its own URL."""

    def __init__(self, server: LocalServer, path: str, title: str, published: datetime) -> None:
        self.url = server.url(path)
        self.title = title
        self.summary = f"What happened: {title}"
        self.published = published
        self.article = samplesite.replace_text(BASE, "voted 7-2", f"voted 7-2 ({path})")
        self.requests = 0
        server.route(path, self.respond)

    def respond(self, request: Request) -> Response:
        self.requests += 1
        noise = samplesite.Noise(seed=self.requests)
        body = samplesite.render_page(self.article, noise, url=self.url).encode("utf-8")
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def item(self, suffix: str = "") -> FeedItem:
        """Its feed entry; a duplicate listing (tracking parameters, a fragment) says the same."""
        return FeedItem(self.url + suffix, self.title, self.summary, self.published)


class Site:
    """The test server's site: articles, and a /feed/ listing them (with duplicates)."""

    def __init__(self, server: LocalServer, rng: random.Random) -> None:
        self.server = server
        self.rng = rng
        self.articles: list[Article] = []
        self.items: list[FeedItem] = []
        self.rounds = 0

    def publish_round(self) -> None:
        """PER_ROUND new articles, some listed twice, and a few old ones listed again."""
        number, now = self.rounds, datetime.now(UTC)
        self.rounds += 1
        fresh = []
        for index in range(PER_ROUND):
            title = SHARED_TITLE if index % 6 == 0 else f"Story {number}-{index}"
            published = now - timedelta(seconds=index)
            path = f"/2026/r{number}/story-{index}/"
            fresh.append(Article(self.server, path, title, published))
        self.items += [a.item() for a in fresh]
        self.items += [
            a.item(f"?utm_source=rss&utm_medium=feed&utm_content=r{number}") for a in fresh[::7]
        ]
        self.items += [a.item("#comments") for a in fresh[3::8]]
        if self.articles:  # earlier articles shared again, under new tracking parameters
            for old in self.rng.sample(self.articles, 3):
                self.items.append(old.item(f"?utm_campaign=round{number}&fbclid=x{number}"))
        self.articles += fresh
        body = rss(self.items, title="Site", home=self.server.url("/"))
        headers = {"Content-Type": "application/rss+xml; charset=UTF-8"}
        self.server.set("/feed/", body, headers=headers, etag=f"round-{number}")


def scalar(db: Path, sql: str) -> int:
    rows = query(db, sql)
    return int(rows[0][0]) if rows and rows[0][0] is not None else 0


def eventually(condition: Callable[[], bool], timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_kill_9_while_following_a_growing_feed_loses_and_duplicates_nothing(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    rng = random.Random(20261127)
    site = Site(http_server, rng)
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    # The dispatcher starts up to 2 x concurrency article checks a second: 40, so the final
    # daemon checks the 270 articles in a few seconds.
    write_config(config, [], None, "1h", "concurrency = 20", "per_host_concurrency = 10")
    feed = [
        "[[feed]]",
        f'url = "{http_server.url("/feed/")}"',
        'name = "site"',
        'interval = "1s"',
        'schedule = [["1d", "3s"]]',
        "max_new = 1000",
    ]
    config.write_text(config.read_text() + "\n".join(feed) + "\n", encoding="utf-8")
    for _ in range(ROUNDS):
        site.publish_round()
        daemons.append(daemon := Daemon(config))
        assert eventually(lambda: "scheduled" in daemon.output()), daemon.output()
        # Killed at a random moment: starting, polling the feed (about 1 s after the start,
        # FIRST_POLL_SPREAD), recording what it found or checking articles (after that).
        time.sleep(rng.uniform(0.0, 3.0))
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait(10)
        assert "Traceback" not in daemon.output()
        if db.exists():
            assert query(db, "PRAGMA integrity_check") == [("ok",)]

    keys = {url_key(a.url) for a in site.articles}
    assert len(keys) == ROUNDS * PER_ROUND
    daemons.append(final := Daemon(config))
    checked = (
        "SELECT count(DISTINCT url_key) FROM watches "
        "WHERE feed_id IS NOT NULL AND current_snapshot_id IS NOT NULL"
    )
    found = eventually(lambda: scalar(db, checked) >= len(keys))
    assert final.stop() == 0
    log = final.output()
    assert found, f"{scalar(db, checked)} of {len(keys)} articles found and checked\n{log}"
    assert "Traceback" not in log

    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    watches = query(
        db, "SELECT id, url, url_key, name, duplicate_of FROM watches WHERE feed_id IS NOT NULL"
    )
    per_key = Counter(str(row[2]) for row in watches)
    assert {k: n for k, n in per_key.items() if n > 1} == {}, "one watch per article"
    assert set(per_key) == keys, "every article found, nothing else"
    assert {row[1] for row in watches} == {a.url for a in site.articles}  # without tracking
    assert all(row[4] is None for row in watches), "no article taken for another's duplicate"
    names = Counter(str(row[3]) for row in watches)
    assert {n: c for n, c in names.items() if c > 1} == {}, "no two watches share a name"
    shared = sum(a.title == SHARED_TITLE for a in site.articles)
    expected_names = {SHARED_TITLE} | {f"{SHARED_TITLE} ({n})" for n in range(2, shared + 1)}
    assert {n for n in names if n.startswith(SHARED_TITLE)} == expected_names
    assert all(a.requests > 0 for a in site.articles), "every article page fetched"

    firsts = query(
        db,
        "SELECT w.id, (SELECT count(*) FROM snapshots s WHERE s.watch_id = w.id "
        "AND s.version = 1), (SELECT count(*) FROM checks c WHERE c.watch_id = w.id "
        "AND c.status = 'new') FROM watches w WHERE w.feed_id IS NOT NULL",
    )
    assert [row for row in firsts if row[1:] != (1, 1)] == [], "one first version, one 'new'"
    versions: dict[int, list[int]] = {}
    for watch_id, version in query(
        db, "SELECT watch_id, version FROM snapshots ORDER BY watch_id, version"
    ):
        versions.setdefault(int(str(watch_id)), []).append(int(str(version)))
    gaps = {w: v for w, v in versions.items() if v != list(range(1, len(v) + 1))}
    assert gaps == {}, "versions contiguous per watch"
    assert query(db, "SELECT error_streak, last_error FROM feeds") == [(0, None)]
    assert query(db, "SELECT * FROM feed_entry_changes") == [], "no title ever changed"

"""Databases made by the real pipeline for the web UI's tests, and requests to the app.

:func:`build_database`: sample articles served on 127.0.0.1, checked, edited and checked
again; :func:`build_followed`: a feed polled and its articles checked."""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import lxml.html
from feedsite import Site as FeedSite
from harness import FAST, Harness, Site
from server import LocalServer
from starlette.applications import Starlette

from monitor import samplesite
from monitor.config import Config, FeedConfig, Settings
from monitor.feeds.discover import poll_feed
from monitor.feeds.pacer import FeedPacer
from monitor.fetch import Fetcher
from monitor.pace import DecaySchedule, Tier
from monitor.pipeline import Checker
from monitor.samplesite.feeds import FeedItem
from monitor.store import Store

HOSTILE = """<!DOCTYPE html><html lang="en"><head><title>XSS &lt;script&gt;alert(1)&lt;/script&gt;
</title><link rel="canonical" href="javascript:alert(7)">
<meta name="author" content="&lt;img src=x onerror=alert(8)&gt;">
<meta property="article:modified_time" content="2026-01-01T00:00:00Z">
</head><body><article><h1>How &lt;script&gt;alert(1)&lt;/script&gt; works</h1>
<p>Code: &lt;img src=x onerror=alert(1)&gt; and &lt;a href="javascript:alert(1)"&gt;.</p>
<p>Live: <img src=x onerror=alert(2)><a href="javascript:alert(3)">a link</a>
<script>alert(4)</script> and more text here{edit}.</p>
<p>A third paragraph so that the article is long enough to be an article at all.</p>
</article></body></html>"""
TOKEN = "s3cret-token-0123456789"
HOST = "monitor.test"  # the host the tests' requests are sent to (allowed as if bound on it)


@dataclass(frozen=True)
class Built:
    """A database made by the real pipeline, and what is in it."""

    path: Path
    ja: int  # watch ids
    en: int
    xss: int
    failing: int
    word: str  # the English word that was replaced


def build_database(path: Path) -> Built:
    """Two sample articles edited between checks (a Japanese number and a new paragraph
    with 値上げ; an English word), a hostile article, and a watch that fails."""
    config = Config(settings=Settings(database=str(path), fetch=FAST))
    with LocalServer() as server, Store(path) as store:
        harness = Harness(store, config)
        ja = Site(server, samplesite.load_article("ja"))
        en = Site(server, samplesite.load_article("en"), path="/en/")
        server.set("/xss", HOSTILE.format(edit=""))
        server.set("/broken", "<h1>Internal Server Error</h1>", status=500)
        watches = {
            "ja": store.watches.add(ja.url, name="ja-article"),
            "en": store.watches.add(en.url, name="en-article"),
            "xss": store.watches.add(server.url("/xss"), name="xss <b>bold</b>"),
            "failing": store.watches.add(server.url("/broken"), name="failing"),
        }
        for watch in watches.values():
            harness.check(watch)
        ja.article = samplesite.replace_text(ja.article, "1万人", "1万2000人")
        ja.article = samplesite.add_block(ja.article, 3, "電気料金の値上げが家計を圧迫している。")
        text = samplesite.article_text(en.article)
        word = next(w for w in text.split() if w.isalpha() and len(w) > 6 and text.count(w) == 1)
        en.article = samplesite.replace_text(en.article, word, "replacement")
        server.set("/xss", HOSTILE.format(edit=" edited <script>alert(5)</script>"))
        for watch in watches.values():
            harness.check(watch)
        ids = {key: watch.id for key, watch in watches.items()}
    return Built(path, word=word, **ids)


def fetch(app: Starlette, *urls: str, **kwargs: object) -> list[httpx.Response]:
    """GET each URL through httpx.ASGITransport (no redirects followed)."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://monitor.test") as c:
            return [await c.get(url, **kwargs) for url in urls]  # type: ignore[arg-type]

    return asyncio.run(run())


def get(app: Starlette, url: str, **kwargs: object) -> httpx.Response:
    return fetch(app, url, **kwargs)[0]


def page(app: Starlette, url: str) -> lxml.html.HtmlElement:
    response = get(app, url)
    assert response.status_code == 200, (url, response.text[:500])
    assert response.headers["content-type"].startswith("text/html")
    return lxml.html.document_fromstring(response.text)


def texts(root: lxml.html.HtmlElement, selector: str) -> list[str]:
    return [element.text_content() for element in root.cssselect(selector)]


HOSTILE_FEED = '<script>alert("feed")</script> <b>News</b>'
HOSTILE_STORY = "<img src=x onerror=alert(9)> Story"  # a title the feed escapes as text
HOSTILE_WARNING = "<script>alert(6)</script> 3 entries skipped <img src=x onerror=alert(10)>"
FEED_SCHEDULE = DecaySchedule(tiers=(Tier(6 * 3600, 900),))  # older than 6h: retired


@dataclass(frozen=True)
class Followed:
    """A database where a feed served on 127.0.0.1 was polled and its articles checked, and
    a second feed that failed and was then dropped from the config."""

    path: Path
    feed: int  # its name is hostile; an entry on another site was skipped (a warning)
    gone: int  # no longer followed; its last error and warning are hostile
    old: int  # watch ids: published 1 day ago, retired at its first check
    first: int  # published 3h ago
    hostile: int  # published 2h ago, a hostile title
    short: int  # published 1h ago, the first story under a short link: a duplicate


def _poll_and_check(store: Store, config: Config, now: datetime) -> None:
    """Poll every followed feed once, then check every article due (real HTTP)."""
    feeds = store.feeds

    async def run() -> None:
        async with Fetcher(FAST) as fetcher:
            for feed in feeds.all():
                await poll_feed(store, fetcher, feed, now)
            checker = Checker(store, fetcher, config, plan_next=FeedPacer(store))
            for watch_id in feeds.due_watches(datetime.now(UTC).isoformat(), 100):
                await checker.check(store.watches.get(watch_id))

    asyncio.run(run())


def build_followed(path: Path) -> Followed:
    now = datetime.now(UTC).replace(microsecond=0)
    paths = ("/2026/old/", "/2026/first/", "/2026/hostile/", "/short")
    with LocalServer() as server, Store(path) as store:
        site = FeedSite(server)
        site.publish(paths[0], "Older story", now - timedelta(days=1))
        site.publish(paths[1], "First story", now - timedelta(hours=3))
        site.publish(paths[2], html.escape(HOSTILE_STORY), now - timedelta(hours=2))
        site.items["/away"] = FeedItem("https://elsewhere.example/x", "Away", "Away", now)
        server.set("/broken-feed", "<h1>Internal Server Error</h1>", status=500)
        main = FeedConfig(
            url=site.url("/feed/"), name=HOSTILE_FEED, schedule=FEED_SCHEDULE, max_age=86400 * 30
        )
        broken = FeedConfig(url=server.url("/broken-feed"), name="gone feed")
        config = Config(settings=Settings(database=str(path), fetch=FAST), feeds=(main, broken))
        store.feeds.sync_config(config)
        _poll_and_check(store, config, now)
        site.publish(paths[3], "Short link", now - timedelta(hours=1), canonical=paths[1])
        _poll_and_check(store, config, now)  # a later watch of the first story: a duplicate
        store.feeds.sync_config(replace(config, feeds=(main,)))  # no longer followed
        ids = {url: i for i, url in store.db.execute("SELECT id, url FROM watches")}
        feed_ids = {url: i for i, url in store.db.execute("SELECT id, url FROM feeds")}
        gone = feed_ids[broken.url]
        with store.transaction():
            store.db.execute(
                "UPDATE feeds SET last_error = ?, last_warning = ? WHERE id = ?",
                [f"HTTP 500 {HOSTILE_WARNING}", HOSTILE_WARNING, gone],
            )
    watches = (ids[site.url(p)] for p in paths)
    return Followed(path, feed_ids[main.url], gone, *watches)

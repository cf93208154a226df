"""A site that grows feeds over simulated time, and following it (shared by the feed tests)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner
from harness import FAST
from server import LocalServer, Response

from monitor import samplesite
from monitor.cli import cli
from monitor.config import Config, FeedConfig, Settings
from monitor.feeds.discover import Discovery, FeedReader, poll_feed
from monitor.feeds.pacer import FeedPacer
from monitor.feeds.poll import fetch_feed
from monitor.fetch import Fetcher
from monitor.pipeline import Checker, CheckResult
from monitor.samplesite.feeds import FeedItem, atom, rss, sitemap, sitemap_index
from monitor.store import Store, Watch

START = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
RSS_TYPE = {"Content-Type": "application/rss+xml; charset=UTF-8"}
XML_TYPE = {"Content-Type": "application/xml; charset=UTF-8"}


class Clock:
    """Simulated time that moves only when told to."""

    def __init__(self) -> None:
        self.now = START

    def step(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def iso(self) -> str:
        return self.now.isoformat(timespec="seconds")


class Site:
    """A WordPress-like site: article pages, /feed/ (RSS), /atom.xml, sitemaps."""

    def __init__(self, server: LocalServer) -> None:
        self.server = server
        self.articles: dict[str, samplesite.SampleArticle] = {}
        self.items: dict[str, FeedItem] = {}  # path -> item, for what the feeds list
        self.canonical: dict[str, str] = {}
        self.deleted: set[str] = set()
        self.feed_override: Response | None = None
        server.route("/feed/", lambda r: self._feed(rss, RSS_TYPE))
        server.route("/atom.xml", lambda r: self._feed(atom, XML_TYPE))
        server.route("/sitemap.xml", lambda r: self._xml(sitemap(list(self.items.values()))))
        server.route(
            "/news-sitemap.xml", lambda r: self._xml(sitemap(list(self.items.values()), news=True))
        )
        index = [(server.url("/sitemap.xml"), START), (server.url("/news-sitemap.xml"), START)]
        server.route("/sitemap_index.xml", lambda r: self._xml(sitemap_index(index)))

    def url(self, path: str) -> str:
        return self.server.url(path)

    def publish(self, path: str, title: str, published: datetime, **options: str) -> str:
        self.articles[path] = replace(samplesite.load_article("en"), title=title)
        if "canonical" in options:
            self.canonical[path] = self.url(options["canonical"])
        link = self.url(path) + options.get("suffix", "")
        self.items[path] = FeedItem(link, title, f"About {title}", published)
        self.server.route(path, lambda request: self._page(path))
        return self.url(path)

    def edit(self, path: str, old: str, new: str) -> None:
        self.articles[path] = samplesite.replace_text(self.articles[path], old, new)

    def _page(self, path: str) -> Response:
        if path in self.deleted:
            return Response(404, {"Content-Type": "text/html"}, b"<h1>Not found</h1>")
        url = self.canonical.get(path, self.url(path))
        body = samplesite.render_page(self.articles[path], url=url).encode("utf-8")
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def _feed(self, render: object, headers: dict[str, str]) -> Response:
        if self.feed_override is not None:
            return self.feed_override
        items = list(self.items.values())
        body = render(items, title="Sample", home=self.url("/"))  # type: ignore[operator]
        return Response(200, headers, body.encode("utf-8"))

    def _xml(self, text: str) -> Response:
        return Response(200, XML_TYPE, text.encode("utf-8"))


class Follow:
    """Polls feeds and checks due articles against a real database, at simulated times."""

    def __init__(self, tmp_path: Path, site: Site, *feeds: FeedConfig) -> None:
        self.clock = Clock()
        self.config = Config(
            settings=Settings(database=str(tmp_path / "m.db"), fetch=FAST, gone_after=2),
            feeds=feeds or (FeedConfig(url=site.url("/feed/"), name="rss"),),
        )
        self.store = Store(self.config.settings.database)
        self.feeds = self.store.feeds
        self.feeds.sync_config(self.config)

    def poll(self, read: FeedReader = fetch_feed) -> list[Discovery]:
        """Poll every feed once, reading each with ``read`` (tests pass a broken one)."""

        async def run() -> list[Discovery]:
            async with Fetcher(FAST) as fetcher:
                return [
                    await poll_feed(self.store, fetcher, feed, self.clock.now, read=read)
                    for feed in self.feeds.all()
                ]

        return asyncio.run(run())

    def check(self, watch_id: int) -> CheckResult:
        async def run() -> CheckResult:
            async with Fetcher(FAST) as fetcher:
                checker = Checker(
                    self.store,
                    fetcher,
                    self.config,
                    clock=self.clock.iso,
                    plan_next=FeedPacer(self.store),
                )
                return await checker.check(self.store.watches.get(watch_id))

        return asyncio.run(run())

    def check_due(self) -> list[CheckResult]:
        return [self.check(i) for i in self.feeds.due_watches(self.clock.iso(), 1000)]

    def watch(self, watch_id: int) -> Watch:
        return self.store.watches.get(watch_id)

    def interval(self, watch_id: int) -> float | None:
        watch = self.watch(watch_id)
        if watch.next_check_at is None:
            return None
        due = datetime.fromisoformat(watch.next_check_at)
        return (due - datetime.fromisoformat(watch.last_check_at or "")).total_seconds()

    def count(self, sql: str) -> int:
        return int(self.store.db.execute(sql).fetchone()[0])

    def list_all(self) -> str:
        """What `monitor list --all` prints."""
        db = self.config.settings.database
        result = CliRunner().invoke(cli, ["--db", db, "--config", "/dev/null", "list", "--all"])
        assert result.exit_code == 0, result.output
        return result.output


def _urlset(*urls: tuple[str, str | None]) -> str:
    """A sitemap of (URL, lastmod or None)."""
    rows = "".join(
        f"<url><loc>{url}</loc>{f'<lastmod>{mod}</lastmod>' if mod else ''}</url>"
        for url, mod in urls
    )
    return f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</urlset>'

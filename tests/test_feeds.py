"""Following a site through its feeds, end to end: a real HTTP site on 127.0.0.1 whose RSS,
Atom and sitemaps grow over simulated time, a real SQLite file, and a steppable clock."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from harness import FAST
from server import LocalServer, Response

from monitor import samplesite
from monitor.cli import cli
from monitor.config import Config, FeedConfig, Settings
from monitor.errors import FeedError
from monitor.feeds.discover import Discovery, FeedPacer, poll_feed
from monitor.feeds.parse import parse_document
from monitor.fetch import Fetcher
from monitor.models import CheckStatus
from monitor.pipeline import Checker, CheckResult
from monitor.samplesite.feeds import FeedItem, atom, rss, sitemap, sitemap_index
from monitor.store import SnapshotStore, Watch
from monitor.store.feeds import FeedStore

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
        self.store = SnapshotStore(self.config.settings.database)
        self.feeds = FeedStore(self.store)
        self.feeds.sync_config(self.config)

    def poll(self) -> list[Discovery]:
        async def run() -> list[Discovery]:
            async with Fetcher(FAST) as fetcher:
                return [
                    await poll_feed(self.store, fetcher, feed, self.clock.now)
                    for feed in self.feeds.feeds()
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
                return await checker.check(self.store.get_watch(watch_id))

        return asyncio.run(run())

    def check_due(self) -> list[CheckResult]:
        return [self.check(i) for i in self.feeds.due_watches(self.clock.iso(), 1000)]

    def watch(self, watch_id: int) -> Watch:
        return self.store.get_watch(watch_id)

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


@pytest.fixture
def site(http_server: LocalServer) -> Site:
    return Site(http_server)


@pytest.fixture
def follow(tmp_path: Path, site: Site) -> Follow:
    follower = Follow(tmp_path, site)
    yield follower  # type: ignore[misc]
    follower.store.close()


def test_new_articles_become_watches_checked_at_once(follow: Follow, site: Site) -> None:
    site.publish("/2026/11/first/", "First story", START - timedelta(hours=1))
    site.publish("/2026/11/second/", "Second story", START - timedelta(minutes=5))
    (found,) = follow.poll()
    assert found.status == "ok" and found.entries == 2
    assert sorted(w.label for w in found.new) == ["First story", "Second story"]
    assert all(w.source == "feed" and w.next_check_at == follow.clock.iso() for w in found.new)
    results = follow.check_due()
    assert [r.status for r in results] == [CheckStatus.NEW, CheckStatus.NEW]
    assert follow.feeds.due_watches(follow.clock.iso(), 10) == []
    assert {follow.interval(w.id) for w in found.new} == {15 * 60}
    follow.clock.step(minutes=10)
    site.publish("/2026/11/third/", "Third story", follow.clock.now)
    (again,) = follow.poll()
    assert [w.label for w in again.new] == ["Third story"]
    assert follow.poll()[0].status == "ok" and follow.poll()[0].new == ()


def test_the_schedule_decays_with_age_and_a_change_resets_it(follow: Follow, site: Site) -> None:
    site.publish("/a/", "Decaying", START)
    (watch,) = follow.poll()[0].new
    paces = []
    for hours in (0, 7, 3 * 24, 20 * 24):
        follow.clock.now = START + timedelta(hours=hours)
        follow.check(watch.id)
        paces.append(follow.interval(watch.id))
    assert paces == [15 * 60, 3600, 6 * 3600, 86400]
    site.edit("/a/", "voted 7-2", "voted 6-3")
    follow.clock.step(days=1)
    assert follow.check(watch.id).status is CheckStatus.CHANGED
    assert follow.interval(watch.id) == 15 * 60  # a change: checked often again
    follow.clock.step(hours=7)
    follow.check(watch.id)
    assert follow.interval(watch.id) == 86400
    follow.clock.now = START + timedelta(days=61)
    follow.check(watch.id)
    retired = follow.watch(watch.id)
    assert not retired.active and retired.retired_at == follow.clock.iso()
    assert retired.next_check_at is None
    assert follow.feeds.due_watches((START + timedelta(days=400)).isoformat(), 10) == []
    assert len(follow.store.snapshots(retired)) == 2  # history stays
    listed = follow.list_all()
    assert "Decaying" in listed and "(retired: past its feed's schedule)" in listed


def test_tracking_parameters_and_canonical_links_make_one_watch(follow: Follow, site: Site) -> None:
    site.publish("/2026/11/story/", "Story", START)
    (found,) = follow.poll()
    follow.check_due()
    # The same article again, under tracking parameters and a fragment: not new.
    site.items["/x"] = replace(
        site.items["/2026/11/story/"], url=site.url("/2026/11/story/?utm_source=rss#more")
    )
    # An article whose short link (?p=7) declares the first one canonical: a duplicate once
    # fetched; the long link of that first one, listed later, is no new watch either.
    site.publish("/short", "Story (short link)", START, canonical="/2026/11/story/")
    (again,) = follow.poll()
    assert [w.url for w in again.new] == [site.url("/short")]
    follow.check_due()
    duplicate = follow.watch(again.new[0].id)
    assert not duplicate.active and duplicate.duplicate_of == found.new[0].id
    site.publish("/canonical-first", "Canonical", START, canonical="/2026/11/canon/")
    follow.poll()
    follow.check_due()
    site.publish("/2026/11/canon/", "Canonical (long)", START)
    assert follow.poll()[0].new == ()
    assert follow.count("SELECT count(*) FROM watches WHERE active = 1") == 2
    original = found.new[0].id
    assert f"(inactive: the same article as watch {original})" in follow.list_all()


def test_deleted_article_is_removed_once_and_leaving_the_feed_is_no_change(
    follow: Follow, site: Site
) -> None:
    site.publish("/gone/", "To be deleted", START)
    site.publish("/stays/", "Stays", START)
    follow.poll()
    follow.check_due()
    del site.items["/stays/"]  # no longer listed: nothing happens
    follow.poll()
    site.deleted.add("/gone/")
    statuses = []
    for _ in range(4):
        follow.clock.step(minutes=15)
        statuses += [r.status.value for r in follow.check_due()]
    assert statuses.count("gone") >= 1
    gone_id = follow.store.find_watch("To be deleted").id
    assert follow.count("SELECT count(*) FROM changes") == 0
    kinds = [
        r[0]
        for r in follow.store.db.execute(
            "SELECT c.status FROM checks c WHERE watch_id = ? ORDER BY id", [gone_id]
        )
    ]
    assert kinds[:3] == ["new", "http_error", "gone"]
    stays = follow.store.find_watch("Stays")
    assert stays.active and stays.last_status in ("unchanged", "not_modified")


def test_removed_is_notified_once(tmp_path: Path, site: Site, http_server: LocalServer) -> None:
    follow = Follow(tmp_path, site)
    site.publish("/gone/", "Gone", START)
    follow.poll()
    follow.check_due()
    site.deleted.add("/gone/")

    async def run() -> None:
        async with Fetcher(FAST) as fetcher:
            checker = Checker(
                follow.store,
                fetcher,
                follow.config,
                clock=follow.clock.iso,
                plan_next=FeedPacer(follow.store),
                channels={"removed": ("hook",)},
            )
            for _ in range(4):
                follow.clock.step(minutes=15)
                for watch_id in follow.feeds.due_watches(follow.clock.iso(), 10):
                    await checker.check(follow.store.get_watch(watch_id))

    asyncio.run(run())
    assert follow.count("SELECT count(*) FROM outbox WHERE kind = 'removed'") == 1
    follow.store.close()


def test_feed_side_retitling_is_metadata_not_a_change(
    follow: Follow, site: Site, tmp_path: Path
) -> None:
    site.publish("/a/", "Old headline", START)
    follow.poll()
    follow.check_due()
    site.items["/a/"] = replace(site.items["/a/"], title="New headline", summary="New summary")
    (again,) = follow.poll()
    assert again.changes == 2 and again.new == ()
    rows = follow.store.db.execute(
        "SELECT field, old, new FROM feed_entry_changes ORDER BY id"
    ).fetchall()
    assert rows == [
        ("title", "Old headline", "New headline"),
        ("summary", "About Old headline", "New summary"),
    ]
    assert follow.count("SELECT count(*) FROM changes") == 0
    assert follow.poll()[0].changes == 0  # recorded once
    db = str(tmp_path / "m.db")
    log = CliRunner().invoke(cli, ["--db", db, "log", "Old headline"])
    assert "title: Old headline → New headline" in log.output
    assert "age " in log.output and "every 15m" in log.output


def test_atom_sitemap_and_sitemap_index(tmp_path: Path, site: Site) -> None:
    feeds = (
        FeedConfig(url=site.url("/sitemap_index.xml"), name="index"),
        FeedConfig(url=site.url("/atom.xml"), name="atom"),
    )
    follow = Follow(tmp_path, site, *feeds)
    site.publish("/a/", "In every feed", START - timedelta(hours=2))
    index_found, atom_found = follow.poll()
    assert index_found.status == "ok" and index_found.entries == 2  # two child sitemaps
    (watch,) = index_found.new
    assert watch.name == "In every feed"  # the news sitemap's title
    assert watch.published_at == (START - timedelta(hours=2)).isoformat()
    assert atom_found.status == "ok" and atom_found.entries == 1 and atom_found.new == ()
    follow.clock.step(hours=1)
    site.publish("/b/", "Second", follow.clock.now)
    index_found, atom_found = follow.poll()
    assert [w.url for w in index_found.new] == [site.url("/b/")] and atom_found.new == ()
    follow.store.close()


def test_atom_entries(tmp_path: Path, site: Site) -> None:
    follow = Follow(tmp_path, site, FeedConfig(url=site.url("/atom.xml")))
    site.publish("/a/", "Atom <i>entry</i> &amp; more", START - timedelta(hours=2))
    (found,) = follow.poll()
    assert [w.label for w in found.new] == ["Atom entry & more"]
    assert found.new[0].published_at == (START - timedelta(hours=2)).isoformat()
    follow.store.close()


def test_conditional_requests(follow: Follow, site: Site, http_server: LocalServer) -> None:
    item = FeedItem(site.url("/a/"), "A", "a", START)
    http_server.set("/feed/", rss([item], title="S", home=site.url("/")), etag="v1")
    assert follow.poll()[0].status == "ok"
    assert follow.poll()[0].status == "not_modified"
    assert http_server.requests[-1].headers.get("if-none-match") == '"v1"'


BROKEN = [
    Response(500, {"Content-Type": "text/html"}, b"<h1>Internal Server Error</h1>"),
    Response(200, {"Content-Type": "text/html"}, b"<!DOCTYPE html><html><body>Oops</body></html>"),
    Response(200, RSS_TYPE, b"<?xml version='1.0'?><rss><channel><item><title>x</channel>"),
    Response(200, RSS_TYPE, b""),
    Response(200, XML_TYPE, b"<?xml version='1.0'?><config><a/></config>"),
    Response(200, RSS_TYPE, b"<rss>" + b"x" * (FAST.max_bytes + 10) + b"</rss>"),
]


@pytest.mark.parametrize(
    "broken", BROKEN, ids=["500", "html", "malformed", "empty", "other", "huge"]
)
def test_a_broken_feed_is_an_error_and_nothing_is_lost(
    follow: Follow, site: Site, broken: Response
) -> None:
    site.publish("/a/", "Kept", START)
    follow.poll()
    site.feed_override = broken
    (failed,) = follow.poll()
    assert failed.status == "error" and failed.error
    (feed,) = follow.feeds.feeds()
    assert feed.last_status == "error" and feed.error_streak == 1 and feed.last_error
    assert follow.count("SELECT count(*) FROM watches WHERE active = 1") == 1
    site.feed_override = None
    assert follow.poll()[0].status == "ok"
    assert follow.feeds.feeds()[0].error_streak == 0


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<rss version="2.0"><channel><title>&lol2;</title></channel></rss>"""


def test_entity_declarations_are_refused() -> None:
    with pytest.raises(FeedError, match="entities"):
        parse_document(BOMB, "https://x.test/feed/")
    external = b"""<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<urlset><url><loc>&x;</loc></url></urlset>"""
    with pytest.raises(FeedError):
        parse_document(external, "https://x.test/sitemap.xml")


SLOPPY = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Sloppy &nbsp; News</title>
<item><title>Q&A: prices&nbsp;rise</title><link>https://x.test/a/?p=1&utm_source=rss</link>
<pubDate>Fri, 27 Nov 2026 01:00:00 +0000</pubDate><description>AT&T &amp; more</description></item>
<item><title>\xe5\x80\xa4\xe4\xb8\x8a\xe3\x81\x92</title><link>https://x.test/b/</link></item>
</channel></rss>"""


def test_a_feed_that_is_not_well_formed_xml_is_read_leniently() -> None:
    """Undeclared entities and stray ampersands are common in real feeds: read, not refused."""
    document = parse_document(SLOPPY, "https://x.test/feed/")
    assert document.kind == "rss"
    assert [entry.url for entry in document.entries] == [
        "https://x.test/a/?p=1&utm_source=rss",
        "https://x.test/b/",
    ]
    assert "prices rise" in document.entries[0].title
    assert document.entries[0].published_at == "2026-11-27T01:00:00+00:00"
    assert document.entries[1].title == "値上げ"


HOME = """<!DOCTYPE html><html><head><title>Sample</title>
<link rel="alternate" type="application/rss+xml" title="Sample &raquo; Feed" href="/feed/">
<link rel="alternate" type="application/rss+xml" title="Comments" href="/comments/feed/">
</head><body><p>Home</p></body></html>"""


def test_add_on_a_home_page_offers_the_feed_and_follows_it(
    tmp_path: Path, site: Site, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    (tmp_path / "config.toml").write_text("[monitor]\nretries = 0\n", encoding="utf-8")
    http_server.set("/", HOME)
    site.publish("/2026/11/a/", "Followed", datetime.now(UTC) - timedelta(hours=1))
    runner = CliRunner()
    hint = runner.invoke(cli, ["add", site.url("/")], catch_exceptions=False)
    assert hint.exit_code == 0
    assert f"announces a feed: {site.url('/feed/')}" in hint.output
    assert "--follow-feed" in hint.output
    followed = runner.invoke(cli, ["add", site.url("/"), "--follow-feed", "--name", "sample"])
    assert followed.exit_code == 0, followed.output
    assert "following feed 1: sample" in followed.output
    polled = runner.invoke(cli, ["check", "--feeds"])
    assert polled.exit_code == 0, polled.output
    assert "1 new" in polled.output and "Followed" in polled.output
    listed = runner.invoke(cli, ["feeds", "--json"])
    assert '"articles": 1' in listed.output and '"last_status": "ok"' in listed.output
    checked = runner.invoke(cli, ["check", "--json"])
    assert '"status": "new"' in checked.output
    status = runner.invoke(cli, ["status"])
    assert "age 1h: every 15m" in status.output
    http_server.set("/plain/", "<html><body><p>No feed here</p></body></html>")
    missing = runner.invoke(cli, ["add", site.url("/plain/"), "--follow-feed"])
    assert missing.exit_code == 1 and "announces none" in missing.output


def test_migration_from_schema_3_keeps_everything(tmp_path: Path) -> None:
    from monitor.store.schema import MIGRATIONS

    path = tmp_path / "old.db"
    import sqlite_utils

    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:3]:
        migration(db)
    db.execute("PRAGMA user_version = 3")
    db.execute(
        "INSERT INTO watches (url, name, created_at) VALUES "
        "('https://X.test/a/?utm_source=x', 'a', '2026-01-01T00:00:00+00:00')"
    )
    db.conn.commit()
    db.close()
    with SnapshotStore(path) as store:
        assert store.schema_version == 4
        watch = store.find_watch("a")
        assert watch.url_key == "https://x.test/a/" and watch.feed_id is None
        assert FeedStore(store).feeds() == []
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"feeds", "feed_entry_changes"} <= tables
    conn.close()
    from monitor.store.schema import add_feeds

    again = sqlite_utils.Database(path)
    add_feeds(again)  # idempotent
    again.close()

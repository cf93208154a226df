"""Feed following after the second review: failed writes recorded, names, schema version 6
(URL keys recomputed, off-site feeds kept), per-sitemap baselines, warnings kept on the feed,
and adoption of feed articles by URL key. A real HTTP site on 127.0.0.1 and real SQLite."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import timedelta
from functools import partial
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from feedsite import START, Follow, Site, _urlset
from harness import FAST, FAST_CONFIG
from server import LocalServer

from monitor.cli import Environment, cli
from monitor.config import FeedConfig, WatchConfig
from monitor.feeds.discover import Discovery, poll_feed
from monitor.feeds.poll import fetch_feed
from monitor.fetch import Fetcher
from monitor.samplesite.feeds import FeedItem, rss
from monitor.store import SCHEMA_VERSION, Store
from monitor.store.feeds import Feeds, KnownEntry
from monitor.store.schema import MIGRATIONS

#: the CLI's clock in these tests: an hour after the feeds' entries were published
AFTER_START = Environment(clock=lambda: START + timedelta(hours=1))


@pytest.fixture
def server_site(http_server: LocalServer) -> Site:
    """A bare site: only what each test serves."""
    site = Site.__new__(Site)
    site.server = http_server
    return site


@pytest.fixture
def site(http_server: LocalServer) -> Site:
    return Site(http_server)


@pytest.fixture
def follow(tmp_path: Path, site: Site) -> Iterator[Follow]:
    follower = Follow(tmp_path, site)
    yield follower
    follower.store.close()


@pytest.fixture
def opened() -> Iterator[list[Follow]]:
    followers: list[Follow] = []
    yield followers
    for follower in followers:
        follower.store.close()


def _follow(tmp_path: Path, site: Site, opened: list[Follow], *feeds: FeedConfig) -> Follow:
    follower = Follow(tmp_path, site, *feeds)
    opened.append(follower)
    return follower


def _rss(
    server: LocalServer, path: str, links: list[tuple[str, str]], etag: str | None = None
) -> None:
    items = [
        FeedItem(url, title, f"About {title}", START - timedelta(hours=i))
        for i, (url, title) in enumerate(links)
    ]
    server.set(path, rss(items, title="S", home=server.url("/")), etag=etag)


def _refuse_inserts(store: Store, pattern: str) -> None:
    """A write SQLite itself refuses: any watch whose URL matches ``pattern``."""
    store.db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON watches WHEN NEW.url LIKE ? "
        "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END".replace("?", f"'{pattern}'")
    )


# -- 1: a failed write is the poll's failure, recorded on the feed ----------------------------


def test_a_failed_write_is_recorded_on_the_feed(
    tmp_path: Path, http_server: LocalServer, server_site: Site, opened: list[Follow]
) -> None:
    _rss(http_server, "/feed/", [(http_server.url("/bad/"), "Bad")])
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/feed/")))
    _refuse_inserts(follow.store, "%/bad/%")
    (found,) = follow.poll()
    assert found.status == "error" and "refused by the test" in str(found.error)
    (feed,) = follow.feeds.all()
    assert feed.last_status == "error" and "refused by the test" in str(feed.last_error)
    assert feed.error_streak == 1 and feed.baseline_at is None
    assert follow.store.watches.all(active_only=False) == []


def test_check_feeds_goes_on_after_a_feed_whose_write_fails(
    tmp_path: Path, http_server: LocalServer
) -> None:
    _rss(http_server, "/one/", [(http_server.url("/bad/"), "Bad")])
    _rss(http_server, "/two/", [(http_server.url("/good/"), "Good")])
    config = tmp_path / "config.toml"
    config.write_text(
        FAST_CONFIG + f'[[feed]]\nurl = "{http_server.url("/one/")}"\n'
        f'[[feed]]\nurl = "{http_server.url("/two/")}"\n',
        encoding="utf-8",
    )
    db = str(tmp_path / "m.db")
    with Store(db) as store:
        _refuse_inserts(store, "%/bad/%")
    args = ["--config", str(config), "--db", db, "check", "--feeds", "--json"]
    result = CliRunner().invoke(cli, args, obj=AFTER_START)
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert [(x["url"], x["status"]) for x in lines] == [
        (http_server.url("/one/"), "error"),
        (http_server.url("/two/"), "ok"),
    ]
    assert [w["url"] for w in lines[1]["new"]] == [http_server.url("/good/")]


def test_two_processes_polling_one_feed_add_each_article_once(
    tmp_path: Path,
    http_server: LocalServer,
    server_site: Site,
    opened: list[Follow],
) -> None:
    """What is known is read inside the write transaction: another process's poll in
    between cannot make this one insert the same articles again."""
    _rss(http_server, "/feed/", [(http_server.url(f"/{i}/"), f"Story {i}") for i in range(3)])
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/feed/")))
    other_polls: list[Discovery] = []

    class PolledMeanwhile(Feeds):
        """Feeds whose lookup of known entries lets another process poll the feed."""

        def known(self, keys: Iterable[str]) -> dict[str, KnownEntry]:
            found = super().known(keys)
            if not other_polls:
                other = threading.Thread(target=_poll_once, args=(tmp_path / "m.db", other_polls))
                other.start()
                other.join()
            return found

    follow.store.feeds = PolledMeanwhile(follow.store.database)
    (found,) = follow.poll()
    urls = [w.url for w in follow.store.watches.all(active_only=False)]
    assert found.status == "ok" and sorted(urls) == sorted(set(urls)) and len(urls) == 3
    assert other_polls[0].status == "error"  # it waited for the lock in vain


def _poll_once(path: Path, polls: list[Discovery]) -> None:
    """Another process polls the feed (its own connection; it fails at once when locked)."""

    async def run() -> Discovery:
        async with Fetcher(FAST) as fetcher:
            (feed,) = store.feeds.all()
            return await poll_feed(store, fetcher, feed, START)

    with Store(path) as store:
        store.db.execute("PRAGMA busy_timeout = 0")
        polls.append(asyncio.run(run()))


# -- 2: names ---------------------------------------------------------------------------------


def test_titles_numbered_like_other_titles_get_free_names(
    tmp_path: Path, http_server: LocalServer, server_site: Site, opened: list[Follow]
) -> None:
    links = [(http_server.url(f"/{i}/"), t) for i, t in enumerate(["A", "A (2)", "A"])]
    _rss(http_server, "/feed/", links)
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/feed/")))
    follow.store.watches.add(http_server.url("/elsewhere/"), name="A (3)")
    (found,) = follow.poll()
    assert found.status == "ok", found.error
    assert [w.name for w in found.new] == ["A", "A (2)", "A (4)"]


# -- 3: schema version 6 recomputes URL keys --------------------------------------------------


def _old_db(path: Path, version: int, statements: list[tuple[str, list[object]]]) -> None:
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:version]:
        migration(db)
    db.execute(f"PRAGMA user_version = {version}")
    for sql, params in statements:
        db.execute(sql, params)
    db.conn.commit()
    db.close()


@pytest.mark.parametrize("version", [4, 5])
def test_upgrade_recomputes_url_keys_so_polls_find_known_articles(
    tmp_path: Path,
    http_server: LocalServer,
    server_site: Site,
    opened: list[Follow],
    version: int,
) -> None:
    feed_url, main, rss_link = (
        http_server.url("/feed/"),
        http_server.url("/a/?ref=main"),
        http_server.url("/b/?ref=rss"),
    )
    old_key = http_server.url("/a/")  # what version 4 made of it: ref dropped
    _old_db(
        tmp_path / "m.db",
        version,
        [
            (
                "INSERT INTO feeds (id, url, created_at, last_polled_at, last_status, "
                "last_entries) VALUES (1, ?, '2026-01-01', '2026-01-02', 'ok', 1)",
                [feed_url],
            ),
            (
                "INSERT INTO watches (url, url_key, name, created_at) "
                "VALUES (?, ?, 'main', '2026-01-01')",
                [main, old_key],
            ),
            (  # found by the feed under version 4: stored without its ?ref=rss
                "INSERT INTO watches (url, url_key, name, created_at, feed_id, source, "
                "feed_title) VALUES (?, ?, 'B', '2026-01-01', 1, 'feed', 'B')",
                [http_server.url("/b/"), http_server.url("/b/")],
            ),
        ],
    )
    _rss(http_server, "/feed/", [(main, "Main"), (rss_link, "B")])
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=feed_url))
    assert follow.store.schema_version == SCHEMA_VERSION
    assert follow.store.watches.find("main").url_key == main
    (found,) = follow.poll()
    assert found.status == "ok" and found.new == (), found.error
    assert len(follow.store.watches.all(active_only=False)) == 2


def test_upgrade_keeps_both_watches_that_now_share_a_key(tmp_path: Path) -> None:
    older, newer = "https://bücher.example/a/", "https://xn--bcher-kva.example./a/"
    _old_db(
        tmp_path / "v5.db",
        5,
        [
            (
                "INSERT INTO feeds (id, url, created_at) VALUES (1, ?, '2026-01-01')",
                ["https://xn--bcher-kva.example/feed/"],
            ),
            (
                "INSERT INTO watches (url, url_key, created_at, feed_id, source) "
                "VALUES (?, ?, '2026-01-01', 1, 'feed'), (?, ?, '2026-01-02', 1, 'feed')",
                [older, older, newer, newer],
            ),
        ],
    )
    with Store(tmp_path / "v5.db") as store:
        first, second = store.watches.all(active_only=False)
        assert first.url_key == second.url_key == "https://xn--bcher-kva.example/a/"
        assert first.active and first.duplicate_of is None
        assert not second.active and second.duplicate_of == first.id  # kept, no longer checked
        assert not store.feeds.all()[0].any_host  # the same site, in punycode


# -- 4: the back catalogue of every child sitemap is a baseline -------------------------------


def _index(server: LocalServer, *children: tuple[str, str | None]) -> None:
    rows = "".join(
        f"<sitemap><loc>{server.url(path)}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
        + "</sitemap>"
        for path, lastmod in children
    )
    server.set(
        "/index.xml",
        f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{rows}</sitemapindex>',
    )


def _undated(server: LocalServer, path: str, prefix: str, count: int) -> None:
    server.set(path, _urlset(*[(server.url(f"/{prefix}{i}/"), None) for i in range(count)]))


def test_a_child_sitemap_failing_on_the_first_poll_brings_no_flood_later(
    tmp_path: Path, http_server: LocalServer, server_site: Site, opened: list[Follow]
) -> None:
    _index(http_server, ("/a.xml", None), ("/b.xml", None))
    _undated(http_server, "/a.xml", "a", 5)
    http_server.set("/b.xml", "oops", status=500)
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/index.xml")))
    (first,) = follow.poll()
    assert first.status == "ok" and first.new == ()
    assert http_server.url("/b.xml") in str(follow.feeds.all()[0].last_warning)
    _undated(http_server, "/b.xml", "b", 300)
    (second,) = follow.poll()
    assert second.new == () and "300 undated entries taken as already published" in str(
        second.error
    )
    assert follow.feeds.all()[0].last_warning is None
    _undated(http_server, "/b.xml", "b", 301)  # a new article in it, at last
    (third,) = follow.poll()
    assert [w.url for w in third.new] == [http_server.url("/b300/")]


def test_a_first_poll_without_entries_sets_no_baseline(
    tmp_path: Path, http_server: LocalServer, server_site: Site, opened: list[Follow]
) -> None:
    http_server.set("/s.xml", _urlset())
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/s.xml")))
    (first,) = follow.poll()
    assert first.status == "ok" and follow.feeds.all()[0].baseline_at is None
    _undated(http_server, "/s.xml", "o", 50)
    (second,) = follow.poll()
    assert second.new == () and follow.feeds.all()[0].baseline_at is not None
    _undated(http_server, "/s.xml", "o", 51)
    assert [w.url for w in follow.poll()[0].new] == [http_server.url("/o50/")]


def test_an_index_whose_children_all_fail_sets_no_baseline(
    tmp_path: Path, http_server: LocalServer, server_site: Site, opened: list[Follow]
) -> None:
    _index(http_server, ("/a.xml", None))
    http_server.set("/a.xml", "oops", status=500)
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/index.xml")))
    (first,) = follow.poll()
    assert first.status == "ok" and follow.feeds.all()[0].baseline_at is None
    _undated(http_server, "/a.xml", "a", 40)
    assert follow.poll()[0].new == ()


def test_a_child_sitemap_read_for_the_first_time_later_is_its_back_catalogue(
    tmp_path: Path,
    http_server: LocalServer,
    server_site: Site,
    opened: list[Follow],
) -> None:
    one = partial(fetch_feed, max_children=1)  # the newest child sitemap only
    _index(http_server, ("/old.xml", "2026-01-01"), ("/new.xml", "2026-11-01"))
    _undated(http_server, "/old.xml", "old", 200)
    http_server.set("/new.xml", _urlset((http_server.url("/n0/"), None)))
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/index.xml")))
    assert follow.poll(one)[0].new == ()  # /new.xml only: its one undated entry is a baseline
    _index(http_server, ("/old.xml", "2026-11-27"), ("/new.xml", "2026-11-01"))  # bumped
    dated = (http_server.url("/old-dated/"), START.isoformat())
    old = [(http_server.url(f"/old{i}/"), None) for i in range(200)]
    http_server.set("/old.xml", _urlset(*old, dated))
    (found,) = follow.poll(one)
    assert [w.url for w in found.new] == [dated[0]]  # the 200 undated: its back catalogue
    http_server.set("/old.xml", _urlset(*old, dated, (http_server.url("/old200/"), None)))
    assert [w.url for w in follow.poll(one)[0].new] == [http_server.url("/old200/")]


# -- 5: other sites: a warning kept on the feed, --any-host, and the upgrade -------------------


def test_entries_on_other_sites_leave_a_warning_on_the_feed(
    tmp_path: Path,
    http_server: LocalServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    (tmp_path / "config.toml").write_text(FAST_CONFIG, encoding="utf-8")
    links = [(http_server.url("/own/"), "Own")]
    links += [(f"https://techcrunch.com/{i}/", f"Elsewhere {i}") for i in range(3)]
    _rss(http_server, "/feed/", links, etag="v1")  # unchanged: later polls get a 304
    runner = CliRunner()
    assert runner.invoke(cli, ["add", http_server.url("/feed/"), "--follow-feed"]).exit_code == 0
    polled = runner.invoke(cli, ["check", "--feeds"], obj=AFTER_START)
    assert "1 new" in polled.output
    listed = runner.invoke(cli, ["feeds"]).output
    assert "warning: 3 entries on other sites skipped (127.0.0.1 → techcrunch.com)" in listed
    assert f"monitor add {http_server.url('/feed/')} --follow-feed --any-host" in listed
    (row,) = json.loads(runner.invoke(cli, ["feeds", "--json"]).output)
    assert row["last_warning"].startswith("3 entries on other sites") and not row["any_host"]
    anywhere = runner.invoke(cli, ["add", http_server.url("/feed/"), "--follow-feed", "--any-host"])
    assert anywhere.exit_code == 0 and "articles on any site" in anywhere.output
    (row,) = json.loads(runner.invoke(cli, ["feeds", "--json"]).output)
    assert row["any_host"] and row["last_warning"] is None  # the advice was followed
    polled = runner.invoke(cli, ["check", "--feeds"], obj=AFTER_START)
    assert "3 new" in polled.output  # read whole, not a 304
    alone = runner.invoke(cli, ["add", http_server.url("/x/"), "--any-host"])
    assert alone.exit_code == 2 and "--follow-feed" in alone.output


def test_a_config_feeds_off_site_entries_are_logged_and_kept_as_a_warning(
    tmp_path: Path,
    http_server: LocalServer,
    server_site: Site,
    opened: list[Follow],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _rss(http_server, "/feed/", [("https://techcrunch.com/a/", "A")])
    follow = _follow(tmp_path, server_site, opened, FeedConfig(url=http_server.url("/feed/")))
    follow.poll()
    warning = str(follow.feeds.all()[0].last_warning)
    assert "1 entry on other sites skipped" in warning and "any_host = true" in warning
    assert any(r.levelname == "WARNING" and "techcrunch.com" in r.message for r in caplog.records)
    anywhere = replace(
        follow.config, feeds=(FeedConfig(url=http_server.url("/feed/"), any_host=True),)
    )
    follow.feeds.sync_config(anywhere)
    (feed,) = follow.feeds.all()
    assert (feed.etag, feed.last_modified, feed.last_warning) == (None, None, None)  # read whole


def test_upgrade_lets_feeds_that_found_articles_elsewhere_go_on(tmp_path: Path) -> None:
    _old_db(
        tmp_path / "v5.db",
        5,
        [
            (
                "INSERT INTO feeds (id, url, created_at) VALUES (1, ?, '2026-01-01'), "
                "(2, ?, '2026-01-01')",
                ["https://feeds.feedburner.com/TechCrunch", "https://example.com/feed/"],
            ),
            (
                "INSERT INTO watches (url, url_key, created_at, feed_id, source) "
                "VALUES (?, ?, '2026-01-01', 1, 'feed'), (?, ?, '2026-01-01', 2, 'feed')",
                [*["https://techcrunch.com/a/"] * 2, *["https://www.example.com/a/"] * 2],
            ),
        ],
    )
    with Store(tmp_path / "v5.db") as store:
        burner, own = store.feeds.all()
        assert burner.any_host and not own.any_host


# -- 6 and 7: config.toml and `monitor add` meet feed articles --------------------------------


def test_config_names_are_never_given_to_a_renamed_feed_article(follow: Follow, site: Site) -> None:
    site.publish("/budget/", "Budget", START)
    follow.poll()
    wanted = (
        WatchConfig(url=site.url("/x/"), name="Budget"),
        WatchConfig(url=site.url("/y/"), name="Budget (2)"),
    )
    follow.store.sync_config(replace(follow.config, watches=wanted))
    names = {w.url: w.name for w in follow.store.watches.all(active_only=False)}
    assert names == {
        site.url("/budget/"): "Budget (3)",
        site.url("/x/"): "Budget",
        site.url("/y/"): "Budget (2)",
    }


def test_add_adopts_the_feed_article_with_the_same_url_key(follow: Follow, site: Site) -> None:
    url = site.publish("/a/", "A", START)
    (found,) = follow.poll()
    added = follow.store.watches.add(url + "?utm_source=twitter")
    assert added.id == found.new[0].id and added.feed_id is None
    assert added.url == url + "?utm_source=twitter" and added.url_key == url
    assert [w.id for w in follow.store.watches.all(active_only=False)] == [added.id]
    assert follow.poll()[0].new == ()  # the feed's entry is that watch


def test_config_adopts_the_feed_article_with_the_same_url_key(follow: Follow, site: Site) -> None:
    url = site.publish("/a/", "A", START)
    (found,) = follow.poll()
    config = replace(follow.config, watches=(WatchConfig(url=url + "?utm_source=x"),))
    follow.store.sync_config(config)
    follow.store.sync_config(config)  # and again: nothing more
    (watch,) = follow.store.watches.all(active_only=False)
    assert watch.id == found.new[0].id and watch.source == "config" and watch.feed_id is None
    assert watch.url == url + "?utm_source=x" and watch.url_key == url

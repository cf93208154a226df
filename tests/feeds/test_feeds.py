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
from feedsite import RSS_TYPE, START, XML_TYPE, Follow, Site, _urlset
from harness import FAST, FAST_CONFIG
from server import LocalServer, Response

from monitor import samplesite
from monitor.cli import Environment, cli
from monitor.config import FeedConfig, WatchConfig
from monitor.errors import FeedError, UsageError
from monitor.feeds.pacer import FeedPacer
from monitor.feeds.parse import parse_document
from monitor.feeds.poll import FeedFetch
from monitor.fetch import Fetcher
from monitor.models import CheckStatus
from monitor.pace import DecaySchedule, Tier
from monitor.pipeline import Checker
from monitor.samplesite.feeds import FeedItem, rss
from monitor.store import SCHEMA_VERSION, Store


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
    assert len(follow.store.versions.of(retired)) == 2  # history stays
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
    gone_id = follow.store.watches.find("To be deleted").id
    assert follow.count("SELECT count(*) FROM changes") == 0
    kinds = [
        r[0]
        for r in follow.store.db.execute(
            "SELECT c.status FROM checks c WHERE watch_id = ? ORDER BY id", [gone_id]
        )
    ]
    assert kinds[:3] == ["new", "http_error", "gone"]
    stays = follow.store.watches.find("Stays")
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
                    await checker.check(follow.store.watches.get(watch_id))

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
    clock = Environment(clock=lambda: follow.clock.now)
    log = CliRunner().invoke(cli, ["--db", db, "log", "Old headline"], obj=clock)
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
    (feed,) = follow.feeds.all()
    assert feed.last_status == "error" and feed.error_streak == 1 and feed.last_error
    assert follow.count("SELECT count(*) FROM watches WHERE active = 1") == 1
    site.feed_override = None
    assert follow.poll()[0].status == "ok"
    assert follow.feeds.all()[0].error_streak == 0


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
    (tmp_path / "config.toml").write_text(FAST_CONFIG, encoding="utf-8")
    http_server.set("/", HOME)
    site.publish("/2026/11/a/", "Followed", datetime.now(UTC) - timedelta(hours=1))
    runner = CliRunner()
    hint = runner.invoke(cli, ["add", site.url("/")], catch_exceptions=False)
    assert hint.exit_code == 0
    assert f"announces a feed: {site.url('/feed/')}" in hint.output
    assert "--follow-feed" in hint.output
    assert f"added watch 1: {site.url('/')}\nversion 1: " in hint.output  # it has a little text
    http_server.set("/www/", "<h1>Service Unavailable</h1>", status=503)
    down = runner.invoke(cli, ["add", site.url("/www/"), "--force"], catch_exceptions=False)
    assert down.exit_code == 0 and "first check: http_error" in down.output
    http_server.set("/www/", HOME)  # back: it announces the feed
    followed = runner.invoke(cli, ["add", site.url("/www/"), "--follow-feed", "--name", "sample"])
    assert followed.exit_code == 0, followed.output
    assert "following feed 1: sample (polled every 15m)" in followed.output
    assert f"watch 2 ({site.url('/www/')}) had no version yet: no longer checked" in followed.output
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
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        watch = store.watches.find("a")
        assert watch.url_key == "https://x.test/a/" and watch.feed_id is None
        assert store.feeds.all() == []
    conn = sqlite3.connect(path)
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"feeds", "feed_entry_changes"} <= tables
    conn.close()
    from monitor.store.schema import add_feeds

    again = sqlite_utils.Database(path)
    add_feeds(again)  # idempotent
    again.close()


# -- review and new-user trial fixes ----------------------------------------------------------


def test_a_config_watch_or_add_adopts_a_feed_article_live_or_retired(
    follow: Follow, site: Site
) -> None:
    live = site.publish("/live/", "Live", START)
    old = site.publish("/old/", "Old", START)
    added = site.publish("/added/", "Added", START)
    follow.poll()
    follow.check_due()
    retired = follow.store.watches.find("Old")
    follow.clock.now = START + timedelta(days=61)
    follow.check(retired.id)
    assert follow.watch(retired.id).retired_at and follow.watch(retired.id).next_check_at is None
    watches = (WatchConfig(url=live), WatchConfig(url=old, name="old one", interval=600))
    follow.store.sync_config(replace(follow.config, watches=watches))
    for url in (live, old):
        watch = follow.store.watches.find(url)
        assert watch.active and watch.source == "config"
        assert (watch.feed_id, watch.retired_at, watch.duplicate_of) == (None, None, None)
    assert {w.url for w in follow.store.watches.interval_watches()} == {live, old}
    assert follow.store.watches.find("old one").interval == 600
    assert follow.store.watches.find(live).name == "Live"  # keeps its name
    watch = follow.store.watches.add(added, interval=900)
    assert (watch.feed_id, watch.source, watch.interval, watch.name) == (None, "cli", 900, "Added")
    assert added in {w.url for w in follow.store.watches.interval_watches()}
    far = (START + timedelta(days=400)).isoformat()
    assert follow.feeds.due_watches(far, 10) == []
    with pytest.raises(UsageError, match="already watched"):
        follow.store.watches.add(added)


OUT_OF_RANGE_SITEMAP = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>URL/a/</loc><lastmod>9999-12-31T23:00:00-05:00</lastmod></url>
<url><loc>URL/b/</loc><lastmod>2026-11-27T08:00:00+00:00</lastmod></url>
</urlset>"""
OUT_OF_RANGE_ATOM = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
<entry><title>A</title><link href="https://x.test/a/"/><updated>0001-01-01T00:00:00+05:00</updated></entry>
</feed>"""
OUT_OF_RANGE_RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
<item><title>A</title><link>https://x.test/a/</link>
<pubDate>Fri, 31 Dec 9999 23:00:00 -0500</pubDate></item>
</channel></rss>"""


def test_out_of_range_dates_are_no_dates() -> None:
    sitemap_doc = parse_document(OUT_OF_RANGE_SITEMAP, "https://x.test/sitemap.xml")
    assert [e.published_at for e in sitemap_doc.entries] == [None, "2026-11-27T08:00:00+00:00"]
    assert parse_document(OUT_OF_RANGE_ATOM, "https://x.test/atom").entries[0].published_at is None
    assert parse_document(OUT_OF_RANGE_RSS, "https://x.test/rss").entries[0].published_at is None


def test_check_feeds_survives_an_out_of_range_date(
    tmp_path: Path, http_server: LocalServer
) -> None:
    body = OUT_OF_RANGE_SITEMAP.replace(b"URL", http_server.url("").rstrip("/").encode())
    http_server.set("/sitemap.xml", body, headers=XML_TYPE)
    config = tmp_path / "config.toml"
    config.write_text(
        FAST_CONFIG + f'[[feed]]\nurl = "{http_server.url("/sitemap.xml")}"\nmax_age = "3650d"\n',
        encoding="utf-8",
    )
    db = str(tmp_path / "m.db")
    result = CliRunner().invoke(cli, ["--config", str(config), "--db", db, "check", "--feeds"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "1 new" in result.output  # a: undated
    assert f"new  {http_server.url('/b/')}\n" in result.output  # unnamed: its URL once


def test_an_unexpected_parse_error_is_a_feed_failure(follow: Follow, site: Site) -> None:
    site.publish("/a/", "Kept", START)
    follow.poll()

    async def broken(*args: object) -> FeedFetch:
        raise RuntimeError("parser bug")

    (failed,) = follow.poll(read=broken)
    assert failed.status == "error" and "unexpected RuntimeError: parser bug" in str(failed.error)
    (feed,) = follow.feeds.all()
    assert feed.last_status == "error" and feed.error_streak == 1
    assert "RuntimeError" in str(feed.last_error)


INDEX = """<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>{url}</loc></sitemap></sitemapindex>"""


def test_a_sitemap_index_answering_304_still_reads_its_sitemaps(
    tmp_path: Path, http_server: LocalServer
) -> None:
    http_server.set("/index.xml", INDEX.format(url=http_server.url("/posts.xml")), etag="i1")
    urls = [(http_server.url("/a/"), START.isoformat())]
    http_server.set("/posts.xml", _urlset(*urls), etag="p1")
    site = Site.__new__(Site)
    site.server = http_server
    follow = Follow(tmp_path, site, FeedConfig(url=http_server.url("/index.xml")))
    assert len(follow.poll()[0].new) == 1
    urls.append((http_server.url("/b/"), START.isoformat()))
    http_server.set("/posts.xml", _urlset(*urls), etag="p2")
    (second,) = follow.poll()
    assert [w.url for w in second.new] == [http_server.url("/b/")] and second.entries == 2
    index_requests = [r for r in http_server.requests if r.path == "/index.xml"]
    assert all("if-none-match" not in r.headers for r in index_requests)
    (third,) = follow.poll()  # nothing new: the sitemap answers 304 to its own validators
    assert third.status == "ok" and third.new == () and third.entries == 2
    assert http_server.requests[-1].path == "/posts.xml"
    assert http_server.requests[-1].headers.get("if-none-match") == '"p2"'
    follow.store.close()


def test_sitemap_index_children_without_lastmod_are_read_last_first() -> None:
    from monitor.feeds.parse import ChildSitemap
    from monitor.feeds.poll import MAX_CHILDREN, newest_children

    wordpress = tuple(
        ChildSitemap(f"https://x.test/wp-sitemap-posts-post-{i}.xml") for i in range(1, 26)
    )
    chosen = [c.url.rsplit("-", 1)[1] for c in newest_children(wordpress)]
    assert len(chosen) == MAX_CHILDREN and chosen[:2] == ["25.xml", "24.xml"]
    assert "1.xml" not in chosen and "5.xml" not in chosen
    mixed = (
        ChildSitemap("https://x.test/old.xml", "2020-01-01T00:00:00+00:00"),
        ChildSitemap("https://x.test/undated.xml"),
        ChildSitemap("https://x.test/new.xml", "2026-01-01T00:00:00+00:00"),
    )
    assert [c.url.rsplit("/", 1)[1] for c in newest_children(mixed)] == [
        "new.xml",
        "old.xml",
        "undated.xml",
    ]


EXTENSIONS = b"""<?xml version="1.0"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
 xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"
 xmlns:video="http://www.google.com/schemas/sitemap-video/1.1"
 xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
<url><image:image><image:loc>https://x.test/i.jpg</image:loc><image:title>Image</image:title>
 </image:image><loc>https://x.test/a/</loc><lastmod>2026-11-01T00:00:00Z</lastmod>
 <video:video><video:title>Video</video:title>
 <video:publication_date>2020-01-01T00:00:00Z</video:publication_date></video:video></url>
<url><loc>https://x.test/b/</loc><news:news><news:publication><news:name>S</news:name>
 </news:publication><news:publication_date>2026-11-02T00:00:00Z</news:publication_date>
 <news:title>News B</news:title></news:news></url>
<url><image:image><image:loc>https://x.test/only-image.jpg</image:loc></image:image></url>
</urlset>"""


def test_sitemap_extension_tags_are_not_article_data() -> None:
    entries = parse_document(EXTENSIONS, "https://x.test/sitemap.xml").entries
    assert [(e.url, e.title, e.published_at) for e in entries] == [
        ("https://x.test/a/", "", "2026-11-01T00:00:00+00:00"),
        ("https://x.test/b/", "News B", "2026-11-02T00:00:00+00:00"),
    ]


def test_config_names_win_over_feed_titles_and_titles_never_shadow_ids(
    follow: Follow, site: Site, tmp_path: Path
) -> None:
    site.publish("/budget/", "Budget", START)
    site.publish("/one/", "1", START)
    site.publish("/url/", "https://elsewhere.test/", START)
    follow.poll()
    other = site.url("/other/")
    follow.store.sync_config(
        replace(follow.config, watches=(WatchConfig(url=other, name="Budget"),))
    )
    assert follow.store.watches.find("Budget").url == other
    assert follow.store.watches.find(site.url("/budget/")).name == "Budget (2)"
    assert follow.store.watches.find(site.url("/one/")).name == "1 (article)"
    assert follow.store.watches.find("https://elsewhere.test/ (article)").url == site.url("/url/")
    first = follow.store.watches.get(1)
    assert follow.store.watches.find("1").id == 1 and first.url == site.url("/budget/")
    follow.store.watches.add(site.url("/cli/"), name="1 (article)")  # `monitor add` wins too
    assert follow.store.watches.find(site.url("/one/")).name == "1 (article) (2)"
    with pytest.raises(UsageError):
        follow.store.watches.find("99999999999999999999")
    with pytest.raises(UsageError):
        follow.store.watches.get(2**64)
    db = str(tmp_path / "m.db")
    huge = CliRunner().invoke(cli, ["--db", db, "--config", "/dev/null", "log", "9" * 20])
    assert huge.exit_code == 1 and "no watch with id or name" in huge.output


def test_naming_many_same_titled_articles_is_linear(follow: Follow) -> None:
    from monitor.store.feeds import NewWatch, PollRecord

    (feed,) = follow.feeds.all()
    new = tuple(
        NewWatch(f"https://x.test/{i}/", f"https://x.test/{i}/", "Same", None, None)
        for i in range(3000)
    )
    statements: list[str] = []
    follow.store.db.conn.set_trace_callback(statements.append)
    follow.feeds.record_poll(
        feed, PollRecord(feed.id, START.isoformat(), "ok", new=new), feed.rules
    )
    follow.store.db.conn.set_trace_callback(None)
    assert sum("SELECT name FROM watches" in s for s in statements) == 1
    assert follow.store.watches.find("Same (3000)").url == "https://x.test/2999/"


def test_undated_entries_of_a_first_poll_are_the_back_catalogue(
    tmp_path: Path, http_server: LocalServer
) -> None:
    urls = [(http_server.url(f"/old-{i}/"), None) for i in range(5)]
    http_server.set("/wp-sitemap.xml", _urlset(*urls))
    site = Site.__new__(Site)
    site.server = http_server
    follow = Follow(tmp_path, site, FeedConfig(url=http_server.url("/wp-sitemap.xml")))
    (first,) = follow.poll()
    assert first.status == "ok" and first.new == () and first.entries == 5
    assert "5 undated entries taken as already published" in str(first.error)
    urls.append((http_server.url("/new/"), None))
    http_server.set("/wp-sitemap.xml", _urlset(*urls))
    (second,) = follow.poll()
    assert [w.url for w in second.new] == [http_server.url("/new/")]
    assert second.new[0].published_at is None and follow.poll()[0].new == ()
    follow.store.close()


def test_max_new_caps_one_poll_and_the_rest_come_later(
    tmp_path: Path, http_server: LocalServer
) -> None:
    items = [
        FeedItem(http_server.url(f"/{i}/"), f"Story {i}", "s", START - timedelta(hours=i))
        for i in range(5)
    ]
    http_server.set("/feed/", rss(items, title="S", home=http_server.url("/")), etag="f1")
    site = Site.__new__(Site)
    site.server = http_server
    follow = Follow(tmp_path, site, FeedConfig(url=http_server.url("/feed/"), max_new=2))
    polls = [follow.poll()[0] for _ in range(4)]
    assert [[w.name for w in p.new] for p in polls] == [
        ["Story 0", "Story 1"],
        ["Story 2", "Story 3"],
        ["Story 4"],
        [],
    ]
    assert [p.deferred for p in polls] == [3, 1, 0, 0]
    assert polls[3].status == "not_modified"  # validators kept once nothing was left
    follow.store.close()


def test_changing_a_feeds_schedule_brings_its_articles_forward(follow: Follow, site: Site) -> None:
    site.publish("/a/", "A", START)
    site.publish("/b/", "B", START)
    follow.poll()
    a = follow.store.watches.find("A")
    follow.check(a.id)  # checked at START: next check in 15 minutes
    assert follow.watch(a.id).next_check_at == (START + timedelta(minutes=15)).isoformat()
    follow.clock.step(minutes=1)
    faster = replace(follow.config.feeds[0], schedule=DecaySchedule((Tier(86400, 5),)))
    follow.feeds.sync_config(replace(follow.config, feeds=(faster,)), now=follow.clock.now)
    assert follow.watch(a.id).next_check_at == (START + timedelta(seconds=5)).isoformat()
    b = follow.store.watches.find("B")
    assert follow.watch(b.id).next_check_at == START.isoformat()  # never checked: already due
    assert set(follow.feeds.due_watches(follow.clock.iso(), 10)) == {a.id, b.id}


def test_feeds_listing_says_active_and_durations_are_formatted_one_way(
    follow: Follow, site: Site, tmp_path: Path
) -> None:
    site.publish("/a/", "A", START)
    follow.poll()
    db = str(tmp_path / "m.db")
    listed = CliRunner().invoke(cli, ["--db", db, "--config", "/dev/null", "feeds"])
    header, row = listed.output.splitlines()
    assert header.split() == ["id", "name", "status", "articles", "active", "last", "poll", "url"]
    assert row.split()[3:5] == ["1", "1"] and "checked" not in listed.output
    as_json = CliRunner().invoke(cli, ["--db", db, "--config", "/dev/null", "feeds", "--json"])
    assert '"articles_active": 1' in as_json.output
    from monitor.follow import Follower
    from monitor.schedule import WatchScheduler

    async def summary() -> str:
        async def run_check(watch_id: int) -> None:
            return None

        async with Fetcher(FAST) as fetcher:
            follower = Follower(
                follow.store, fetcher, WatchScheduler(run_check), run_check, slots=1, inflight=set()
            )
            return follower.summary()

    assert asyncio.run(summary()) == "following 1 feed (1 article)"


def test_a_slow_check_that_recorded_itself_is_not_postponed_as_stuck(
    follow: Follow, site: Site
) -> None:
    from datetime import UTC, datetime, timedelta

    from monitor.clock import iso
    from monitor.follow import RETRY_AFTER, Follower
    from monitor.schedule import WatchScheduler

    site.publish("/a/", "A", START)
    follow.poll()
    (watch_id,) = [w.id for w in follow.store.watches.all()]

    def next_check() -> datetime:
        return datetime.fromisoformat(follow.store.watches.get(watch_id).next_check_at or "")

    async def dispatch(records: bool) -> None:
        async def run_check(checked: int) -> None:
            if records:  # a check slower than the article's interval: due again at once
                now = datetime.now(UTC)
                follow.store.db.execute(
                    "UPDATE watches SET last_check_at = ?, next_check_at = ? WHERE id = ?",
                    [iso(now), iso(now - timedelta(seconds=1)), checked],
                )

        async with Fetcher(FAST) as fetcher:
            follower = Follower(
                follow.store, fetcher, WatchScheduler(run_check), run_check, slots=1, inflight=set()
            )
            follow.store.watches.set_next_check(watch_id, iso(datetime.now(UTC)))
            await follower.dispatch()
            await asyncio.gather(*follower._tasks)

    asyncio.run(dispatch(records=False))
    assert next_check() > datetime.now(UTC) + timedelta(seconds=RETRY_AFTER - 60)  # stuck
    asyncio.run(dispatch(records=True))
    assert next_check() <= datetime.now(UTC)  # left due, as its check planned


HOME_ONLY_LINKS = """<!DOCTYPE html><html><head><title>Sample</title>
<link rel="alternate" type="application/rss+xml" href="/feed/">
<link rel="alternate" type="application/atom+xml" href="/atom.xml">
</head><body><nav><a href="/a/">First story</a> <a href="/b/">Second</a></nav></body></html>"""


def test_add_on_a_home_page_without_article_text_adds_nothing(
    tmp_path: Path, http_server: LocalServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    (tmp_path / "config.toml").write_text(FAST_CONFIG, encoding="utf-8")
    http_server.set("/", HOME_ONLY_LINKS)
    runner = CliRunner()
    shown = runner.invoke(cli, ["add", http_server.url("/")], catch_exceptions=False)
    assert shown.exit_code == 1  # not added
    assert "no article text" in shown.output and http_server.url("/atom.xml") in shown.output
    assert f"monitor add {http_server.url('/')} --follow-feed" in shown.output
    with Store(tmp_path / "snapshots" / "monitor.db") as store:
        assert store.watches.all(active_only=False) == []
    http_server.set("/2026/a/", samplesite.render_page(samplesite.load_article("en")))
    plain = runner.invoke(cli, ["add", http_server.url("/2026/a/")])
    assert plain.output.startswith(f"added watch 1: {http_server.url('/2026/a/')}\nversion 1: ")
    helped = runner.invoke(cli, ["add", "--help"])
    assert "feed URL is, or" not in helped.output and "its page announces" in helped.output
    item = FeedItem(http_server.url("/2026/a/"), "A", "a", START)
    http_server.set("/feed/", rss([item], title="S", home=http_server.url("/")))
    feed = runner.invoke(cli, ["add", http_server.url("/feed/")])
    assert "is a feed, not an article" in feed.output and "--follow-feed" in feed.output
    assert feed.exit_code == 1
    with Store(tmp_path / "snapshots" / "monitor.db") as store:
        assert [w.url for w in store.watches.all()] == [http_server.url("/2026/a/")]


def test_migration_from_schema_4_learns_kinds_and_keeps_baselines(tmp_path: Path) -> None:
    import sqlite_utils

    from monitor.store.schema import MIGRATIONS, add_feed_options

    path = tmp_path / "v4.db"
    db = sqlite_utils.Database(path)
    for migration in MIGRATIONS[:4]:
        migration(db)
    db.execute("PRAGMA user_version = 4")
    db.execute(
        "INSERT INTO feeds (url, created_at, etag, last_polled_at, last_status, last_entries) "
        "VALUES ('https://x.test/index.xml', '2026-01-01', '\"e\"', '2026-01-02', 'ok', 3), "
        "('https://x.test/new.xml', '2026-01-01', NULL, NULL, NULL, 0)"
    )
    db.conn.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        polled, fresh = store.feeds.all()
        assert polled.etag is None and polled.baseline_at == "2026-01-02"  # read in full next
        assert fresh.baseline_at is None and not polled.any_host and polled.max_new == 500
        assert store.db.execute("SELECT count(*) FROM feed_baseline").fetchone()[0] == 0
    again = sqlite_utils.Database(path)
    add_feed_options(again)  # idempotent
    again.close()


RDF = """<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://x.test/"><title>X</title><link>https://x.test/</link></channel>
<item rdf:about="https://x.test/a/"><title>記事 A</title><link>https://x.test/a/</link>
<dc:date>2026-11-27T01:00:00+09:00</dc:date></item></rdf:RDF>""".encode()


def test_rss_1_0_is_read_by_feedparser() -> None:
    """RSS 1.0 (RDF), still common on Japanese sites."""
    document = parse_document(RDF, "https://x.test/index.rdf")
    assert (document.kind, document.title) == ("rdf", "X")
    (entry,) = document.entries
    assert (entry.url, entry.title) == ("https://x.test/a/", "記事 A")
    assert entry.published_at == "2026-11-26T16:00:00+00:00"

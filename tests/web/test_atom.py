"""Atom feeds of changes: valid Atom 1.0 (parsed back with feedparser) that carries the diff."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import feedparser
import lxml.etree
import pytest
from harness import FAST, Harness, Site
from reports import make_report
from server import LocalServer
from starlette.applications import Starlette
from webdb import HOST, Built, build_database, get

from monitor import samplesite
from monitor.atom import FeedInfo, render_atom
from monitor.config import Config, Settings
from monitor.store import Store
from monitor.web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_database(tmp_path_factory.mktemp("atom") / "monitor.db")


@pytest.fixture
def app(built: Built) -> Iterator[Starlette]:
    app = create_app(built.path, allowed_hosts=[HOST])
    yield app
    app.state.pool.close()


def parse(body: bytes) -> feedparser.FeedParserDict:
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    return feed


def test_feed_of_every_change(app: Starlette, built: Built) -> None:
    response = get(app, "/feed.atom")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/atom+xml")
    feed = parse(response.content)
    assert feed.feed.id == "tag:monitor,2026:changes"
    assert feed.feed.title == "monitor: changes"
    assert feed.feed.updated_parsed is not None
    assert feed.feed.author == "monitor"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {
        "alternate": "http://monitor.test/changes",
        "self": "http://monitor.test/feed.atom",
    }
    assert len(feed.entries) == 3
    for entry in feed.entries:
        assert re.fullmatch(r"tag:monitor,2026:change/\d+", entry.id)
        assert entry.title and entry.updated_parsed is not None
        assert entry.link.startswith("http://monitor.test/watches/")
        assert entry.content[0].type == "text/html"
    newest_first = [entry.updated_parsed for entry in feed.entries]
    assert newest_first == sorted(newest_first, reverse=True)
    ja = next(e for e in feed.entries if e.title.startswith("ja-article"))
    assert ja.title == "ja-article: version 1 → 2 (+23 −0)"
    assert ja.link == f"http://monitor.test/watches/{built.ja}/diff/1/2?change=1"
    assert "<ins>2000</ins>" in ja.content[0].value
    assert "Silent edit" in ja.content[0].value
    en = next(e for e in feed.entries if e.title.startswith("en-article"))
    assert f"<del>{built.word}</del>" in en.content[0].value
    summary = en.summary_detail
    assert summary.type == "text/html"
    title = html.escape(samplesite.load_article("en").title.replace(built.word, "replacement"))
    assert summary.value.startswith(f"<p><b>{title}</b> · 127.0.0.1</p><p>")
    assert f"<del>{built.word}</del><ins>replacement</ins>" in summary.value
    assert len(summary.value) < 600  # the first changed passage, not the whole diff


def test_feed_of_one_watch(app: Starlette, built: Built) -> None:
    feed = parse(get(app, f"/watches/{built.en}/feed.atom").content)
    assert feed.feed.title == "monitor: en-article"
    assert feed.feed.id == f"tag:monitor,2026:watch/{built.en}"
    assert [e.title.split(":")[0] for e in feed.entries] == ["en-article"]
    quiet = parse(get(app, f"/watches/{built.failing}/feed.atom").content)
    assert quiet.entries == []
    assert get(app, "/watches/999/feed.atom").status_code == 404
    assert get(app, "/feed.atom?limit=0").status_code == 400


def test_feed_errors_are_plain_text(app: Starlette) -> None:
    for url, status in [
        ("/feed.atom?limit=bogus", 400),
        ("/feed.atom?limit=0", 400),
        ("/watches/999/feed.atom", 404),
        ("/watches/1/feed.atom?limit=9999", 400),
    ]:
        response = get(app, url)
        assert response.status_code == status, url
        assert response.headers["content-type"].startswith("text/plain"), url
        assert "<html" not in response.text.lower()
        assert "limit" in response.text or status == 404
        assert response.headers["x-content-type-options"] == "nosniff"


def test_feed_ids_do_not_depend_on_the_host(built: Built) -> None:
    app = create_app(built.path, token="t0ken-for-any-host-0000")
    try:
        bearer = {"Authorization": "Bearer t0ken-for-any-host-0000"}
        one = parse(get(app, "/feed.atom", headers=bearer).content)
        other = parse(get(app, "http://other.example:8080/feed.atom", headers=bearer).content)
    finally:
        app.state.pool.close()
    assert one.feed.id == other.feed.id == "tag:monitor,2026:changes"
    assert [e.id for e in one.entries] == [e.id for e in other.entries]
    assert all(e.link.startswith("http://other.example:8080/") for e in other.entries)


def test_feed_reads_a_few_rows_and_no_stored_pages(app: Starlette, built: Built) -> None:
    """The feed's changes, watches and versions in a bounded number of queries (not one
    per entry), never the stored pages (html_gz) nor SELECT * of snapshots."""
    counts = {}
    for url in ("/feed.atom?limit=1", "/feed.atom?limit=50", f"/watches/{built.ja}/feed.atom"):
        statements: list[str] = []
        app.state.pool.trace = statements.append
        assert get(app, url).status_code == 200
        queries = [q for q in statements if q.lstrip().upper().startswith("SELECT")]
        assert len(queries) <= 10, queries
        assert not [q for q in queries if _reads_pages(q)], queries
        counts[url] = len(queries)
    assert counts["/feed.atom?limit=1"] == counts["/feed.atom?limit=50"]  # not N+1
    for url in ("/api/changes/1", f"/watches/{built.ja}/diff/1/2?change=1", "/changes/1"):
        statements = []
        app.state.pool.trace = statements.append
        assert get(app, url).status_code in (200, 302)
        assert not [q for q in statements if _reads_pages(q)], (url, statements)


def _reads_pages(sql: str) -> bool:
    flat = " ".join(sql.lower().replace("[", "").replace("]", "").split())
    return "html_gz" in flat or bool(re.search(r"select \* from snapshots\b", flat))


def test_feed_entry_html_is_escaped(app: Starlette, built: Built) -> None:
    feed = parse(get(app, f"/watches/{built.xss}/feed.atom").content)
    (entry,) = feed.entries
    content = entry.content[0].value
    assert "<script" not in content.lower() and "&lt;script&gt;" in content
    assert 'href="javascript:' not in content


def test_empty_feed_is_valid() -> None:
    body = render_atom(FeedInfo("nothing", "https://x.test/feed.atom", "https://x.test/"), [])
    root = lxml.etree.fromstring(body)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated", "author"):
        assert root.find(f"{ATOM}{name}") is not None, name
    assert parse(body).entries == []


def test_a_feed_never_fails_because_of_page_text() -> None:
    """Changes stored before noncharacters were kept out of texts (or text from anywhere)
    must not make a feed answer 500: lxml refuses U+FFFE, U+FFFF and control characters."""
    from monitor.atom import FeedEntry

    bad = "本文\ufffe\uffff と \x01制御文字 \ud800"
    report = make_report(old="古い本文", new=bad, name="watch \uffff", title="題\ufffe")
    body = render_atom(
        FeedInfo("monitor \ufffe", "https://x.test/feed.atom", "https://x.test/"),
        [FeedEntry(report, "https://x.test/changes/12")],
    )
    feed = parse(body)
    assert "\ufffe" not in body.decode() and feed.entries[0].title.startswith("watch")


def test_flaps_are_not_in_the_feed(tmp_path: Path) -> None:
    """A feed reader is told what a notification channel is: an A/B test's edit and its
    revert, not the same two texts taking turns after that."""
    config = Config(settings=Settings(database=str(tmp_path / "m.db"), fetch=FAST))
    with LocalServer() as server, Store(config.settings.database) as store:
        site = Site(server, samplesite.load_article("en"), path="/en/")
        watch = store.watches.add(site.url, name="ab")
        harness = Harness(store, config)
        original = site.article
        edited = samplesite.replace_text(original, "Council", "Board")
        for article in (original, edited, original, edited, original):
            site.article = article
            harness.check(watch)
        kinds = [change["kind"] for change in store.changes.of(watch)]
    assert kinds == ["changed", "revert", "flap", "flap"]
    app = create_app(tmp_path / "m.db", allowed_hosts=[HOST])
    try:
        titles = [entry.title for entry in parse(get(app, "/feed.atom").content).entries]
    finally:
        app.state.pool.close()
    assert len(titles) == 2
    assert titles[0].startswith("ab: version 2 → 1 revert")

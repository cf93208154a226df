"""Atom feeds of changes: valid Atom 1.0 (parsed back with feedparser) that carries the diff."""

from __future__ import annotations

from collections.abc import Iterator

import feedparser
import lxml.etree
import pytest
from starlette.applications import Starlette
from test_web import Built, build_database, get

from monitor.atom import FeedInfo, render_atom
from monitor.web import create_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_database(tmp_path_factory.mktemp("atom") / "monitor.db")


@pytest.fixture
def app(built: Built) -> Iterator[Starlette]:
    app = create_app(built.path)
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
    assert feed.feed.id == "http://monitor.test/feed.atom"
    assert feed.feed.title == "monitor: changes"
    assert feed.feed.updated_parsed is not None
    assert feed.feed.author == "monitor"
    links = {link.rel: link.href for link in feed.feed.links}
    assert links == {"alternate": "http://monitor.test/changes", "self": feed.feed.id}
    assert len(feed.entries) == 3
    for entry in feed.entries:
        assert entry.id and entry.title and entry.updated_parsed is not None
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


def test_feed_of_one_watch(app: Starlette, built: Built) -> None:
    feed = parse(get(app, f"/watches/{built.en}/feed.atom").content)
    assert feed.feed.title == "monitor: en-article"
    assert feed.feed.id == f"http://monitor.test/watches/{built.en}/feed.atom"
    assert [e.title.split(":")[0] for e in feed.entries] == ["en-article"]
    quiet = parse(get(app, f"/watches/{built.failing}/feed.atom").content)
    assert quiet.entries == []
    assert get(app, "/watches/999/feed.atom").status_code == 404
    assert get(app, "/feed.atom?limit=0").status_code == 400


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

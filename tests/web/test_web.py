"""The web UI (monitor serve): pages and their DOM contract, safety headers, the token,
read-only access, hostile page text, search, and the server itself.

The database is built by the real pipeline: sample articles served on 127.0.0.1, checked,
edited and checked again (see :func:`build_database`)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import lxml.html
import pytest
from click.testing import CliRunner
from starlette.applications import Starlette
from starlette.routing import Route
from webdb import (
    HOST,
    HOSTILE_FEED,
    HOSTILE_STORY,
    HOSTILE_WARNING,
    TOKEN,
    Built,
    Followed,
    build_database,
    build_followed,
    fetch,
    get,
    page,
    texts,
)

from monitor import samplesite
from monitor.cli import cli
from monitor.errors import StoreError
from monitor.feeds.pacer import schedule_dicts
from monitor.store import Store
from monitor.store.read import ReadOnlyStore
from monitor.web import build_server, create_app, is_loopback
from monitor.web import pages as web_pages
from monitor.web.diffcache import DiffCache


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_database(tmp_path_factory.mktemp("web") / "monitor.db")


@pytest.fixture
def app(built: Built) -> Iterator[Starlette]:
    app = create_app(built.path, allowed_hosts=[HOST])
    yield app
    app.state.pool.close()


# -- pages --------------------------------------------------------------------------------


def test_watch_list(app: Starlette, built: Built) -> None:
    root = page(app, "/")
    rows = root.cssselect("table#watches tr.watch")
    assert sorted(int(r.get("data-watch-id")) for r in rows) == [1, 2, 3, 4]
    ja = root.cssselect(f'tr.watch[data-watch-id="{built.ja}"]')[0]
    assert ja.cssselect("td.name a")[0].get("href") == f"/watches/{built.ja}"
    assert ja.cssselect("td.versions")[0].text_content() == "2"
    assert "changed" in ja.cssselect("td.status")[0].text_content()
    failing = root.cssselect(f'tr.watch[data-watch-id="{built.failing}"]')[0]
    assert failing.cssselect("td.errors")[0].text_content() == "2"
    assert "http_error" in failing.cssselect("td.status")[0].text_content()
    form = root.cssselect("form#filter")[0]
    assert form.get("method") == "get"
    assert form.cssselect('input[name="q"]') and form.cssselect('select[name="status"]')
    sort_links = [a.get("href") for a in root.cssselect("table#watches th a")]
    assert any("sort=last_change" in href for href in sort_links)


def test_watch_list_filter_and_sort(app: Starlette, built: Built) -> None:
    def ids(url: str) -> list[int]:
        return [int(r.get("data-watch-id")) for r in page(app, url).cssselect("tr.watch")]

    assert ids("/?q=en-art") == [built.en]
    assert ids("/?status=failing") == [built.failing]
    assert ids("/?status=ok") == [built.en, built.ja, built.xss]  # by name
    assert ids("/?status=inactive") == []
    assert ids("/?sort=errors&order=desc")[0] == built.failing
    assert ids("/?sort=name&order=desc") == [built.xss, built.ja, built.failing, built.en]
    assert ids("/?q=100%25") == []  # LIKE wildcards are literal
    for bad in ("/?sort=nope", "/?order=up", "/?status=weird", "/?page=0"):
        assert get(app, bad).status_code == 400


def test_watch_page(app: Starlette, built: Built) -> None:
    root = page(app, f"/watches/{built.ja}")
    versions = root.cssselect("ol#versions li.version")
    assert [v.get("data-version") for v in versions] == ["2", "1"]
    assert versions[0].get("lang") == "ja"
    links = [a.get("href") for a in versions[0].cssselect("a")]
    assert f"/watches/{built.ja}/diff/1/2" in links and f"/watches/{built.ja}/versions/2" in links
    assert "canonical" in versions[0].cssselect(".version-meta")[0].text_content()
    assert root.cssselect("table#checks tr.check")
    assert root.cssselect("ol#versions .error, ol#versions .check") == []  # errors apart
    bad = page(app, f"/watches/{built.failing}")
    errors = bad.cssselect("table#checks tr.check.error")
    assert len(errors) == 2 and "500" in errors[0].text_content()
    assert bad.cssselect("ol#versions li.version") == []
    assert get(app, "/watches/999").status_code == 404


def test_diff_page_inline(app: Starlette, built: Built) -> None:
    root = page(app, f"/watches/{built.ja}/diff/1/2")
    diff = root.cssselect("div#diff")[0]
    assert diff.get("data-view") == "inline" and diff.get("lang") == "ja"
    assert "2000" in texts(diff, "ins")  # character granularity inside Japanese text
    assert any("値上げ" in text for text in texts(diff, ".change"))
    assert len(diff.cssselect(".change")) == 2
    folds = diff.cssselect("details.fold")
    assert folds and "unchanged paragraph" in folds[0].cssselect("summary")[0].text_content()
    assert root.cssselect("a#view-side")[0].get("href").endswith("view=side&change=1")
    assert "view=inline" in root.cssselect("a#permalink")[0].get("href")
    assert "+" in root.cssselect("#stats .added")[0].text_content()
    assert root.cssselect('script[src="/static/diff.js"]')
    english = page(app, f"/watches/{built.en}/diff/1/2")
    assert texts(english, "#diff del") == [built.word]  # whole words in English
    assert texts(english, "#diff ins") == ["replacement"]


def test_diff_page_side_by_side_and_silent_edit(app: Starlette, built: Built) -> None:
    root = page(app, f"/watches/{built.ja}/diff/1/2?view=side")
    diff = root.cssselect("div#diff")[0]
    assert diff.get("data-view") == "side"
    table = diff.cssselect("table.side-by-side")[0]
    changed = table.cssselect("tr.change")
    assert len(changed) == 2
    assert any(row.cssselect("td.old.blank") for row in changed)  # the added paragraph
    assert "2000" in texts(table, "td.new ins") and not table.cssselect("td.old ins")
    assert root.cssselect("details.fold")
    assert root.cssselect("span.silent-edit")  # the sample page keeps its modified date
    same = page(app, f"/watches/{built.ja}/diff/2/2")
    assert same.cssselect(".change") == [] and "No differences" in same.text_content()
    backwards = page(app, f"/watches/{built.ja}/diff/2/1")
    assert "2000" in texts(backwards, "#diff del")
    assert get(app, f"/watches/{built.ja}/diff/1/9").status_code == 404
    assert get(app, f"/watches/{built.ja}/diff/1/2?view=pdf").status_code == 400


def test_change_redirects_to_its_diff(app: Starlette, built: Built) -> None:
    response = get(app, "/changes/1")
    assert response.status_code == 302
    assert re.fullmatch(r"/watches/\d+/diff/1/2\?change=1", response.headers["location"])
    assert get(app, "/changes/99").status_code == 404


def test_version_page_and_raw(app: Starlette, built: Built) -> None:
    root = page(app, f"/watches/{built.ja}/versions/2")
    article = root.cssselect("article#text")[0]
    with ReadOnlyStore(built.path) as store:
        snapshot = store.versions.by_number(store.watches.get(built.ja), 2)
    assert texts(article, "p") == snapshot.text.split("\n")
    assert article.get("lang") == "ja"
    assert "canonical" in root.cssselect("#metadata")[0].text_content().lower()
    raw = get(app, f"/watches/{built.ja}/versions/2/raw")
    assert raw.status_code == 200
    assert raw.headers["content-type"] == "application/octet-stream"
    assert raw.headers["content-disposition"].startswith("attachment")
    assert raw.headers["x-content-type-options"] == "nosniff"
    assert raw.headers["content-security-policy"].startswith("sandbox")
    assert b"<html" in raw.content.lower()
    assert get(app, f"/watches/{built.ja}/versions/7").status_code == 404
    assert get(app, f"/watches/{built.ja}/versions/7/raw").status_code == 404


def test_changes_page(app: Starlette, built: Built) -> None:
    root = page(app, "/changes")
    entries = root.cssselect("ol#changes li.change-entry")
    ids = [int(e.get("data-change-id")) for e in entries]
    assert ids == sorted(ids, reverse=True) and len(ids) == 3
    link = entries[-1].cssselect("a.diff-link")[0].get("href")
    assert link.endswith("/diff/1/2?change=1")
    older = page(app, f"/changes?before={ids[0]}")
    assert len(older.cssselect("li.change-entry")) == 2
    en = next(e for e in entries if e.get("data-watch-id") == str(built.en))
    title = samplesite.load_article("en").title.replace(built.word, "replacement")
    assert en.cssselect(".change-title")[0].text_content() == title  # the article, not the name
    assert en.cssselect(".site")[0].text_content() == "127.0.0.1"
    when = en.cssselect(".change-meta time")[0].text_content()
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", when)
    passage = en.cssselect("p.passage")[0]
    assert texts(passage, "del") == [built.word] and texts(passage, "ins") == ["replacement"]
    context = passage.text_content().split(built.word)[0]
    assert 0 < len(context) <= 31  # a few words of context before the change, not the article
    ja = next(e for e in entries if e.get("data-watch-id") == str(built.ja))
    assert texts(ja.cssselect("p.passage")[0], "ins") == ["2000"]
    assert ja.cssselect("p.passage .more")  # a paragraph was added too: "(and more)"


def test_diff_header_times_checks_versions_and_urls_that_wrap_between_path_parts(
    app: Starlette, built: Built
) -> None:
    diff = page(app, f"/watches/{built.ja}/diff/1/2")
    times = [t.text_content() for t in diff.cssselect(".versions time")]
    assert len(times) == 3 and all(re.fullmatch(r".* \d\d:\d\d:\d\d UTC", t) for t in times)
    watch = page(app, f"/watches/{built.ja}")
    cells = [c.text_content() for c in watch.cssselect("table#checks td[data-label=Version]")]
    assert cells == ["version 2 · change #1", "version 1"]
    url = watch.cssselect("dd.url a")[0]
    host = url.cssselect("span.host")[0].text_content()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", host)
    assert url.text_content() == url.get("href")  # the text is the URL, whole
    assert url.cssselect("wbr")  # a break after each / of the path, none in the host


def test_search(app: Starlette, built: Built) -> None:
    root = page(app, "/search?q=値上げ")
    hits = root.cssselect("ol#results li.hit")
    assert [(h.get("data-watch-id"), h.get("data-version")) for h in hits] == [(str(built.ja), "2")]
    assert texts(hits[0], "mark") == ["値上げ"]
    assert hits[0].cssselect("a")[0].get("href") == f"/watches/{built.ja}/versions/2"
    two = page(app, "/search?q=値上")  # two characters: no trigram, a bounded scan
    assert [h.get("data-version") for h in two.cssselect("li.hit")] == ["2"]
    assert "latest" in two.text_content()
    both = page(app, "/search?q=北朝鮮")
    assert len(both.cssselect("li.hit")) == 2  # versions 2 and 1 of the Japanese article
    assert page(app, "/search?q=nothing-like-this").cssselect("li.hit") == []
    assert page(app, "/search").cssselect("li.hit") == []
    assert get(app, "/search?q=" + "x" * 500).status_code == 400


def test_api_docs_page_and_static(app: Starlette) -> None:
    root = page(app, "/api")
    assert "/api/watches/{watch_id}/diff/{a}/{b}" in root.text_content()
    for url in ("/static/style.css", "/static/diff.js", "/static/favicon.svg"):
        assert get(app, url).status_code == 200


# -- safety -------------------------------------------------------------------------------

EVERY_URL = [
    "/",
    "/?q=x&status=ok&sort=last_change",
    "/watches/{xss}",
    "/watches/{xss}/diff/1/2",
    "/watches/{xss}/diff/1/2?view=side",
    "/watches/{xss}/versions/1",
    "/watches/{xss}/versions/2",
    "/changes",
    "/search?q=alert",
    "/search?q=<script>",
    "/api",
    "/watches/999",
    "/feeds",
    "/feeds?all=1",
    "/feeds/999",
]


def assert_inert(text: str) -> None:
    """No inline script, no event handler, no javascript: link in an HTML page."""
    root = lxml.html.document_fromstring(text)
    for script in root.xpath("//script"):
        assert script.get("src", "").startswith("/static/") and not (script.text or "").strip()
    for element in root.iter():
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), (name, value)
            assert not value.strip().lower().startswith("javascript:"), (name, value)
    assert root.xpath("//img") == [] and root.xpath("//style") == []


def test_hostile_article_is_escaped_in_every_page(app: Starlette, built: Built) -> None:
    for url in EVERY_URL:
        response = get(app, url.format(xss=built.xss))
        assert response.status_code in (200, 404), url
        assert_inert(response.text)
        assert "<script>alert" not in response.text and "<b>bold</b>" not in response.text
    version = page(app, f"/watches/{built.xss}/versions/2")
    assert "<script>alert(1)</script>" in version.cssselect("h1#title")[0].text_content()
    assert "javascript:alert(7)" in version.text_content()  # shown as text, not a link
    assert "onerror=alert(8)" in version.cssselect("dd.author")[0].text_content()
    listed = page(app, "/")
    assert "xss <b>bold</b>" in texts(listed, "td.name a")
    feed = get(app, "/feed.atom").text
    assert "<script" not in feed  # the entry's HTML is escaped once more inside the XML
    assert "&amp;lt;script&amp;gt;alert(1)" in feed


def test_security_headers_on_every_response(app: Starlette, built: Built) -> None:
    urls = [
        *(u.format(xss=built.xss) for u in EVERY_URL),
        "/static/style.css",
        "/feed.atom",
        "/api/watches",
        "/api/watches/999",
        "/openapi.json",
        "/no-such-page",
        "/changes/1",
        "/search?q=%ZZ",
    ]
    for response in fetch(app, *urls):
        headers = response.headers
        csp = headers["content-security-policy"]
        for part in (
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "form-action 'self'",
        ):
            assert part in csp, (response.url, csp)
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_token(built: Built) -> None:
    app = create_app(built.path, token=TOKEN)
    try:
        assert get(app, "/").status_code == 401
        assert get(app, "/static/style.css").status_code == 401
        denied = get(app, "/api/watches")
        assert denied.status_code == 401 and "error" in denied.json()
        assert denied.headers["www-authenticate"].startswith("Bearer")
        assert denied.headers["content-security-policy"]
        bearer = {"Authorization": f"Bearer {TOKEN}"}
        assert get(app, "/", headers=bearer).status_code == 200
        assert get(app, "/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert get(app, "/", headers={"Cookie": f"monitor_token={TOKEN}"}).status_code == 200
        assert get(app, "/", headers={"Cookie": "monitor_token=nope"}).status_code == 401
        opened = get(app, f"/search?q=x&token={TOKEN}")
        assert opened.status_code == 303
        assert opened.headers["location"] == "/search?q=x"
        cookie = opened.headers["set-cookie"]
        assert cookie.startswith(f"monitor_token={TOKEN}")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert get(app, "/?token=wrong").status_code == 401
        assert get(app, f"/feed.atom?token={TOKEN}").status_code == 200  # feed readers
        assert get(app, f"/api/watches?token={TOKEN}").status_code == 200
    finally:
        app.state.pool.close()


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_read_only(built: Built, tmp_path: Path) -> None:
    before = (digest(built.path), built.path.stat().st_mtime_ns)
    app = create_app(built.path, allowed_hosts=[HOST])
    try:
        urls = [u.format(xss=built.xss) for u in EVERY_URL]
        urls += ["/feed.atom", f"/watches/{built.ja}/feed.atom", "/api/changes/1"]
        assert all(r.status_code < 500 for r in fetch(app, *urls))
        with (
            pytest.raises(sqlite3.OperationalError, match=r"readonly"),
            app.state.pool.store() as s,
        ):
            s.db.execute("DELETE FROM watches")
    finally:
        app.state.pool.close()
    assert (digest(built.path), built.path.stat().st_mtime_ns) == before
    with pytest.raises(StoreError, match="no database at"):
        create_app(tmp_path / "missing.db")
    assert not (tmp_path / "missing.db").exists()
    (tmp_path / "empty.db").write_bytes(b"")
    with pytest.raises(StoreError, match="not a monitor database"):
        create_app(tmp_path / "empty.db")


# -- the server -----------------------------------------------------------------------------


def test_serve_refuses_public_address_without_token(
    built: Built, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("MONITOR_WEB_TOKEN", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["--db", str(built.path), "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "refusing to serve on 0.0.0.0 without an access token" in result.output
    short = CliRunner().invoke(cli, ["--db", str(built.path), "serve", "--token", "short"])
    assert short.exit_code == 2 and "at least 16 characters" in short.output
    missing = CliRunner().invoke(cli, ["--db", str(tmp_path / "none.db"), "serve"])
    assert missing.exit_code == 1 and "no database at" in missing.output
    (tmp_path / "config.toml").write_text('[monitor]\nweb_token = "x"\n', encoding="utf-8")
    bad_config = CliRunner().invoke(cli, ["--db", str(built.path), "serve"])
    assert bad_config.exit_code == 1 and "monitor.web_token" in bad_config.output
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.2")
    assert not is_loopback("example.com")
    assert "serve" in CliRunner().invoke(cli, ["--help"]).output


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_monitor_serve_serves(built: Built, tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "MONITOR_WEB_TOKEN": TOKEN}
    process = subprocess.Popen(
        [sys.executable, "-m", "monitor", "--db", str(built.path), "serve", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert f"http://127.0.0.1:{port}/" in line, line
        response = _get_when_up(f"http://127.0.0.1:{port}/", TOKEN)
        assert response.status_code == 200 and 'id="watches"' in response.text
        assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 401
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()
    assert process.returncode == 0


def _get_when_up(url: str, token: str) -> httpx.Response:
    deadline = time.monotonic() + 10
    while True:
        try:
            return httpx.get(url, headers={"Authorization": f"Bearer {token}"})
        except httpx.ConnectError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def test_build_server_runs_in_an_event_loop(app: Starlette) -> None:
    port = free_port()

    async def run() -> int:
        server = build_server(app, "127.0.0.1", port)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient() as client:
            status = (await client.get(f"http://127.0.0.1:{port}/changes")).status_code
        server.should_exit = True
        await asyncio.wait_for(task, 10)
        return status

    assert asyncio.run(run()) == 200


def test_an_internal_error_is_a_500_with_the_headers(app: Starlette) -> None:
    def broken(request: object) -> None:
        raise RuntimeError("boom")

    app.router.routes.insert(0, Route("/broken", broken))
    app.router.routes.insert(0, Route("/api/broken", broken))

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://monitor.test") as c:
            return [await c.get("/broken"), await c.get("/api/broken")]

    page_error, api_error = asyncio.run(run())
    assert page_error.status_code == 500 and "boom" not in page_error.text
    assert api_error.json() == {"error": "internal error"}
    for response in (page_error, api_error):
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


# -- review fixes: ids, hosts, cookies, redirects, logs ---------------------------------------

HUGE = "99999999999999999999"


def test_huge_ids_are_404(app: Starlette, built: Built) -> None:
    urls = [
        f"/watches/{HUGE}",
        f"/watches/1/versions/{HUGE}",
        f"/watches/1/versions/{HUGE}/raw",
        f"/watches/1/diff/1/{HUGE}",
        f"/watches/{HUGE}/feed.atom",
        f"/changes/{HUGE}",
        f"/api/watches/{HUGE}",
        f"/api/watches/1/versions/{HUGE}",
        f"/api/changes/{HUGE}",
        f"/watches/{2**63}",
        f"/feeds/{HUGE}",
        f"/feeds/{2**63}",
        f"/api/feeds/{HUGE}",
    ]
    for url, response in zip(urls, fetch(app, *urls), strict=True):
        assert response.status_code == 404, (url, response.text[:200])
    assert get(app, f"/watches/{2**63 - 1}").status_code == 404  # the largest: no such watch


def test_host_must_be_this_machine_without_a_token(app: Starlette, built: Built) -> None:
    """DNS rebinding: a page on attacker.example resolving to 127.0.0.1 sends its own Host."""
    for host in ("attacker.example:8080", "attacker.example", "192.168.1.2", "[::2]:80"):
        response = get(app, "/api/watches", headers={"Host": host})
        assert response.status_code == 400, host
        assert "localhost" in response.text and "watches" not in response.text
        assert "default-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"
    for host in ("localhost:8080", "127.0.0.1:8080", "127.0.0.2", "[::1]:8080", HOST, "LOCALHOST"):
        assert get(app, "/", headers={"Host": host}).status_code == 200, host
    feed = get(app, "/feed.atom", headers={"Host": "attacker.example:8080"})
    assert feed.status_code == 400 and b"attacker" not in feed.content
    guarded = create_app(built.path, token=TOKEN)  # with a token, the token protects it
    try:
        bearer = {"Authorization": f"Bearer {TOKEN}", "Host": "monitor.example.org"}
        assert get(guarded, "/", headers=bearer).status_code == 200
    finally:
        guarded.state.pool.close()


def test_serve_allows_its_own_host(built: Built) -> None:
    lan = create_app(built.path, allowed_hosts=["10.0.0.5"])
    try:
        assert get(lan, "/", headers={"Host": "10.0.0.5:8080"}).status_code == 200
        assert get(lan, "/", headers={"Host": "10.0.0.6:8080"}).status_code == 400
    finally:
        lan.state.pool.close()


def test_token_cookie_beside_malformed_cookies(built: Built) -> None:
    """localhost cookies are shared by every local app (Jupyter, Grafana…), whatever the
    port: another's malformed cookie must not hide the token."""
    app = create_app(built.path, token=TOKEN)
    try:
        for cookie in (
            f'other={{"a":1}}; monitor_token={TOKEN}',
            f"a=b c; monitor_token={TOKEN}",
            f"monitor_token={TOKEN}; _xsrf=2|abc|def|123; broken",
            f'  monitor_token = {TOKEN} ; x="y',
        ):
            assert get(app, "/", headers={"Cookie": cookie}).status_code == 200, cookie
        assert (
            get(app, "/", headers={"Cookie": 'other={"a":1}; monitor_token=no'}).status_code == 401
        )
    finally:
        app.state.pool.close()


def asgi_get(app: Starlette, path: str, query: str) -> tuple[int, dict[bytes, bytes]]:
    """One request with exactly this path (httpx would normalise it), straight to the app."""
    messages: list[dict[str, object]] = []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"localhost:8080")],
        "server": ("127.0.0.1", 8080),
        "client": ("127.0.0.1", 50000),
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        messages.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = messages[0]
    return int(start["status"]), dict(start["headers"])  # type: ignore[call-overload]


def test_token_redirect_stays_on_this_site(built: Built) -> None:
    app = create_app(built.path, token=TOKEN)
    try:
        cases = {
            "//evil.example/x": "/evil.example/x?a=1",
            "/\\evil.example": "/evil.example?a=1",
            "/\\/\\evil.example/a b": "/evil.example/a%20b?a=1",
            "/watches/1": "/watches/1?a=1",
        }
        for path, location in cases.items():
            status, headers = asgi_get(app, path, f"token={TOKEN}&a=1")
            assert status == 303, path
            assert headers[b"location"].decode() == location, path
            assert headers[b"content-security-policy"]
        wrong = get(app, "/?token=wrong")
        assert wrong.status_code == 401 and "invalid token" in wrong.text
        assert "invalid token" in get(app, "/api/watches?token=wrong").json()["error"]
        bad_bearer = get(app, "/api/watches", headers={"Authorization": "Bearer nope"})
        assert bad_bearer.json() == {"error": "invalid token"}
        missing = get(app, "/api/watches").json()["error"]
        assert "required" in missing and "invalid" not in missing
    finally:
        app.state.pool.close()


def test_access_log_never_shows_the_token(built: Built, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(built.path, token=TOKEN)
    port = free_port()

    async def run() -> None:
        server = build_server(app, "127.0.0.1", port, access_log=True)
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        async with httpx.AsyncClient() as client:
            base = f"http://127.0.0.1:{port}"
            await client.get(f"{base}/feed.atom?token={TOKEN}")
            await client.get(f"{base}/search?q=x&token={TOKEN}")
            await client.get(f"{base}/?token=wrong-{TOKEN}")
        server.should_exit = True
        await asyncio.wait_for(task, 10)

    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        asyncio.run(run())
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) == 3, lines
    assert all("token=***" in line for line in lines), lines
    assert not [line for line in lines if TOKEN in line]
    assert TOKEN not in caplog.text


# -- the watch page: feeds, seconds ------------------------------------------------------------


def test_check_times_show_seconds(app: Starlette, built: Built) -> None:
    root = page(app, f"/watches/{built.ja}")
    for selector in ("table#checks tr.check time", "ol#versions li.version time"):
        times = root.cssselect(selector)
        assert times, selector
        for element in times:
            assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", element.text_content())
            assert element.get("datetime") == element.get("title")
            assert element.get("datetime").startswith(element.text_content()[:10])


@pytest.fixture(scope="module")
def with_feed(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Built:
    """The database with the Japanese article found by a feed that retitled it, the English
    one retired and the hostile one a duplicate of the Japanese one."""
    path = tmp_path_factory.mktemp("feedweb") / "monitor.db"
    path.write_bytes(built.path.read_bytes())
    published = (datetime.now(UTC) - timedelta(hours=3)).isoformat(timespec="seconds")
    with Store(path) as store:
        feed = store.feeds.add_feed("https://news.example/rss.xml", name="Example News")
        db = store.db
        db.execute(
            "UPDATE watches SET feed_id = ?, source = 'feed', published_at = ?, "
            "last_change_at = NULL WHERE id = ?",
            [feed.id, published, built.ja],
        )
        db.execute(
            "UPDATE watches SET feed_id = ?, source = 'feed', active = 0, retired_at = ? "
            "WHERE id = ?",
            [feed.id, "2026-11-27T05:00:07+00:00", built.en],
        )
        db.execute(
            "UPDATE watches SET feed_id = ?, source = 'feed', active = 0, retired_at = ?, "
            "duplicate_of = ? WHERE id = ?",
            [feed.id, "2026-11-27T05:00:08+00:00", built.ja, built.xss],
        )
        db.execute(
            "INSERT INTO feed_entry_changes (watch_id, feed_id, detected_at, field, old, new) "
            "VALUES (?, ?, ?, 'title', ?, ?)",
            [built.ja, feed.id, "2026-11-27T04:59:01+00:00", "Old <b>title</b>", "New title"],
        )
        db.conn.commit()
    return replace(built, path=path)


def test_watch_page_of_a_feed_article(with_feed: Built) -> None:
    built = with_feed
    app = create_app(built.path, allowed_hosts=[HOST])
    try:
        root = page(app, f"/watches/{built.ja}")
        assert "Example News" in root.cssselect("#feed")[0].text_content()
        link = root.cssselect("#feed .feed-url a")[0]
        assert link.get("href") == "https://news.example/rss.xml"
        feed_link = root.cssselect("#feed a.feed-page")[0]
        assert feed_link.text_content() == "Example News"
        assert re.fullmatch(r"/feeds/\d+", feed_link.get("href"))
        feed_page = page(app, feed_link.get("href"))
        assert feed_page.cssselect("h1")[0].text_content() == "Example News"
        assert {int(r.get("data-watch-id")) for r in feed_page.cssselect("tr.watch")} == {
            built.ja,
            built.en,
            built.xss,
        }
        assert re.fullmatch(r"age 3h: every 15m", root.cssselect("#pace")[0].text_content())
        assert root.cssselect("#published time")[0].get("datetime")
        rows = root.cssselect("table#feed-changes tr.feed-change")
        assert len(rows) == 1 and rows[0].get("data-field") == "title"
        assert rows[0].cssselect("td.old")[0].text_content() == "Old <b>title</b>"  # escaped
        assert rows[0].cssselect("td.new")[0].text_content() == "New title"
        retired = page(app, f"/watches/{built.en}")
        state = retired.cssselect("#watch-state")[0].text_content()
        assert "retired" in state and "past its feed's schedule" in state
        assert retired.cssselect("#pace")[0].text_content().startswith("retired")
        duplicate = page(app, f"/watches/{built.xss}")
        assert "duplicate of watch" in " ".join(
            duplicate.cssselect("#watch-state")[0].text_content().split()
        )
        assert (
            duplicate.cssselect("#watch-state a.duplicate-of")[0].get("href")
            == f"/watches/{built.ja}"
        )
        plain = page(app, f"/watches/{built.failing}")
        assert not plain.cssselect("#feed") and not plain.cssselect("#feed-changes")
        assert plain.cssselect("#pace")[0].text_content() == "the default interval"
        listed = page(app, "/")
        states = {
            int(r.get("data-watch-id")): r.get("data-status") for r in listed.cssselect("tr.watch")
        }
        assert states[built.en] == "retired" and states[built.xss] == "duplicate"
        row = listed.cssselect(f'tr.watch[data-watch-id="{built.xss}"]')[0]
        assert row.cssselect("a.duplicate-of")[0].get("href") == f"/watches/{built.ja}"
    finally:
        app.state.pool.close()


def test_api_watch_of_a_feed_article(with_feed: Built) -> None:
    built = with_feed
    app = create_app(built.path, allowed_hosts=[HOST], default_interval=600)
    try:
        one = get(app, f"/api/watches/{built.ja}").json()
        assert one["feed"] == {
            "id": one["feed_id"],
            "name": "Example News",
            "url": "https://news.example/rss.xml",
        }
        assert one["published_at"] and one["schedule"] == {
            "interval_s": 900.0,
            "reason": "age 3h: every 15m",
        }
        assert [(c["field"], c["old"], c["new"]) for c in one["feed_changes"]] == [
            ("title", "Old <b>title</b>", "New title")
        ]
        listed = {w["id"]: w for w in get(app, "/api/watches").json()["watches"]}
        assert listed[built.xss]["duplicate_of"] == built.ja
        assert listed[built.xss]["schedule"]["interval_s"] is None
        assert listed[built.en]["retired_at"] == "2026-11-27T05:00:07+00:00"
        assert listed[built.failing]["schedule"] == {"interval_s": 600, "reason": "every 10m"}
        assert "feed_changes" not in listed[built.ja]
    finally:
        app.state.pool.close()


# -- followed feeds -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def followed(tmp_path_factory: pytest.TempPathFactory) -> Followed:
    return build_followed(tmp_path_factory.mktemp("followed") / "monitor.db")


@pytest.fixture
def feeds_app(followed: Followed) -> Iterator[Starlette]:
    app = create_app(followed.path, allowed_hosts=[HOST])
    yield app
    app.state.pool.close()


def test_feeds_page_lists_the_followed_feeds(feeds_app: Starlette, followed: Followed) -> None:
    root = page(feeds_app, "/feeds")
    assert root.cssselect('header.site nav a[href="/feeds"]')[0].text_content() == "Feeds"
    (row,) = root.cssselect("table#feeds tr.feed")
    assert int(row.get("data-feed-id")) == followed.feed and row.get("data-status") == "ok"
    link = row.cssselect("td.name a")[0]
    assert link.text_content() == HOSTILE_FEED and link.get("href") == f"/feeds/{followed.feed}"
    cells = {td.get("data-label"): td for td in row.cssselect("td")}
    assert cells["URL"].text_content().endswith("/feed/")
    assert cells["Kind"].text_content() == "rss"
    assert cells["Polled every"].text_content() == "15m"
    assert (cells["Errors"].text_content(), cells["Articles"].text_content()) == ("0", "4")
    assert cells["Still checked"].text_content() == "2"  # retired and duplicate: no more
    warning = cells["Status"].cssselect(".last-warning")[0].get("title")
    assert warning.startswith("1 entry on other sites skipped (127.0.0.1 → elsewhere.example)")
    polled = cells["Last poll"].cssselect("time")[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", polled.text_content())
    count = root.cssselect("#count")[0]
    assert (
        "1 feed followed" in count.text_content() and "1 no longer followed" in count.text_content()
    )
    everything = page(feeds_app, root.cssselect("a#all-toggle")[0].get("href"))
    rows = {int(r.get("data-feed-id")): r for r in everything.cssselect("tr.feed")}
    assert list(rows) == [followed.feed, followed.gone]
    gone = rows[followed.gone]
    assert gone.get("data-status") == "inactive" and "inactive" in gone.get("class")
    assert gone.cssselect("td.errors")[0].text_content() == "2"  # two failed polls
    assert HOSTILE_WARNING in gone.cssselect(".last-error")[0].get("title")


def test_feed_page_shows_its_articles(feeds_app: Starlette, followed: Followed) -> None:
    root = page(feeds_app, f"/feeds/{followed.feed}")
    assert root.cssselect("h1")[0].text_content() == HOSTILE_FEED
    assert root.cssselect("#feed-kind")[0].text_content() == "rss"
    assert "elsewhere.example" in root.cssselect("#feed-warning")[0].text_content()
    assert root.cssselect("#feed-articles")[0].text_content() == "4 found, 2 still checked"
    rows = root.cssselect("table#articles tr.watch")
    ids = [int(r.get("data-watch-id")) for r in rows]
    assert ids == [followed.short, followed.hostile, followed.first, followed.old]  # newest first
    states = {i: r.get("data-status") for i, r in zip(ids, rows, strict=True)}
    assert states[followed.old] == "retired" and states[followed.short] == "duplicate"
    assert states[followed.first] == states[followed.hostile] == "new"
    links = {i: r.cssselect("td.name a")[0] for i, r in zip(ids, rows, strict=True)}
    assert all(a.get("href") == f"/watches/{i}" for i, a in links.items())
    assert links[followed.hostile].text_content() == HOSTILE_STORY
    short = rows[0].cssselect("a.duplicate-of")[0]
    assert short.get("href") == f"/watches/{followed.first}"
    with ReadOnlyStore(followed.path) as store:
        watches = [store.watches.get(i) for i in ids]
        paces = schedule_dicts(store, watches, 0.0, datetime.now(UTC))
    assert [r.cssselect("td.pace")[0].text_content() for r in rows] == [
        paces[i]["reason"] for i in ids
    ]
    assert paces[followed.first]["reason"] == "age 3h: every 15m"
    published = rows[2].cssselect("td.published time")[0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC", published.text_content())
    watch = page(feeds_app, f"/watches/{followed.first}")
    assert watch.cssselect("#feed a.feed-page")[0].get("href") == f"/feeds/{followed.feed}"
    gone = page(feeds_app, f"/feeds/{followed.gone}")
    assert "no longer followed" in gone.text_content()
    assert not gone.cssselect("tr.watch") and gone.cssselect("p.empty")


def test_feed_articles_are_paged(followed: Followed) -> None:
    sizes = web_pages.PageSizes(articles=3, feeds=1)
    feeds_app = create_app(followed.path, allowed_hosts=[HOST], page_sizes=sizes)
    try:
        first = page(feeds_app, f"/feeds/{followed.feed}")
        assert len(first.cssselect("tr.watch")) == 3 and not first.cssselect("a[rel=prev]")
        second = page(feeds_app, first.cssselect("a[rel=next]")[0].get("href"))
        assert [int(r.get("data-watch-id")) for r in second.cssselect("tr.watch")] == [followed.old]
        assert not second.cssselect("a[rel=next]")
        assert second.cssselect("a[rel=prev]")[0].get("href") == f"/feeds/{followed.feed}"
        beyond = page(feeds_app, f"/feeds/{followed.feed}?page=9")
        assert not beyond.cssselect("tr.watch") and beyond.cssselect("a[rel=prev]")
        listed = page(feeds_app, "/feeds?all=1")
        assert [r.get("data-feed-id") for r in listed.cssselect("tr.feed")] == [str(followed.feed)]
        rest = page(feeds_app, listed.cssselect("a[rel=next]")[0].get("href"))
        assert [r.get("data-feed-id") for r in rest.cssselect("tr.feed")] == [str(followed.gone)]
    finally:
        feeds_app.state.pool.close()


def test_feed_pages_404_and_escape(feeds_app: Starlette, followed: Followed) -> None:
    for url in ("/feeds/999", f"/feeds/{HUGE}", f"/feeds/{2**63}", "/feeds/abc"):
        response = get(feeds_app, url)
        assert response.status_code == 404, url
        assert response.headers["content-type"].startswith("text/html")
    assert get(feeds_app, "/feeds?all=maybe").status_code == 400
    assert get(feeds_app, "/feeds/1?page=0").status_code == 400
    urls = [
        "/feeds",
        "/feeds?all=1",
        f"/feeds/{followed.feed}",
        f"/feeds/{followed.gone}",
        f"/watches/{followed.hostile}",
        f"/watches/{followed.first}",
    ]
    for url, response in zip(urls, fetch(feeds_app, *urls), strict=True):
        assert response.status_code == 200, url
        assert_inert(response.text)
        assert "<script>alert" not in response.text and "<b>News" not in response.text, url
        assert "<img" not in response.text, url
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp
    gone = page(feeds_app, f"/feeds/{followed.gone}")
    assert gone.cssselect("#feed-warning")[0].text_content() == HOSTILE_WARNING
    assert HOSTILE_WARNING in gone.cssselect("#feed-error")[0].text_content()


# -- search and the diff cache -----------------------------------------------------------------


def test_search_strips_control_characters(app: Starlette, built: Built) -> None:
    root = page(app, "/search?q=%00値上げ")
    assert [h.get("data-version") for h in root.cssselect("li.hit")] == ["2"]
    assert not root.cssselect("#scanned")  # the index was used, not the scan
    assert root.cssselect("input[name=q]")[0].get("value") == "値上げ"
    found = get(app, "/api/search?q=値上げ%00%01").json()
    assert found["query"] == "値上げ" and found["scanned"] is False and len(found["hits"]) == 1
    short = get(app, "/api/search?q=値上").json()
    assert short["scanned"] is True and len(short["hits"]) == 1


def test_search_says_when_it_scanned(built: Built, tmp_path: Path) -> None:
    unindexed = tmp_path / "unindexed.db"
    shutil.copyfile(built.path, unindexed)
    conn = sqlite3.connect(unindexed)
    conn.execute("DROP TABLE snapshots_fts")  # the index failed
    conn.commit()
    conn.close()
    app = create_app(unindexed, allowed_hosts=[HOST])
    root = page(app, "/search?q=値上げ")
    assert [h.get("data-version") for h in root.cssselect("li.hit")] == ["2"]
    assert "index could not be used" in root.cssselect("#scanned")[0].text_content()
    assert get(app, "/api/search?q=値上げ").json()["scanned"] is True
    app.state.pool.close()


def test_diffs_are_cached(app: Starlette, built: Built) -> None:
    cache = app.state.diffs
    assert len(cache) == 0
    page(app, f"/watches/{built.ja}/diff/1/2")  # a stored change: its own ops, no diffing
    assert (cache.hits, cache.misses) == (0, 0)
    first = get(app, f"/api/watches/{built.ja}/diff/2/1").json()
    page(app, f"/watches/{built.ja}/diff/2/1?view=side")
    again = get(app, f"/api/watches/{built.ja}/diff/2/1").json()
    assert first == again and (cache.hits, cache.misses) == (2, 1)
    for watch in (built.ja, built.en, built.xss):
        for a, b in ((1, 1), (2, 2), (2, 1)):
            get(app, f"/api/watches/{watch}/diff/{a}/{b}")
    assert len(cache) == 9
    small = DiffCache(2)
    with ReadOnlyStore(built.path) as store:
        target = store.watches.get(built.ja)
        one, two = (store.versions.by_number(target, n) for n in (1, 2))
    calls: list[int] = []

    def compare(w: object, old: object, new: object) -> Any:
        calls.append(1)
        return f"{len(calls)}"

    pairs = [(one, two), (two, one), (one, one), (one, two)]
    results: list[Any] = [small.get_or_compute(target, a, b, compare) for a, b in pairs]
    assert results == ["1", "2", "3", "4"] and len(small) == 2  # the first was dropped
    cached: Any = small.get_or_compute(target, one, one, compare)
    assert cached == "3"


def test_a_bracketed_loopback_with_more_after_it_is_no_loopback(app: Starlette) -> None:
    for host in ("[::1].evil.example", "[::1].evil.example:8080", "[::1]evil", "[::1]:80.evil"):
        assert get(app, "/", headers={"Host": host}).status_code == 400, host


def _raw_exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` whole (as far as the server lets us) and read the answer to the end."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        with contextlib.suppress(OSError):  # the server may stop reading once it has answered
            sock.sendall(request)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer


def test_a_request_too_big_to_read_is_answered_414_or_431(built: Built) -> None:
    from monitor.web.server import EmbeddedWeb

    async def run() -> list[bytes]:
        web = EmbeddedWeb(built.path, "127.0.0.1", 0, None)
        port = web.socket.getsockname()[1]
        task = asyncio.create_task(web.run())
        try:
            while not web.server.started:
                await asyncio.sleep(0.01)
            requests = [
                b"GET /?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 200_000 + b"\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
            ]
            loop = asyncio.get_running_loop()
            return [await loop.run_in_executor(None, _raw_exchange, port, r) for r in requests]
        finally:
            web.stop()
            await task

    too_long, too_big, fine = asyncio.run(run())
    assert too_long.startswith(b"HTTP/1.1 414 ")
    assert too_big.startswith(b"HTTP/1.1 431 ")
    assert fine.startswith(b"HTTP/1.1 200 ")


def test_watch_page_and_api_show_how_sure_extraction_is(app: Starlette, built: Built) -> None:
    sure = page(app, f"/watches/{built.ja}").cssselect("#confidence")[0]
    assert sure.cssselect(".confidence-high") and "rule pack" in sure.text_content()
    data = get(app, f"/api/watches/{built.ja}").json()
    assert data["confidence"]["level"] == "high"
    never = page(app, f"/watches/{built.failing}").cssselect("#confidence")[0]
    assert never.text_content() == "not assessed"
    listed = page(app, "/")
    uncertain = {
        int(row.get("data-watch-id"))
        for row in listed.cssselect("tr.watch")
        if row.cssselect(".uncertain")
    }
    levels = {
        w: (get(app, f"/api/watches/{w}").json()["confidence"] or {}).get("level")
        for w in (built.ja, built.en, built.xss, built.failing)
    }
    assert uncertain == {w for w, level in levels.items() if level == "low"}

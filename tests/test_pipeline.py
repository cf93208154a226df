"""End to end: a real HTTP server on 127.0.0.1 serves article pages that change between checks;
the real fetcher, extractor, store and differ check them."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from harness import Harness, Site, static
from server import Handler, LocalServer, Request, Response, truncated

from monitor import samplesite
from monitor.analyse import Analysis, text_sha256
from monitor.config import Config, FeedConfig, Rules, Settings, SiteRule, WatchConfig
from monitor.fetch import Fetcher
from monitor.history import build_report
from monitor.models import CheckStatus
from monitor.pipeline import Checker, CheckResult, auto_workers, usable_cpus
from monitor.reextract import reextract_watch
from monitor.request import RequestOptions
from monitor.revalidate import REVALIDATE_AFTER_304S, REVALIDATE_AFTER_SECONDS
from monitor.samplesite import Noise
from monitor.samplesite.hostile import home_page
from monitor.store import Store


def test_first_check_stores_the_article(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url, name="ja")
    result = harness.check(watch)
    assert result.status is CheckStatus.NEW
    assert (result.version, result.http_status) == (1, 200)
    (snapshot,) = harness.store.versions.of(watch)
    assert snapshot.document == samplesite.article_text(ja_site.article)
    assert snapshot.extractor == "jannah"
    assert snapshot.metadata.language == "ja"
    raw, encoding = harness.store.versions.page(snapshot.id)
    assert raw.startswith(b"<!DOCTYPE html>") and encoding == "utf-8"


def test_noise_only_is_unchanged_on_every_check(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url)
    assert harness.check(watch).status is CheckStatus.NEW
    noises = [
        Noise(seed=1, timestamp="2026-11-27T10:00:00+09:00"),
        Noise(seed=2, timestamp="2026-11-27T11:00:00+09:00", comment_count=5),
        Noise(seed=3, comment_count=6, comments=(("読者", "とても参考になりました。"),)),
        Noise(
            seed=4,
            comment_count=9,
            comments=(("読者", "とても参考になりました。"), ("A. Reader", "Thanks!")),
        ),
    ]
    for noise in noises:
        ja_site.noise = noise
        result = harness.check(watch)
        assert result.status is CheckStatus.UNCHANGED, noise
    assert len(harness.store.versions.of(watch)) == 1
    assert harness.store.changes.of(watch) == []


def test_a_japanese_edit_is_one_change_with_exactly_that_insertion(
    harness: Harness, ja_site: Site
) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    ja_site.article = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    ja_site.noise = Noise(seed=9)
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED
    assert result.report is not None
    diff = result.report.diff
    assert [(op.op, op.text) for op in diff.ops if op.op != 0] == [(1, "2000")]
    assert (diff.chars_added, diff.chars_removed) == (4, 0)
    assert result.version == 2
    assert harness.check(watch).status is CheckStatus.UNCHANGED
    (change,) = harness.store.changes.of(watch)
    assert change["chars_added"] == 4


def test_an_english_edit_shows_whole_words(harness: Harness, en_site: Site) -> None:
    watch = harness.store.watches.add(en_site.url)
    harness.check(watch)
    text = samplesite.article_text(en_site.article)
    word = next(w for w in text.split() if w.isalpha() and len(w) > 6)
    en_site.article = samplesite.replace_text(en_site.article, word, "replacement")
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED and result.report is not None
    changed = [(op.op, op.text) for op in result.report.diff.ops if op.op != 0]
    assert (-1, word) in changed and (1, "replacement") in changed


def test_an_added_paragraph(harness: Harness, en_site: Site) -> None:
    watch = harness.store.watches.add(en_site.url)
    harness.check(watch)
    paragraph = "The council will vote on the amended budget on December 3."
    en_site.article = samplesite.add_block(en_site.article, 3, paragraph)
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED and result.report is not None
    added = [op.text for op in result.report.diff.ops if op.op == 1]
    assert "".join(added).strip() == paragraph


GATES = Path(__file__).parent / "data" / "gates"


def test_a_short_article_with_what_a_cdn_injects_into_every_page_is_the_article(
    harness: Harness, http_server: LocalServer
) -> None:
    page = (GATES / "short_article_cf_detections_en.html").read_bytes()
    assert b"/cdn-cgi/challenge-platform/" in page
    http_server.set("/t/1", page)
    watch = harness.store.watches.add(http_server.url("/t/1"))
    first = harness.check(watch)
    assert first.status is CheckStatus.NEW, first.error
    (version,) = harness.store.versions.of(watch)
    assert "the council will spend what is left on the path" in version.document


@pytest.mark.parametrize(
    ("case", "gate"),
    [
        ("login_page_en", "a login page"),
        ("error_and_login_zh", "a login page"),
        ("consent_wall_en", "a consent wall"),
        ("captcha_page_en", "a bot challenge"),
        ("captcha_nested_en", "a bot challenge"),
    ],
)
def test_a_short_page_that_is_a_gate_is_that_gate_and_stores_nothing(
    harness: Harness, http_server: LocalServer, case: str, gate: str
) -> None:
    http_server.set("/t/1", (GATES / f"{case}.html").read_bytes())
    watch = harness.store.watches.add(http_server.url("/t/1"))
    first = harness.check(watch)
    assert first.status is CheckStatus.SOFT_ERROR
    assert (first.error or "").startswith(f"{gate}, not an article")
    assert harness.store.versions.of(watch) == []


def test_a_login_page_stored_as_the_first_version_gives_way_to_the_article(
    harness: Harness, http_server: LocalServer
) -> None:
    """A members' login page long enough to pass the first-check gate becomes version 1;
    the article served at the URL afterwards (the site's consent manager on both) is
    "another page" of it, yet it replaces it once seen on ``collapse_confirm`` (3) checks in
    a row, as a change; then edits of the article are reported as usual."""
    http_server.set("/live", (GATES / "login_page_long_en.html").read_bytes())
    watch = harness.store.watches.add(http_server.url("/live"))
    first = harness.check(watch)
    assert first.status is CheckStatus.NEW, first.error
    cmp = '<div id="onetrust-consent-sdk"></div>'
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE + FIRE_UPDATE, False, cmp)
    waiting = [harness.check(watch) for _ in range(2)]
    assert [r.status for r in waiting] == [CheckStatus.SOFT_ERROR] * 2
    assert all("stood in for the article" in (r.error or "") for r in waiting)
    assert "the first version looks like a login page" in (waiting[0].error or "")
    replaced = harness.check(watch)
    assert replaced.status is CheckStatus.CHANGED and replaced.report is not None
    assert replaced.report.old is not None and replaced.report.old.version == 1
    assert [v.version for v in harness.store.versions.of(watch)] == [1, 2]
    edited = [p.replace("timber yard", "saw mill") for p in FIRE + FIRE_UPDATE]
    _story(http_server, "Fire breaks out at Mill Road warehouse", edited, False, cmp)
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED and result.report is not None
    assert result.report.old is not None and result.report.old.version == 2


def test_a_gate_never_replaces_a_first_version_that_showed_another_gate(
    harness: Harness, http_server: LocalServer
) -> None:
    """A login page stored as version 1, then a consent wall at the URL: one gate after
    another, never a version (the article that comes after still replaces the login page)."""
    http_server.set(
        "/live",
        (GATES / "login_page_long_en.html")
        .read_bytes()
        .replace(b'<div id="onetrust-consent-sdk">', b"<div>"),
    )
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    wall = "We and our partners use cookies to store and access information on your device. " * 12
    _story(http_server, "Before you continue", [wall], False, '<div id="qc-cmp2-container"></div>')
    results = [harness.check(watch) for _ in range(4)]
    assert [r.status for r in results] == [CheckStatus.SOFT_ERROR] * 4
    assert [v.version for v in harness.store.versions.of(watch)] == [1]


def _story(
    server: LocalServer, title: str, paragraphs: list[str], canonical: bool = True, extra: str = ""
) -> None:
    """A story page at /live (naming its own address as canonical; ``extra``: markup after
    the article)."""
    link = f'<link rel="canonical" href="{server.url("/live")}">' if canonical else ""
    server.set("/live", _story_html(title, paragraphs, link, extra).encode())


def _story_html(title: str, paragraphs: list[str], link: str = "", extra: str = "") -> str:
    """A story page's HTML (``link``: markup in its head; ``extra``: after the article)."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html lang="en"><head><title>{title}</title>{link}</head><body><article>'
        f"<h1>{title}</h1>{body}</article>{extra}</body></html>"
    )


FIRE = [
    f"A fire broke out at a warehouse on Mill Road on Tuesday evening; report {n} says the "
    f"crews from the town kept it from spreading to the timber yard next door for hours."
    for n in range(1, 5)
]
FIRE_UPDATE = [
    f"Update {n}: two firefighters were hurt when the blaze spread to a second building "
    f"overnight, and the police closed Mill Road between the bridge and the station."
    for n in range(1, 6)
]


def test_a_developing_story_rewritten_under_a_new_headline_is_reported(
    harness: Harness, http_server: LocalServer
) -> None:
    """Both versions name the URL they are served at as canonical: the rewrite is the
    change it is, at once."""
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    _story(http_server, "Two firefighters hurt as warehouse fire spreads", FIRE_UPDATE)
    rewrite = harness.check(watch)
    assert rewrite.status is CheckStatus.CHANGED, rewrite.error
    assert rewrite.report is not None and "Two firefighters hurt" in rewrite.report.new.title


def test_a_rewrite_under_a_new_headline_without_a_canonical_waits_for_confirmation(
    harness: Harness, http_server: LocalServer
) -> None:
    """Without a canonical URL, only its title says the rewrite is another page: a soft
    error until seen on ``collapse_confirm`` (3) checks in a row, then the change."""
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE, canonical=False)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    _story(http_server, "Two firefighters hurt", FIRE_UPDATE, canonical=False)
    results = [harness.check(watch) for _ in range(3)]
    assert [r.status for r in results] == [CheckStatus.SOFT_ERROR] * 2 + [CheckStatus.CHANGED]
    assert (results[0].error or "").startswith("a rewrite or another page: another title")


def test_a_page_under_a_new_title_showing_the_sites_consent_manager_is_not_this_article(
    harness: Harness, http_server: LocalServer
) -> None:
    """Every page of the site shows its consent manager: under a new title, such a page may
    be the consent wall itself, and is never taken for a rewrite."""
    cmp = '<div id="onetrust-consent-sdk"></div>'
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE, False, cmp)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    _story(http_server, "Two firefighters hurt", FIRE_UPDATE, False, cmp)
    results = [harness.check(watch) for _ in range(4)]
    assert [r.status for r in results] == [CheckStatus.SOFT_ERROR] * 4
    assert "on a page showing a consent wall" in (results[0].error or "")


def test_a_rewrite_naming_itself_on_a_site_whose_pages_all_show_a_gate_is_reported(
    harness: Harness, http_server: LocalServer
) -> None:
    """Every page of the site shows its consent manager and a login box in its header: a
    rewrite under a new headline that names the address it is fetched from as canonical,
    as its first version did, is reported at once."""
    header = '<div id="onetrust-consent-sdk"></div><form><input type="password"></form>'
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE, True, header)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    _story(http_server, "Two firefighters hurt", FIRE_UPDATE, True, header)
    rewrite = harness.check(watch)
    assert rewrite.status is CheckStatus.CHANGED, rewrite.error


def test_a_short_error_page_naming_the_article_as_canonical_is_no_rewrite(
    harness: Harness, http_server: LocalServer
) -> None:
    """A site's own error page under a new title, naming the article's address as canonical:
    its text collapsed to text not from the article, a soft error however often seen."""
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    _story(http_server, "Oops", ["Something went wrong on our side. Please come back later."])
    results = [harness.check(watch) for _ in range(4)]
    assert [r.status for r in results] == [CheckStatus.SOFT_ERROR] * 4
    assert [v.version for v in harness.store.versions.of(watch)] == [1]


def test_another_article_at_the_url_never_replaces_the_article(
    harness: Harness, en_site: Site
) -> None:
    """The article is version 1; another, longer article served at its URL under another
    title and its own canonical URL stays "not this article" however often it is seen."""
    watch = harness.store.watches.add(en_site.url)
    assert harness.check(watch).status is CheckStatus.NEW
    story = [
        f"Paragraph {n} of another story: the harbour board met on the quay to talk about "
        f"the ferry timetable, the winter berths and the fish market's lease, item {n}."
        for n in range(1, 12)
    ]
    blocks = tuple(samplesite.Block("p", text) for text in story)
    en_site.article = replace(
        en_site.article, title="Harbour board delays ferry plan", slug="harbour", blocks=blocks
    )
    results = [harness.check(watch) for _ in range(4)]
    assert [r.status for r in results] == [CheckStatus.SOFT_ERROR] * 4
    assert all((r.error or "").startswith("not this article") for r in results)
    assert "canonical URL" in (results[0].error or "")
    assert [v.version for v in harness.store.versions.of(watch)] == [1]


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("500", CheckStatus.HTTP_ERROR),
        ("timeout", CheckStatus.NETWORK_ERROR),
        ("truncated", CheckStatus.NETWORK_ERROR),
        ("maintenance", CheckStatus.SOFT_ERROR),
        ("challenge", CheckStatus.SOFT_ERROR),
        ("not_found", CheckStatus.SOFT_ERROR),
        ("login", CheckStatus.SOFT_ERROR),
        ("empty", CheckStatus.SOFT_ERROR),
    ],
)
def test_errors_store_nothing_and_the_next_good_fetch_compares_with_the_last_good_version(
    harness: Harness, ja_site: Site, http_server: LocalServer, kind: str, status: CheckStatus
) -> None:
    watch = harness.store.watches.add(ja_site.url)
    first = harness.check(watch)
    ja_site.override = _error_response(kind, http_server)
    failed = harness.check(watch)
    assert failed.status is status
    assert failed.error
    assert failed.snapshot_id is None and failed.change_id is None
    assert len(harness.store.versions.of(watch)) == 1
    assert harness.store.watches.get(watch.id).current_snapshot_id == first.snapshot_id
    # The page comes back, edited: the change is against the last good version.
    ja_site.override = None
    ja_site.article = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    back = harness.check(watch)
    assert back.status is CheckStatus.CHANGED and back.report is not None
    assert back.report.old is not None and back.report.old.version == 1
    assert [op.text for op in back.report.diff.ops if op.op != 0] == ["2000"]


def _error_response(kind: str, server: LocalServer) -> Handler:
    html = {"Content-Type": "text/html; charset=utf-8"}
    if kind == "500":
        return static(Response(500, html, b"<h1>Internal Server Error</h1>"))
    if kind == "timeout":
        return server.slow(3, Response(200, html, b"<html></html>"))
    if kind == "truncated":
        return truncated(b"<html><body><p>half a page", 50_000)
    if kind == "empty":
        return static(Response(200, html, b""))
    return static(Response(200, html, samplesite.error_page(kind).encode("utf-8")))


def test_a_page_cut_short_with_a_body_framed_whole_is_no_change(
    harness: Harness, http_server: LocalServer
) -> None:
    """A server that stops writing the page half way, though its Content-Length (or its
    chunks) matched what it sent: the page stops before </html>, where the stored version's
    reached it. A soft error, not a change; the page whole again is unchanged, no alert."""
    page = samplesite.render_page(samplesite.load_article("en"))
    http_server.set("/cut/", page)
    watch = harness.store.watches.add(http_server.url("/cut/"))
    assert harness.check(watch).status is CheckStatus.NEW
    raw = page.encode("utf-8")
    middle = raw.index(b"cast the two dissenting votes")  # in its last paragraphs
    http_server.set("/cut/", raw[:middle], headers={"Content-Type": "text/html"})
    cut = [harness.check(watch) for _ in range(2)]
    assert [r.status for r in cut] == [CheckStatus.SOFT_ERROR] * 2
    assert all("cut short" in (r.error or "") for r in cut)
    http_server.set("/cut/", page)
    assert harness.check(watch).status is CheckStatus.UNCHANGED
    assert len(harness.store.versions.of(watch)) == 1 and harness.store.changes.of(watch) == []


def test_an_article_url_redirected_to_the_home_page_stores_nothing(
    harness: Harness, http_server: LocalServer
) -> None:
    """Without a baseline, a redirect to the site's home page is no article, whatever its
    teasers look like; the home page watched itself is a page like any other."""
    article = samplesite.load_article("en")
    home = home_page(article, http_server.url("/"))
    http_server.set("/", home)
    http_server.set("/2026/moved/", b"", status=302, headers={"Location": "/"})
    moved = harness.store.watches.add(http_server.url("/2026/moved/"))
    first = harness.check(moved)
    assert first.status is CheckStatus.SOFT_ERROR
    assert (first.error or "").startswith("redirected to the home page")
    assert harness.store.versions.of(moved) == []
    watched_home = harness.store.watches.add(http_server.url("/"))
    assert harness.check(watched_home).status is CheckStatus.NEW
    http_server.set("/en/", home)  # a language edition's home page
    http_server.set("/en/news/fire-123", b"", status=301, headers={"Location": "/en/"})
    edition = harness.store.watches.add(http_server.url("/en/news/fire-123"))
    assert (harness.check(edition).error or "").startswith("redirected to the home page")
    http_server.set("/index.php", b"", status=301, headers={"Location": "/"})
    index = harness.store.watches.add(http_server.url("/index.php"))  # the home page itself
    assert harness.check(index).status is CheckStatus.NEW


def test_two_texts_taking_turns_slowly_alert_twice_then_flap(
    harness: Harness, http_server: LocalServer
) -> None:
    """A page served A A B B A A B B (two CDN edges with a cache longer than the interval,
    a sentence drawn from two): the edit and its first revert are reported, the same two
    texts taking turns after that are recorded as flaps, not reported."""
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE)
    watch = harness.store.watches.add(http_server.url("/live"))
    other = [FIRE[0].replace("Tuesday evening", "Tuesday night"), *FIRE[1:]]
    statuses = []
    for text in (FIRE, other, other, FIRE, FIRE, other, other, FIRE, FIRE, other):
        _story(http_server, "Fire breaks out at Mill Road warehouse", text)
        statuses.append(harness.check(watch).status)
    kinds = [change["kind"] for change in harness.store.changes.of(watch)]
    assert kinds == ["changed", "revert", "flap", "flap", "flap"]
    assert len(harness.store.versions.of(watch)) == 2
    assert statuses.count(CheckStatus.CHANGED) == 5


def test_an_edit_re_applied_after_its_revert_held_is_reported(
    harness: Harness, http_server: LocalServer
) -> None:
    """A -> B, the editor reverts to A, A holds for a while, then B is put back: the
    re-applied edit is reported, not taken for two texts taking turns."""
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE)
    watch = harness.store.watches.add(http_server.url("/live"))
    other = [FIRE[0].replace("Tuesday evening", "Wednesday morning"), *FIRE[1:]]
    for text in (FIRE, other, other, other, *[FIRE] * 8, other):
        _story(http_server, "Fire breaks out at Mill Road warehouse", text)
        harness.check(watch)
    kinds = [change["kind"] for change in harness.store.changes.of(watch)]
    assert kinds == ["changed", "revert", "revert"]
    _story(http_server, "Fire breaks out at Mill Road warehouse", FIRE)  # undone at once
    harness.check(watch)
    kinds = [change["kind"] for change in harness.store.changes.of(watch)]
    assert kinds == ["changed", "revert", "revert", "revert"]  # its reader learns it too


def test_a_304_costs_no_parsing(harness: Harness, http_server: LocalServer) -> None:
    page = samplesite.render_page(samplesite.load_article("en"))
    http_server.set("/etag/", page, etag="v1")
    watch = harness.store.watches.add(http_server.url("/etag/"))
    assert harness.check(watch).status is CheckStatus.NEW
    second = harness.check(watch)
    assert second.status is CheckStatus.NOT_MODIFIED
    assert second.snapshot_id is not None
    assert http_server.requests[-1].headers.get("if-none-match") == '"v1"'
    assert harness.store.watches.get(watch.id).etag == '"v1"'


def test_identical_bytes_skip_extraction(harness: Harness, http_server: LocalServer) -> None:
    http_server.set("/same/", samplesite.render_page(samplesite.load_article("en")))
    watch = harness.store.watches.add(http_server.url("/same/"))
    harness.check(watch)
    result = harness.check(watch)
    assert result.status is CheckStatus.UNCHANGED
    rows = harness.store.versions.checks(watch)
    assert rows[0]["candidate_sha256"] is None  # decided from the bytes, no extraction
    assert rows[1]["candidate_sha256"] is not None


def test_a_revert_is_reported_as_such(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url)
    original = ja_site.article
    harness.check(watch)
    ja_site.article = samplesite.replace_text(original, "1万人", "1万2000人")
    assert harness.check(watch).version == 2
    for _ in range(2):
        assert harness.check(watch).status is CheckStatus.UNCHANGED
    ja_site.article = original
    back = harness.check(watch)
    assert back.status is CheckStatus.CHANGED and back.report is not None
    assert (back.report.reverted_to, back.report.kind) == (1, "revert")
    assert back.version == 1
    assert [s.version for s in harness.store.versions.of(watch)] == [1, 2]
    assert back.as_dict()["change"]["reverted_to"] == 1


def test_a_checks_report_is_the_stored_changes_report(harness: Harness, ja_site: Site) -> None:
    """The check builds its report from what it held; reading the stored change back (as
    the outbox and `monitor diff` do) gives the very same report, for an edit and a revert."""
    watch = harness.store.watches.add(ja_site.url, name="ja")
    original = ja_site.article
    harness.check(watch)
    ja_site.article = samplesite.replace_text(original, "1万人", "1万2000人")
    edited = harness.check(watch)
    harness.check(watch)
    harness.check(watch)
    ja_site.article = original
    reverted = harness.check(watch)  # back to version 1, which no recent check saw
    assert reverted.report is not None and reverted.report.kind == "revert"
    for result in (edited, reverted):
        assert result.report is not None and result.change_id is not None
        stored = build_report(harness.store, harness.store.changes.get(result.change_id))
        assert result.report == stored
    assert edited.report is not None
    assert [op.text for op in edited.report.diff.ops if op.op == 1] == ["2000"]


def test_a_flip_flopping_article_is_reported_twice_its_edit_and_the_revert(
    harness: Harness, ja_site: Site
) -> None:
    """An A/B test, or an edit undone on the next check: the edit and its revert are
    reported (whoever read the first alert learns the figure is back), the same two texts
    taking turns after that are not."""
    channels = {"change": ("hook",)}
    watch = harness.store.watches.add(ja_site.url)
    original = ja_site.article
    edited = samplesite.replace_text(original, "1万人", "1万2000人")

    def check() -> CheckResult:
        return harness.check(watch, channels=channels)

    check()
    kinds = []
    for article in (edited, original, edited, original, edited):
        ja_site.article = article
        result = check()
        assert result.status is CheckStatus.CHANGED and result.report is not None
        kinds.append(result.report.kind)
    assert kinds == ["changed", "revert", "flap", "flap", "flap"]
    assert [row.kind for row in harness.store.outbox.of(watch)] == ["change", "change"]
    assert len(harness.store.versions.of(watch)) == 2


def test_gone_after_repeated_404(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    ja_site.override = static(Response(404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"))
    assert harness.check(watch).status is CheckStatus.HTTP_ERROR
    assert harness.check(watch).status is CheckStatus.GONE
    assert harness.store.watches.get(watch.id).error_streak == 2
    ja_site.override = None
    assert harness.check(watch).status is CheckStatus.UNCHANGED
    assert harness.store.watches.get(watch.id).error_streak == 0


def test_collapsed_text_is_an_error_until_confirmed(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    article = ja_site.article
    short = replace(article, blocks=article.blocks[:1])
    ja_site.article = short
    statuses = [harness.check(watch).status for _ in range(3)]
    assert statuses == [CheckStatus.SOFT_ERROR, CheckStatus.SOFT_ERROR, CheckStatus.CHANGED]


def test_silent_edit_is_flagged(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    ja_site.article = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    result = harness.check(watch)
    assert result.report is not None and result.report.silent_edit
    ja_site.article = samplesite.with_modified(
        samplesite.replace_text(ja_site.article, "2000人", "3000人"), "2026-12-01T09:00:00+09:00"
    )
    result = harness.check(watch)
    assert result.report is not None and not result.report.silent_edit


def test_database_stays_consistent(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url)
    for seed in range(3):
        ja_site.noise = Noise(seed=seed)
        harness.check(watch)
    conn = sqlite3.connect(harness.config.settings.database)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    conn.close()


def test_events_are_queued_once_for_changes_failures_and_recovery(
    harness: Harness, ja_site: Site
) -> None:
    settings = replace(harness.config.settings, notify_after_errors=2)
    harness.config = replace(harness.config, settings=settings)
    channels = {
        "change": ("reports", "hook"),
        "failing": ("hook",),
        "recovered": ("hook",),
        "removed": ("hook",),
        "returned": ("hook",),
    }

    def check() -> CheckResult:
        return harness.check(watch, channels=channels)

    watch = harness.store.watches.add(ja_site.url)
    check()
    ja_site.article = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    check()
    ja_site.override = static(Response(503, {}, b"down"))
    for _ in range(4):
        check()
    ja_site.override = None
    check()
    check()
    ja_site.override = static(Response(410, {}, b"gone"))
    for _ in range(3):
        check()
    ja_site.override = None
    check()
    queued = [(row.kind, row.channel) for row in harness.store.outbox.of(watch)]
    assert queued == [
        ("change", "reports"),
        ("change", "hook"),
        ("failing", "hook"),
        ("recovered", "hook"),
        ("removed", "hook"),  # 410 on gone_after (2) checks: removed, not "failing"
        ("returned", "hook"),
    ]
    rows = harness.store.outbox.of(watch)
    first_503 = harness.store.versions.check(rows[2].check_id or 0)["id"] - 1
    since = harness.store.versions.check(first_503)["checked_at"]
    assert rows[2].payload == {"error": "HTTP 503 Service Unavailable", "streak": 2, "since": since}
    assert rows[3].payload == {"streak": 4, "since": since}


def test_reextract_sets_a_new_baseline_without_reporting_a_change(
    harness: Harness, ja_site: Site
) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    watch = harness.store.watches.get(watch.id)
    assert reextract_watch(harness.store, harness.config, watch).note == "same text"
    # New rules (as after an extractor upgrade): the credit lines are no longer wanted.
    rules = Rules(ignore=("^(動画|画像)提供",))
    harness.store.sync_config(Config(watches=(WatchConfig(ja_site.url, rules=rules),)))
    watch = harness.store.watches.get(watch.id)
    dry = reextract_watch(harness.store, harness.config, watch, dry_run=True)
    assert dry.changed and dry.new_version is None
    done = reextract_watch(harness.store, harness.config, watch)
    assert (done.old_version, done.new_version) == (1, 2)
    current = harness.store.versions.current(harness.store.watches.get(watch.id))
    assert current is not None and current.origin == "reextract"
    assert "動画提供" not in current.text
    assert harness.store.changes.of(watch) == []
    ja_site.noise = Noise(seed=5)
    assert harness.check(watch).status is CheckStatus.UNCHANGED  # no false alert
    assert harness.store.outbox.of(watch) == []


def test_a_redirect_to_another_page_is_an_error_however_often_it_is_seen(
    harness: Harness, ja_site: Site, http_server: LocalServer
) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    http_server.set("/home/", samplesite.render_page(samplesite.load_article("en")))
    ja_site.override = static(Response(301, {"Location": http_server.url("/home/")}))
    statuses = [harness.check(watch) for _ in range(5)]
    assert {r.status for r in statuses} == {CheckStatus.SOFT_ERROR}
    assert "redirected to" in (statuses[0].error or "")
    assert "not this article" in (statuses[0].error or "")
    assert len(harness.store.versions.of(watch)) == 1


def test_the_same_article_moved_to_another_path_is_still_the_article(
    harness: Harness, ja_site: Site, http_server: LocalServer
) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    moved = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    http_server.set("/moved/", samplesite.render_page(moved))
    ja_site.override = static(Response(301, {"Location": http_server.url("/moved/")}))
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED and result.report is not None
    assert [op.text for op in result.report.diff.ops if op.op] == ["2000"]


def test_collapse_confirm_1_accepts_at_once(harness: Harness, ja_site: Site) -> None:
    settings = replace(harness.config.settings, collapse_confirm=1)
    harness.config = replace(harness.config, settings=settings)
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    ja_site.article = replace(ja_site.article, blocks=ja_site.article.blocks[:1])
    assert harness.check(watch).status is CheckStatus.CHANGED


def test_a_page_that_breaks_the_extractor_is_a_recorded_failure(
    harness: Harness, ja_site: Site
) -> None:
    def broken(*args: object) -> Analysis:
        raise ValueError("Invalid IPv6 URL")

    watch = harness.store.watches.add(ja_site.url)

    async def run() -> CheckResult:
        async with Fetcher(harness.config.settings.fetch) as fetcher:
            checker = Checker(harness.store, fetcher, harness.config, analyse=broken)
            return await checker.check(watch)

    result = asyncio.run(run())
    assert result.status is CheckStatus.SOFT_ERROR
    assert "cannot extract the article: ValueError: Invalid IPv6 URL" in (result.error or "")
    assert harness.store.versions.checks(watch)[0]["status"] == "soft_error"


def test_two_processes_checking_at_once_record_one_change(harness: Harness, ja_site: Site) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    ja_site.article = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    stale = harness.store.watches.get(watch.id)

    async def both() -> list[CheckResult]:
        other = Store(harness.config.settings.database)
        try:
            async with Fetcher(harness.config.settings.fetch) as fetcher:
                one = Checker(harness.store, fetcher, harness.config)
                two = Checker(other, fetcher, harness.config)
                first = await one.check(stale)
                second = await two.check(stale)  # decided against version 1, which moved
                return [first, second]
        finally:
            other.close()

    first, second = asyncio.run(both())
    assert (first.status, second.status) == (CheckStatus.CHANGED, CheckStatus.UNCHANGED)
    assert len(harness.store.changes.of(watch)) == 1


def test_confirm_2_reports_a_change_only_once_it_settles(harness: Harness, ja_site: Site) -> None:
    harness.config = replace(harness.config, settings=replace(harness.config.settings, confirm=2))
    watch = harness.store.watches.add(ja_site.url)
    original = ja_site.article
    edited = samplesite.replace_text(original, "1万人", "1万2000人")
    harness.check(watch)
    statuses = []
    for article in (edited, original, edited, original, edited, edited, edited):
        ja_site.article = article
        statuses.append(harness.check(watch).status)
    assert statuses == [CheckStatus.UNCHANGED] * 5 + [CheckStatus.CHANGED, CheckStatus.UNCHANGED]
    assert len(harness.store.changes.of(watch)) == 1
    assert "awaits confirmation" in (harness.store.versions.checks(watch)[2]["error"] or "")


def test_new_site_rules_re_baseline_a_watch_without_a_change(
    harness: Harness, en_site: Site
) -> None:
    """A [[site]] rule added for a watched page (here: leave the captions out) changes what
    extraction takes, not the article: the stored page is extracted again under the new
    rules (a new baseline, as `monitor reextract` makes), no change is reported, and the
    next edit is compared with that baseline."""
    watch = harness.store.watches.add(en_site.url)
    assert harness.check(watch).status is CheckStatus.NEW
    site = SiteRule(match=en_site.url, rules=Rules(remove=("figcaption",)))
    harness.config = replace(harness.config, sites=(site,))
    assert harness.check(watch).status is CheckStatus.UNCHANGED
    assert harness.store.changes.of(watch) == []
    versions = harness.store.versions.of(watch)
    assert len(versions) == 2 and len(versions[1].text) < len(versions[0].text)
    en_site.article = samplesite.replace_text(en_site.article, "voted 7-2", "voted 6-3")
    edited = harness.check(watch)
    assert edited.status is CheckStatus.CHANGED and edited.report is not None
    assert edited.report.old is not None and edited.report.old.version == 2
    assert [op.text for op in edited.report.diff.ops if op.op] == ["7-2", "6-3"]


def test_a_site_rule_asks_for_confirmation_of_its_pages_only(
    harness: Harness, ja_site: Site, en_site: Site
) -> None:
    site = SiteRule(match=ja_site.url, rules=Rules(), confirm=2)
    harness.config = replace(harness.config, sites=(site,))
    ja, en = harness.store.watches.add(ja_site.url), harness.store.watches.add(en_site.url)
    harness.check(ja)
    harness.check(en)
    ja_site.article = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    en_site.article = samplesite.replace_text(en_site.article, "voted 7-2", "voted 6-3")
    assert harness.check(en).status is CheckStatus.CHANGED  # confirm = 1 elsewhere
    waiting = harness.check(ja)
    assert waiting.status is CheckStatus.UNCHANGED
    assert "awaits confirmation (2 checks in a row)" in (waiting.error or "")
    assert harness.check(ja).status is CheckStatus.CHANGED


def test_confirm_2_settles_on_servers_with_etags(
    harness: Harness, http_server: LocalServer
) -> None:
    harness.config = replace(harness.config, settings=replace(harness.config.settings, confirm=2))
    article = samplesite.load_article("en")
    http_server.set("/e/", samplesite.render_page(article), etag="v1")
    watch = harness.store.watches.add(http_server.url("/e/"))
    harness.check(watch)
    edited = samplesite.replace_text(article, "voted 7-2", "voted 6-3")
    http_server.set("/e/", samplesite.render_page(edited), etag="v2")
    statuses = [harness.check(watch).status for _ in range(3)]
    assert statuses == [CheckStatus.UNCHANGED, CheckStatus.CHANGED, CheckStatus.NOT_MODIFIED]


def test_an_article_that_moved_with_the_same_text_settles(
    harness: Harness, ja_site: Site, http_server: LocalServer
) -> None:
    watch = harness.store.watches.add(ja_site.url)
    harness.check(watch)
    moved = Site(http_server, ja_site.article, path="/moved/")
    ja_site.override = static(Response(301, {"Location": moved.url}))
    statuses = []
    for seed in range(8):
        moved.noise = Noise(seed=seed)  # new bytes every time, the same text
        statuses.append(harness.check(watch).status)
    assert set(statuses) == {CheckStatus.UNCHANGED}  # the same article: no error, no change
    assert harness.store.changes.of(watch) == []


class Clock:
    """A steppable clock for the checker (ISO-8601 UTC, as utcnow gives)."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> str:
        return self.now.isoformat(timespec="seconds")


def _clocked_checks(harness: Harness, watch_id: int, clock: Clock, steps: list[timedelta]) -> None:
    async def run() -> None:
        async with Fetcher(harness.config.settings.fetch) as fetcher:
            checker = Checker(harness.store, fetcher, harness.config, clock=clock)
            for step in steps:
                clock.now += step
                await checker.check(harness.store.watches.get(watch_id))

    asyncio.run(run())


def _conditional(http_server: LocalServer) -> list[bool]:
    return ["if-none-match" in request.headers for request in http_server.requests]


def test_a_run_of_304s_is_confirmed_by_a_full_fetch_after_n_answers(
    harness: Harness, http_server: LocalServer
) -> None:
    http_server.set("/a", samplesite.render_page(samplesite.load_article("en")), etag="v1")
    watch = harness.store.watches.add(http_server.url("/a"))
    n = REVALIDATE_AFTER_304S
    _clocked_checks(harness, watch.id, Clock(), [timedelta(minutes=15)] * (n + 3))
    # the first fetch, n answers of 304, then one in full, then conditional again
    assert _conditional(http_server) == [False, False] + [True] * n + [
        False,
        True,
    ]  # 1st: 2 fetches
    statuses = [row["status"] for row in reversed(harness.store.versions.checks(watch))]
    assert statuses == ["new"] + ["not_modified"] * n + ["unchanged", "not_modified"]


def test_a_run_of_304s_is_confirmed_by_a_full_fetch_after_a_day(
    harness: Harness, http_server: LocalServer
) -> None:
    http_server.set("/a", samplesite.render_page(samplesite.load_article("en")), etag="v1")
    watch = harness.store.watches.add(http_server.url("/a"))
    day = timedelta(seconds=REVALIDATE_AFTER_SECONDS)
    _clocked_checks(harness, watch.id, Clock(), [timedelta(0), timedelta(hours=1), day, day])
    assert _conditional(http_server) == [False, False, True, False, True]  # 1st check: 2 fetches


def test_extraction_processes_are_for_watches_fetched_without_a_browser(tmp_path: Path) -> None:
    """One per CPU but one (the event loop's), at least one, from 25 plain watches on;
    rendered watches (their time is the browser's: by a site rule, or by the feed that found
    them) and fewer plain ones run their extraction in threads, no process started."""
    rendered = SiteRule("https://app.example/*", Rules(), request=RequestOptions(render="browser"))
    feed = FeedConfig("https://news.example/feed", request=RequestOptions(render="browser"))
    config = Config(
        settings=Settings(database=str(tmp_path / "m.db")), sites=(rendered,), feeds=(feed,)
    )
    feeds = {7: feed.url}
    with Store(tmp_path / "m.db") as store:
        for i in range(50):
            store.watches.add(f"https://app.example/{i}")
        assert auto_workers(config, store.watches.all(), feeds, cpus=8) == 0
        for i in range(24):
            store.watches.add(f"https://news.example/{i}")
        assert auto_workers(config, store.watches.all(), feeds, cpus=8) == 0
        found = [
            replace(store.watches.add(f"https://news.example/f{i}"), feed_id=7) for i in range(9)
        ]
        others = [w for w in store.watches.all() if "/f" not in w.url]
        assert auto_workers(config, [*others, *found], feeds, cpus=8) == 0  # the feed's: rendered
        assert auto_workers(config, [*others, *found], {}, cpus=8) == 1
        more = [store.watches.add(f"https://news.example/{i}") for i in range(24, 50)]
        plain = [*others, *more]  # 50 fetched without a browser
        assert auto_workers(config, plain, feeds, cpus=8) == 2
        assert auto_workers(config, plain * 10, feeds, cpus=8) == 7  # the event loop's CPU
        assert auto_workers(config, plain * 10, feeds, cpus=2) == 1
        assert auto_workers(config, plain * 10, feeds, cpus=1) == 1
        assert auto_workers(config, plain * 10, feeds) == max(usable_cpus() - 1, 1)
        assert 1 <= usable_cpus() <= (os.cpu_count() or 1)
        # the daemon reads only what decides how a page is requested: the same count
        watches = store.watches.all()
        assert store.watches.requested() == [(w.url, w.feed_id) for w in watches]
        assert auto_workers(config, store.watches.requested(), feeds) == auto_workers(
            config, watches, feeds
        )


PLAIN = """Statement of the board, 1 December 2026

The board of the harbour authority met on Monday and agreed on the following points,
after a long debate about the costs of the new sea wall and the ferry timetable.

1. The budget for 2027 is approved, with 38 million for the sea wall.
2. The ferry keeps its winter timetable until the end of March.
3. The public consultation on the north pier opens on 5 January.

Questions from the press go to the press office <press@harbour.example>, which answers
on working days between nine and five. The minutes follow within two weeks.
"""


def test_a_plain_text_page_keeps_its_lines_and_an_edit_is_that_line(
    harness: Harness, http_server: LocalServer
) -> None:
    plain = {"Content-Type": "text/plain; charset=utf-8"}
    http_server.set("/statement.txt", PLAIN.encode(), headers=plain)
    watch = harness.store.watches.add(http_server.url("/statement.txt"))
    assert harness.check(watch).status is CheckStatus.NEW
    (first,) = harness.store.versions.of(watch)
    lines = first.document.split("\n")
    assert "2. The ferry keeps its winter timetable until the end of March." in lines
    assert lines[0] == "Statement of the board, 1 December 2026"
    edited = PLAIN.replace("38 million", "41 million")
    http_server.set("/statement.txt", edited.encode(), headers=plain)
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED and result.report is not None
    assert [op.text for op in result.report.diff.ops if op.op != 0] == ["38", "41"]


def test_a_plain_text_page_stored_before_it_kept_its_lines_rebaselines_quietly(
    harness: Harness, http_server: LocalServer
) -> None:
    """A version stored when a plain text was read as one run of words is re-extracted
    after the upgrade: its lines are the new baseline, and the next check is unchanged."""
    http_server.set(
        "/statement.txt", PLAIN.encode(), headers={"Content-Type": "text/plain; charset=utf-8"}
    )
    watch = harness.store.watches.add(http_server.url("/statement.txt"))
    harness.check(watch)
    (first,) = harness.store.versions.of(watch)
    joined = " ".join(first.document.split("\n"))  # what the extractor stored before
    with harness.store.transaction():
        harness.store.db.execute(
            "UPDATE snapshots SET text = ?, text_sha256 = ?, extractor_version = '19' WHERE id = ?",
            (joined, text_sha256(joined), first.id),
        )
    assert harness.check(harness.store.watches.get(watch.id)).status is CheckStatus.UNCHANGED
    assert harness.store.changes.of(watch) == []


def test_an_article_cut_by_a_plain_paywall_prompt_is_no_edit(
    harness: Harness, http_server: LocalServer
) -> None:
    """A paywall with no markup of its own: the first paragraph, then "Subscribe to continue
    reading". The extractor drops the prompt as a promotion; the page's text still shows
    it, and the cut is a soft error, not an edit that removed the rest."""
    title = "Fire breaks out at Mill Road warehouse"
    _story(http_server, title, FIRE)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    _story(http_server, title, [*FIRE[:1], "Subscribe to continue reading this article."])
    result = harness.check(watch)
    assert result.status is CheckStatus.SOFT_ERROR
    assert result.error == "a paywall instead of the article (its text cut short)"
    _story(http_server, title, FIRE)
    assert harness.check(watch).status is CheckStatus.UNCHANGED
    assert harness.store.changes.of(watch) == []


def test_a_cut_on_a_site_that_always_shows_a_subscriber_prompt_is_an_edit(
    harness: Harness, http_server: LocalServer
) -> None:
    """ "Already a subscriber? Log in" on every page of a site is no paywall appearing: an
    editor cutting the story to one paragraph is an edit."""
    title = "Fire breaks out at Mill Road warehouse"
    prompt = "<div class='account'>Already a subscriber? <a href='/login'>Log in</a></div>"
    _story(http_server, title, FIRE, extra=prompt)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    _story(http_server, title, FIRE[:1], extra=prompt)
    assert harness.check(watch).status is CheckStatus.CHANGED


def test_a_figure_edited_between_the_first_checks_two_fetches_is_no_churn(
    harness: Harness, http_server: LocalServer
) -> None:
    """The first check fetches the page twice: a figure edited in the seconds between them
    ("About 80", then "About 90") is stored as the second fetch has it, and its next edit
    (90 -> 120) is reported, not masked as churn for good."""
    title = "Fire breaks out at Mill Road warehouse"
    lines = [*FIRE[:3], "About {} firefighters and 15 engines were sent to the scene overnight."]
    served = iter([80, 90])

    def first_check(request: Request) -> Response:
        figure = next(served, 90)
        html = _story_html(title, [line.format(figure) for line in lines])
        return Response(200, {"Content-Type": "text/html"}, html.encode())

    http_server.route("/live", first_check)
    watch = harness.store.watches.add(http_server.url("/live"))
    assert harness.check(watch).status is CheckStatus.NEW
    (first,) = harness.store.versions.of(watch)
    assert "About 90 firefighters" in first.text
    _story(http_server, title, [line.format(120) for line in lines], canonical=False)
    result = harness.check(watch)
    assert result.status is CheckStatus.CHANGED and result.report is not None
    assert [op.text for op in result.report.diff.ops if op.op != 0] == ["90", "120"]


def test_a_clock_rendered_in_a_sentence_on_every_request_raises_no_alert(
    harness: Harness, http_server: LocalServer
) -> None:
    """The first check's two fetches, seconds apart, show two times; each later check's
    immediate second fetch shows the same second, so only what the first check learned
    tells the clock from an edit."""
    title = "Fire breaks out at Mill Road warehouse"
    times = iter(["10:32:15", "10:32:17", "11:32:40", "11:32:40", "12:32:05", "12:32:05"])

    def page(request: Request) -> Response:
        clock = f"The figures in this story were last refreshed at {next(times)} today."
        html = _story_html(title, [*FIRE, clock])
        return Response(200, {"Content-Type": "text/html"}, html.encode())

    http_server.route("/live", page)
    watch = harness.store.watches.add(http_server.url("/live"))
    statuses = [harness.check(watch).status for _ in range(3)]
    assert statuses == [CheckStatus.NEW, CheckStatus.UNCHANGED, CheckStatus.UNCHANGED]

"""Pure parts of following feeds, tested as data: URL keys and the decaying schedule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from monitor.config import Rules
from monitor.feeds.discover import plan_entries
from monitor.feeds.parse import Entry
from monitor.pace import DEFAULT_DECAY, DecaySchedule, Tier, format_duration, interval_for
from monitor.store.feeds import Feed, KnownEntry, schedule_from_json, schedule_json
from monitor.urls import canonical_key, clean_url, same_site, url_key

M, H, D = 60.0, 3600.0, 86400.0

URL_KEYS = [
    ("HTTPS://Example.COM/a/", "https://example.com/a/"),
    ("https://example.com:443/a/", "https://example.com/a/"),
    ("http://example.com:8080/a/", "http://example.com:8080/a/"),
    ("https://example.com/a/#comments", "https://example.com/a/"),
    ("https://example.com/a/?utm_source=rss&utm_medium=feed", "https://example.com/a/"),
    ("https://example.com/a/?fbclid=x&gclid=y&mc_cid=1&mc_eid=2", "https://example.com/a/"),
    ("https://github.com/o/r/blob/x?ref=main", "https://github.com/o/r/blob/x?ref=main"),
    ("https://example.com/a/?ref_src=twsrc&ref_url=x", "https://example.com/a/"),
    ("https://example.com/a/?at_medium=rss&at_campaign=x", "https://example.com/a/"),
    ("https://example.com/a/?at_page=2", "https://example.com/a/?at_page=2"),
    ("https://example.com/a/?pk_campaign=x&mtm_source=y", "https://example.com/a/"),
    ("https://Bücher.Example/a/", "https://xn--bcher-kva.example/a/"),
    ("https://example.com./a/", "https://example.com/a/"),
    ("http://example.com/a/", "http://example.com/a/"),  # http and https are not folded
    ("https://example.com/?p=123&utm_campaign=x", "https://example.com/?p=123"),
    ("https://example.com/a/?b=2&a=1", "https://example.com/a/?b=2&a=1"),  # order kept
    ("https://example.com/a?x=%E6%97%A5", "https://example.com/a?x=%E6%97%A5"),  # encoding kept
    ("https://example.com", "https://example.com/"),
    ("https://example.com/A/", "https://example.com/A/"),  # paths are case-sensitive
    ("https://example.com/news/../news/a.html", "https://example.com/news/a.html"),
    ("https://example.com/a/./b/?p=1#x", "https://example.com/a/b/?p=1"),
    ("https://example.com/a/b..c/.d", "https://example.com/a/b..c/.d"),  # no dot segments
]


@pytest.mark.parametrize(("url", "key"), URL_KEYS)
def test_url_key(url: str, key: str) -> None:
    assert url_key(url) == key


def test_canonical_key_ignores_home_pages_and_non_http() -> None:
    assert canonical_key("https://example.com/") is None
    assert canonical_key("https://example.com") is None
    assert canonical_key("/relative/") is None
    assert canonical_key(None) is None
    assert canonical_key("https://Example.com/a/?utm_x=1") == "https://example.com/a/"
    assert canonical_key("https://example.com/?utm_source=x") is None


def test_canonical_key_of_a_plain_permalink() -> None:
    """WordPress plain permalinks (``/?p=1``) are articles, not the home page."""
    assert canonical_key("https://example.com/?p=1") == "https://example.com/?p=1"
    assert canonical_key("https://example.com?p=1&utm_source=x") == "https://example.com/?p=1"


def test_clean_url_documents_all_it_does() -> None:
    doc = clean_url.__doc__ or ""
    for word in ("lowercased", "punycode", "trailing dot", "port", "fragment", "tracking"):
        assert word in doc


#: (age, last change age, interval) under the default schedule; None: retired
DEFAULT_PACE = [
    (0, None, 15 * M),
    (5 * H + 59 * M, None, 15 * M),
    (6 * H, None, H),
    (47 * H, None, H),
    (2 * D, None, 6 * H),
    (13 * D, None, 6 * H),
    (14 * D, None, D),
    (59 * D, None, D),
    (60 * D, None, None),
    (400 * D, None, None),
    (10 * D, 0, 15 * M),  # a change brings back the first tier's pace...
    (10 * D, 5 * H, 15 * M),
    (10 * D, 6 * H, 6 * H),  # ...for the first tier's length
    (70 * D, H, 15 * M),  # even after retirement age (the check that saw it ran)
    (-60, None, 15 * M),  # published "in the future" (clock skew)
]


@pytest.mark.parametrize(("age", "changed", "interval"), DEFAULT_PACE)
def test_default_decay(age: float, changed: float | None, interval: float | None) -> None:
    assert interval_for(age, changed, DEFAULT_DECAY) == interval


def test_keep_after_and_reset_for() -> None:
    schedule = DecaySchedule((Tier(H, 60), Tier(D, H)), keep_after=7 * D, reset_for=10 * M)
    assert interval_for(30 * M, None, schedule) == 60
    assert interval_for(2 * D, None, schedule) == 7 * D
    assert interval_for(2 * D, 9 * M, schedule) == 60
    assert interval_for(2 * D, 11 * M, schedule) == 7 * D


def test_schedule_round_trips_through_json() -> None:
    schedule = DecaySchedule((Tier(H, 60), Tier(D, H)), keep_after=7 * D)
    assert schedule_from_json(schedule_json(schedule)) == schedule
    assert schedule_from_json(None) == DEFAULT_DECAY


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0s"), (45, "45s"), (900, "15m"), (5400, "1h30m"), (2 * D, "2d"), (D + 60, "1d")],
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text


def _feed(max_age: float | None = 60 * D, **options: object) -> Feed:
    return Feed(
        1,
        "https://x.test/feed/",
        None,
        900,
        Rules(),
        DEFAULT_DECAY,
        max_age,
        "config",
        True,
        "2026-11-01T00:00:00+00:00",
        **{"baseline_at": "2026-11-01T00:00:00+00:00", **options},  # type: ignore[arg-type]
    )


def test_plan_entries_dedupes_skips_old_and_sees_retitling() -> None:
    now = datetime(2026, 11, 27, 9, tzinfo=UTC)
    fresh = (now - timedelta(hours=1)).isoformat()
    old = (now - timedelta(days=90)).isoformat()
    entries = [
        Entry("https://x.test/a/?utm_source=rss", "A", "a", fresh),
        Entry("https://x.test/a/#more", "A again", None, fresh),
        Entry("https://x.test/old/", "Old", None, old),
        Entry("https://x.test/b/", "B retitled", "b", fresh),
        Entry("https://x.test/c/", "C", None, fresh),  # known from another feed
    ]
    known = {
        "https://x.test/b/": KnownEntry(7, 1, "B", "b"),
        "https://x.test/c/": KnownEntry(8, 2, "Other", None),
    }
    plan = plan_entries(_feed(), entries, known, now)
    assert [(w.url, w.title) for w in plan.new] == [("https://x.test/a/", "A")]
    assert [(c.watch_id, c.field, c.old, c.new) for c in plan.changes] == [
        (7, "title", "B", "B retitled")
    ]
    plan = plan_entries(_feed(max_age=None), entries, {}, now)
    assert "https://x.test/old/" in [w.url for w in plan.new]


NOW = datetime(2026, 11, 27, 9, tzinfo=UTC)


def test_only_web_urls_on_the_feeds_own_site_become_watches() -> None:
    fresh = (NOW - timedelta(hours=1)).isoformat()
    urls = [
        "https://x.test/a/",
        "https://www.x.test/b/",
        "https://news.x.test/c/",
        "http://x.test/d/",
        "https://other.org/e/",
        "https://evilx.test/f/",
        "javascript:alert(1)",
        "mailto:desk@x.test",
        "file:///etc/passwd",
        "ftp://x.test/g",
    ]
    entries = [Entry(url, url[-3:], None, fresh) for url in urls]
    plan = plan_entries(_feed(), entries, {}, NOW)
    assert sorted(w.url for w in plan.new) == sorted(urls[:4])
    assert plan.foreign == 6
    anywhere = plan_entries(_feed(any_host=True), entries, {}, NOW)
    assert sorted(w.url for w in anywhere.new) == sorted(urls[:6])


@pytest.mark.parametrize(
    ("url", "feed", "same"),
    [
        ("https://www.example.com/a", "https://example.com/feed/", True),
        ("https://example.com/a", "https://feeds.example.com/rss", True),
        ("https://a.b.example.co.uk/a", "https://www.example.co.uk/feed/", True),
        ("https://other.co.uk/a", "https://www.example.co.uk/feed/", False),
        ("https://news.example.co.jp/a", "https://example.co.jp/feed/", True),
        ("https://127.0.0.1:8080/a", "http://127.0.0.1:9/feed/", True),
        ("https://127.0.0.2/a", "http://127.0.0.1/feed/", False),
        ("https://xn--bcher-kva.example/a", "https://www.Bücher.example/feed/", True),
        # the Public Suffix List's private section: shared hosting is one site per customer
        ("https://evil.blogspot.com/a", "https://foo.blogspot.com/feeds/posts/default", False),
        ("https://www.foo.blogspot.com/a", "https://foo.blogspot.com/feed", True),
        ("https://evil.github.io/a", "https://foo.github.io/feed.xml", False),
        ("https://evil.herokuapp.com/a", "https://foo.herokuapp.com/rss", False),
        ("https://www.bbc.co.uk/news/a", "https://feeds.bbc.co.uk/news/rss.xml", True),
        ("https://techcrunch.com/a", "https://feeds.feedburner.com/TechCrunch", False),
        ("http://localhost:8000/a", "http://localhost:9/feed", True),
    ],
)
def test_same_site(url: str, feed: str, same: bool) -> None:
    assert same_site(url, feed) is same


def test_first_poll_baselines_undated_entries_and_caps_new_ones() -> None:
    dated = [
        Entry(f"https://x.test/d{i}/", f"D{i}", None, (NOW - timedelta(hours=i)).isoformat())
        for i in range(1, 6)
    ]
    undated = [Entry(f"https://x.test/u{i}/", f"U{i}") for i in range(3)]
    first = plan_entries(_feed(baseline_at=None), [*undated, *dated], {}, NOW)
    assert first.baseline == [f"https://x.test/u{i}/" for i in range(3)]
    assert [w.title for w in first.new] == ["D1", "D2", "D3", "D4", "D5"]
    capped = plan_entries(_feed(max_new=2), [*dated, *undated], {}, NOW)
    assert [w.title for w in capped.new] == ["U0", "U1"]  # found now: the newest
    assert capped.deferred == 6 and capped.baseline == []
    later = plan_entries(_feed(), [*dated, *undated], {}, NOW, baselined={undated[0].url})
    assert "U0" not in [w.title for w in later.new] and len(later.new) == 7
    keep_all = plan_entries(_feed(max_age=None, baseline_at=None), undated, {}, NOW)
    assert len(keep_all.new) == 3 and keep_all.baseline == []  # no max_age: all watched

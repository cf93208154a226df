"""[[feed]] in config.toml: values, defaults and errors naming file, key and what is allowed."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from monitor.config import load_config, parse_config
from monitor.errors import ConfigError
from monitor.pace import DEFAULT_DECAY, Tier

ROOT = Path(__file__).resolve().parents[2]


def test_a_feed_with_every_option() -> None:
    text = """
[[feed]]
url = "https://example.com/feed/"
name = "example"
interval = "10m"
schedule = [["6h", "15m"], { until = "2d", every = "1h" }]
keep_after = "7d"
reset_for = "3h"
max_age = "30d"
any_host = true
max_new = 50
remove = [".related"]
"""
    (feed,) = parse_config(tomllib.loads(text), "c.toml").feeds
    assert feed.name == "example" and feed.interval == 600
    assert feed.schedule.tiers == (Tier(6 * 3600, 900), Tier(2 * 86400, 3600))
    assert feed.schedule.keep_after == 7 * 86400 and feed.schedule.reset_window == 3 * 3600
    assert feed.entry_max_age == 30 * 86400 and feed.rules.remove == (".related",)
    assert feed.any_host is True and feed.max_new == 50


def test_defaults() -> None:
    (feed,) = parse_config({"feed": [{"url": "https://example.com/feed/"}]}).feeds
    assert feed.interval == 900 and feed.schedule == DEFAULT_DECAY
    assert feed.entry_max_age == 60 * 86400  # older entries would retire at once
    assert feed.any_host is False and feed.max_new == 500


@pytest.mark.parametrize(
    ("feed", "key", "message"),
    [
        ({}, "feed[0].url", "is required"),
        ({"url": "ftp://x"}, "feed[0].url", "http:// or https://"),
        ({"url": "https://x.test/", "interval": "soon"}, "feed[0].interval", "a duration"),
        ({"url": "https://x.test/", "schedule": []}, "feed[0].schedule", "[age, interval]"),
        (
            {"url": "https://x.test/", "schedule": [["2d", "1h"], ["6h", "15m"]]},
            "feed[0].schedule",
            "growing ages",
        ),
        ({"url": "https://x.test/", "schedule": [["6h"]]}, "feed[0].schedule", "pairs"),
        ({"url": "https://x.test/", "keep_after": "0s"}, "feed[0].keep_after", 'from "1s"'),
        ({"url": "https://x.test/", "intervall": "1h"}, "feed[0].intervall", "keep_after"),
        ({"url": "https://x.test/", "remove": ["div["]}, "feed[0].remove", "CSS"),
        ({"url": "https://x.test/", "any_host": "yes"}, "feed[0].any_host", "true or false"),
        ({"url": "https://x.test/", "max_new": 0}, "feed[0].max_new", "at least 1"),
    ],
)
def test_errors_name_file_key_and_what_is_allowed(
    feed: dict[str, object], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"feed": [feed]}, "config.toml")
    assert raised.value.path == "config.toml" and raised.value.key == key
    assert message in str(raised.value)


def test_feed_must_be_an_array_of_tables_and_unique() -> None:
    with pytest.raises(ConfigError, match=r"\[\[feed\]\]"):
        parse_config({"feed": {"url": "https://x.test/"}}, "c.toml")
    twice = {"feed": [{"url": "https://x.test/"}, {"url": "https://x.test/"}]}
    with pytest.raises(ConfigError, match=r"feed\[1\].url"):
        parse_config(twice, "c.toml")


def test_the_repository_config_parses_with_its_commented_feed_uncommented() -> None:
    text = (ROOT / "config.toml").read_text(encoding="utf-8")
    assert "# [[feed]]" in text
    lines = text.splitlines()
    start = lines.index("# [[feed]]")
    block = []
    for line in lines[start:]:
        if not line.startswith("# "):
            break
        block.append(line[2:])
    config = parse_config(tomllib.loads("\n".join(block)), "config.toml")
    assert config.feeds[0].url.endswith("/feed/")
    assert load_config(ROOT / "config.toml").feeds == ()

"""config.toml -> dataclasses; every bad input names the file, the key and what is allowed."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import (
    Config,
    Rules,
    load_config,
    parse_config,
    parse_duration,
    parse_size,
)
from monitor.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("90s", 90),
        ("30m", 1800),
        ("6h", 21600),
        ("1d", 86400),
        ("1.5h", 5400),
        ("250ms", 0.25),
        (45, 45),
    ],
)
def test_durations(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "5", "10 minutes", "-1s", True, "1y", None])
def test_bad_durations(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_sizes() -> None:
    assert parse_size("10MB") == 10 * 1024 * 1024
    assert parse_size("500kB") == 500 * 1024
    assert parse_size(2048) == 2048
    with pytest.raises(ValueError, match="size"):
        parse_size("lots")


def test_the_repo_example_config_is_valid() -> None:
    config = load_config(ROOT / "config.toml")
    assert config.settings.database.endswith("snapshots/monitor.db")
    assert config.settings.interval == 3600
    assert config.sites[0].matches("https://example.com/news/2026/a")
    assert not config.sites[0].matches("https://example.org/news/a")
    assert config.watches == ()  # an example: it watches nothing until the user says so


def test_full_config(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[monitor]
database = "data/m.db"
interval = "30m"
retries = 0
max_size = "1MB"
per_host_concurrency = 1

[[site]]
match = "https://site.test/*"
content = ["article .body"]
remove = [".ads"]
ignore = ['^Updated']

[[watch]]
url = "https://site.test/a"
name = "a"
interval = "2h"
remove = [".live"]

[[watch]]
url = "http://other.test/b"
""",
    )
    config = load_config(path)
    assert config.settings.database == str(tmp_path / "data/m.db")
    assert config.settings.fetch.retries == 0
    assert config.settings.fetch.max_bytes == 1024 * 1024
    assert [w.name for w in config.watches] == ["a", None]
    assert config.watches[0].interval == 7200
    rules = config.rules_for("https://site.test/a", config.watches[0].rules)
    assert rules == Rules(
        content=("article .body",), remove=(".ads", ".live"), ignore=("^Updated",)
    )
    assert config.rules_for("http://other.test/b") == Rules()


@pytest.mark.parametrize(
    ("text", "key", "allowed"),
    [
        ("[monitor]\nintervall = '1h'\n", "monitor.intervall", "allowed keys here"),
        ("[monitor]\ninterval = '500ms'\n", "monitor.interval", 'from "1s" to "365d"'),
        ("[monitor]\ninterval = '9999999d'\n", "monitor.interval", 'at most "3650d"'),
        ("[monitor]\ninterval = 1e300\n", "monitor.interval", 'at most "3650d"'),
        ("[monitor]\ninterval = inf\n", "monitor.interval", "a duration such as"),
        ("[monitor]\ninterval = nan\n", "monitor.interval", "a duration such as"),
        ("[[watch]]\nurl = 'https://x/a'\ninterval = '400d'\n", "watch[0].interval", '"365d"'),
        ("[monitor]\ninterval = 'often'\n", "monitor.interval", "a duration"),
        ("[monitor]\nretries = -1\n", "monitor.retries", "at least 0"),
        ("[monitor]\nconcurrency = 0\n", "monitor.concurrency", "at least 1"),
        ("[monitor]\ncollapse_ratio = 2\n", "monitor.collapse_ratio", "between 0 and 1"),
        ("[[watch]]\nname = 'x'\n", "watch[0].url", "is required"),
        ("[[watch]]\nurl = 'ftp://x/'\n", "watch[0].url", "http:// or https://"),
        ("[[watch]]\nurl = 'https://x/'\ncontent = 'div[['\n", "watch[0].content", "CSS"),
        ("[[watch]]\nurl = 'https://x/'\nignore = ['(']\n", "watch[0].ignore", "regular"),
        ("[[watch]]\nurl = 'https://x/'\n[[watch]]\nurl = 'https://x/'\n", "watch[1].url", "twice"),
        (
            "[[watch]]\nurl = 'https://x/a'\n[[watch]]\nurl = 'https://X/a?utm_source=n#top'\n",
            "watch[1].url",
            "the same article is watched twice",
        ),
        ("[[site]]\ncontent = 'div'\n", "site[0].match", "is required"),
        ("[sites]\n", "sites", "allowed: [monitor]"),
        ("watch = 'x'\n", "watch", "[[watch]]"),
        ("[[watch]]\nurl = 'https://x/'\nfoo = 1\n", "watch[0].foo", "allowed keys here"),
        ("[[watch]]\nurl = 'http://127.0.0.1:99999/x'\n", "watch[0].url", "port from 1 to"),
        ("[[watch]]\nurl = 'http://a.example:0/x'\n", "watch[0].url", "port from 1 to"),
        ("[[watch]]\nurl = 'http://[::1/x'\n", "watch[0].url", "expected an http:// or https://"),
    ],
)
def test_bad_config_names_file_key_and_allowed(
    tmp_path: Path, text: str, key: str, allowed: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert str(path) in message
    assert key in message
    assert allowed in message
    assert info.value.key == key


def test_invalid_toml(tmp_path: Path) -> None:
    path = write(tmp_path, "[monitor\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(path)


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")


def test_missing_default_file_gives_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("MONITOR_CONFIG", raising=False)
    assert load_config() == Config()


def test_env_var_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "[monitor]\ninterval = '2h'\n")
    monkeypatch.setenv("MONITOR_CONFIG", str(path))
    assert load_config().settings.interval == 7200


def test_parse_config_defaults() -> None:
    assert parse_config({}) == Config(path="<config>")


def test_a_site_rule_can_ask_for_confirmation(tmp_path: Path) -> None:
    config = load_config(
        write(
            tmp_path,
            "[monitor]\nconfirm = 1\n"
            '[[site]]\nmatch = "https://flappy.example/*"\nconfirm = 3\n'
            '[[site]]\nmatch = "https://flappy.example/calm/*"\nremove = [".ad"]\n',
        )
    )
    assert config.confirm_for("https://flappy.example/calm/a") == 3  # no confirm of its own
    assert config.confirm_for("https://other.example/a") == 1
    bad = write(tmp_path, '[[site]]\nmatch = "https://x/*"\nconfirm = 0\n')
    with pytest.raises(ConfigError, match=r"site\[0\]\.confirm: got 0"):
        load_config(bad)

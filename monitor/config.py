"""config.toml -> frozen dataclasses.

Every unknown key and every bad value raises ``ConfigError`` naming the file, the key and
what is allowed. Durations are strings such as ``"90s"``, ``"30m"``, ``"6h"``, ``"1d"``.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import itertools
import logging
import math
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from monitor.errors import ConfigError
from monitor.pace import DEFAULT_DECAY, DecaySchedule, Tier
from monitor.request import (
    RequestOptions,
    parse_cookies,
    parse_headers,
    parse_proxy,
    parse_render,
)
from monitor.urls import url_key

log = logging.getLogger(__name__)

DEFAULT_CONFIG = "config.toml"
DEFAULT_DB = "snapshots/monitor.db"
DEFAULT_USER_AGENT = "monitor/0.1 (article change monitor)"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$")
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}

T = TypeVar("T")


@dataclass(frozen=True)
class FetchSettings:
    """How pages are fetched."""

    user_agent: str = DEFAULT_USER_AGENT
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    total_timeout: float = 90.0
    max_bytes: int = 10 * 1024**2
    max_redirects: int = 10
    retries: int = 2
    backoff: float = 1.0
    max_retry_after: float = 120.0
    concurrency: int = 10
    per_host_concurrency: int = 2
    allow_private_addresses: bool = True
    # the first check of a page fetches it again this long after its first fetch: what
    # differs between the two is the page's churn (learned, never a change)
    second_fetch: float = 2.0
    browser: str | None = None  # the Chromium executable; None: chromium found on PATH
    browser_args: tuple[str, ...] = ()  # more Chromium switches (e.g. --no-sandbox)
    render_concurrency: int = 2  # pages the browser renders at once
    render_timeout: float = 30.0  # one render: load, settle, read


@dataclass(frozen=True)
class Rules:
    """Extraction rules: selectors and ignore patterns (a site rule, or a watch's overrides),
    and a site's plugin (``module:function``, imported from ``plugin_path`` or the
    environment)."""

    content: tuple[str, ...] = ()
    title: tuple[str, ...] = ()
    remove: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    plugin: str = ""
    plugin_path: str = ""  # the config file's folder, searched after the environment

    def merged(self, other: Rules) -> Rules:
        """These rules with ``other`` laid over them (non-empty fields of ``other`` win)."""
        plugin = other if other.plugin else self
        return Rules(
            content=other.content or self.content,
            title=other.title or self.title,
            remove=self.remove + other.remove,
            ignore=self.ignore + other.ignore,
            plugin=plugin.plugin,
            plugin_path=plugin.plugin_path,
        )


@dataclass(frozen=True)
class SiteRule:
    """Rules for every URL that matches the glob ``match``."""

    match: str
    rules: Rules
    confirm: int | None = None  # overrides [monitor] confirm for these URLs
    # headers, cookies, proxy, render
    request: RequestOptions = field(default_factory=RequestOptions)

    def matches(self, url: str) -> bool:
        """True if this rule applies to ``url``."""
        return fnmatchcase(url, self.match)


@dataclass(frozen=True)
class WatchConfig:
    """One ``[[watch]]`` entry."""

    url: str
    name: str | None = None
    interval: float | None = None
    rules: Rules = Rules()
    request: RequestOptions = field(default_factory=RequestOptions)


@dataclass(frozen=True)
class FeedConfig:
    """One ``[[feed]]``: an RSS/Atom feed or a sitemap whose new articles become watches."""

    url: str
    name: str | None = None
    interval: float = 900.0  # how often the feed itself is polled
    rules: Rules = Rules()  # overrides given to every article found through it
    schedule: DecaySchedule = DEFAULT_DECAY  # how often each article is checked as it ages
    max_age: float | None = None  # older entries are not watched (None: the schedule's end)
    any_host: bool = False  # accept articles on other sites than the feed's own
    max_new: int = 500  # new watches one poll may add (the rest: on later polls)
    # for the feed (never rendered) and the articles it finds
    request: RequestOptions = field(default_factory=RequestOptions)

    @property
    def entry_max_age(self) -> float | None:
        """Entries older than this (seconds) are not watched; None: no limit."""
        if self.max_age is not None:
            return self.max_age
        return None if self.schedule.keep_after is not None else self.schedule.horizon


@dataclass(frozen=True)
class Settings:
    """The ``[monitor]`` globals."""

    database: str = DEFAULT_DB
    reports_dir: str = "reports"
    interval: float = 3600.0
    jitter: float = 60.0
    gone_after: int = 2
    collapse_ratio: float = 0.2
    collapse_confirm: int = 3
    confirm: int = 1
    notify_after_errors: int = 3
    shutdown_grace: float = 30.0
    web_token: str | None = None  # `monitor serve`: the access token (Bearer or cookie)
    fetch: FetchSettings = FetchSettings()
    # headers, proxy, render for every page
    request: RequestOptions = field(default_factory=RequestOptions)


NOTIFY_EVENTS = ("change", "failing", "recovered", "removed", "returned")
NOTIFY_TYPES = ("webhook", "email", "apprise")


@dataclass(frozen=True)
class NotifyConfig:
    """One ``[[notify]]`` channel: a webhook, an SMTP mailbox or Apprise URLs."""

    type: str
    name: str
    events: tuple[str, ...] = NOTIFY_EVENTS
    url: str | None = None  # webhook: where the JSON is POSTed
    headers: tuple[tuple[str, str], ...] = ()  # webhook: extra request headers
    timeout: float = 10.0
    host: str = "localhost"  # email: SMTP server
    port: int = 25
    sender: str = "monitor@localhost"  # email: the From address (key "from")
    to: tuple[str, ...] = ()  # email: recipients
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    tls: bool = False  # email: SMTP over TLS from the start (port 465)
    urls: tuple[str, ...] = ()  # apprise: notification URLs


@dataclass(frozen=True)
class Config:
    """A whole config file."""

    path: str | None = None
    settings: Settings = Settings()
    sites: tuple[SiteRule, ...] = ()
    watches: tuple[WatchConfig, ...] = ()
    notify: tuple[NotifyConfig, ...] = ()
    feeds: tuple[FeedConfig, ...] = ()

    def rules_for(self, url: str, overrides: Rules | None = None) -> Rules:
        """The site rules that apply to ``url``, with a watch's overrides on top."""
        rules = Rules()
        for site in self.sites:
            if site.matches(url):
                rules = rules.merged(site.rules)
        return rules.merged(overrides) if overrides else rules

    def confirm_for(self, url: str) -> int:
        """Checks in a row a new version of ``url`` must be seen on: the last matching site
        rule's ``confirm``, else ``[monitor] confirm``."""
        confirm = self.settings.confirm
        for site in self.sites:
            if site.confirm is not None and site.matches(url):
                confirm = site.confirm
        return confirm

    def request_for(self, url: str, feed_url: str | None = None) -> RequestOptions:
        """How to request ``url``: ``[monitor]``'s options, then those of the feed that found
        it (``feed_url``), of every matching site rule in order, and of its ``[[watch]]``."""
        options = self.settings.request
        for feed in self.feeds:
            if feed_url is not None and feed.url == feed_url:
                options = options.merged(feed.request)
        for site in self.sites:
            if site.matches(url):
                options = options.merged(site.request)
        own = self._watch_requests.get(url)
        return options.merged(own) if own is not None else options

    @cached_property
    def _watch_requests(self) -> dict[str, RequestOptions]:
        """The ``[[watch]]`` request options by URL (a check looks them up: with 10,000
        watches, a scan of them cost 0.15 ms a check)."""
        found: dict[str, RequestOptions] = {}
        for watch in self.watches:
            before = found.get(watch.url)
            found[watch.url] = watch.request if before is None else before.merged(watch.request)
        return found

    def feed_request(self, feed_url: str) -> RequestOptions:
        """How to request a feed or sitemap: as a page of its site (``[monitor]``, matching
        site rules), then its ``[[feed]]``'s own options; always a plain GET."""
        options = self.settings.request
        for site in self.sites:
            if site.matches(feed_url):
                options = options.merged(site.request)
        for feed in self.feeds:
            if feed.url == feed_url:
                options = options.merged(feed.request)
        return options.over_http()


#: The longest duration and check interval a config may give (a scheduler's next run time
#: and the dates it computes must stay within what a date can hold).
MAX_DURATION = 3650 * 86400.0
MAX_INTERVAL = 365 * 86400.0


def parse_duration(value: object) -> float:
    """``"90s"``, ``"30m"``, ``"6h"``, ``"1d"`` (or a number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ValueError("a duration")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str) and (m := _DURATION.match(value)):
        seconds = float(m.group(1)) * _UNITS[m.group(2)]
    else:
        raise ValueError('a duration such as "90s", "30m", "6h" or "1d"')
    if not math.isfinite(seconds):
        raise ValueError('a duration such as "90s", "30m", "6h" or "1d"')
    if seconds < 0:
        raise ValueError("a duration that is not negative")
    if seconds > MAX_DURATION:
        raise ValueError('a duration of at most "3650d"')
    return seconds


def parse_size(value: object) -> int:
    """``"10MB"``, ``"500kB"`` or a number of bytes -> bytes."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if isinstance(value, str) and (m := _SIZE.match(value)):
        size = int(float(m.group(1)) * _SIZE_UNITS[(m.group(2) or "b").lower()])
        if size > 0:
            return size
    raise ValueError('a size such as "10MB", "500kB" or a number of bytes')


class _Reader:
    """Reads one TOML table, checking keys and types, naming file and key in errors."""

    def __init__(self, path: str, prefix: str, table: object) -> None:
        self.path = path
        self.prefix = prefix
        if not isinstance(table, Mapping):
            raise ConfigError("must be a table", path=path, key=prefix)
        self.table: Mapping[str, Any] = table
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        """The dotted name of ``name`` in this table, for messages."""
        return f"{self.prefix}.{name}" if self.prefix else name

    def get(self, name: str, convert: Callable[[Any], T], default: T, *, secret: bool = False) -> T:
        """The converted value of ``name``, or ``default`` when absent. The message of a bad
        value quotes it, unless it may be a ``secret`` (a proxy URL, cookie values)."""
        self.used.add(name)
        if name not in self.table:
            return default
        try:
            return convert(self.table[name])
        except (ValueError, TypeError) as exc:
            got = "" if secret else f"got {self.table[name]!r}, "
            raise ConfigError(f"{got}expected {exc}", path=self.path, key=self.key(name)) from None

    def finish(self) -> None:
        """Fail on any key that was not read."""
        unknown = sorted(set(self.table) - self.used)
        if unknown:
            allowed = ", ".join(sorted(self.used))
            raise ConfigError(
                f"unknown key; allowed keys here: {allowed}",
                path=self.path,
                key=self.key(unknown[0]),
            )


def _string(value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value.strip()


def parse_watch_name(value: object) -> str:
    """A watch's name: a non-empty string that is neither all digits (it would hide the
    watch of that id: WATCH arguments take names, ids and URLs) nor a URL."""
    name = _string(value)
    if name.isdigit() or "://" in name:
        raise ValueError(
            "a name with a letter in it that is not a URL (WATCH arguments "
            "take names, ids and URLs)"
        )
    return name


def _strings(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError("a string or a list of non-empty strings")
    return tuple(v.strip() for v in value)


def _positive_int(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("a whole number of at least 1")
    return value


def _count(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("a whole number of at least 0")
    return value


def _ratio(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError("a number between 0 and 1")
    return float(value)


def _positive_duration(value: object) -> float:
    seconds = parse_duration(value)
    if seconds <= 0:
        raise ValueError('a duration above zero, such as "30s"')
    return seconds


def _short_wait(value: object) -> float:
    seconds = parse_duration(value)
    if not 0 <= seconds <= 60:
        raise ValueError('a duration from "0s" to "60s"')
    return seconds


def parse_interval(value: object) -> float:
    """A check interval: a duration from one second to a year."""
    seconds = parse_duration(value)
    if not 1 <= seconds <= MAX_INTERVAL:
        raise ValueError('an interval from "1s" to "365d"')
    return seconds


_WEB_TOKEN = re.compile(r"^[A-Za-z0-9._~+/=-]{16,}$")


def parse_web_token(value: object) -> str:
    """An access token for the web UI: 16 or more letters, digits or ``._~+/=-``."""
    if not isinstance(value, str) or not _WEB_TOKEN.match(value):
        raise ValueError(
            "a token of at least 16 characters: letters, digits and ._~+/=- "
            "(e.g. from `python -c 'import secrets; print(secrets.token_urlsafe())'`)"
        )
    return value


def parse_http_url(value: object) -> str:
    """An absolute http:// or https:// URL."""
    url = _string(value)
    try:
        parts = urlsplit(url)
    except ValueError:  # "http://[::1": an unclosed IPv6 address
        raise ValueError("an http:// or https:// URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("an http:// or https:// URL")
    try:
        port = parts.port  # urlsplit checks the port (0-65535) when asked for it
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("an http:// or https:// URL with a port from 1 to 65535")
    return url


def check_selector(selector: str) -> str | None:
    """None if ``selector`` is valid CSS, else a one-line reason (checked as extraction
    compiles selectors, :mod:`monitor.extract.css`; cssselect is imported by a config that
    has selectors only)."""
    from cssselect import HTMLTranslator, SelectorError

    try:
        HTMLTranslator().css_to_xpath(selector)
    except SelectorError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


def _selectors(value: object) -> tuple[str, ...]:
    selectors = _strings(value)
    for selector in selectors:
        reason = check_selector(selector)
        if reason is not None:
            raise ValueError(f"valid CSS selectors ({selector!r}: {reason})")
    return selectors


def _patterns(value: object) -> tuple[str, ...]:
    patterns = _strings(value)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"valid regular expressions ({pattern!r}: {exc})") from None
    return patterns


def _read_rules(reader: _Reader) -> Rules:
    return Rules(
        content=reader.get("content", _selectors, ()),
        title=reader.get("title", _selectors, ()),
        remove=reader.get("remove", _selectors, ()),
        ignore=reader.get("ignore", _patterns, ()),
    )


def _switches(value: object) -> tuple[str, ...]:
    switches = _strings(value)
    if not all(s.startswith("--") for s in switches):
        raise ValueError('a list of Chromium switches, e.g. ["--no-sandbox"]')
    return switches


def _selector(value: object) -> str:
    (selector,) = _selectors(_string(value))
    return selector


def _read_request(reader: _Reader, *, page: bool = True) -> RequestOptions:
    """``headers``, ``proxy`` and ``render`` (and for a page: ``cookies``, ``wait_for``)."""
    return RequestOptions(
        headers=reader.get("headers", parse_headers, (), secret=True),
        cookies=reader.get("cookies", parse_cookies, (), secret=True) if page else (),
        proxy=reader.get("proxy", parse_proxy, None, secret=True),
        render=reader.get("render", parse_render, None),
        wait_for=reader.get("wait_for", _selector, None) if page else None,
    )


_PLUGIN = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


def _plugin(value: object) -> str:
    if not isinstance(value, str) or not _PLUGIN.match(value.strip()):
        raise ValueError('"module:function", e.g. "mysite:article" (mysite.py beside config.toml)')
    return value.strip()


def _read_fetch(r: _Reader) -> FetchSettings:
    d = FetchSettings()
    return FetchSettings(
        user_agent=r.get("user_agent", _string, d.user_agent),
        connect_timeout=r.get("connect_timeout", _positive_duration, d.connect_timeout),
        read_timeout=r.get("read_timeout", _positive_duration, d.read_timeout),
        total_timeout=r.get("total_timeout", _positive_duration, d.total_timeout),
        max_bytes=r.get("max_size", parse_size, d.max_bytes),
        max_redirects=r.get("max_redirects", _count, d.max_redirects),
        retries=r.get("retries", _count, d.retries),
        backoff=r.get("backoff", parse_duration, d.backoff),
        max_retry_after=r.get("max_retry_after", parse_duration, d.max_retry_after),
        concurrency=r.get("concurrency", _positive_int, d.concurrency),
        per_host_concurrency=r.get("per_host_concurrency", _positive_int, d.per_host_concurrency),
        allow_private_addresses=r.get(
            "allow_private_addresses", _boolean, d.allow_private_addresses
        ),
        second_fetch=r.get("second_fetch", _short_wait, d.second_fetch),
        browser=r.get("browser", _string, d.browser),
        browser_args=r.get("browser_args", _switches, d.browser_args),
        render_concurrency=r.get("render_concurrency", _positive_int, d.render_concurrency),
        render_timeout=r.get("render_timeout", _positive_duration, d.render_timeout),
    )


def _read_settings(path: str, table: object) -> Settings:
    r = _Reader(path, "monitor", table)
    d = Settings()
    settings = Settings(
        database=r.get("database", _string, d.database),
        reports_dir=r.get("reports_dir", _string, d.reports_dir),
        interval=r.get("interval", parse_interval, d.interval),
        jitter=r.get("jitter", parse_duration, d.jitter),
        gone_after=r.get("gone_after", _positive_int, d.gone_after),
        collapse_ratio=r.get("collapse_ratio", _ratio, d.collapse_ratio),
        collapse_confirm=r.get("collapse_confirm", _positive_int, d.collapse_confirm),
        confirm=r.get("confirm", _positive_int, d.confirm),
        notify_after_errors=r.get("notify_after_errors", _positive_int, d.notify_after_errors),
        shutdown_grace=r.get("shutdown_grace", parse_duration, d.shutdown_grace),
        web_token=r.get("web_token", parse_web_token, d.web_token),
        fetch=_read_fetch(r),
        request=_read_request(r, page=False),
    )
    r.finish()
    return settings


def _read_site(path: str, index: int, table: object) -> SiteRule:
    r = _Reader(path, f"site[{index}]", table)
    match = r.get("match", _string, "")
    if not match:
        raise ConfigError(
            'is required: a URL glob such as "https://example.com/*"',
            path=path,
            key=r.key("match"),
        )
    rules = replace(_read_rules(r), plugin=r.get("plugin", _plugin, ""))
    confirm = r.get("confirm", _positive_int, None)
    request = _read_request(r)
    r.finish()
    return SiteRule(match=match, rules=rules, confirm=confirm, request=request)


def _read_watch(path: str, index: int, table: object) -> WatchConfig:
    r = _Reader(path, f"watch[{index}]", table)
    url = r.get("url", parse_http_url, "")
    if not url:
        raise ConfigError("is required: an http:// or https:// URL", path=path, key=r.key("url"))
    watch = WatchConfig(
        url=url,
        name=r.get("name", parse_watch_name, None),
        interval=r.get("interval", parse_interval, None),
        rules=_read_rules(r),
        request=_read_request(r),
    )
    r.finish()
    return watch


def _tier(value: object) -> Tier:
    if isinstance(value, Mapping) and set(value) == {"until", "every"}:
        until, every = value["until"], value["every"]
    elif isinstance(value, list) and len(value) == 2:
        until, every = value
    else:
        raise ValueError("")
    return Tier(until=_positive_duration(until), every=parse_interval(every))


def _tiers(value: object) -> tuple[Tier, ...]:
    """``[["6h", "15m"], ["2d", "1h"]]`` or ``[{until = "6h", every = "15m"}, ...]``."""
    expected = (
        'a list of [age, interval] pairs with growing ages, e.g. [["6h", "15m"], ["2d", "1h"]] '
        '(or tables {until = "6h", every = "15m"})'
    )
    if not isinstance(value, list) or not value:
        raise ValueError(expected)
    try:
        tiers = tuple(_tier(item) for item in value)
    except (ValueError, TypeError):
        raise ValueError(expected) from None
    if any(a.until >= b.until for a, b in itertools.pairwise(tiers)):
        raise ValueError(expected)
    return tiers


def _read_feed(path: str, index: int, table: object) -> FeedConfig:
    r = _Reader(path, f"feed[{index}]", table)
    url = r.get("url", parse_http_url, "")
    if not url:
        raise ConfigError(
            "is required: the http(s) URL of an RSS/Atom feed or a sitemap",
            path=path,
            key=r.key("url"),
        )
    schedule = DecaySchedule(
        tiers=r.get("schedule", _tiers, DEFAULT_DECAY.tiers),
        keep_after=r.get("keep_after", parse_interval, None),
        reset_for=r.get("reset_for", parse_duration, None),
    )
    feed = FeedConfig(
        url=url,
        name=r.get("name", _string, None),
        interval=r.get("interval", parse_interval, FeedConfig.interval),
        rules=_read_rules(r),
        schedule=schedule,
        max_age=r.get("max_age", _positive_duration, None),
        any_host=r.get("any_host", _boolean, FeedConfig.any_host),
        max_new=r.get("max_new", _positive_int, FeedConfig.max_new),
        request=_read_request(r),
    )
    r.finish()
    return feed


def _check_unique_feeds(path: str, feeds: tuple[FeedConfig, ...]) -> None:
    seen: set[tuple[str, str]] = set()
    for index, feed in enumerate(feeds):
        for key, value in (("url", feed.url), ("name", feed.name)):
            if value is not None and (key, value) in seen:
                raise ConfigError(
                    f"{value!r} is used by two feeds", path=path, key=f"feed[{index}].{key}"
                )
            if value is not None:
                seen.add((key, value))


_NOTIFY_KEYS = {
    "webhook": {"url", "headers", "timeout"},
    "email": {"host", "port", "from", "to", "username", "password", "starttls", "tls", "timeout"},
    "apprise": {"urls"},
}


def _events(value: object) -> tuple[str, ...]:
    events = _strings(value)
    if not set(events) <= set(NOTIFY_EVENTS):
        raise ValueError(f"a list of events out of {', '.join(NOTIFY_EVENTS)}")
    return events


def _choice(*allowed: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if value not in allowed:
            raise ValueError(f"one of {', '.join(allowed)}")
        return str(value)

    return convert


def _boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _headers(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise ValueError('a table of header names to strings, e.g. {Authorization = "..."}')
    return tuple((str(k), str(v)) for k, v in value.items())


def _port(value: object) -> int:
    number = _positive_int(value)
    if number > 65535:
        raise ValueError("a port number from 1 to 65535")
    return number


def _read_notify(path: str, index: int, table: object) -> NotifyConfig:
    r = _Reader(path, f"notify[{index}]", table)
    kind = r.get("type", _choice(*NOTIFY_TYPES), "")
    if not kind:
        raise ConfigError(
            f"is required: one of {', '.join(NOTIFY_TYPES)}", path=path, key=r.key("type")
        )
    extra = set(r.table) - {"type", "name", "events"} - _NOTIFY_KEYS[kind]
    if extra:
        allowed = ", ".join(sorted({"type", "name", "events"} | _NOTIFY_KEYS[kind]))
        raise ConfigError(
            f"is not a {kind} setting; allowed: {allowed}", path=path, key=r.key(min(extra))
        )
    d = NotifyConfig(type=kind, name="")
    channel = NotifyConfig(
        type=kind,
        name=r.get("name", _string, f"{kind}-{index + 1}"),
        events=r.get("events", _events, d.events),
        url=r.get("url", parse_http_url, None),
        headers=r.get("headers", _headers, ()),
        timeout=r.get("timeout", _positive_duration, d.timeout),
        host=r.get("host", _string, d.host),
        port=r.get("port", _port, d.port),
        sender=r.get("from", _string, d.sender),
        to=r.get("to", _strings, ()),
        username=r.get("username", _string, None),
        password=r.get("password", _string, None),
        starttls=r.get("starttls", _boolean, False),
        tls=r.get("tls", _boolean, False),
        urls=r.get("urls", _strings, ()),
    )
    r.finish()
    _check_notify(path, r, channel)
    return channel


def _check_notify(path: str, r: _Reader, channel: NotifyConfig) -> None:
    required = {"webhook": ("url", channel.url), "email": ("to", channel.to)}
    required["apprise"] = ("urls", channel.urls)
    key, value = required[channel.type]
    if not value:
        raise ConfigError(f"is required for a {channel.type} channel", path=path, key=r.key(key))


def _check_channel_names(path: str, channels: tuple[NotifyConfig, ...]) -> None:
    seen = {"reports"}
    for index, channel in enumerate(channels):
        if channel.name in seen:
            raise ConfigError(
                f"the name {channel.name!r} is taken (names are unique; 'reports' is built in)",
                path=path,
                key=f"notify[{index}].name",
            )
        seen.add(channel.name)


def _array_of_tables(path: str, data: Mapping[str, Any], key: str) -> list[object]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise ConfigError(f"must be written as [[{key}]] tables", path=path, key=key)
    return value


def _check_unique(path: str, watches: tuple[WatchConfig, ...]) -> None:
    seen_urls: set[str] = set()
    seen_names: set[str] = set()
    for index, watch in enumerate(watches):
        key = url_key(watch.url)  # the same article under ?utm_source=… or a #fragment
        if key in seen_urls:
            raise ConfigError(
                "the same article is watched twice (tracking parameters and #fragments "
                "do not make another)",
                path=path,
                key=f"watch[{index}].url",
            )
        if watch.name and watch.name in seen_names:
            raise ConfigError(
                f"the name {watch.name!r} is used twice", path=path, key=f"watch[{index}].name"
            )
        seen_urls.add(key)
        if watch.name:
            seen_names.add(watch.name)


def parse_config(data: Mapping[str, Any], path: str = "<config>") -> Config:
    """Build a ``Config`` from parsed TOML data."""
    unknown = sorted(set(data) - {"monitor", "site", "watch", "notify", "feed"})
    if unknown:
        raise ConfigError(
            "unknown section; allowed: [monitor], [[site]], [[watch]], [[feed]], [[notify]]",
            path=path,
            key=unknown[0],
        )
    settings = _read_settings(path, data.get("monitor", {}))
    sites = tuple(
        _read_site(path, i, t) for i, t in enumerate(_array_of_tables(path, data, "site"))
    )
    watches = tuple(
        _read_watch(path, i, t) for i, t in enumerate(_array_of_tables(path, data, "watch"))
    )
    _check_unique(path, watches)
    notify = tuple(
        _read_notify(path, i, t) for i, t in enumerate(_array_of_tables(path, data, "notify"))
    )
    _check_channel_names(path, notify)
    feeds = tuple(
        _read_feed(path, i, t) for i, t in enumerate(_array_of_tables(path, data, "feed"))
    )
    _check_unique_feeds(path, feeds)
    return Config(
        path=path, settings=settings, sites=sites, watches=watches, notify=notify, feeds=feeds
    )


def load_config(path: str | os.PathLike[str] | None = None, *, required: bool = False) -> Config:
    """Read a config file; a missing default file gives the built-in defaults."""
    explicit = path is not None or "MONITOR_CONFIG" in os.environ
    chosen = Path(path or os.environ.get("MONITOR_CONFIG") or DEFAULT_CONFIG)
    if not chosen.exists():
        if explicit or required:
            raise ConfigError("file not found", path=str(chosen))
        log.debug("no %s here; using built-in defaults", chosen)
        return Config()
    try:
        data = tomllib.loads(chosen.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML: {exc}", path=str(chosen)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot be read: {exc}", path=str(chosen)) from None
    config = parse_config(data, str(chosen))
    return _resolve_paths(config, chosen.parent)


def _resolve_paths(config: Config, base: Path) -> Config:
    """Relative database and report paths are relative to the config file's folder."""
    settings = config.settings

    def resolve(value: str) -> str:
        p = Path(value).expanduser()
        return str(p if p.is_absolute() else base / p)

    sites = tuple(_with_plugin_path(config, i, site, base) for i, site in enumerate(config.sites))
    return replace(
        config,
        settings=replace(
            settings,
            database=resolve(settings.database),
            reports_dir=resolve(settings.reports_dir),
        ),
        sites=sites,
    )


def _with_plugin_path(config: Config, index: int, site: SiteRule, base: Path) -> SiteRule:
    """A site plugin is imported from the environment or, failing that, the config file's
    folder: a module found in neither is a ConfigError now, not a failed check later."""
    if not site.rules.plugin:
        return site
    module = site.rules.plugin.partition(":")[0].split(".")[0]
    folder = str(base.resolve())
    if importlib.util.find_spec(module) is None and not _in_folder(module, folder):
        raise ConfigError(
            f"no module {module!r} in {folder} or on the Python path",
            path=config.path,
            key=f"site[{index}].plugin",
        )
    return replace(site, rules=replace(site.rules, plugin_path=folder))


def _in_folder(module: str, folder: str) -> bool:
    return importlib.machinery.PathFinder.find_spec(module, [folder]) is not None

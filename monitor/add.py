"""Adding a watch (``monitor add``): look at the page now, and watch what was seen.

:func:`add_page` fetches the page with the checker's own fetcher, timeouts and rules, and
decides it as a check would. A page that shows an article is added with that fetch as its
first check (version 1) and a :class:`Preview` of what will be watched. A page that cannot
be read (a network error, an HTTP error, a soft error such as a login wall) is not added
unless ``force``; a feed is pointed to ``--follow-feed``; a page that holds no article but
announces feeds says so; an app shell whose article a script puts in place (fetched without
a browser) is not added either: the outcome's ``browser_hint`` says why it needs one. The
same article under another URL (tracking parameters, a fragment) is the watch that exists.
The outcome is plain data for the CLI (or another front end) to present.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from monitor.config import Rules
from monitor.errors import FeedError
from monitor.feeds.parse import feed_links, parse_document
from monitor.models import CheckStatus, Confidence, FetchOutcome, FetchResult
from monitor.pipeline import Checker, CheckResult
from monitor.store import CheckRecord, Watch
from monitor.urls import clean_url

log = logging.getLogger(__name__)

PREVIEW_LINES = 3


@dataclass(frozen=True)
class Preview:
    """What a watch will watch: the article as its first check stored it."""

    title: str
    lines: tuple[str, ...]  # the first lines of the text
    chars: int  # the length of the text (as `monitor log` counts it)
    line_count: int
    method: str  # which rule chose the text: site-rule, jannah, wordpress, generic
    content: tuple[str, ...]  # the selectors that matched, or the generic container's path
    confidence: Confidence = field(default_factory=Confidence)  # how sure extraction is


@dataclass(frozen=True)
class AddOutcome:
    """What ``monitor add URL`` did.

    ``watch`` is None when nothing was added: then ``reason`` says why, ``is_feed`` tells a
    feed or sitemap given as a page, and ``feeds`` lists the feeds a page announces.
    """

    url: str
    watch: Watch | None = None
    check: CheckResult | None = None
    preview: Preview | None = None
    feeds: tuple[str, ...] = ()
    is_feed: bool = False
    reason: str | None = None
    browser_hint: str | None = None  # why the page looks like it needs a browser

    @property
    def added(self) -> bool:
        """True if the watch is in the database now."""
        return self.watch is not None


@dataclass(frozen=True)
class AddRequest:
    """``monitor add``'s arguments."""

    url: str
    name: str | None = None
    interval: float | None = None
    force: bool = False  # add it even if the page cannot be read now


async def add_page(checker: Checker, request: AddRequest) -> AddOutcome:
    """Fetch ``request.url`` now and add it as a watch if it shows an article (see the
    module docstring). A URL or name already taken is a UsageError, before any fetch."""
    url = clean_url(request.url)
    adopted, _ = checker.store.watches.check_addable(url, request.name)
    options = checker.config.request_for(url)
    fetched = await checker.fetcher.fetch(url, options=options)
    feeds: tuple[str, ...] = ()
    if fetched.outcome is FetchOutcome.OK:
        if _is_feed(fetched, url):
            reason = "a feed, not an article: to watch every article it lists, use --follow-feed"
            return AddOutcome(url, feeds=(url,), is_feed=True, reason=reason)
        feeds = tuple(feed_links(fetched.text, fetched.final_url or url))
    if adopted is not None:
        return await _adopt(checker, request, adopted["id"], fetched, feeds)
    record = await checker.decide(_unsaved_watch(url, request), fetched)
    hint = None if options.uses_browser else _browser_hint(fetched, record)
    if hint is not None and not request.force:
        return AddOutcome(url, feeds=feeds, reason=f"{hint}: it needs a browser", browser_hint=hint)
    if record.status.is_error and not request.force:
        return _refused(url, record, feeds)
    watch, recorded = checker.store.add_checked_watch(
        url, record, name=request.name, interval=request.interval
    )
    result = checker.result(watch, record, recorded)
    return AddOutcome(url, watch, result, _preview(checker, watch, fetched), feeds)


async def _adopt(
    checker: Checker,
    request: AddRequest,
    adopted_id: int,
    fetched: FetchResult,
    feeds: tuple[str, ...],
) -> AddOutcome:
    """An article a feed found becomes an ordinary watch; this fetch is checked against its
    history (no new version if its text is the same)."""
    url = clean_url(request.url)
    found = checker.store.watches.get(adopted_id)
    if not request.force:
        record = await checker.decide(found, fetched)
        if record.status.is_error:
            return _refused(url, record, feeds)
    stored = checker.store.watches.add(url, name=request.name, interval=request.interval)
    result = await checker.check_fetched(stored, fetched)
    watch = checker.store.watches.get(stored.id)
    preview = _preview(checker, watch, fetched) if result.status.is_good else None
    return AddOutcome(watch.url, watch, result, preview, feeds)


def _refused(url: str, record: CheckRecord, feeds: tuple[str, ...]) -> AddOutcome:
    """Not added: why, in one line."""
    if feeds and record.status is CheckStatus.SOFT_ERROR:
        return AddOutcome(url, feeds=feeds, reason="holds no article text to watch")
    http = f"HTTP {record.http_status}: " if record.http_status else ""
    error = record.error or record.status.value
    detail = error if error.startswith("HTTP") else f"{http}{error}"
    return AddOutcome(url, feeds=feeds, reason=f"{record.status.value}: {detail}")


def _browser_hint(fetched: FetchResult, record: CheckRecord) -> str | None:
    """Why the page fetched looks like an app shell (see :mod:`monitor.extract.shell`)."""
    from monitor.extract.shell import browser_hint

    if fetched.outcome is not FetchOutcome.OK:
        return None
    text = record.new_snapshot.text if record.new_snapshot is not None else None
    return browser_hint(fetched.text, text)


def _is_feed(fetched: FetchResult, url: str) -> bool:
    try:
        parse_document(fetched.content, url)
    except FeedError:
        return False
    return True


def _unsaved_watch(url: str, request: AddRequest) -> Watch:
    """The watch as it will be stored, for deciding its first check before it is."""
    return Watch(
        id=0,
        url=url,
        name=request.name,
        interval=request.interval,
        rules=Rules(),
        source="cli",
        active=True,
        created_at="",
    )


def _preview(checker: Checker, watch: Watch, fetched: FetchResult) -> Preview | None:
    """The watch's current version, and which rule chose its text."""
    from monitor.extract.article import explain_article

    snapshot = checker.store.versions.current(watch)
    if snapshot is None:
        return None
    page = fetched.final_url or watch.url
    how = explain_article(fetched.text, page, checker.config.rules_for(watch.url, watch.rules))
    lines = snapshot.text.splitlines()
    return Preview(
        title=snapshot.title,
        lines=tuple(lines[:PREVIEW_LINES]),
        chars=len(snapshot.text),
        line_count=len(lines),
        method=how.method,
        content=how.content,
        confidence=snapshot.confidence if snapshot.confidence.level else how.confidence,
    )


def is_home(url: str) -> bool:
    """A site's home page (where sites announce their feed): no path."""
    return urlsplit(url).path in ("", "/")

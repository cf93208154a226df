"""Fetching a feed with the pipeline's :class:`~monitor.fetch.Fetcher`: conditional requests
(ETag, Last-Modified) as for pages, its size cap, retries and limits.

A sitemap index is always read in full (it is small; a 304 on it would hide new articles in
its sitemaps), and its child sitemaps are fetched one level deep (an index inside an index is
not followed), at most ``MAX_CHILDREN``: the most recently modified first, or, when they carry
no ``lastmod`` (WordPress core's ``wp-sitemap.xml`` lists its post sitemaps oldest first), the
last ones listed. Each child is fetched with its own stored validators: an unchanged child
costs a 304 and adds no entries.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from monitor.errors import FeedError
from monitor.feeds.parse import ChildSitemap, Entry, FeedDocument, parse_document
from monitor.fetch import Fetcher
from monitor.models import FetchOutcome, FetchResult, Validators
from monitor.request import RequestOptions

log = logging.getLogger(__name__)

MAX_CHILDREN = 20
_NO_VALIDATORS = Validators()

#: A child sitemap's state between polls: ``{"etag", "last_modified", "entries"}``.
ChildStates = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class FeedFetch:
    """What one poll of a feed got: its entries, or a 304."""

    url: str
    not_modified: bool
    kind: str | None = None
    entries: tuple[Entry, ...] = ()
    validators: Validators = _NO_VALIDATORS
    warnings: tuple[str, ...] = ()  # child sitemaps that could not be read
    children: ChildStates | None = field(default=None, compare=False)  # of a sitemap index
    listed: int | None = None  # entries listed, read now or unchanged (None: len(entries))
    sitemaps: tuple[str, ...] = ()  # an index's child sitemaps read now (or unchanged)

    @property
    def entry_count(self) -> int:
        """How many entries the feed lists (an index: its children's, even unchanged ones)."""
        return len(self.entries) if self.listed is None else self.listed


@dataclass(frozen=True)
class FeedState:
    """What a poll knows of a feed from the last one."""

    validators: Validators = _NO_VALIDATORS
    kind: str | None = None
    children: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def _everything(url: str) -> bool:
    return True


async def fetch_feed(
    fetcher: Fetcher,
    url: str,
    state: FeedState | Validators,
    allow: Callable[[str], bool] = _everything,
    options: RequestOptions | None = None,
    *,
    max_children: int = MAX_CHILDREN,
) -> FeedFetch:
    """Fetch and parse a feed or sitemap (and an index's sitemaps whose URL ``allow``s, at
    most ``max_children``), with the feed's request ``options`` (headers, cookies, proxy);
    FeedError if it fails."""
    if isinstance(state, Validators):
        state = FeedState(state)
    index = state.kind == "sitemapindex"
    result = await fetcher.fetch(url, _NO_VALIDATORS if index else state.validators, options)
    if result.outcome is FetchOutcome.NOT_MODIFIED:
        return FeedFetch(url, not_modified=True, validators=result.validators)
    document = await _parsed(result)
    if document.kind != "sitemapindex":
        return FeedFetch(url, False, document.kind, document.entries, result.validators)
    chosen = _chosen(document.children, allow, max_children)
    read = await _read_children(fetcher, chosen, state.children, options)
    if len(document.children) > max_children:
        log.info(
            "sitemap index %s lists %d sitemaps; read %d", url, len(document.children), max_children
        )
    return FeedFetch(
        url,
        False,
        "sitemapindex",
        tuple(read.entries),
        _NO_VALIDATORS,
        tuple(read.warnings),
        read.states,
        read.listed,
        tuple(read.states),
    )


def _document(result: FetchResult) -> FeedDocument:
    """The parsed document of a good answer; FeedError for anything else."""
    if result.outcome is not FetchOutcome.OK:
        raise FeedError(result.error or f"fetch failed ({result.outcome.value})", url=result.url)
    return parse_document(result.content, result.final_url or result.url)


async def _parsed(result: FetchResult) -> FeedDocument:
    """:func:`_document` in a thread: a big feed takes tens of ms to parse."""
    return await asyncio.to_thread(_document, result)


def newest_children(
    children: tuple[ChildSitemap, ...], limit: int = MAX_CHILDREN
) -> list[ChildSitemap]:
    """The ``limit`` newest child sitemaps: by ``lastmod``, newest first; those without
    one after them, the last listed first (sites list their sitemaps oldest first)."""
    ranked = sorted(
        enumerate(children), key=lambda pair: (pair[1].lastmod or "", pair[0]), reverse=True
    )
    return [child for _, child in ranked[:limit]]


@dataclass
class _Children:
    """What reading an index's child sitemaps gave."""

    entries: list[Entry] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    states: ChildStates = field(default_factory=dict)
    listed: int = 0


def _chosen(
    children: tuple[ChildSitemap, ...], allow: Callable[[str], bool], limit: int
) -> tuple[list[ChildSitemap], list[str]]:
    allowed = tuple(c for c in children if allow(c.url))
    skipped = [f"{c.url}: not on the feed's site, not read" for c in children if not allow(c.url)]
    return newest_children(allowed, limit), skipped


async def _read_children(
    fetcher: Fetcher,
    chosen: tuple[list[ChildSitemap], list[str]],
    known: Mapping[str, Mapping[str, Any]],
    options: RequestOptions | None = None,
) -> _Children:
    """Entries of the chosen child sitemaps; a child that fails is a warning, not the end."""
    children, skipped = chosen
    read = _Children(warnings=skipped[:3])
    for child in children:
        before = known.get(child.url, {})
        try:
            validators = Validators(before.get("etag"), before.get("last_modified"))
            result = await fetcher.fetch(child.url, validators, options)
            if result.outcome is FetchOutcome.NOT_MODIFIED and "entries" in before:
                read.states[child.url] = dict(before)
                read.listed += int(before["entries"])
                continue
            document = await _parsed(result)
        except FeedError as exc:
            read.warnings.append(f"{child.url}: {exc}")
            continue
        if document.kind == "sitemapindex":
            read.warnings.append(f"{child.url}: a sitemap index inside an index is not followed")
            continue
        read.entries.extend(replace(entry, sitemap=child.url) for entry in document.entries)
        read.listed += len(document.entries)
        validators = result.validators
        read.states[child.url] = {
            "etag": validators.etag,
            "last_modified": validators.last_modified,
            "entries": len(document.entries),
        }
    return read

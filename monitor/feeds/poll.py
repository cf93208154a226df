"""Fetching a feed with the pipeline's :class:`~monitor.fetch.Fetcher`: conditional requests
(ETag, Last-Modified) as for pages, its size cap, retries and limits; the child sitemaps of a
sitemap index are fetched too, the most recently modified first, at most ``MAX_CHILDREN``, one
level deep (an index inside an index is not followed).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from monitor.errors import FeedError
from monitor.feeds.parse import ChildSitemap, Entry, FeedDocument, parse_document
from monitor.fetch import Fetcher
from monitor.models import FetchOutcome, FetchResult, Validators

log = logging.getLogger(__name__)

MAX_CHILDREN = 20
_NO_VALIDATORS = Validators()


@dataclass(frozen=True)
class FeedFetch:
    """What one poll of a feed got: its entries, or a 304."""

    url: str
    not_modified: bool
    kind: str | None = None
    entries: tuple[Entry, ...] = ()
    validators: Validators = _NO_VALIDATORS
    warnings: tuple[str, ...] = ()  # child sitemaps that could not be read


async def fetch_feed(fetcher: Fetcher, url: str, validators: Validators) -> FeedFetch:
    """Fetch and parse a feed or sitemap (and an index's sitemaps); FeedError if it fails."""
    result = await fetcher.fetch(url, validators)
    if result.outcome is FetchOutcome.NOT_MODIFIED:
        return FeedFetch(url, not_modified=True, validators=result.validators)
    document = await _parsed(result)
    if document.kind != "sitemapindex":
        return FeedFetch(url, False, document.kind, document.entries, result.validators)
    entries, warnings = await _read_children(fetcher, document.children)
    return FeedFetch(url, False, "sitemapindex", entries, result.validators, warnings)


def _document(result: FetchResult) -> FeedDocument:
    """The parsed document of a good answer; FeedError for anything else."""
    if result.outcome is not FetchOutcome.OK:
        raise FeedError(result.error or f"fetch failed ({result.outcome.value})", url=result.url)
    return parse_document(result.content, result.final_url or result.url)


async def _parsed(result: FetchResult) -> FeedDocument:
    """:func:`_document` in a thread: a big feed takes tens of ms to parse."""
    return await asyncio.to_thread(_document, result)


async def _read_children(
    fetcher: Fetcher, children: tuple[ChildSitemap, ...]
) -> tuple[tuple[Entry, ...], tuple[str, ...]]:
    """Entries of the newest child sitemaps; a child that fails is a warning, not the end."""
    newest = sorted(children, key=lambda c: c.lastmod or "9999", reverse=True)[:MAX_CHILDREN]
    entries: list[Entry] = []
    warnings: list[str] = []
    for child in newest:
        try:
            document = await _parsed(await fetcher.fetch(child.url))
        except FeedError as exc:
            warnings.append(f"{child.url}: {exc}")
            continue
        if document.kind == "sitemapindex":
            warnings.append(f"{child.url}: a sitemap index inside an index is not followed")
            continue
        entries.extend(document.entries)
    if len(children) > MAX_CHILDREN:
        log.info("sitemap index lists %d sitemaps; read the %d newest", len(children), MAX_CHILDREN)
    return tuple(entries), tuple(warnings)

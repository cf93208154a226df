"""Article metadata from a parsed page: JSON-LD first, then OpenGraph, <meta>, <time>, <html lang>.

Part of the extract stage: :func:`monitor.extract.extract_article` calls it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from bs4 import BeautifulSoup, Tag

from monitor.models import Metadata

log = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "Article",
        "NewsArticle",
        "BlogPosting",
        "ReportageNewsArticle",
        "AnalysisNewsArticle",
        "OpinionNewsArticle",
        "TechArticle",
        "ScholarlyArticle",
        "WebPage",
    }
)
_MAX_JSONLD = 1_000_000


def extract_metadata(soup: BeautifulSoup, url: str | None = None) -> Metadata:
    """Canonical URL, author, dates, language, description and site name of a page."""
    ld = _jsonld_article(soup)
    meta = _meta_tags(soup)
    return Metadata(
        canonical_url=_canonical(soup, url) or meta.get("og:url"),
        author=_ld_author(ld) or meta.get("author") or meta.get("article:author"),
        published_at=_ld_str(ld, "datePublished")
        or meta.get("article:published_time")
        or _time_tag(soup, "published"),
        modified_at=_ld_str(ld, "dateModified")
        or meta.get("article:modified_time")
        or meta.get("og:updated_time")
        or _time_tag(soup, "updated"),
        language=_language(soup) or _ld_str(ld, "inLanguage") or meta.get("og:locale"),
        description=meta.get("og:description") or meta.get("description"),
        site_name=meta.get("og:site_name"),
    )


def _meta_tags(soup: BeautifulSoup) -> dict[str, str]:
    """<meta property|name=... content=...>, the first of each name, names lowercased."""
    found: dict[str, str] = {}
    for tag in soup.find_all("meta"):
        key = tag.get("property") or tag.get("name")
        content = tag.get("content")
        if isinstance(key, str) and isinstance(content, str) and content.strip():
            found.setdefault(key.strip().lower(), " ".join(content.split()))
    return found


def _canonical(soup: BeautifulSoup, url: str | None) -> str | None:
    for link in soup.find_all("link", href=True):
        rel: str | list[str] = link.get("rel") or []
        if "canonical" in (rel.split() if isinstance(rel, str) else rel):
            href = str(link["href"]).strip()
            return urljoin(url, href) if url else href
    return None


def _language(soup: BeautifulSoup) -> str | None:
    html = soup.find("html")
    lang = html.get("lang") if isinstance(html, Tag) else None
    return lang.strip() if isinstance(lang, str) and lang.strip() else None


def _time_tag(soup: BeautifulSoup, kind: str) -> str | None:
    """The datetime of the first <time> that looks like a published/updated date."""
    times = [t for t in soup.find_all("time") if t.get("datetime")]
    for tag in times:
        classes = " ".join(tag.get("class") or []) + " " + str(tag.get("itemprop") or "")
        if kind in classes.lower() or (kind == "published" and "date" in classes.lower()):
            return str(tag["datetime"]).strip()
    return str(times[0]["datetime"]).strip() if times and kind == "published" else None


def _jsonld_objects(soup: BeautifulSoup) -> Iterator[dict[str, Any]]:
    for script in soup.find_all("script", type="application/ld+json"):
        raw = script.string or ""
        if len(raw) > _MAX_JSONLD:
            continue
        try:
            data = json.loads(raw)
        except ValueError:
            log.debug("skipping invalid JSON-LD block")
            continue
        yield from _walk_ld(data)


def _walk_ld(data: Any) -> Iterator[dict[str, Any]]:
    stack = [data]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(reversed(item))
        elif isinstance(item, dict):
            yield item
            graph = item.get("@graph")
            if isinstance(graph, list):
                stack.extend(reversed(graph))


def _types(obj: dict[str, Any]) -> set[str]:
    kind = obj.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {k for k in kinds if isinstance(k, str)}


def _jsonld_article(soup: BeautifulSoup) -> dict[str, Any]:
    """The most specific article object of the page's JSON-LD (an Article beats a WebPage)."""
    best: dict[str, Any] = {}
    for obj in _jsonld_objects(soup):
        kinds = _types(obj) & ARTICLE_TYPES
        if kinds and (kinds != {"WebPage"} or not best):
            best = obj
            if kinds != {"WebPage"}:
                break
    return best


def _ld_str(obj: dict[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    return " ".join(value.split()) if isinstance(value, str) and value.strip() else None


def _ld_author(obj: dict[str, Any]) -> str | None:
    author = obj.get("author")
    authors = author if isinstance(author, list) else [author]
    names = []
    for item in authors:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
    return ", ".join(names) or None

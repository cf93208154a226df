"""Article metadata from a parsed page: JSON-LD first, then OpenGraph, <meta>, <time>, <html lang>.

Part of the extract stage: :func:`monitor.extract.extract_article` calls it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin

from monitor.extract.css import Document
from monitor.extract.text import Element
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


def extract_metadata(doc: Document, url: str | None = None) -> Metadata:
    """Canonical URL, author, dates, language, description and site name of a page."""
    ld = jsonld_article(doc)
    meta = _meta_tags(doc)
    return Metadata(
        canonical_url=_canonical(doc, url) or meta.get("og:url"),
        author=_ld_author(ld) or meta.get("author") or meta.get("article:author"),
        published_at=_ld_str(ld, "datePublished")
        or meta.get("article:published_time")
        or _time_tag(doc, "published"),
        modified_at=_ld_str(ld, "dateModified")
        or meta.get("article:modified_time")
        or meta.get("og:updated_time")
        or _time_tag(doc, "updated"),
        language=_language(doc.root) or _ld_str(ld, "inLanguage") or meta.get("og:locale"),
        description=meta.get("og:description") or meta.get("description"),
        site_name=meta.get("og:site_name"),
    )


def _meta_tags(doc: Document) -> dict[str, str]:
    """<meta property|name=... content=...>, the first of each name, names lowercased."""
    found: dict[str, str] = {}
    for tag in doc.select(("meta[content]",)):
        key = tag.get("property") or tag.get("name")
        content = tag.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), " ".join(content.split()))
    return found


def _canonical(doc: Document, url: str | None) -> str | None:
    for link in doc.select(("link[href][rel]",)):
        if "canonical" in (link.get("rel") or "").lower().split():
            href = (link.get("href") or "").strip()
            return urljoin(url, href) if url else href
    return None


def _language(root: Element) -> str | None:
    lang = root.get("lang") if root.tag == "html" else None
    return lang.strip() if lang and lang.strip() else None


def _time_tag(doc: Document, kind: str) -> str | None:
    """The datetime of the first <time> that looks like a published/updated date."""
    times = doc.select(("time[datetime]",))
    for tag in times:
        classes = f"{tag.get('class') or ''} {tag.get('itemprop') or ''}".lower()
        if kind in classes or (kind == "published" and "date" in classes):
            return (tag.get("datetime") or "").strip()
    return (times[0].get("datetime") or "").strip() if times and kind == "published" else None


def jsonld_objects(doc: Document) -> Iterator[dict[str, Any]]:
    """Every object of the page's JSON-LD blocks, ``@graph`` members included."""
    scripts = doc.select(("script[type]",))
    for script in (s for s in scripts if s.get("type") == "application/ld+json"):
        raw = script.text or ""
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


def jsonld_article(doc: Document) -> dict[str, Any]:
    """The most specific article object of the page's JSON-LD (an Article beats a WebPage)."""
    best: dict[str, Any] = {}
    for obj in jsonld_objects(doc):
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

"""HTML -> Article: the article's title, its text (one block per line) and metadata.

Rules are tried in order, and the first that finds the article body wins:

1. site rules from config.toml (``content`` selectors), with the watch's overrides;
2. built-in rule packs for common platforms (:data:`RULE_PACKS`: the Jannah theme, WordPress
   core), recognised by their markup;
3. a generic main-content extractor (trafilatura) for every other page.

Whatever the rule, boilerplate that is never article text (scripts, forms, hidden and
screen-reader-only elements, share and related-post widgets of the packs, the rules'
``remove`` selectors) is dropped first, and the text is normalised the same way: Unicode
NFC, zero-width characters removed, whitespace collapsed, one block per line, no empty lines.
Full-width characters stay as published. Lines matching a rule's ``ignore`` patterns are
dropped, so the same article body gives byte-identical text whatever changes around it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from bs4 import BeautifulSoup
from bs4.element import Tag

from monitor.config import Rules
from monitor.extract.generic import generic_lines
from monitor.extract.metadata import extract_metadata
from monitor.extract.packs import RULE_PACKS
from monitor.extract.text import blocks_of, normalize_line, normalize_text
from monitor.models import Article, Metadata

log = logging.getLogger(__name__)

#: Bumped whenever a change to extraction can change the text of an unchanged page.
EXTRACTOR_VERSION = "1"

ALWAYS_REMOVE = (
    ".screen-reader-text",
    ".sr-only",
    ".visually-hidden",
    ".assistive-text",
    "[role=dialog]",
)

__all__ = ["EXTRACTOR_VERSION", "extract_article", "normalize_line", "normalize_text", "parse_html"]


def parse_html(html: str) -> BeautifulSoup:
    """Parse a page with lxml (lenient with broken markup)."""
    return BeautifulSoup(html, "lxml")


def extract_article(html: str, url: str | None = None, rules: Rules | None = None) -> Article:
    """The article of one page: rules from config first, then rule packs, then generic."""
    rules = rules or Rules()
    soup = parse_html(html)
    metadata = extract_metadata(soup, url)
    chosen, extractor = _choose_rules(soup, rules)
    _remove(soup, (*ALWAYS_REMOVE, *chosen.remove))
    title = _title(soup, chosen, metadata)
    if chosen.content:
        roots = _select_all(soup, chosen.content)
        text = normalize_text(blocks_of(roots), chosen.ignore)
    else:
        text = normalize_text(generic_lines(soup, html, url, bool(chosen.remove)), chosen.ignore)
    text = _drop_leading_title(text, title)
    return Article(title=title, text=text, metadata=metadata, extractor=extractor)


def _choose_rules(soup: BeautifulSoup, rules: Rules) -> tuple[Rules, str]:
    """Site rules if their content selectors match, else the first matching pack, else none."""
    if rules.content and _select_all(soup, rules.content):
        return rules, "site-rule"
    for pack in RULE_PACKS:
        if soup.select_one(pack.detect) is not None:
            merged = pack.rules.merged(Rules(title=rules.title, remove=rules.remove))
            return Rules(merged.content, merged.title, merged.remove, rules.ignore), pack.name
    if rules.content:
        log.info("content selectors %s match nothing; using generic extraction", rules.content)
    return Rules(title=rules.title, remove=rules.remove, ignore=rules.ignore), "generic"


def _select_all(soup: BeautifulSoup, selectors: Iterable[str]) -> list[Tag]:
    """Elements matching any selector, in document order, without nested duplicates."""
    found: list[Tag] = soup.select(", ".join(selectors))
    ids = {id(tag) for tag in found}
    return [tag for tag in found if not any(id(p) in ids for p in tag.parents)]


def _remove(soup: BeautifulSoup, selectors: Iterable[str]) -> None:
    selector = ", ".join(selectors)
    if selector:
        for tag in soup.select(selector):
            tag.decompose()


def _title(soup: BeautifulSoup, rules: Rules, metadata: Metadata) -> str:
    """The article title: title selectors, then OpenGraph, then the first h1, then <title>."""
    candidates: list[Tag | str | None] = []
    if rules.title:
        candidates.append(soup.select_one(", ".join(rules.title)))
    candidates.append(_meta_content(soup, "og:title"))
    candidates.append(soup.select_one("h1"))
    candidates.append(_page_title(soup, metadata))
    for candidate in candidates:
        text = _text_of(candidate)
        if text:
            return text
    return ""


def _meta_content(soup: BeautifulSoup, prop: str) -> str | None:
    tag = soup.find("meta", attrs={"property": prop})
    content = tag.get("content") if isinstance(tag, Tag) else None
    return content if isinstance(content, str) else None


def _page_title(soup: BeautifulSoup, metadata: Metadata) -> str | None:
    """<title> without a trailing " | Site name"."""
    if soup.title is None:
        return None
    title = normalize_line(soup.title.get_text())
    site = metadata.site_name
    if site:
        for sep in (" | ", " - ", " – ", " — ", " :: ", " : ", "｜", " ｜ "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)]
    return title


def _text_of(candidate: Tag | str | None) -> str:
    if candidate is None:
        return ""
    if isinstance(candidate, Tag):
        return normalize_text(blocks_of([candidate])).replace("\n", " ")
    return normalize_line(candidate)


def _drop_leading_title(text: str, title: str) -> str:
    """Some bodies repeat the title as their first line; keep it once."""
    first, _, rest = text.partition("\n")
    return rest if title and first == title else text

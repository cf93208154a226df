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
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from bs4 import BeautifulSoup
from bs4.element import (
    CData,
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    ProcessingInstruction,
    Tag,
)

from monitor.config import Rules
from monitor.metadata import extract_metadata
from monitor.models import Article, Metadata

log = logging.getLogger(__name__)

#: Bumped whenever a change to extraction can change the text of an unchanged page.
EXTRACTOR_VERSION = "1"

BLOCK_TAGS = frozenset(
    "address article aside blockquote caption dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary "
    "table tbody thead tfoot tr ul body html".split()
)
SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed canvas audio video source "
    "track map form button input select option textarea label head title meta link "
    "dialog".split()
)
CELL_TAGS = frozenset({"td", "th"})
ALWAYS_REMOVE = (
    ".screen-reader-text",
    ".sr-only",
    ".visually-hidden",
    ".assistive-text",
    "[role=dialog]",
)
_INVISIBLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"))
_SPACES = re.compile(r"[^\S\u3000]+")
_STRIP = " \u3000"
_SKIPPED_STRINGS = (Comment, CData, ProcessingInstruction, Declaration, Doctype)


@dataclass(frozen=True)
class RulePack:
    """Built-in rules for one platform, used when ``detect`` matches the page."""

    name: str
    detect: str
    rules: Rules


JANNAH = RulePack(
    name="jannah",
    detect="article#the-post .entry-content",
    rules=Rules(
        content=(
            "article#the-post figure.single-featured-image figcaption",
            "article#the-post .entry-content",
        ),
        title=("article#the-post h1.post-title", "h1.post-title.entry-title", "h1.entry-title"),
        remove=(
            ".stream-item",
            ".post-bottom-meta",
            "#inline-related-post",
            ".share-buttons",
            "#related-posts",
            "#post-extra-info",
            ".code-block",
            ".tie-icon-camera",
        ),
    ),
)

WORDPRESS = RulePack(
    name="wordpress",
    detect="article .entry-content, .hentry .entry-content, .type-post .entry-content",
    rules=Rules(
        content=("article .entry-content", ".hentry .entry-content", ".type-post .entry-content"),
        title=("article h1.entry-title", "h1.entry-title", "h1.post-title", ".entry-title"),
        remove=(
            "#respond",
            "#comments",
            ".comments-area",
            ".sharedaddy",
            ".sd-sharing-enabled",
            "#jp-relatedposts",
            ".jp-relatedposts",
            ".yarpp-related",
            ".crp_related",
            ".addtoany_share_save_container",
            ".a2a_kit",
            ".wp-block-latest-posts",
            ".post-navigation",
            ".entry-footer",
            ".wpcnt",
            ".jp-post-flair",
        ),
    ),
)

#: Built-in rule packs, most specific first.
RULE_PACKS: tuple[RulePack, ...] = (JANNAH, WORDPRESS)


def normalize_line(line: str) -> str:
    """NFC, zero-width characters removed, whitespace collapsed and trimmed."""
    line = unicodedata.normalize("NFC", line).translate(_ZERO_WIDTH)
    return _SPACES.sub(" ", line).strip(_STRIP)


def normalize_text(lines: Iterable[str], ignore: Iterable[str] = ()) -> str:
    """Normalise each line and drop empty lines and lines matching ``ignore`` patterns."""
    patterns = [re.compile(p) for p in ignore]
    kept = []
    for raw in lines:
        for part in raw.split("\n"):
            line = normalize_line(part)
            if line and not any(p.search(line) for p in patterns):
                kept.append(line)
    return "\n".join(kept)


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
        text = normalize_text(_blocks_of(roots), chosen.ignore)
    else:
        text = normalize_text(_generic_lines(soup, html, url, bool(chosen.remove)), chosen.ignore)
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
        return normalize_text(_blocks_of([candidate])).replace("\n", " ")
    return normalize_line(candidate)


def _drop_leading_title(text: str, title: str) -> str:
    """Some bodies repeat the title as their first line; keep it once."""
    first, _, rest = text.partition("\n")
    return rest if title and first == title else text


def _is_hidden(tag: Tag) -> bool:
    attrs = tag.attrs
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    return isinstance(style, str) and _INVISIBLE.search(style) is not None


def _blocks_of(roots: Iterable[Tag]) -> Iterator[str]:
    """The text of each root, one block per line, roots in order."""
    for root in roots:
        yield from _Blocks().walk(root)


class _Blocks:
    """Turns an element tree into lines of text: one line per block element.

    Iterative (an explicit stack), so 10,000 nested tags do not hit the recursion limit.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.pre_depth = 0

    def flush(self) -> None:
        if self.current:
            self.lines.append("".join(self.current))
            self.current = []

    def text(self, node: NavigableString) -> None:
        value = str(node)
        if self.pre_depth and "\n" in value:
            head, *rest = value.split("\n")
            self.current.append(head)
            for part in rest:
                self.flush()
                self.current.append(part)
        else:
            self.current.append(value)

    def open(self, tag: Tag) -> bool:
        """Handle an opening tag; False if its subtree is skipped."""
        name = tag.name
        if name in SKIP_TAGS or _is_hidden(tag):
            return False
        if name == "br":
            self.flush()
            return False
        if name in BLOCK_TAGS:
            self.flush()
        if name == "pre":
            self.pre_depth += 1
        return True

    def close(self, tag: Tag) -> None:
        name = tag.name
        if name == "pre":
            self.pre_depth -= 1
        if name in BLOCK_TAGS:
            self.flush()
        elif name in CELL_TAGS:
            self.current.append(" ")

    def walk(self, root: Tag) -> list[str]:
        stack: list[tuple[object, bool]] = [(root, False)]
        while stack:
            node, closing = stack.pop()
            if isinstance(node, NavigableString):
                if not isinstance(node, _SKIPPED_STRINGS):
                    self.text(node)
            elif isinstance(node, Tag):
                if closing:
                    self.close(node)
                elif self.open(node):
                    stack.append((node, True))
                    stack.extend((child, False) for child in reversed(node.contents))
        self.flush()
        return self.lines


def _generic_lines(soup: BeautifulSoup, html: str, url: str | None, cleaned: bool) -> list[str]:
    """Main-content extraction for pages no rule knows (trafilatura)."""
    from trafilatura import extract

    source = str(soup) if cleaned else html
    text = extract(
        source,
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        output_format="txt",
    )
    if not text:
        return []
    return [_strip_list_marker(line) for line in text.splitlines()]


def _strip_list_marker(line: str) -> str:
    """trafilatura marks list items with "- "; our text has one item per line instead."""
    return line[2:] if line.startswith("- ") else line

"""Generic main-content extraction, for pages that no site rule or rule pack knows.

trafilatura decides what the article is: it is good at telling the main text from the
boilerplate around it. The text itself is then taken from the page by our own block
serialiser, as for the rules, because trafilatura's plain-text output drops captions and
may split a paragraph at inline markup. So:

1. trafilatura's text gives the article's lines (the *reference*);
2. the *container* is the deepest element holding most of the blocks whose text is a
   reference line, widened to its parent (where a lead image often sits);
3. the container's own lines are kept when trafilatura kept them (compared without
   whitespace), or when they come from a ``<figcaption>`` outside boilerplate.

When no container is found, trafilatura's lines are used as they are.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable

from bs4 import BeautifulSoup
from bs4.element import Tag

from monitor.extract.text import blocks_of, normalize_line

log = logging.getLogger(__name__)

CONTENT_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre", "dd", "dt")
BOILERPLATE_TAGS = frozenset({"aside", "nav", "footer", "form"})
TOP_LEVEL = frozenset({"body", "html", "[document]"})
BOILERPLATE_NAMES = re.compile(
    r"related|share|sharing|social|comment|sidebar|widget|newsletter|promo|advert|sponsor|"
    r"cookie|banner|breadcrumb|ranking|popular|recommend|subscribe|signup|most-read",
    re.IGNORECASE,
)
SHARE_OF_HITS = 0.8
MIN_SUBSTRING_MATCH = 12
_WHITESPACE = re.compile(r"\s+")


def generic_lines(soup: BeautifulSoup, html: str, url: str | None, cleaned: bool) -> list[str]:
    """The article's lines on a page no rule knows; ``cleaned``: ``soup`` had removals."""
    reference = _trafilatura_lines(str(soup) if cleaned else html, url)
    if not reference:
        return []
    container = _container(soup, reference)
    if container is None:
        log.debug("no container found for trafilatura's text; using it as it is")
        return reference
    return _keep(_scope(container), reference) or reference


def _trafilatura_lines(html: str, url: str | None) -> list[str]:
    from trafilatura import extract

    text = extract(
        html,
        url=url,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        output_format="txt",
    )
    if not text:
        return []
    return [_strip_list_marker(line) for line in text.splitlines() if line.strip()]


def _strip_list_marker(line: str) -> str:
    """trafilatura marks list items with "- "; our text has one item per line instead."""
    return line[2:] if line.startswith("- ") else line


def compact(text: str) -> str:
    """Text without any whitespace, for comparing texts that were split differently."""
    return _WHITESPACE.sub("", normalize_line(text))


def _container(soup: BeautifulSoup, reference: list[str]) -> Tag | None:
    """The deepest element that holds most of the blocks trafilatura kept."""
    wanted = {compact(line) for line in reference}
    hits = [tag for tag in soup.find_all(CONTENT_TAGS) if compact(tag.get_text()) in wanted]
    if not hits:
        return None
    counts: Counter[int] = Counter()
    elements: dict[int, Tag] = {}
    for tag in hits:
        for parent in tag.parents:
            counts[id(parent)] += 1
            elements[id(parent)] = parent
    # Elements holding more than half of the hits are nested in one another: take the deepest.
    holding = [elements[key] for key, n in counts.items() if n >= SHARE_OF_HITS * len(hits)]
    holding = [tag for tag in holding if isinstance(tag, Tag) and tag.name != "[document]"]
    return max(holding, key=_depth, default=None)


def _scope(container: Tag) -> Tag:
    """The container's parent, unless that is the whole page: a lead image and its caption
    often sit just outside the element that holds the paragraphs."""
    parent = container.parent
    return parent if isinstance(parent, Tag) and parent.name not in TOP_LEVEL else container


def _depth(tag: Tag) -> int:
    return sum(1 for _ in tag.parents)


def _keep(container: Tag, reference: list[str]) -> list[str]:
    """The container's lines that trafilatura kept, plus its captions."""
    exact = {compact(line) for line in reference}
    joined = "".join(exact)
    captions = set(_caption_lines(container))
    kept = []
    for line in blocks_of([container]):
        key = compact(line)
        if not key:
            continue
        long_enough = len(key) >= MIN_SUBSTRING_MATCH and key in joined
        if key in exact or long_enough or key in captions:
            kept.append(line)
    return kept


def _caption_lines(container: Tag) -> Iterable[str]:
    for caption in container.find_all("figcaption"):
        if not _in_boilerplate(caption, container):
            yield from (compact(line) for line in blocks_of([caption]))


def _in_boilerplate(tag: Tag, container: Tag) -> bool:
    """True if ``tag`` sits in navigation, a sidebar, a share or related block, etc."""
    for element in (tag, *tag.parents):
        if element is container:
            return False
        if element.name in BOILERPLATE_TAGS:
            return True
        names = " ".join([*element.get_attribute_list("class"), str(element.get("id", ""))])
        if BOILERPLATE_NAMES.search(names):
            return True
    return False

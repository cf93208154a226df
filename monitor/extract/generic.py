"""Generic main-content extraction, for pages that no site rule or rule pack knows.

The page is read as a sequence of text blocks (as the serialiser of :mod:`.text` cuts it),
each annotated with the element holding it, how much of its text is link text, and whether
it sits in *boilerplate*: navigation, sidebars, footers, forms, or an element whose class or
id names a known boilerplate widget (share, related, comments, ads, ranking, 関連記事 ...).
Then:

1. every block gets a value: its length in tokens (words; a CJK character counts half a
   word) minus three times its link text, minus a fixed cost, so paragraphs are worth a lot,
   menus and link lists are negative, and boilerplate blocks are always negative;
2. the contiguous run of blocks with the highest total value is the article's core (the
   maximum-sum subarray), and the *container* is the deepest element holding all of it;
3. every block in the container is kept, except those in boilerplate below the container and
   those that are mostly links.

A boilerplate name on an element that holds most of the page's text is ignored: a page
wrapper called ``main-with-sidebar`` is not a sidebar. All of it is linear in the page size.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from lxml import etree

from monitor.extract.text import BLOCK_TAGS, CELL_TAGS, SKIP_TAGS, Element, is_hidden

log = logging.getLogger(__name__)

BOILERPLATE_TAGS = frozenset(
    {"nav", "aside", "header", "footer", "form", "button", "select", "menu"}
)
BOILERPLATE_NAMES = re.compile(
    r"(?<![a-z])(?:related|share|sharing|sharedaddy|social|comments?|commentlist|sidebar|"
    r"widgets?|newsletter|promo|advert\w*|ads?|adsense|sponsor\w*|cookie\w*|banner|"
    r"breadcrumbs?|ranking|popular|recommend\w*|subscribe|subscription|signup|most-?read|"
    r"footer|masthead|navbar|nav|navigation|menu|pagination|pager|disqus|outbrain|taboola|"
    r"tags?|tagcloud|byline|author-?box|post-?meta|entry-?meta|timestamp|dateline|date|"
    r"toolbar|skip|modal|popup)"
    r"(?![a-z])|関連|ランキング|おすすめ|シェア|コメント",
    re.IGNORECASE,
)
NEUTRAL_TAGS = frozenset({"html", "body", "main", "article"})
#: An element holding more than this share of the page's text is never boilerplate.
MAX_BOILERPLATE_SHARE = 0.4
BLOCK_COST = 6.0
LINK_WEIGHT = 3.0
MAX_LINK_DENSITY = 0.5
TEXT_TAGS = frozenset("p h2 h3 h4 h5 h6 li dd dt blockquote pre figcaption caption td th".split())
SHORT_LINE = 16
PARAGRAPH_UNITS = 20
LINK_ITEM_SHARE = 0.25
MIN_REPEATS = 5
LABEL_UNITS = 3
_BYLINE = re.compile(
    r"^(?:by|von|por|par|door|av|di)\s|^(?:作者|来源|來源|记者|記者|编辑|編輯|责任编辑|"
    r"責任編輯|文|撰文|出典|配信|筆者)\s*[：:／/]",
    re.IGNORECASE,
)
_DATE = re.compile(
    r"\b(?:19|20)\d\d[-/.年]\s?\d{1,2}|\d{1,2}[-/.月]\s?\d{1,2}[-/.日,]?\s?(?:19|20)\d\d|"
    r"\b\d{1,2}:\d\d\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},"
    r"\s+(?:19|20)\d\d",
    re.IGNORECASE,
)
_DIGIT = re.compile(r"\d")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_WORDS = re.compile(r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]+")


def units(text: str) -> float:
    """The amount of text: words, plus half a unit per CJK character."""
    return len(_WORDS.findall(text)) + 0.5 * len(_CJK.findall(text))


@dataclass
class Block:
    """One line of the page, with what the generic extractor needs to know about it."""

    text: str
    element: Element
    link_text: str = ""
    boilerplate: Element | None = None
    reason: str = ""
    links: int = 0

    @property
    def value(self) -> float:
        """Positive for article-like text, negative for links, boilerplate and crumbs."""
        size = units(self.text)
        if self.boilerplate is not None:
            return -size - BLOCK_COST
        return size - LINK_WEIGHT * units(self.link_text) - BLOCK_COST

    @property
    def is_mostly_links(self) -> bool:
        return len(self.link_text.strip()) > MAX_LINK_DENSITY * len(self.text.strip())


@dataclass
class GenericResult:
    """What the generic extractor chose: the container, its kept lines, what it dropped."""

    container: Element | None
    lines: list[str]
    dropped: list[Block] = field(default_factory=list)


def boilerplate_reason(element: Element) -> str:
    """Why ``element`` looks like boilerplate by its tag or names ("" when it does not)."""
    tag = element.tag
    if tag in BOILERPLATE_TAGS:
        return f"<{tag}>"
    if element.get("role") in ("navigation", "complementary", "contentinfo", "banner"):
        return f"role={element.get('role')}"
    if tag in NEUTRAL_TAGS:
        return ""
    ident = element.get("id") or ""
    # Ids with digits are often generated per page view: not a stable signal.
    names = f"{element.get('class') or ''} {'' if _DIGIT.search(ident) else ident}"
    match = BOILERPLATE_NAMES.search(names) if names.strip() else None
    return f"name {match.group(0).lower()!r}" if match else ""


class _Annotator:
    """Serialises a tree into :class:`Block` s, like :class:`.text._Blocks`, tracking the
    innermost block element, link text and the innermost boilerplate ancestor."""

    def __init__(self, page_chars: int) -> None:
        self.page_chars = page_chars
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_parts: list[str] = []
        self.holders: list[Element] = []
        self.boilerplate: list[tuple[Element, str]] = []
        self.link_depth = 0
        self.links = 0
        self.pre_depth = 0

    def flush(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            element, reason = self.boilerplate[-1] if self.boilerplate else (None, "")
            link_text = "".join(self.link_parts)
            block = Block(text, self.holders[-1], link_text, element, reason, self.links)
            self.blocks.append(block)
        self.parts, self.link_parts, self.links = [], [], 0

    def text(self, value: str | None) -> None:
        if value:
            if not self.pre_depth:
                value = value.replace("\n", " ")
            self.parts.append(value)
            if self.link_depth:
                self.link_parts.append(value)

    def is_boilerplate(self, element: Element) -> str:
        reason = boilerplate_reason(element)
        if reason and self.page_chars:
            share = len("".join(element.itertext())) / self.page_chars
            return "" if share > MAX_BOILERPLATE_SHARE else reason
        return reason

    def open(self, element: Element) -> bool:
        name = element.tag
        if not isinstance(name, str) or name in SKIP_TAGS or is_hidden(element):
            return False
        if name == "br":
            self.flush()
            return False
        if name in BLOCK_TAGS:
            self.flush()
            self.holders.append(element)
        reason = self.is_boilerplate(element)
        if reason:
            self.boilerplate.append((element, reason))
        if name == "a":
            self.link_depth += 1
            self.links += 1
        self.pre_depth += name == "pre"
        return True

    def close(self, element: Element) -> None:
        name = element.tag
        if name in BLOCK_TAGS:
            self.flush()
            self.holders.pop()
        elif name in CELL_TAGS:
            self.text(" ")
        if self.boilerplate and self.boilerplate[-1][0] is element:
            self.boilerplate.pop()
        if name == "a":
            self.link_depth -= 1
        self.pre_depth -= name == "pre"

    def walk(self, root: Element) -> list[Block]:
        self.holders.append(root)
        stack: list[tuple[Element, bool]] = [(root, False)]
        while stack:
            element, closing = stack.pop()
            if closing:
                self.close(element)
                if element is not root:
                    self.text(element.tail)
            elif self.open(element):
                stack.append((element, True))
                self.text(element.text)
                stack.extend((child, False) for child in reversed(element))
            elif element is not root:
                self.text(element.tail)
        self.flush()
        return self.blocks


def annotated_blocks(body: Element) -> list[Block]:
    """The blocks of ``body``, annotated."""
    page_chars = len("".join(body.itertext()))
    return _Annotator(page_chars).walk(body)


def best_run(values: list[float]) -> tuple[int, int]:
    """The indexes [start, end] of the contiguous run with the highest sum (Kadane)."""
    best, best_range = float("-inf"), (0, -1)
    total, start = 0.0, 0
    for i, value in enumerate(values):
        if total <= 0:
            total, start = value, i
        else:
            total += value
        if total > best:
            best, best_range = total, (start, i)
    return best_range


def common_ancestor(first: Element, last: Element) -> Element:
    """The deepest element holding both."""
    ancestors = {first, *first.iterancestors()}
    for element in (last, *last.iterancestors()):
        if element in ancestors:
            return element
    return first.getroottree().getroot()


def _is_inside(element: Element, container: Element) -> bool:
    return element is container or any(a is container for a in element.iterancestors())


def _strip_noise(root: Element) -> None:
    etree.strip_elements(root, "script", "style", "noscript", "template", with_tail=False)


def generic_content(root: Element, titles: Iterable[str] = ()) -> GenericResult:
    """The article's lines on a page no rule knows; ``titles``: the page's title(s)."""
    _strip_noise(root)
    body = root.find("body")
    blocks = annotated_blocks(body if body is not None else root)
    if not blocks:
        return GenericResult(None, [])
    start, end = best_run([block.value for block in blocks])
    if end < start:
        return GenericResult(None, [])
    container = common_ancestor(blocks[start].element, blocks[end].element)
    inside = list(_inside(blocks, container))
    return _keep(inside, container, titles)


def _keep(blocks: list[Block], container: Element, titles: Iterable[str]) -> GenericResult:
    """The container's blocks, less boilerplate, link lists, crumbs and a repeated title."""
    above = {container, *container.iterancestors()}
    repeated = _repeated_link_items(blocks)
    title_text = "".join(_compact(t) for t in titles)
    kept, dropped = [], []
    before_text = True
    for block in blocks:
        if block.boilerplate is not None and block.boilerplate not in above:
            dropped.append(block)
            continue
        block.reason = _drop_reason(block, repeated) or (
            "title" if before_text and _compact(block.text) in title_text else ""
        )
        if block.reason:
            dropped.append(block)
        else:
            kept.append(block.text)
            before_text = before_text and units(block.text) < PARAGRAPH_UNITS
    return GenericResult(container, kept, dropped)


def _drop_reason(block: Block, repeated: set[tuple[str, int]]) -> str:
    is_paragraph = block.element.tag == "p" and units(block.text) >= PARAGRAPH_UNITS
    if block.is_mostly_links and not is_paragraph:
        return "mostly links"
    if _signature(block) in repeated:
        return "repeated link items"
    return crumb_reason(block)


def _signature(block: Block) -> tuple[str, int]:
    return (str(block.element.tag), block.links)


def _repeated_link_items(blocks: list[Block]) -> set[tuple[str, int]]:
    """Shapes (holder tag, number of links) of link-rich blocks that repeat: listings."""
    counts = Counter(
        _signature(b)
        for b in blocks
        if b.links
        and b.element.tag != "p"
        and len(b.link_text) >= LINK_ITEM_SHARE * len(b.text.strip())
    )
    return {shape for shape, n in counts.items() if n >= MIN_REPEATS}


def _compact(text: str) -> str:
    return "".join(text.split())


def crumb_reason(block: Block) -> str:
    """Why a block is a crumb of page furniture: the title, a byline or date, a label."""
    tag = block.element.tag
    text = block.text.strip()
    if tag == "h1":
        return "title heading"
    size = units(text)
    if size <= SHORT_LINE and (_BYLINE.search(text) or _DATE.search(text)):
        return "byline or date"
    if size <= LABEL_UNITS and tag not in TEXT_TAGS:
        return "short label"
    if size <= LABEL_UNITS and text.endswith((":", "：")):
        return "short label"
    return ""


def _inside(blocks: list[Block], container: Element) -> Iterator[Block]:
    for block in blocks:
        if _is_inside(block.element, container):
            yield block

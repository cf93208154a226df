"""A page as the generic extractor reads it: text blocks, each with what is known about it.

The blocks are cut as the serialiser of :mod:`.text` cuts lines (one per block element or
``<br>``). Each knows the block element holding it, its link text and number of links, and its
innermost boilerplate ancestor (:func:`.boilerplate.boilerplate_reason`), unless that ancestor
holds most of the page's text: a page wrapper called ``main-with-sidebar`` is not a sidebar.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from monitor.extract.boilerplate import boilerplate_reason, units
from monitor.extract.text import BLOCK_TAGS, CELL_TAGS, Element, is_skipped, traverse

log = logging.getLogger(__name__)

#: An element holding more than this share of the page's text is never boilerplate.
MAX_BOILERPLATE_SHARE = 0.4
BLOCK_COST = 6.0
LINK_WEIGHT = 3.0
MAX_LINK_DENSITY = 0.5


@dataclass
class Block:
    """One line of the page, with what the generic extractor needs to know about it.

    ``anchor`` is the element whose own text (or a child's tail) starts the block: deeper
    than ``element`` when the text sits loose in an inline element (``<font>``, ``<span>``).
    """

    text: str
    element: Element
    link_text: str = ""
    boilerplate: Element | None = None
    reason: str = ""
    links: int = 0
    anchor: Element | None = None

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

    def is_inside(self, container: Element) -> bool:
        """True when the block's text comes from inside ``container``."""
        start = self.anchor if self.anchor is not None else self.element
        return start is container or any(a is container for a in start.iterancestors())


class _Annotator:
    """Serialises a tree into :class:`Block` s, like :class:`.text._Blocks`, tracking the
    innermost block element, link text and the innermost boilerplate ancestor."""

    def __init__(self, page_chars: int, names: bool) -> None:
        self.page_chars = page_chars
        self.names = names
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_parts: list[str] = []
        self.holders: list[Element] = []
        self.boilerplate: list[tuple[Element, str]] = []
        self.link_depth = 0
        self.links = 0
        self.pre_depth = 0
        self.anchor: Element | None = None

    def flush(self) -> None:
        text = "".join(self.parts)
        if text.strip():
            element, reason = self.boilerplate[-1] if self.boilerplate else (None, "")
            link_text = "".join(self.link_parts)
            self.blocks.append(
                Block(text, self.holders[-1], link_text, element, reason, self.links, self.anchor)
            )
        self.parts, self.link_parts, self.links, self.anchor = [], [], 0, None

    def text(self, value: str | None, parent: Element | None) -> None:
        if value:
            if self.anchor is None and value.strip():
                self.anchor = parent
            if not self.pre_depth:
                value = value.replace("\n", " ")
            self.parts.append(value)
            if self.link_depth:
                self.link_parts.append(value)

    def is_boilerplate(self, element: Element) -> str:
        reason = boilerplate_reason(element, self.names)
        if reason and self.page_chars:
            share = len("".join(element.itertext())) / self.page_chars
            return "" if share > MAX_BOILERPLATE_SHARE else reason
        return reason

    def open(self, element: Element) -> bool:
        name = element.tag
        if is_skipped(element):
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
        if _is_link(element):
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
            self.text(" ", element)
        if self.boilerplate and self.boilerplate[-1][0] is element:
            self.boilerplate.pop()
        if _is_link(element):
            self.link_depth -= 1
        self.pre_depth -= name == "pre"

    def walk(self, root: Element) -> list[Block]:
        self.holders.append(root)
        traverse(root, self.open, self.close, self.text)
        self.flush()
        return self.blocks


def _is_link(element: Element) -> bool:
    """An ``<a href>``: an ``<a name>`` is a target, not a link."""
    return element.tag == "a" and element.get("href") is not None


def annotated_blocks(body: Element, names: bool = True) -> list[Block]:
    """The blocks of ``body``, annotated; ``names=False``: boilerplate by tags and roles only."""
    page_chars = len("".join(body.itertext()))
    return _Annotator(page_chars, names).walk(body)

"""Element tree -> text blocks: the one serialiser of extraction.

Every path that turns markup into text goes through :func:`walk`: site rules, rule packs, the
generic extractor, titles and ``--explain`` samples. libxml2 walks the tree for it (lxml's
``iterwalk``: no recursion, so 10,000 nested tags are fine); it cuts one block per block
element or ``<br>``; text in ``<pre>`` keeps its line breaks. Skipped: scripts, media, form
controls, hidden elements (:func:`.text.is_skipped`) and forms that do not wrap page content.

Each :class:`Block` knows the block element holding it, its link text and number of links,
and, when the walk annotates (the generic extractor's), its innermost boilerplate ancestor
(:func:`.boilerplate.boilerplate_reason`), unless that ancestor holds most of the walked
text: a page wrapper called ``main-with-sidebar`` is not a sidebar.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import cached_property

from lxml import etree

from monitor.extract.boilerplate import (
    PARAGRAPH_UNITS,
    boilerplate_reason,
    is_credit,
    is_notice,
    is_picture_counter,
)
from monitor.extract.measure import units
from monitor.extract.text import (
    BLOCK_TAGS,
    CELL_TAGS,
    SKIP_TAGS,
    Element,
    agrees,
    is_hidden,
    tokens,
)

log = logging.getLogger(__name__)

#: An element holding more than this share of the page's text is never boilerplate.
MAX_BOILERPLATE_SHARE = 0.4
BLOCK_COST = 6.0
LINK_WEIGHT = 3.0
MAX_LINK_DENSITY = 0.5
#: A form is skipped (comment and search forms) unless it holds this many paragraphs or most
#: of the text: some sites (ASP.NET WebForms) wrap the whole page, article included, in one.
FORM_PARAGRAPHS = 3


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
    #: why the walk found the block in boilerplate ("" when not): ``reason`` before any
    #: candidate of the generic extractor wrote its own (:meth:`reset`)
    why: str = ""

    def __post_init__(self) -> None:
        self.why = self.why or self.reason

    def reset(self) -> None:
        """Forget the reason a candidate gave: back to what the walk found."""
        self.reason = self.why

    @cached_property
    def value(self) -> float:
        """Positive for article-like text, negative for links, boilerplate, crumbs and what a
        site says to its readers (prompts, notices: never the article)."""
        size = units(self.text)
        if self.boilerplate is not None:
            return -size - BLOCK_COST
        if size > BLOCK_COST and is_notice(self.text, size):  # worth nothing, but an article
            # runs on across it
            return -BLOCK_COST
        return size - LINK_WEIGHT * units(self.link_text) - BLOCK_COST

    @property
    def is_mostly_links(self) -> bool:
        return len(self.link_text.strip()) > MAX_LINK_DENSITY * len(self.text.strip())

    def is_inside(self, container: Element) -> bool:
        """True when the block's text comes from inside ``container``."""
        start = self.anchor if self.anchor is not None else self.element
        return start is container or any(a is container for a in start.iterancestors())


class _Serialiser:
    """One walk of a tree into :class:`Block` s. ``names``: None does not annotate
    boilerplate; True by tags, roles and names; False by tags and roles only."""

    def __init__(
        self,
        root: Element,
        names: bool | None,
        titles: Sequence[str] = (),
        skipped: list[tuple[str, Element]] | None = None,
    ) -> None:
        self.skipped = skipped  # where to tell of the credits and counters left out
        self.root = root
        self._page_chars: int | None = None
        self.names = names
        self.titles = [set(tokens(title)) for title in titles if title.strip()]
        self.blocks: list[Block] = []
        self.parts: list[str] = []
        self.link_parts: list[str] = []
        self.holders: list[Element] = [root]
        self.boilerplate: list[tuple[Element, str]] = []
        self.link_depth = 0
        self.links = 0
        self.pre_depth = 0
        self.anchor: Element | None = None

    @property
    def page_chars(self) -> int:
        """The length of the walked text (read when a boilerplate name or a form first asks;
        a walk that annotates nothing seldom does)."""
        if self._page_chars is None:
            self._page_chars = len("".join(self.root.itertext()))
        return self._page_chars

    def flush(self) -> None:
        if not self.parts:  # nothing since the last block: no text, no link text, no anchor
            self.links = 0
            return
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

    def boilerplate_of(self, element: Element) -> str:
        if self.names is None:
            return ""
        reason = boilerplate_reason(element, self.names)
        if reason and element.tag == "header" and self.heads_the_article(element):
            return ""
        if reason and self.page_chars and not self.boilerplate:
            # (inside boilerplate already: this element holds less text than the open one,
            # which passed this very test)
            share = len("".join(element.itertext())) / self.page_chars
            return "" if share > MAX_BOILERPLATE_SHARE else reason
        return reason

    def open(self, element: Element) -> bool:
        name = element.tag
        if not isinstance(name, str) or name in SKIP_TAGS or is_hidden(element):
            return False  # (is_skipped, without reading the tag again)
        if name == "form" and not self.holds_content(element):
            return False
        if self.names and (is_credit(element) or is_picture_counter(element)):
            # a picture's credit or its place in a gallery, inside its caption
            if self.skipped is not None:
                what = "picture credit" if is_credit(element) else "gallery counter"
                self.skipped.append((what, element))
            return False
        if name == "br":
            self.flush()
            return False
        if name in BLOCK_TAGS:
            self.flush()
            self.holders.append(element)
        reason = self.boilerplate_of(element)
        if reason:
            self.boilerplate.append((element, reason))
        if name == "a" and element.get("href") is not None:  # (_is_link)
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
        if name == "a" and element.get("href") is not None:  # (_is_link)
            self.link_depth -= 1
        self.pre_depth -= name == "pre"

    def heads_the_article(self, header: Element) -> bool:
        """True for a ``<header>`` holding the title heading: the article's own header, with
        its standfirst and subtitle, not the page's (its menus are boilerplate of their own)."""
        headings = (set(tokens("".join(h.itertext()))) for h in header.iter("h1", "h2"))
        return any(agrees(words, title) for words in headings for title in self.titles)

    def holds_content(self, form: Element) -> bool:
        """True for a form that wraps page content (several paragraphs, or most of the
        text), not a comment, search or newsletter form."""
        if len(form.xpath(f"(.//p)[{FORM_PARAGRAPHS}]")) > 0:
            return True
        text = "".join(form.itertext())
        share = len(text) / self.page_chars if self.page_chars else 0.0
        return share > MAX_BOILERPLATE_SHARE and units(text) >= FORM_PARAGRAPHS * PARAGRAPH_UNITS

    def walk(self, root: Element) -> list[Block]:
        # libxml2 walks the tree (a start and an end per node, no recursion); a subtree the
        # serialiser does not open is skipped whole, its end event reads only its tail
        walker = etree.iterwalk(root, events=("start", "end", "comment", "pi"))
        skipped = None
        for event, element in walker:
            if event == "comment" or event == "pi":  # no text of its own, but its tail
                if element.tail:
                    self.text(element.tail, element.getparent())
                continue
            if event == "start":
                if self.open(element):
                    if element.text:
                        self.text(element.text, element)
                else:
                    walker.skip_subtree()
                    skipped = element
                continue
            if element is not skipped:
                self.close(element)
            if element is not root and element.tail:
                self.text(element.tail, element.getparent())
        self.flush()
        return self.blocks


def _is_link(element: Element) -> bool:
    """An ``<a href>``: an ``<a name>`` is a target, not a link."""
    return element.tag == "a" and element.get("href") is not None


def walk(
    root: Element,
    names: bool | None = None,
    titles: Sequence[str] = (),
    skipped: list[tuple[str, Element]] | None = None,
) -> list[Block]:
    """The blocks of ``root``; ``names`` annotates boilerplate (see :class:`_Serialiser`),
    knowing the page's ``titles`` (a header holding one heads the article); the picture
    credits and gallery counters it leaves out are told to ``skipped``, with why."""
    return _Serialiser(root, names, titles, skipped).walk(root)


def annotated_blocks(
    body: Element,
    names: bool = True,
    titles: Sequence[str] = (),
    skipped: list[tuple[str, Element]] | None = None,
) -> list[Block]:
    """The blocks of ``body``, annotated; ``names=False``: boilerplate by tags and roles only."""
    return walk(body, names, titles, skipped)


def blocks_of(roots: Iterable[Element]) -> Iterator[str]:
    """The text of each root, one block per line (a ``<pre>`` line each), roots in order."""
    for root in roots:
        for block in walk(root):
            yield from block.text.split("\n")


def lines_and_lists(roots: Iterable[Element]) -> tuple[list[str], list[Element | None]]:
    """:func:`blocks_of`'s lines, and for each the list (``ul``, ``ol``) holding it, if any."""
    lines: list[str] = []
    lists: list[Element | None] = []
    for root in roots:
        for block in walk(root):
            holder = list_of(block.element)
            for line in block.text.split("\n"):
                lines.append(line)
                lists.append(holder)
    return lines, lists


def list_of(element: Element) -> Element | None:
    """The outermost list (``ul``, ``ol``) ``element`` is in, if any: a label's list and
    the lists nested in its items are one."""
    found = None
    for node in (element, *element.iterancestors()):
        if node.tag in ("ul", "ol"):
            found = node
    return found

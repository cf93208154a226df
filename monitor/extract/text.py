"""Element tree -> text lines: one block per line, normalised.

The tree is lxml's (see :mod:`.parse`). The serialiser walks it with an explicit stack (no
recursion, so 10,000 nested tags are fine), reading each element's ``.text`` and ``.tail``.

Normalisation: Unicode NFC, zero-width characters removed, whitespace collapsed and trimmed,
empty lines dropped. Full-width characters stay as published.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator

from lxml import etree

log = logging.getLogger(__name__)

Element = etree._Element

BLOCK_TAGS = frozenset(
    "address article aside blockquote caption dd details dialog div dl dt fieldset figcaption "
    "figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary "
    "table tbody thead tfoot tr ul body html".split()
)
SKIP_TAGS = frozenset(
    "script style noscript template svg math iframe object embed canvas audio video source "
    "track map button input select option textarea label head title meta link "
    "dialog rt rp".split()
)
CELL_TAGS = frozenset({"td", "th"})
#: A form is skipped (comment and search forms) unless it holds this many paragraphs: some
#: sites (ASP.NET WebForms) wrap the whole page, article included, in one <form>.
FORM_PARAGRAPHS = 3
_INVISIBLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SHOWN_FROM = re.compile(r"d-(?:sm|md|lg|xl|xxl)-(?!none)")
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"))
# Control characters are never article text, and could drive a terminal: C0 (but tab and
# line breaks, which are whitespace), DEL and C1.
_ZERO_WIDTH.update(
    dict.fromkeys([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x20), *range(0x7F, 0xA0)])
)
_SPACES = re.compile(r"[^\S\u3000]+")
_STRIP = " \u3000"


def normalize_line(line: str) -> str:
    """NFC, zero-width and control characters removed, whitespace collapsed and trimmed."""
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


def is_hidden(element: Element) -> bool:
    """True for elements marked hidden (``hidden``, ``aria-hidden``, an inline style)."""
    get = element.get
    if get("hidden") is not None or get("aria-hidden") == "true":
        return True
    style = get("style")
    if style is not None and _INVISIBLE.search(style) is not None:
        return True
    classes = get("class")
    return classes is not None and _is_hidden_by_class(classes)


def _is_hidden_by_class(classes: str) -> bool:
    """Bootstrap's ``d-none`` with no screen size that shows it again (print-only text)."""
    tokens = classes.split()
    return "d-none" in tokens and not any(_SHOWN_FROM.match(t) for t in tokens)


#: Counts tree removals, so that indexes of a tree (``css._Index``) know when they are stale.
TREE_EDITS = [0]


def is_skipped(element: Element) -> bool:
    """Never text: comments, scripts, forms' controls, media and hidden elements."""
    return not isinstance(element.tag, str) or element.tag in SKIP_TAGS or is_hidden(element)


def traverse(
    root: Element,
    on_open: Callable[[Element], bool],
    on_close: Callable[[Element], None],
    on_text: Callable[[str | None, Element | None], None],
) -> None:
    """Walk ``root`` in document order without recursion (10,000 nested tags are fine):
    ``on_open`` (False skips the subtree), the element's text, its children, ``on_close``,
    then its tail. ``on_text`` gets each text with the element that holds it."""
    stack: list[tuple[Element, bool]] = [(root, False)]
    while stack:
        element, closing = stack.pop()
        if closing:
            on_close(element)
            if element is not root:
                on_text(element.tail, element.getparent())
        elif on_open(element):
            stack.append((element, True))
            on_text(element.text, element)
            stack.extend((child, False) for child in reversed(element))
        elif element is not root:
            on_text(element.tail, element.getparent())


def drop_tree(element: Element) -> None:
    """Remove ``element`` and its subtree, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    TREE_EDITS[0] += 1
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)


def blocks_of(roots: Iterable[Element]) -> Iterator[str]:
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

    def text(self, value: str | None) -> None:
        if not value:
            return
        if self.pre_depth and "\n" in value:
            head, *rest = value.split("\n")
            self.current.append(head)
            for part in rest:
                self.flush()
                self.current.append(part)
        else:
            self.current.append(value.replace("\n", " ") if "\n" in value else value)

    def open(self, element: Element) -> bool:
        """Handle an opening tag; False if its subtree is skipped."""
        name = element.tag
        if is_skipped(element):
            return False
        if name == "form" and not _holds_an_article(element):
            return False
        if name == "br":
            self.flush()
            return False
        if name in BLOCK_TAGS:
            self.flush()
        if name == "pre":
            self.pre_depth += 1
        return True

    def close(self, element: Element) -> None:
        name = element.tag
        if name == "pre":
            self.pre_depth -= 1
        if name in BLOCK_TAGS:
            self.flush()
        elif name in CELL_TAGS:
            self.current.append(" ")

    def walk(self, root: Element) -> list[str]:
        traverse(root, self.open, self.close, lambda value, _holder: self.text(value))
        self.flush()
        return self.lines


def _holds_an_article(form: Element) -> bool:
    """True for a form that wraps page content (several paragraphs), not a comment form."""
    return len(form.xpath(f"(.//p)[{FORM_PARAGRAPHS}]")) > 0

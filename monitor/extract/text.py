"""Element tree -> text lines: one block per line, normalised.

Normalisation: Unicode NFC, zero-width characters removed, whitespace collapsed and trimmed,
empty lines dropped. Full-width characters stay as published.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator

from bs4.element import (
    CData,
    Comment,
    Declaration,
    Doctype,
    NavigableString,
    ProcessingInstruction,
    Tag,
)

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
_INVISIBLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f"))
_SPACES = re.compile(r"[^\S\u3000]+")
_STRIP = " \u3000"
_SKIPPED_STRINGS = (Comment, CData, ProcessingInstruction, Declaration, Doctype)


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


def _is_hidden(tag: Tag) -> bool:
    attrs = tag.attrs
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    style = attrs.get("style")
    return isinstance(style, str) and _INVISIBLE.search(style) is not None


def blocks_of(roots: Iterable[Tag]) -> Iterator[str]:
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

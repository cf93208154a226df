"""Text of the tree, normalised; which elements are never text; block and cell tags.

The tree is lxml's (see :mod:`.parse`); :mod:`.blocks` serialises it into lines.

Normalisation: Unicode NFC, zero-width characters removed, whitespace collapsed and trimmed,
empty lines dropped. Full-width characters stay as published.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable
from collections.abc import Set as AbstractSet

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
_INVISIBLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_SHOWN_FROM = re.compile(r"d-(?:sm|md|lg|xl|xxl)-(?!none)")
# Zero-width characters, and control characters, which are never article text and could
# drive a terminal: C0 (but tab and line breaks, which are whitespace), DEL and C1. Found by a
# regular expression: str.translate with a mapping costs microseconds a line even when there
# is nothing to remove.
_ZERO_WIDTH = re.compile(
    "[\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]+"
)
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+")
#: A heading is the page's title when this share of their words are shared (Dice).
TITLE_AGREEMENT = 0.5
_SPACES = re.compile(r"[^\S\u3000]+")
_STRIP = " \u3000"


def normalize_line(line: str) -> str:
    """NFC, zero-width and control characters removed, whitespace collapsed and trimmed."""
    line = _ZERO_WIDTH.sub("", unicodedata.normalize("NFC", line))
    return _SPACES.sub(" ", line).strip(_STRIP)


def normalize_text(lines: Iterable[str], ignore: Iterable[str] = ()) -> str:
    """Normalise each line and drop empty lines and lines matching ``ignore`` patterns."""
    return "\n".join(normalized_lines(lines, ignore)[0])


def normalized_lines(
    lines: Iterable[str], ignore: Iterable[str] = ()
) -> tuple[list[str], list[str]]:
    """The normalised non-empty lines, less those matching ``ignore``; and those dropped."""
    patterns = [re.compile(p) for p in ignore]
    kept, dropped = [], []
    for raw in lines:
        for part in raw.split("\n"):
            line = normalize_line(part)
            if line and any(p.search(line) for p in patterns):
                dropped.append(line)
            elif line:
                kept.append(line)
    return kept, dropped


def tokens(text: str) -> list[str]:
    """Words and single CJK characters, lowercased."""
    found: list[str] = _TOKEN.findall(text.lower())
    return found


def agrees(
    words: AbstractSet[str], title: AbstractSet[str], share: float = TITLE_AGREEMENT
) -> bool:
    """True when a heading's words and a title's agree (Dice coefficient at least ``share``)."""
    shared = 2 * len(words & title)
    return bool(words and title) and shared >= share * (len(words) + len(title))


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


def is_skipped(element: Element) -> bool:
    """Never text: comments, scripts, forms' controls, media and hidden elements."""
    return not isinstance(element.tag, str) or element.tag in SKIP_TAGS or is_hidden(element)


def drop_tree(element: Element) -> None:
    """Remove ``element`` and its subtree, keeping the text that follows it (its tail)."""
    parent = element.getparent()
    if parent is None:
        return
    tail = element.tail
    if tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(element)

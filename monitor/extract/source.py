"""The page as source text: where an element's markup lies in it, found without parsing the
page, and the title sources and long paragraphs read off it the same way.

A replay (:mod:`.replay`) needs the article's region, the title sources and the prose around
it. Parsing the whole page costs most of a routine check (about 1-2 ms for a news page), and
the region is a small part of it. A full analysis that found the region therefore also finds
its markup in the source (an :class:`Anchor`: the region's start tag as written, and which of
the identical start tags it is) and keeps the anchor only if the markup cut there, parsed on
its own, gives exactly the region's lines. A replay then finds the start tag with
``str.find``, the matching end tag by counting the tag's start and end tags (comments,
scripts and styles skipped), and parses that cut alone.

Whatever goes wrong in the source (the start tag is gone or rewritten, an end tag is missing,
a stray end tag in an attribute value) gives another cut, hence other lines than those
learned, hence another fingerprint: the full analysis runs. Equal lines from a wrong cut
would need an edit that both fools the count and leaves the cut's text exactly as it was.
"""

from __future__ import annotations

import functools
import hashlib
import html as html_module
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from monitor.extract.parse import parse_html
from monitor.extract.text import Element, normalize_line

#: A paragraph outside the region this long could be article text the next extraction takes.
OUTSIDE_PROSE = 200
#: Regions whose markup is not worth cutting out (the whole page, or as good as).
_WHOLE = frozenset({"html", "body", "head"})
_ATTRIBUTES = r"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_RAW_TEXT = r"<!--.*?(?:-->|\Z)|<(script|style|textarea|xmp)(?=[\s/>]).*?(?:</\1\s*>|\Z)"
_TAGS = re.compile(r"<[^>]*>")
_WORD = re.compile(r"[\w-]+")
#: What a replay reads off the source besides the region: title sources and paragraphs.
_SCANNED = re.compile(r"<(title|h1|meta|p)(?=[\s/>])" + _ATTRIBUTES + ">", re.IGNORECASE)
_CLOSING = {
    "title": re.compile(r"</title\s*>", re.IGNORECASE),
    "h1": re.compile(r"</h1\s*>", re.IGNORECASE),
}
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")
#: Where a paragraph ends at the latest, in the source: its end tag, the next paragraph, or
#: a block around or after it (what an HTML parser closes a ``<p>`` at).
_PARAGRAPH_END = re.compile(
    r"</?(?:p|div|section|article|aside|header|footer|main|nav|td|th|tr|li|ul|ol|dl|table|"
    r"blockquote|figure|form|h[1-6]|body|html)(?=[\s/>])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Anchor:
    """Where a region's markup starts in the page's source: its start tag as written, which
    occurrence of that exact text it is, and its tag name."""

    start_tag: str
    occurrence: int
    tag: str

    def as_list(self) -> list[Any]:
        return [self.start_tag, self.occurrence, self.tag]

    @classmethod
    def from_list(cls, data: Any) -> Anchor | None:
        if not isinstance(data, list) or len(data) != 3:
            return None
        start_tag, occurrence, tag = data
        if not (isinstance(start_tag, str) and isinstance(occurrence, int) and tag):
            return None
        return cls(start_tag, occurrence, str(tag))


# -- finding a region's markup -----------------------------------------------------------------


Lines = Callable[[Element], list[str]]


def anchor_of(source: str, region: Element, lines: list[str], lines_of: Lines) -> Anchor | None:
    """The anchor of ``region`` (an element of ``source`` as parsed, whose lines are
    ``lines``): the first start tag with its name and attributes whose cut, parsed alone,
    has exactly those lines (``lines_of``). None if there is none (the region is the page, or
    its markup cannot be cut out as it was parsed)."""
    tag = region.tag
    if not isinstance(tag, str) or tag in _WHOLE or not lines:
        return None
    wanted = {str(k): str(v) for k, v in region.attrib.items()}
    for match in _start_tags(tag).finditer(source):
        if _attributes(match.group(0)) != wanted:
            continue
        span = _span_from(source, match.start(), match.end(), tag)
        element = cut(source, span) if span is not None else None
        if element is None or lines_of(element) != lines:
            continue
        start_tag = match.group(0)
        anchor = Anchor(start_tag, source.count(start_tag, 0, match.start()), tag)
        if locate(source, anchor) == span:
            return anchor
    return None


def locate(source: str, anchor: Anchor) -> tuple[int, int] | None:
    """The span of the anchored element's markup in ``source`` (None: not there)."""
    start = -1
    for _ in range(anchor.occurrence + 1):
        start = source.find(anchor.start_tag, start + 1)
        if start < 0:
            return None
    return _span_from(source, start, start + len(anchor.start_tag), anchor.tag)


def cut(source: str, span: tuple[int, int]) -> Element | None:
    """The element whose markup is ``source[span]``, parsed on its own (None: it does not
    parse as one element)."""
    root = parse_html(source[span[0] : span[1]])
    body = root.find("body")
    if body is None or len(body) != 1 or not isinstance(body[0].tag, str):
        return None
    return body[0]


def _span_from(source: str, start: int, after: int, tag: str) -> tuple[int, int] | None:
    """The end of the element whose start tag spans ``source[start:after]``: its tag's start
    and end tags counted (comments, scripts and styles skipped); None if it never ends."""
    depth = 1
    for match in _tokens(tag).finditer(source, after):
        if match.group(2) is None:
            continue  # a comment, script or style
        depth += -1 if match.group(2) else 1
        if depth == 0:
            return start, match.end()
    return None


@functools.lru_cache(maxsize=64)
def _tokens(tag: str) -> re.Pattern[str]:
    """Comments, raw-text elements, and the start and end tags of ``tag``."""
    name = re.escape(tag)
    return re.compile(
        rf"{_RAW_TEXT}|<(/?){name}(?=[\s/>]){_ATTRIBUTES}>", re.IGNORECASE | re.DOTALL
    )


@functools.lru_cache(maxsize=64)
def _start_tags(tag: str) -> re.Pattern[str]:
    return re.compile(rf"<{re.escape(tag)}(?=[\s/>]){_ATTRIBUTES}>", re.IGNORECASE)


def _attributes(start_tag: str) -> dict[str, str]:
    """The attributes of a start tag as an HTML parser reads them (names lowercased, values
    unescaped, the first of a repeated name)."""
    found: dict[str, str] = {}
    inside = start_tag[1:-1].split(None, 1)
    for match in _ATTRIBUTE.finditer(inside[1] if len(inside) > 1 else ""):
        name = match.group(1).lower()
        value = next((v for v in match.groups()[1:] if v is not None), "")
        found.setdefault(name, html_module.unescape(value))
    return found


def may_match(selector: str, markup: str) -> bool:
    """Whether ``selector`` can match an element of ``markup``: False only when a name it
    needs (a class, an id, a tag, an attribute or its value) is nowhere in the markup. A
    selector with a pseudo-class (``:not(.x)`` needs no ``x``) may always match."""
    needed = _needed(selector)
    return needed is None or all(word in markup for word in needed)


@functools.lru_cache(maxsize=1024)
def _needed(selector: str) -> tuple[str, ...] | None:
    """The names a selector needs in the markup it matches (None: it may match without)."""
    if ":" in selector or "(" in selector:
        return None
    return tuple(_WORD.findall(selector))


# -- what else a replay reads off the source ------------------------------------------------------


def around(source: str, span: tuple[int, int]) -> tuple[str, str]:
    """What a replay reads off the source besides the region ``span``, in one scan: every
    source a title may come from, in one string (og:title, <title>, the <h1>s), and a hash
    of the long paragraphs outside the region (article text the next extraction could
    take: a paragraph written after the container, a new section beside it)."""
    og_titles: list[str] = []
    titles: list[str] = []
    headings: list[str] = []
    digest = hashlib.sha256()
    for match in _SCANNED.finditer(source):
        name = match.group(1).lower()
        if name == "p":
            if not span[0] <= match.start() < span[1]:
                text = _paragraph(source, match.end(), span)
                if text is not None:
                    digest.update(text.encode("utf-8", "surrogatepass") + b"\n")
        elif name == "meta":
            if "og:title" in match.group(0):
                attributes = _attributes(match.group(0))
                if attributes.get("property") == "og:title":
                    og_titles.append(attributes.get("content", ""))
        else:
            end = _CLOSING[name].search(source, match.end())
            if end is not None:
                (titles if name == "title" else headings).append(
                    _text(source[match.end() : end.start()])
                )
    parts = (normalize_line(part) for part in (*og_titles, *titles, *headings))
    return "\x1f".join(parts), digest.hexdigest()


def _paragraph(source: str, start: int, span: tuple[int, int]) -> str | None:
    """The text of the paragraph whose markup starts at ``start``, if it is at least
    :data:`OUTSIDE_PROSE` long (a paragraph before the region ends where the region starts)."""
    end = _PARAGRAPH_END.search(source, start, span[0] if start < span[0] else len(source))
    stop = end.start() if end else (span[0] if start < span[0] else len(source))
    if stop - start < OUTSIDE_PROSE:
        return None  # its markup is shorter than the text would have to be
    text = normalize_line(_text(source[start:stop]))
    return text if len(text) >= OUTSIDE_PROSE else None


def _text(markup: str) -> str:
    return html_module.unescape(_TAGS.sub("", markup))

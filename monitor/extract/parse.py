"""HTML -> lxml element tree.

lxml's HTML parser (libxml2) is lenient with broken markup and about ten times faster than
BeautifulSoup; comments and processing instructions are dropped while parsing (their tails
stay). libxml2 stops at 2,048 nested elements even with ``huge_tree``, and drops what is
deeper; for such (rare, often hostile) pages the tree is built from Python's own
``html.parser`` instead, which has no depth limit.

libxml2 knows HTML 4's elements only: on a page that leaves out the optional ``<head>`` and
``<body>`` tags (valid HTML5, and what minifiers write), it keeps a ``<header>``,
``<main>``, ``<article>`` or ``<section>`` before any HTML 4 body element in the head, with
everything after it. A browser starts the body at the first element that does not belong
in a head; so does :func:`parse_html`.

A document with no markup at all (a ``text/plain`` page, a plain-text statement) is read as
a browser shows one: its text in a ``<pre>``, one line per line, not one run of words.
"""

from __future__ import annotations

import logging
import re
import threading
from html import escape
from html.parser import HTMLParser

from lxml import etree

from monitor.extract.text import Element

log = logging.getLogger(__name__)

VOID_TAGS = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*>")
#: What any HTML page has somewhere: a start or end tag of an element a page is made of, a
#: doctype or a comment ("<a@b.org>", "a < b" and "<http://…>" in a plain text are none;
#: "when a <b then" is taken for markup, as a browser would take it in an HTML page).
_MARKUP = re.compile(
    r"<(?:/?(?:html|head|body|title|meta|link|script|style|p|div|span|a|br|hr|img|table|"
    r"tr|td|ul|ol|li|dl|h[1-6]|pre|main|article|section|header|footer|nav|aside|form|b|i|"
    r"em|strong|font|center|blockquote|frame|frameset|iframe|noscript)(?=[\s/>])|!)",
    re.IGNORECASE,
)
_parsers = threading.local()


def _parser() -> etree.HTMLParser:
    """One parser per thread (lxml parsers must not be shared between threads), reading
    UTF-8: libxml2 reads a page given as UTF-8 bytes about a third faster than the same
    page given as a Python string (which lxml hands over in a wider encoding)."""
    parser: etree.HTMLParser | None = getattr(_parsers, "parser", None)
    if parser is None:
        parser = etree.HTMLParser(
            huge_tree=True,
            remove_comments=True,
            remove_pis=True,
            no_network=True,
            encoding="utf-8",
        )
        _parsers.parser = parser
    return parser


def parse_html(html: str) -> Element:
    """The page's root element (``<html>``); an empty ``<html>`` for an empty document."""
    html = _XML_DECLARATION.sub("", html, count=1)
    if not html.strip():
        return etree.Element("html")
    if _MARKUP.search(html) is None:
        html = f"<html><body><pre>{escape(html, quote=False)}</pre></body></html>"
    parser = _parser()
    try:
        root = etree.fromstring(html.encode("utf-8", "surrogatepass"), parser)
    except (etree.ParserError, ValueError) as exc:
        log.debug("unparseable document (%s); treating it as empty", exc)
        root = None
    last = parser.error_log.last_error
    if last is not None and last.type == etree.ErrorTypes.ERR_RESOURCE_LIMIT:
        log.info("markup nested too deep for libxml2 (%s); using html.parser", last.message)
        return _parse_deep(html)
    if root is None:
        return etree.Element("html")
    _start_body(root)
    return root


#: What a document's head holds; the first other element starts its body.
HEAD_TAGS = frozenset("base link meta noscript script style template title".split())


def _start_body(root: Element) -> None:
    """Move what libxml2 left in the head from the first element that is no head element on
    (a ``<header>`` of a page without ``<body>`` tag) to the start of the body."""
    head = root.find("head")
    if head is None:
        return
    first = next(
        (
            i
            for i, child in enumerate(head)
            if isinstance(child.tag, str) and child.tag not in HEAD_TAGS
        ),
        None,
    )
    if first is None:
        return
    body = root.find("body")
    if body is None:
        body = etree.SubElement(root, "body")
    for index, child in enumerate(list(head)[first:]):
        body.insert(index, child)  # moves it, with its tail


class _TreeParser(HTMLParser):
    """html.parser events -> an lxml tree, closing elements the way browsers roughly do."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.builder = etree.TreeBuilder()
        self.open: list[str] = []
        self.builder.start("html", {})
        self.open.append("html")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            return
        self.builder.start(tag, {k: v or "" for k, v in attrs})
        if tag in VOID_TAGS:
            self.builder.end(tag)
        else:
            self.open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.open[1:]:
            return
        while self.open[-1] != tag:
            self.builder.end(self.open.pop())
        self.builder.end(self.open.pop())

    def handle_data(self, data: str) -> None:
        self.builder.data(data)

    def result(self) -> Element:
        self.close()
        while self.open:
            self.builder.end(self.open.pop())
        root: Element = self.builder.close()
        return root


def _parse_deep(html: str) -> Element:
    parser = _TreeParser()
    parser.feed(html)
    return parser.result()

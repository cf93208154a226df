"""Boxes inside an article's container that are not the article.

A rule pack (:mod:`.packs`) chooses the article's container by the platform's markup
(WordPress's ``.entry-content``) and removes the plugins it knows by selector. What other
plugins put inside the container is found here, as the generic extractor would see it:

- :func:`named_boxes`: a box (a ``div``, ``aside``, ``section``, list, ``figure`` or
  ``form``, never a heading, a paragraph or a word) whose class says what it is: related
  posts or a most-read or trending list (and mostly links), a share bar, a newsletter or
  sign-up prompt, an author box. Names are matched as whole parts of a class (split at
  ``-`` and ``_``), never inside a hash (``wp-elements-d63b33…``) and never in an id (sites
  make ids of a heading's words: ``h-related-work``); a name negating a widget
  (``non-related``) names none; a box holding two paragraphs of prose is no widget, and no
  box is one when the boxes hold more than :data:`MAX_SHARE` of the container's text. Not
  ``widget`` (page builders wrap every block of an article in one), ``sidebar`` (a
  newspaper's companion story), ``social`` (an embedded post the article quotes),
  ``ranking`` or ``popular`` (a ranking article's items, a popular vote). Ads and comments
  are :mod:`.live`'s, in every extractor.
- :func:`tables_of_contents`: a list of links to places on the page outside it, each
  repeating the text of the place it leads to (a heading), with its label
  ("Inhaltsverzeichnis", "Contents [hide]"). The headings stay, so no edit is hidden.

What they remove depends on class names and links as well as on text; a replay fingerprints
the region's text (:mod:`.replay`), so a page whose markup alone changes such a decision is
read as before until its text changes.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from lxml import etree

from monitor.extract.boilerplate import TOC_TOGGLE, name_parts
from monitor.extract.measure import PAGE_CACHE, is_sentence
from monitor.extract.text import Element

#: Boxes holding together more than this share of their container's text are never removed.
MAX_SHARE = 0.4
#: A box holding this many paragraphs of prose (outside links) is article text.
PROSE_PARAGRAPHS = 2
#: A table's link and the heading it leads to: the shorter is this share of the longer.
HEADING_SHARE = 0.6
#: A table of contents' label is at most this long ("Inhaltsverzeichnis [ausblenden]").
LABEL_CHARS = 60
#: What a label before a table of contents may be.
LABEL_TAGS = frozenset({"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "header"})

#: Elements that may be a widget's box: never a heading, a paragraph, a list item or a word
#: of a sentence (``<a class="related-post-link">`` inside one).
BOX_TAGS = frozenset({"div", "aside", "section", "nav", "ul", "ol", "figure", "form"})
#: Whole parts of a class name that say "teasers" (such a box is mostly links: an
#: ``aside.related-facts`` of short sentences is the article's) ...
_TEASER_PARTS = frozenset({"related", "trending", "mostread", "recirculation"})
_TEASER_PAIRS = frozenset({("most", "read")})
#: ... a prompt or an author box (whatever their links) ...
_PROMPT_PARTS = frozenset({"newsletter", "subscribe", "signup", "authorbox", "authorbio"})
_PROMPT_PAIRS = frozenset(
    {
        ("sign", "up"),
        ("author", "box"),
        ("author", "bio"),
        ("author", "info"),
        ("author", "card"),
        ("about", "author"),
        ("the", "author"),
    }
)
#: ... or a share bar: "share" or "sharing" with one of its companions ("share-buttons";
#: "share-price-box" is a stock's price, a bare "share" may be a sentence's).
_SHARE_PARTS = frozenset({"share", "sharing"})
_SHARE_COMPANIONS = frozenset(
    {"button", "buttons", "bar", "links", "icons", "tools", "toolbar", "this", "social", "menu"}
)
_SHARE_NAMES = frozenset({"sharedaddy", "shariff"})
#: A box of teasers holds at least this share of its text in links.
TEASER_LINKS = 0.5

_VISIBLE_TEXT = etree.XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript "
    "or ancestor::template)]"
)
_LINK_TEXT = etree.XPath(".//a//text()")
_PROSE = etree.XPath(
    ".//p[string-length(normalize-space()) >= 150]"
    "[string-length(normalize-space()) - string-length(normalize-space(string(.//a))) >= 150]"
)


def named_boxes(root: Element) -> list[tuple[str, Element]]:
    """The outermost boxes inside ``root`` whose class names them as never the article (see
    the module doc), each with that class; none when together they hold more than
    :data:`MAX_SHARE` of ``root``'s text (names that say so much are not to be trusted). An
    id is no name here: sites make ids of headings' text ("h-related-work")."""
    found: list[tuple[str, Element]] = []
    inside: set[Element] = set()
    for element in root.iterdescendants(*BOX_TAGS):
        if element in inside:
            continue
        name, kind = _widget_class(element.get("class"))
        if not name or len(_PROSE(element)) >= PROSE_PARAGRAPHS:
            continue
        if kind == "teasers" and _link_chars(element) < TEASER_LINKS * _visible_chars(element):
            continue
        found.append((name, element))
        inside.update(element.iterdescendants())
    if not found:
        return []
    boxes = sum(_visible_chars(element) for _, element in found)
    return found if boxes <= MAX_SHARE * _visible_chars(root) else []


def _visible_chars(element: Element) -> int:
    """The length of ``element``'s text, less scripts and styles."""
    return sum(len(text.strip()) for text in _VISIBLE_TEXT(element))


def _link_chars(element: Element) -> int:
    return sum(len(text.strip()) for text in _LINK_TEXT(element))


@lru_cache(maxsize=PAGE_CACHE)
def _widget_class(classes: str | None) -> tuple[str, str]:
    """The class that names a widget and what kind ("teasers", "prompt", "share"), or
    ("", "")."""
    for name in (classes or "").split():
        parts = name_parts(name.lower())
        pairs = set(itertools.pairwise(parts))
        if _TEASER_PARTS.intersection(parts) or pairs & _TEASER_PAIRS:
            return name, "teasers"
        if _PROMPT_PARTS.intersection(parts) or pairs & _PROMPT_PAIRS:
            return name, "prompt"
        if _SHARE_NAMES.intersection(parts) or (
            _SHARE_PARTS.intersection(parts) and _SHARE_COMPANIONS.intersection(parts)
        ):
            return name, "share"
    return "", ""


# -- tables of contents ---------------------------------------------------------------------

#: What a table of contents' label says (with a toggle: "Inhalt [ausblenden]", "Contents hide").
TOC_LABEL = re.compile(
    r"^(?:table of contents|contents|on this page|in this article|inhaltsverzeichnis|inhalt|"
    r"inhaltsübersicht|auf dieser seite|in diesem artikel|sommaire|table des matières|"
    r"índice|indice|contenido|contenidos|conteúdo|目次|目录|目錄)\s*[:：]?"
    rf"(?:\s*\[?\s*{TOC_TOGGLE}\s*\]?)?\s*[:：]?$",
    re.IGNORECASE,
)
_IDS = etree.XPath("//*[@id or @name]")


def tables_of_contents(root: Element) -> list[Element]:
    """The tables of contents inside ``root``, each with the box around it when that box
    adds only a label (:data:`TOC_LABEL`) and with a label right before it
    (``<h2>Inhalt</h2>``): a list of two or more links to places on this page, nothing but
    their text, each link saying what the place it leads to says (a heading, maybe with its
    number: "2 Kosten" for "Kosten"), a place outside the list."""
    found: list[Element] = []
    taken: set[Element] = set()
    places: dict[str, Element] | None = None
    for listing in root.iterdescendants("ul", "ol"):
        if listing in taken:
            continue  # a nested list of a table already found
        links = _in_page_links(listing)
        if not links:
            continue
        if places is None:
            places = _places(root)
        if not all(_leads_to(link, listing, places) for link in links):
            continue
        box = _box(listing, root)
        label = _label_before(box)
        found += [box] if label is None else [label, box]
        taken.update(box.iter())
    return found


def _places(root: Element) -> dict[str, Element]:
    """The page's elements by id and by name (an ``<a name>`` is a place too)."""
    places: dict[str, Element] = {}
    for element in _IDS(root.getroottree().getroot()):
        for key in (element.get("id"), element.get("name")):
            if key:
                places.setdefault(key, element)
    return places


def _in_page_links(listing: Element) -> list[Element]:
    """The links of a list of two or more links to places on this page and no other text;
    [] for any other list."""
    links = list(listing.iter("a"))
    if len(links) < 2 or not all(_fragment(a) for a in links):
        return []
    text = _compact(listing)
    linked = "".join(_compact(a) for a in links)
    return links if text and len(linked) == len(text) else []


def _fragment(link: Element) -> str:
    href = link.get("href") or ""
    return href[1:] if href.startswith("#") else ""


def _leads_to(link: Element, listing: Element, places: dict[str, Element]) -> bool:
    """True when ``link`` says what the place it leads to says: the place, or the heading
    an empty anchor sits in (``<h2><span id="a"></span>Kosten</h2>``); never the link
    itself, the list or what holds it (a key point linking to itself says what it says)."""
    place = places.get(_fragment(link))
    if place is None or _holds(place, link) or _holds(listing, place):
        return False
    holder = place if _compact(place) else place.getparent()
    if holder is None or _holds(holder, link):
        return False
    text, said = _compact(holder).lower(), _compact(link).lower()
    short, long = sorted((text, said), key=len)
    # the heading's words, maybe numbered in the table ("2 Kosten"); not a word of a
    # sentence ("Zinsen" is not "Die EZB senkt den Leitzins …"), nor "Ja" in "Jahr"
    return bool(short) and short in long and len(short) >= HEADING_SHARE * len(long)


def _holds(outer: Element, inner: Element) -> bool:
    return outer is inner or any(a is outer for a in inner.iterancestors())


def _box(listing: Element, root: Element) -> Element:
    """The outermost box around ``listing`` (inside ``root``) whose other text is a label
    or nothing."""
    box, rest = listing, ""
    for ancestor in listing.iterancestors():
        if ancestor is root:
            break
        wider = _rest_of(ancestor, box, rest)
        if wider is None or (wider and not TOC_LABEL.match(wider)):
            break
        box, rest = ancestor, wider
    return box


def _rest_of(ancestor: Element, box: Element, inner: str) -> str | None:
    """The text of ``ancestor`` outside ``box`` and ``inner`` (the text of ``box`` outside
    the list) in page order, whitespace collapsed; None once longer than any label (the
    siblings are read only that far)."""
    parts = [ancestor.text or ""]
    size = len(parts[0])
    for child in ancestor:
        if child is box:
            parts.append(inner)
        elif isinstance(child.tag, str):
            for text in child.itertext():
                parts.append(text)
                size += len(text.strip())
                if size > LABEL_CHARS:
                    return None
        parts.append(child.tail or "")
        size += len((child.tail or "").strip())
        if size > LABEL_CHARS:
            return None
    return " ".join(" ".join(parts).split())


def _label_before(box: Element) -> Element | None:
    """The block right before ``box`` if it says what a table of contents' label says, with
    no text between them."""
    label = box.getprevious()
    while label is not None and not isinstance(label.tag, str):  # a comment
        if label.tail and label.tail.strip():
            return None
        label = label.getprevious()
    if label is None or label.tag not in LABEL_TAGS or (label.tail and label.tail.strip()):
        return None
    text = " ".join(" ".join(label.itertext()).split())
    return label if TOC_LABEL.match(text) and not is_sentence(text) else None


def _compact(element: Element) -> str:
    return "".join("".join(element.itertext()).split())

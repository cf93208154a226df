"""Boxes inside an article's container that are not the article.

A rule pack (:mod:`.packs`) chooses the article's container by the platform's markup
(WordPress's ``.entry-content``) and removes the plugins it knows by selector. What other
plugins put inside the container is found here, as the generic extractor would see it:

- :func:`named_boxes`: a box whose class or id says what it is: related posts, a share bar,
  a newsletter or sign-up prompt, a most-read or trending list, an author box. Names are
  matched as whole parts (split at ``-`` and ``_``), never inside a hash
  (``wp-elements-d63b33…``); a name negating a widget (``non-related``) names none; a box
  holding two paragraphs of prose, or more than :data:`MAX_SHARE` of the container's text,
  is no widget. Not ``widget`` (page builders wrap every block of an article in one),
  ``sidebar`` (a newspaper's companion story), ``social`` (an embedded post the article
  quotes), ``ranking`` or ``popular`` (a ranking article's items, a popular vote). Ads and
  comments are :mod:`.live`'s, in every extractor.
- :func:`tables_of_contents`: a list of links to places on the page, each repeating the
  text of the place it leads to (a heading), with its label ("Inhaltsverzeichnis",
  "Contents [hide]"). The headings stay, so no edit is hidden.

What they remove depends on class names and links as well as on text; a replay fingerprints
the region's text (:mod:`.replay`), so a page whose markup alone changes such a decision is
read as before until its text changes.
"""

from __future__ import annotations

import itertools
import re
from functools import lru_cache

from lxml import etree

from monitor.extract.boilerplate import PAGE_CACHE, is_sentence
from monitor.extract.text import Element

#: A box holding more than this share of its container's text is never removed.
MAX_SHARE = 0.4
#: A box holding this many paragraphs of prose (outside links) is article text.
PROSE_PARAGRAPHS = 2
#: A table's link says at least this share of the heading it leads to, when longer.
HEADING_SHARE = 0.6

_PARTS = re.compile(r"[-_\s]+")
_NEGATIONS = frozenset({"non", "no", "not", "without", "free"})
#: Whole parts of a name that say "not the article".
_WIDGET_PARTS = frozenset(
    {
        "related",
        "newsletter",
        "subscribe",
        "signup",
        "sharedaddy",
        "shariff",
        "recirculation",
        "trending",
        "mostread",
        "authorbox",
        "authorbio",
    }
)
#: Pairs of parts that do: "most-read", "author-box", "about-the-author" (as "the-author").
_WIDGET_PAIRS = frozenset(
    {
        ("most", "read"),
        ("author", "box"),
        ("author", "bio"),
        ("author", "info"),
        ("author", "card"),
        ("the", "author"),
        ("sign", "up"),
    }
)
#: "share" and "sharing" name a share bar with one of these ("share-buttons", "post-share"
#: alone is no bar: "share-price-box" is a stock's price).
_SHARE_PARTS = frozenset({"share", "sharing"})
_SHARE_COMPANIONS = frozenset(
    {"button", "buttons", "bar", "links", "icons", "tools", "toolbar", "this", "social", "menu"}
)

_VISIBLE_TEXT = etree.XPath(
    ".//text()[not(ancestor::script or ancestor::style or ancestor::noscript "
    "or ancestor::template)]"
)
_PROSE = etree.XPath(
    ".//p[string-length(normalize-space()) >= 150]"
    "[string-length(normalize-space()) - string-length(normalize-space(string(.//a))) >= 150]"
)


def named_boxes(root: Element) -> list[tuple[str, Element]]:
    """The outermost boxes inside ``root`` named as never the article (see the module doc),
    each with the name that says so; none when together they hold more than
    :data:`MAX_SHARE` of ``root``'s text (names that say so much are not to be trusted)."""
    found: list[tuple[str, Element]] = []
    inside: set[Element] = set()
    for element in root.iterdescendants():
        if not isinstance(element.tag, str) or element in inside:
            continue
        name = _widget_name(element.get("class"), element.get("id"))
        if not name or len(_PROSE(element)) >= PROSE_PARAGRAPHS:
            continue
        found.append((name, element))
        inside.update(element.iterdescendants())
    if not found:
        return []
    boxes = sum(_visible_chars(element) for _, element in found)
    return found if boxes <= MAX_SHARE * _visible_chars(root) else []


def _visible_chars(element: Element) -> int:
    """The length of ``element``'s text, less scripts and styles."""
    return sum(len(text) for text in _VISIBLE_TEXT(element))


@lru_cache(maxsize=PAGE_CACHE)
def _widget_name(classes: str | None, ident: str | None) -> str:
    """The class or id that names a widget (see the module doc), or ""."""
    names = (classes or "").split()
    if ident and not any(c.isdigit() for c in ident):
        names.append(ident)  # an id with digits is often made per page view
    for name in names:
        parts = [part for part in _PARTS.split(name.lower()) if part]
        if _NEGATIONS.intersection(parts):
            continue
        pairs = set(itertools.pairwise(parts))
        if _WIDGET_PARTS.intersection(parts) or pairs & _WIDGET_PAIRS:
            return name
        if _SHARE_PARTS.intersection(parts) and (
            len(parts) == 1 or _SHARE_COMPANIONS.intersection(parts)
        ):
            return name
    return ""


# -- tables of contents ---------------------------------------------------------------------

#: What a table of contents' label says (with a toggle: "Inhalt [ausblenden]", "Contents hide").
TOC_LABEL = re.compile(
    r"^(?:table of contents|contents|on this page|in this article|inhaltsverzeichnis|inhalt|"
    r"inhaltsübersicht|auf dieser seite|in diesem artikel|sommaire|table des matières|"
    r"índice|indice|contenido|contenidos|conteúdo|目次|目录|目錄)\s*[:：]?"
    r"(?:\s*\[?\s*(?:hide|show|toggle|ausblenden|einblenden|anzeigen|verbergen|masquer|"
    r"afficher|ocultar|mostrar)\s*\]?)?\s*[:：]?$",
    re.IGNORECASE,
)
_IDS = etree.XPath("//*[@id or @name]")


def tables_of_contents(root: Element) -> list[Element]:
    """The tables of contents inside ``root``, each with the box around it when that box
    adds only a label (:data:`TOC_LABEL`) and with a label right before it
    (``<h2>Inhalt</h2>``): a list of two or more links to places on this page, nothing but
    their text, each link's text the text of the place it leads to (a heading, maybe with
    its number: "2 Kosten" for "Kosten")."""
    found: list[Element] = []
    places: dict[str, Element] | None = None
    for listing in root.iter("ul", "ol"):
        if any(listing in set(f.iter()) for f in found):
            continue  # a nested list of a table already found
        links = _in_page_links(listing)
        if not links:
            continue
        if places is None:
            places = {}
            for element in _IDS(root.getroottree().getroot()):
                for key in (element.get("id"), element.get("name")):
                    if key:
                        places.setdefault(key, element)
        if not all(_leads_to(link, places) for link in links):
            continue
        box = _box(listing, root)
        label = box.getprevious()
        if label is not None and _is_label(label):
            found.append(label)
        found.append(box)
    return found


def _in_page_links(listing: Element) -> list[Element]:
    """The links of a list of two or more links to places on this page and no other text;
    [] for any other list."""
    links = list(listing.iter("a"))
    if len(links) < 2 or not all(len(a.get("href") or "") > 1 for a in links):
        return []
    if not all((a.get("href") or "").startswith("#") for a in links):
        return []
    text = _compact(listing)
    linked = "".join(_compact(a) for a in links)
    return links if text and len(linked) == len(text) else []


def _leads_to(link: Element, places: dict[str, Element]) -> bool:
    """True when the place ``link`` leads to holds the link's text (the place, or the
    heading an empty anchor sits in: ``<h2><span id="a"></span>Kosten</h2>``)."""
    place = places.get((link.get("href") or "")[1:])
    if place is None:
        return False
    parent = place.getparent()
    text = _compact(place).lower()
    if not text and parent is not None:
        text = _compact(parent).lower()
    said = _compact(link).lower()
    if not text or not said:
        return False
    # the heading's words, maybe numbered in the table ("2 Kosten"), not one word of a
    # sentence the link says ("Zinsen" is not "Die EZB senkt den Leitzins …")
    return said in text or (text in said and len(text) >= HEADING_SHARE * len(said))


def _box(listing: Element, root: Element) -> Element:
    """The outermost box around ``listing`` (inside ``root``) whose other text is a label
    or nothing."""
    box = listing
    for ancestor in listing.iterancestors():
        if ancestor is root:
            break
        rest = _rest_of(ancestor, listing)
        if rest and not TOC_LABEL.match(rest):
            break
        box = ancestor
    return box


def _rest_of(box: Element, listing: Element) -> str:
    """The text of ``box`` outside ``listing``, whitespace collapsed."""
    inside = set(listing.iter())
    parts = []
    for node in box.iter():
        if node is listing:
            parts.append(node.tail or "")
        elif node not in inside:
            parts.append(node.text or "")
            if node is not box:
                parts.append(node.tail or "")
    return " ".join(" ".join(parts).split())


def _is_label(element: Element) -> bool:
    """A block element saying what a table of contents' label says, and nothing after it."""
    if not isinstance(element.tag, str) or element.tag in ("a", "span", "strong", "b", "em"):
        return False
    if element.tail and element.tail.strip():
        return False
    text = " ".join(" ".join(element.itertext()).split())
    return bool(TOC_LABEL.match(text)) and not is_sentence(text)


def _compact(element: Element) -> str:
    return "".join("".join(element.itertext()).split())

"""What a page declares about its article body (schema.org), as a check on the generic choice.

- ``itemprop="articleBody"`` (microdata) marks the body element. When the generic
  extractor's container holds exactly one such element and that element holds most of the
  core's text, it becomes the container: the rest was page furniture around it.
- ``<article>`` marks a self-contained composition. When the container holds several
  (a post followed by "you may also like" teasers, each its own ``<article>``), the one
  holding the page's title heading and a paragraph's worth of the core becomes the container.
- JSON-LD ``articleBody`` is the body as plain text. When most of what the generic extractor
  kept is in it (so it is the whole body, not a teaser), kept blocks that are not in it are
  dropped, captions excepted (the article text keeps its captions; JSON-LD never has them).

Blocks are matched loosely (runs of three tokens), as the JSON-LD text differs in quotes,
spacing and entities from the page's.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from monitor.extract.blocks import Block
from monitor.extract.boilerplate import PARAGRAPH_UNITS
from monitor.extract.css import Document
from monitor.extract.measure import units
from monitor.extract.metadata import jsonld_objects
from monitor.extract.text import TITLE_AGREEMENT, Element, agrees, tokens

log = logging.getLogger(__name__)

#: The marked element replaces the container when it holds this share of the core's value.
MARKED_SHARE = 0.7
#: JSON-LD ``articleBody`` is trusted when it holds this share of the kept text.
AGREE_SHARE = 0.8
#: An <h2> names the article (not one of its sections) when this share of words agree.
SECTION_AGREEMENT = 0.8
#: A block is in the declared body when this share of its token trigrams are.
BLOCK_MATCH = 0.5
CAPTION_TAGS = frozenset({"figure", "figcaption"})

Trigrams = set[tuple[str, ...]]


def marked_container(container: Element, core: list[Block]) -> Element:
    """The ``itemprop=articleBody`` element inside ``container`` if it holds most of the core."""
    found = container.xpath(".//*[@itemprop='articleBody']")
    if not isinstance(found, list) or len(found) != 1 or not isinstance(found[0], Element):
        return container
    marked = found[0]
    total = sum(max(block.value, 0.0) for block in core)
    held = sum(max(block.value, 0.0) for block in core if block.is_inside(marked))
    return marked if total and held >= MARKED_SHARE * total else container


def titled_article(container: Element, core: list[Block], titles: Iterable[str]) -> Element:
    """The ``<article>`` inside ``container``, one of several, that holds the page's title
    heading and a paragraph's worth of the core; else ``container``. An ``<h2>`` must agree
    closely: articles that are the sections of one text ("Was ist eine Vorsatzschalung?"
    under "Was ist eine Vorsatzschalung und was bringt sie?") are one article."""
    articles = _outermost(container.iter("article"))
    if len(articles) < 2:
        return container
    wanted = [set(tokens(title)) for title in titles]
    for article in articles:
        headings = [(h.tag, set(tokens("".join(h.itertext())))) for h in article.iter("h1", "h2")]
        titled = any(
            agrees(words, title, TITLE_AGREEMENT if tag == "h1" else SECTION_AGREEMENT)
            for tag, words in headings
            for title in wanted
        )
        if titled and _holds_a_paragraph(article, core):
            return article
    return container


def _outermost(elements: Iterable[Element]) -> list[Element]:
    found: list[Element] = []
    for element in elements:  # document order: an ancestor comes before its descendants
        if not any(f in element.iterancestors() for f in found):
            found.append(element)
    return found


def _holds_a_paragraph(article: Element, core: list[Block]) -> bool:
    """True when the core's text inside ``article`` is worth at least a paragraph."""
    return sum(units(b.text) for b in core if b.is_inside(article)) >= PARAGRAPH_UNITS


def declared_body(doc: Document) -> Trigrams:
    """The token trigrams of the page's JSON-LD ``articleBody`` (empty when there is none)."""
    for obj in jsonld_objects(doc):
        body = obj.get("articleBody")
        if isinstance(body, str) and body.strip():
            return trigrams(body)
    return set()


def declared_description(doc: Document) -> str | None:
    """The JSON-LD ``description`` of the page's article, if any."""
    for obj in jsonld_objects(doc):
        description = obj.get("description")
        if isinstance(description, str) and description.strip() and "articleBody" in obj:
            return description
    for obj in jsonld_objects(doc):
        description = obj.get("description")
        if isinstance(description, str) and description.strip():
            return description
    return None


def trigrams(text: str) -> Trigrams:
    """Runs of three tokens (words, or single CJK characters), lowercased."""
    found = tokens(text)
    return {tuple(found[i : i + 3]) for i in range(max(1, len(found) - 2))} if found else set()


def undeclared(kept: list[Block], body: Trigrams) -> list[Block]:
    """The kept blocks to drop as not in the declared body (none when it is not trusted)."""
    if not body:
        return []
    outside = [block for block in kept if not _is_declared(block, body)]
    total = sum(units(block.text) for block in kept)
    if not total or sum(units(block.text) for block in outside) > (1 - AGREE_SHARE) * total:
        return []
    return [block for block in outside if not _is_caption(block)]


def _is_declared(block: Block, body: Trigrams) -> bool:
    grams = trigrams(block.text)
    return bool(grams) and len(grams & body) >= BLOCK_MATCH * len(grams)


def _is_caption(block: Block) -> bool:
    element = block.element
    return any(e.tag in CAPTION_TAGS for e in (element, *element.iterancestors()))

"""A ``<noscript>`` that holds the article: what a reader without JavaScript sees.

Some blog platforms send a post's body twice: as a template a script draws, and inside
``<noscript>`` for readers (and robots) without JavaScript. monitor reads pages without
running their scripts, so for such a page the ``<noscript>`` copy is the article; dropped
with the other script-only elements, it left the page's description to be watched and
every edit of the post unseen.

A ``<noscript>`` is a *copy* when it holds prose (two paragraphs of :data:`PROSE`
characters or more; four when it speaks of JavaScript, as a notice asking for it does),
and a copy is *shown* when the page shows its opening nowhere else (a copy of what the page
shows anyway would say everything twice). A page with more than :data:`MAX_COPIES` copies
shows none of them (a page of many posts is no one article). A shown copy becomes a
``<div>``, for the extraction and for every replay alike: both read the page through
:func:`shown_without_script`, and what it decided is part of what a replay compares (it
depends on text a replay does not read otherwise).
"""

from __future__ import annotations

import re

from lxml import etree

from monitor.extract.text import Element, is_hidden, normalize_line

#: A paragraph this long (in characters) is prose, not a notice.
PROSE = 100
#: Paragraphs of prose a copy holds at least; when it speaks of JavaScript, at least
#: :data:`NOTICE_PARAGRAPHS` (a notice asking for it runs to two or three).
COPY_PARAGRAPHS = 2
NOTICE_PARAGRAPHS = 4
MAX_COPIES = 3
#: How much of a copy's first paragraph is looked for on the page.
OPENING = 200
_SPACE = re.compile(r"\s+")
_JAVASCRIPT = re.compile(r"javascript", re.IGNORECASE)
_NOT_SHOWN = frozenset({"noscript", "script", "style", "template", "head", "textarea"})


def shown_without_script(root: Element) -> str:
    """Turn each ``<noscript>`` copy of the article into a ``<div>`` (in place); what was
    decided, in a few characters ("" when the page has no copy), for a replay to compare."""
    copies: list[tuple[Element, str]] = []
    for element in root.iter("noscript"):
        opening = _copy_opening(element)
        if opening:
            copies.append((element, opening))
            if len(copies) > MAX_COPIES:
                return "copies:many"
    if not copies:
        return ""
    shown = _compact(normalize_line(" ".join(_shown_texts(root))))
    verdicts = []
    for element, opening in copies:
        if _compact(opening) in shown:
            verdicts.append("0")
        else:
            element.tag = "div"
            verdicts.append("1")
    return "copies:" + "".join(verdicts)


def _copy_opening(element: Element) -> str:
    """The opening of a copy's first paragraph of prose; "" if ``element`` is no copy."""
    paragraphs = (normalize_line("".join(p.itertext())) for p in element.iter("p"))
    prose = [text for text in paragraphs if len(text) >= PROSE]
    text = " ".join(element.itertext())
    least = NOTICE_PARAGRAPHS if _JAVASCRIPT.search(text) else COPY_PARAGRAPHS
    return prose[0][:OPENING] if len(prose) >= least else ""


def _shown_texts(root: Element) -> list[str]:
    """The text of the page outside script-only and hidden elements, in document order."""
    texts: list[str] = []
    passed: Element | None = None  # the script-only or hidden element being passed over
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if passed is not None:
            if event == "end" and node is passed:
                passed = None
                texts.append(node.tail or "")
        elif event == "start" and _not_shown(node):
            passed = node
        elif event == "start":
            texts.append(node.text or "")
        elif node is not root:
            texts.append(node.tail or "")
    return texts


def _not_shown(node: Element) -> bool:
    return not isinstance(node.tag, str) or node.tag in _NOT_SHOWN or is_hidden(node)


def _compact(text: str) -> str:
    return _SPACE.sub("", text)

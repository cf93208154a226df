"""A ``<noscript>`` that holds the article: what a reader without JavaScript sees.

Some blog platforms send a post's body twice: as a template a script draws, and inside
``<noscript>`` for readers (and robots) without JavaScript. monitor reads pages without
running their scripts, so for such a page the ``<noscript>`` copy is the article; dropped
with the other script-only elements, it left the page's description to be watched and
every edit of the post unseen.

A ``<noscript>`` counts as the article's copy when it holds prose (two paragraphs of
:data:`PROSE` characters or more) that the page shows nowhere else: a notice asking for
JavaScript is one short line, an image fallback has no text, and a copy of what the page
shows anyway would say everything twice. Such an element becomes a ``<div>``, for the
extraction and for every replay alike (both read the page through :func:`shown_without_script`).
"""

from __future__ import annotations

import re

from lxml import etree

from monitor.extract.text import Element, normalize_line

#: A paragraph this long (in characters) is prose, not a notice.
PROSE = 100
_SPACE = re.compile(r"\s+")
_NOT_SHOWN = frozenset({"noscript", "script", "style", "template", "head"})


def shown_without_script(root: Element) -> None:
    """Turn each ``<noscript>`` holding an article's prose into a ``<div>`` (in place)."""
    candidates = [element for element in root.iter("noscript") if _prose(element)]
    if not candidates:
        return
    shown = _compact(" ".join(_shown_texts(root)))
    for element in candidates:
        if _compact(_prose(element)[0][:200]) not in shown:
            element.tag = "div"


def _prose(element: Element) -> list[str]:
    """The paragraphs of prose inside ``element``; none unless there are two or more."""
    paragraphs = (normalize_line("".join(p.itertext())) for p in element.iter("p"))
    prose = [text for text in paragraphs if len(text) >= PROSE]
    return prose if len(prose) >= 2 else []


def _shown_texts(root: Element) -> list[str]:
    """The text of the page outside script-only elements, in document order."""
    texts: list[str] = []
    hidden: Element | None = None  # the script-only element being passed over
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if hidden is not None:
            if event == "end" and node is hidden:
                hidden = None
                texts.append(node.tail or "")
        elif event == "start" and isinstance(node.tag, str) and node.tag in _NOT_SHOWN:
            hidden = node
        elif event == "start":
            texts.append(node.text or "")
        elif node is not root:
            texts.append(node.tail or "")
    return texts


def _compact(text: str) -> str:
    return _SPACE.sub("", text)

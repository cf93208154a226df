"""Replaying what a full extraction learned about a page: the cheap look a routine check
takes before deciding whether the page has to be analysed again.

A full extraction (:func:`monitor.extract.learn_article`) ends with a :class:`Learning`:
where on the page its article lies (the *region*, the deepest element holding every line it
kept, as a path from the root), the lines of that region, and what else could change the
article without touching the region: the title sources (``og:title``, ``<title>``, the
``<h1>``\\s) and the long paragraphs outside the region. Its :attr:`~Learning.fingerprint`
hashes all of them, less the lines the page's churn covers (:mod:`.volatile`), and what
was decided about ``<noscript>`` copies of the article (:mod:`.noscript`).

The region's path and lines are those of the page as parsed, before extraction drops
anything from it, so a later check only parses the page, finds the region by its path and
hashes the same things (:func:`page_fingerprint`): a fraction of an extraction's time. The
same fingerprint means the same region lines, the same title sources and the same prose
around: the full extraction would find the same article, so it need not run. Anything else
(another fingerprint, a region that is gone) and the full extraction runs before anything
is decided.

What extraction removes from every page before it reads anything (the ``remove`` selectors
of site rules and rule packs, screen-reader text: :attr:`Learning.removed`) is never article
text, and is left out of the region's lines on both sides: a related-posts box inside a
WordPress article's container rotates its teasers on every request. The selectors are
applied with the region as the root, so they match a part of what they match on the whole
page (never more): a replay may read more lines than were learned (and the page is analysed
in full), never fewer.

(Cutting the region's markup out of the page's source and parsing it alone was tried, and
given up: an HTML parser's view of where an element ends and what encloses it cannot be
told from the source by a scanner without missing edits on some pages.)
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace

from monitor.extract.blocks import list_of, walk
from monitor.extract.css import Document, any_may_match
from monitor.extract.learned import Learning, fingerprint
from monitor.extract.text import Element, normalize_line
from monitor.extract.volatile import Volatility

#: A paragraph outside the region this long could be article text the next extraction takes.
OUTSIDE_PROSE = 200
_GENERATED = re.compile(r"\d")  # ids and classes with digits are often made per page view
PATH_LIMIT = 40


def learning_of(
    root: Element,
    path: tuple[str, ...],
    removed: tuple[str, ...] = (),
    titled: tuple[str, ...] = (),
    copies: str = "",
) -> Learning | None:
    """What to replay, read from the page as parsed (``path``: where extraction found its
    region, :class:`RawPaths`; ``removed``: what extraction removed first; ``titled``: the
    title selectors of the rules it chose; ``copies``: what was decided about its
    ``<noscript>`` copies); None if the path leads nowhere."""
    region = find_region(root, path)
    if region is None:
        return None
    base = Learning(path, (), "", "", removed=removed, titled=titled, copies=copies)
    lines, shape = read_region(region, removed)  # first, as page_fingerprint reads them
    titles, outside = title_sources(root, titled), outside_prose(root, region)
    return replace(base, lines=tuple(lines), titles=titles, outside=outside, shape=shape)


def region_lines(region: Element, removed: Sequence[str] = ()) -> list[str]:
    """The region's lines (:func:`read_region`)."""
    return read_region(region, removed)[0]


def read_region(region: Element, removed: Sequence[str] = ()) -> tuple[list[str], str]:
    """The region's lines, normalised as extraction normalises them (empty ones dropped),
    less the elements inside it that ``removed`` selects (they are removed from the page
    as parsed for the replay: it is parsed for nothing else); and their *shape*: a hash of
    which lines are in the same list ("" when none is), since extraction reads a closing
    label's list as ending where the list ends (:func:`.boilerplate.closing_sections`)."""
    if removed:
        doc = Document(region)
        doc.remove(e for e in doc.select_outermost(removed) if e is not region)
    lines: list[str] = []
    marks: list[str] = []
    lists: dict[Element, int] = {}
    for block in walk(region):
        box = list_of(block.element)
        mark = "-" if box is None else str(lists.setdefault(box, len(lists)))
        for part in block.text.split("\n"):
            line = normalize_line(part)
            if line:
                lines.append(line)
                marks.append(mark)
    if not lists:
        return lines, ""
    return lines, hashlib.sha256(",".join(marks).encode()).hexdigest()[:16]


def title_sources(root: Element, titled: Sequence[str] = ()) -> str:
    """Every source a title may come from, in one string: og:title, <title>, the <h1>s,
    and what the rules' title selectors (``titled``) select."""
    parts = [
        tag.get("content") or "" for tag in root.iter("meta") if tag.get("property") == "og:title"
    ]
    parts += ["".join(tag.itertext()) for tag in root.iter("title")]
    parts += ["".join(tag.itertext()) for tag in root.iter("h1")]
    if titled:
        selected = Document(root, indexed=False).select(titled)
        parts += ["".join(tag.itertext()) for tag in selected]
    return "\x1f".join(normalize_line(part) for part in parts)


def outside_prose(root: Element, region: Element) -> str:
    """A hash of the long paragraphs outside the region (article text the next extraction
    could take: a paragraph written after the container, a new section beside it)."""
    inside = set(region.iter())
    digest = hashlib.sha256()
    for paragraph in root.iter("p"):
        if paragraph in inside:
            continue
        text = normalize_line("".join(paragraph.itertext()))
        if len(text) >= OUTSIDE_PROSE:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\n")
    return digest.hexdigest()


def page_fingerprint(
    root: Element, learning: Learning, volatility: Volatility, copies: str = ""
) -> str | None:
    """The fingerprint of a parsed page, its region found by the learning's path (None:
    not found); ``copies``: what was decided about the page's ``<noscript>`` copies."""
    region = find_region(root, learning.region)
    if region is None:
        return None
    if any_may_match(learning.removed, list(region.iterancestors()), root):
        return None  # what holds the region may be removed now: the article may be gone
    # first, as learning_of reads them: it removes
    lines, shape = read_region(region, learning.removed)
    titles = title_sources(root, learning.titled)
    return fingerprint(lines, titles, outside_prose(root, region), volatility, copies, shape)


# -- paths ----------------------------------------------------------------------------------


class RawPaths:
    """The place of every element of a page as parsed, taken before extraction drops any of
    them, so that a path found on the extracted tree leads to the same element of the page
    as a later check parses it: ``#id`` (an id that looks stable and is unique), or
    ``tag:n`` (the n-th child element with that tag)."""

    def __init__(self, root: Element) -> None:
        self._steps: dict[Element, str] = {root: f"/{root.tag!s}"}
        ids: dict[str, int] = {}
        for parent in root.iter():
            counts: dict[object, int] = {}
            for child in parent:
                if not isinstance(child.tag, str):
                    continue
                number = counts.get(child.tag, 0)
                counts[child.tag] = number + 1
                self._steps[child] = f"{child.tag}:{number}"
                ident = child.get("id")
                if ident:
                    ids[ident] = ids.get(ident, 0) + 1
        self._stable_ids = {i for i, n in ids.items() if n == 1 and not _GENERATED.search(i)}

    def path(self, element: Element) -> tuple[str, ...]:
        """The steps from the root (or the nearest ancestor with a stable id) to
        ``element``; empty if it was not on the page as parsed."""
        steps: list[str] = []
        for node in (element, *element.iterancestors()):
            if node not in self._steps or len(steps) >= PATH_LIMIT:
                return ()
            ident = node.get("id") or ""
            if ident in self._stable_ids:
                steps.append(f"#{ident}")
                break
            steps.append(self._steps[node])
        return tuple(reversed(steps))


def find_region(root: Element, path: Sequence[str]) -> Element | None:
    """The element ``path`` leads to on this page, if there is one."""
    if not path:
        return None
    first, *rest = path
    node: Element | None
    if first.startswith("#"):
        node = next((e for e in root.iter() if e.get("id") == first[1:]), None)
    else:
        node = root if first == f"/{root.tag!s}" else None
    for step in rest:
        if node is None:
            return None
        tag, _, number = step.rpartition(":")
        same = [child for child in node if child.tag == tag]
        index = int(number) if number.isdigit() else -1
        node = same[index] if 0 <= index < len(same) else None
    return node

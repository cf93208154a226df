"""Generic main-content extraction, for pages that no site rule or rule pack knows.

The page is read as a sequence of text blocks (:mod:`.blocks`), each annotated with the
element holding it, how much of its text is link text, and whether it sits in *boilerplate*
(:mod:`.boilerplate`): navigation, sidebars, footers, forms, or an element whose class or id
names a known boilerplate widget. Then:

1. every block gets a value: its length in tokens (words; a CJK character counts half a
   word) minus three times its link text, minus a fixed cost, so paragraphs are worth a lot,
   menus and link lists are negative, and boilerplate blocks are always negative;
2. the contiguous run of blocks with the highest total value is the article's core (the
   maximum-sum subarray), and the *container* is the deepest element holding all of it, or
   the ``itemprop=articleBody`` element inside it that holds most of the core, or, of several
   ``<article>`` elements in it, the one with the page's title heading (:mod:`.declared`).
   When the core is not worth a paragraph, class and id names hid the article: the blocks
   are valued again with boilerplate by tags and roles only;
3. every block in the container is kept, except those in boilerplate below the container,
   those that are mostly links or repeated link items, furniture lines (bylines, dates,
   labels, credits, prompts), a repeated title, a closing section (author bio, related
   posts, comments) that starts late in the text, and later copies of a sentence-long line
   (a gallery's lightbox repeats its captions);
4. when the page's JSON-LD ``articleBody`` holds most of what is kept, kept lines that are
   not in it are dropped too (captions excepted).

All of it is linear in the page size.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise

from monitor.extract.blocks import Block, annotated_blocks, list_of
from monitor.extract.boilerplate import (
    DATE,
    PARAGRAPH_UNITS,
    closing_start,
    crumb_reason,
    is_closing,
    resumes,
    timetable_entries,
    without_trailing_credit,
)
from monitor.extract.choice import Candidate, choose, projected_values
from monitor.extract.declared import (
    Trigrams,
    marked_container,
    titled_article,
    trigrams,
    undeclared,
)
from monitor.extract.evidence import (
    DECLARED_AGREES,
    PageEvidence,
    Support,
    confidence,
    page_evidence,
    support,
    text_support,
)
from monitor.extract.measure import is_sentence, units
from monitor.extract.second import SecondView, no_view
from monitor.extract.text import Element, agrees, normalize_line, tokens
from monitor.models import Confidence

log = logging.getLogger(__name__)

LINK_ITEM_SHARE = 0.25
MIN_REPEATS = 5
HEADING_LINES = 6
MIN_HEADING_CHARS = 4
#: A block this long is a sentence or more (not a heading or a table row, which a table of
#: contents or a spec sheet legitimately repeats): a second copy of it is a repeat.
REPEAT_UNITS = 15
#: The opening above the container: at most this many blocks of text, this share of its text.
OPENING_BLOCKS = 10
OPENING_SHARE = 0.5
#: A line of the opening this long is a standfirst or a subtitle; shorter, it is furniture.
OPENING_UNITS = 8
#: A run worth this much (three paragraphs) is the article whatever the names around say.
STRONG_RUN = 3 * PARAGRAPH_UNITS
#: Below that, class and id names that left only a headline's block hid the article when
#: the best run by tags and roles alone is worth this many times more (a layout column
#: named for the sidebar beside it).
NAMES_HID = 3
#: A line this short can head a section.
HEADING_UNITS = 8


@dataclass
class GenericResult:
    """What the generic extractor chose: the container, its kept lines, what it dropped, and
    how sure it is (:func:`.evidence.confidence`)."""

    container: Element | None
    lines: list[str]
    dropped: list[Block] = field(default_factory=list)
    heading: str = ""
    confidence: Confidence = field(default_factory=Confidence)
    notes: list[str] = field(default_factory=list)
    region: Element | None = None  # the deepest element holding every kept line
    #: picture credits and gallery counters inside the container, left out, with why
    skipped: list[tuple[str, Element]] = field(default_factory=list)


def best_run(values: list[float]) -> tuple[int, int]:
    """The indexes [start, end] of the contiguous run with the highest sum (Kadane)."""
    best, best_range = float("-inf"), (0, -1)
    total, start = 0.0, 0
    for i, value in enumerate(values):
        if total <= 0:
            total, start = value, i
        else:
            total += value
        if total > best:
            best, best_range = total, (start, i)
    return best_range


def common_ancestor(first: Element, last: Element) -> Element:
    """The deepest element holding both."""
    ancestors = {first, *first.iterancestors()}
    for element in (last, *last.iterancestors()):
        if element in ancestors:
            return element
    return first.getroottree().getroot()


def generic_content(
    root: Element,
    titles: Sequence[str] = (),
    declared: Trigrams | None = None,
    evidence: PageEvidence | None = None,
    second: SecondView = no_view,
) -> GenericResult:
    """The article's lines on a page no rule knows; ``titles``: the page's title(s);
    ``declared``: the trigrams of its JSON-LD ``articleBody`` (:func:`.declared_body`);
    ``evidence``: what else the page says about its article (:func:`.page_evidence`);
    ``second``: a second extractor's view, asked only when the evidence does not confirm
    the densest part (:mod:`.choice`)."""
    declared = declared or set()
    evidence = evidence or page_evidence(titles, (), declared)
    body = root.find("body")
    skipped: list[tuple[str, Element]] = []
    blocks, run = _core(body if body is not None else root, titles, skipped)
    densest = _part(blocks, run, titles, declared, evidence, "the densest part")
    rival = _rival(blocks, run, evidence)
    sure = confidence("\n".join(densest.lines), densest.support, *rival)
    if sure.level == "high":
        result = densest.result(sure)
    else:
        result = _decide(blocks, (densest, sure), titles, declared, evidence, second)
    if result.container is not None:
        inside = set(result.container.iter())
        result.skipped = [(why, element) for why, element in skipped if element in inside]
    return result


@dataclass
class _Part:
    """One candidate part of the page: the run of blocks it grew from, its container, kept
    lines, what it dropped, a heading its first lines repeat, and its evidence."""

    name: str
    run: tuple[int, int]
    container: Element | None
    lines: list[str]
    dropped: list[Block]
    heading: str
    support: Support
    region: Element | None = None  # the deepest element holding every kept line

    def result(self, sure: Confidence, notes: Sequence[str] = ()) -> GenericResult:
        return GenericResult(
            self.container,
            self.lines,
            self.dropped,
            normalize_line(self.heading),
            sure,
            list(notes),
            region=self.region,
        )


def _part(
    blocks: list[Block],
    run: tuple[int, int],
    titles: Sequence[str],
    declared: Trigrams,
    evidence: PageEvidence,
    name: str,
) -> _Part:
    """The article's lines if the run ``blocks[start:end + 1]`` is its core."""
    for block in blocks:
        block.reset()
    start, end = run
    if end < start:
        return _Part(name, run, None, [], [], "", Support())
    container = common_ancestor(blocks[start].element, blocks[end].element)
    core = blocks[start : end + 1]
    container = titled_article(marked_container(container, core), core, titles)
    inside = [block for block in blocks if block.is_inside(container)]
    heading, longer = repeated_heading(inside, container)
    opening, furniture = _opening(blocks, inside, titles)
    kept, dropped = _keep(opening + inside, container, (*titles, longer))
    dropped += furniture
    for block in _undeclared(undeclared(kept, declared), kept):
        block.reason = "not in the JSON-LD articleBody"
        dropped.append(block)
    lines = [_line(b) for b in kept if not b.reason]
    titled = support(blocks, start, end, evidence).titled
    chosen = text_support(" ".join(lines), evidence, titled)
    region = container
    for block in kept:
        if not block.reason and not block.is_inside(region):
            region = common_ancestor(region, block.element)
    return _Part(name, run, container, lines, dropped, heading, chosen, region)


def _undeclared(outside: list[Block], kept: list[Block]) -> list[Block]:
    """The blocks ``outside`` the JSON-LD articleBody, less what sites leave out of it that
    is the article's all the same: its standfirst (:func:`_declared_standfirst`) and its
    subheadings (a heading whose very next block the body holds: the body is often the
    paragraphs' text alone)."""
    out = {id(block) for block in outside}
    left_out = {id(block) for block in _declared_standfirst(kept, out)}
    for block, after in pairwise(kept):
        is_heading = 2 <= _heading_rank(block) <= 6 and not block.reason
        if is_heading and id(block) in out and id(after) not in out and not after.reason:
            left_out.add(id(block))
    return [block for block in outside if id(block) not in left_out]


def _declared_standfirst(kept: list[Block], outside: set[int]) -> list[Block]:
    """The standfirst that a trusted articleBody leaves out (it is the site's description,
    or nowhere): the first line of the text, if the body does not hold it, it comes after
    the page's first ``<h1>``, and it reads as one (:func:`_is_standfirst`) and not as a
    label's teaser ("Lesen Sie auch: …")."""
    first = next((block for block in kept if not block.reason), None)
    if first is None or id(first) not in outside:
        return []
    text = first.text.strip()
    if not _is_standfirst(first) or _LABELLED.match(text):
        return []
    return [first] if first.element.xpath("boolean(preceding::h1)") else []


#: A line that opens with a short label and a colon ("Eilmeldung: …", "Lesen Sie auch: …").
_LABELLED = re.compile(r"^\W*(?:\w+\W+){0,2}\w+\s*[:：]")


def _decide(
    blocks: list[Block],
    first: tuple[_Part, Confidence],
    titles: Sequence[str],
    declared: Trigrams,
    evidence: PageEvidence,
    second: SecondView,
) -> GenericResult:
    """The slow path: the densest part, the part the JSON-LD body holds and the part a second
    extractor chose, and the one the evidence is with. (The next densest part is no
    candidate: it has no evidence of its own, and taking it when the evidence was with it
    lost pages in round 1 of issue 13, and changed nothing here on the tuning fold.)"""
    densest, sure = first
    runs: list[tuple[str, tuple[int, int]]] = []
    agrees_declared = densest.support.declared is not None and (
        densest.support.declared >= DECLARED_AGREES
    )
    if declared and not agrees_declared:
        runs.append(("the part the JSON-LD articleBody holds", _projected(blocks, declared)))
    view = second()
    if view:
        runs.append(("the part a second extractor chose", _projected(blocks, trigrams(view))))
    parts = [densest]
    for name, run in runs:
        if all(run != part.run for part in parts):
            parts.append(_part(blocks, run, titles, declared, evidence, name))
    candidates = [Candidate(p.name, "\n".join(p.lines), p.support) for p in parts]
    choice = choose(candidates, view, sure)
    chosen = parts[choice.index]
    if chosen is not parts[-1]:  # the blocks' reasons are the last part's: the chosen's again
        chosen = _part(blocks, chosen.run, titles, declared, evidence, chosen.name)
    notes = [f"candidates: {', '.join(p.name for p in parts)}; chose {chosen.name}"]
    if view is None:
        notes.append("no second extractor's view of this page")
    return chosen.result(choice.confidence, notes)


def _projected(blocks: list[Block], text: Trigrams) -> tuple[int, int]:
    """The run of blocks that ``text`` holds (:func:`.choice.projected_values`)."""
    return best_run(projected_values(blocks, text))


def _rival(
    blocks: list[Block], run: tuple[int, int], evidence: PageEvidence
) -> tuple[float, Support | None]:
    """The next best run elsewhere on the page: its worth as a share of the chosen run's,
    and what it has of the page's evidence."""
    start, end = run
    values = [block.value for block in blocks]
    masked = values[:start] + [-1e9] * (end - start + 1) + values[end + 1 :]
    other = best_run(masked)
    worth = sum(values[start : end + 1])
    if other[1] < other[0] or worth <= 0:
        return 0.0, None
    rival_worth = sum(masked[other[0] : other[1] + 1])
    if rival_worth <= 0:
        return 0.0, None
    return rival_worth / worth, support(blocks, *other, evidence)


def _opening(
    blocks: list[Block], inside: list[Block], titles: Sequence[str]
) -> tuple[list[Block], list[Block]]:
    """The blocks between the title heading and the container, when the headline sits above
    the body's container (in the article's header): its standfirst, subtitle and lead image
    caption are article text; author names, roles, kickers, tags and credits (short lines
    that are not sentences) are not, nor is a standfirst the body repeats. Only a short
    opening, next to the container and holding less text than it. And the lines dropped."""
    found = _titled_opening(blocks, inside, titles)
    later = {_compact(block.text) for block in inside}
    kept, furniture = [], []
    for block in found:
        if block.element.tag in ("h1", "figcaption") or (
            _is_standfirst(block) and _compact(block.text) not in later
        ):
            kept.append(block)
        else:
            block.reason = "opening furniture"
            furniture.append(block)
    return kept, furniture


def _own_text(block: Block) -> float:
    """The block's text that is not links nor boilerplate, in units."""
    return 0.0 if block.boilerplate is not None else units(block.text) - units(block.link_text)


def _is_standfirst(block: Block) -> bool:
    """A subtitle heading, a sentence, or a paragraph's worth of text; not a dateline."""
    size, text = units(block.text), block.text.strip()
    if size >= PARAGRAPH_UNITS:
        return True
    if DATE.search(text):  # "— Ann Lee on Sunday, October 13th, 2019": a dateline
        return False
    is_heading = block.element.tag in ("h2", "h3", "h4")
    return size >= OPENING_UNITS and (is_heading or is_sentence(text))


def _titled_opening(blocks: list[Block], inside: list[Block], titles: Sequence[str]) -> list[Block]:
    if not inside:
        return []
    first = next(i for i, block in enumerate(blocks) if block is inside[0])
    wanted = [set(tokens(title)) for title in titles if title.strip()]
    seen = 0  # blocks of text on the way up; link lists and boilerplate do not count
    for i in range(first - 1, -1, -1):
        block = blocks[i]
        if block.element.tag in ("h1", "h2") and any(
            agrees(set(tokens(block.text)), title) for title in wanted
        ):
            opening = blocks[i:first]
            size = sum(_own_text(b) for b in opening)
            return opening if size <= OPENING_SHARE * sum(_own_text(b) for b in inside) else []
        seen += _own_text(block) > 0 and not block.is_mostly_links
        if seen > OPENING_BLOCKS:
            break
    return []


def _core(
    body: Element, titles: Sequence[str], skipped: list[tuple[str, Element]]
) -> tuple[list[Block], tuple[int, int]]:
    """The page's blocks and the best run. When the run holds not even a paragraph's worth,
    class and id names hid the article (``non-ad-column``, ``post-share-wrapper``): the
    blocks are annotated again with boilerplate by tags and roles only. So they did when
    the run is a headline's block worth less than three paragraphs (no paragraph of text
    in it) and the run by tags and roles alone is worth :data:`NAMES_HID` times more (a
    story's column named ``sticky-sidebar-relative`` for the sidebar beside it). A run
    with a paragraph in it is a short article, and a named box after it stays out.
    ``skipped`` hears of the credits and counters the blocks leave out (by names: none in
    the second walk)."""
    blocks = annotated_blocks(body, titles=titles, skipped=skipped)
    start, end = best_run([block.value for block in blocks])
    worth = sum(block.value for block in blocks[start : end + 1])
    if worth >= STRONG_RUN or (
        worth >= PARAGRAPH_UNITS and not _headline_block(blocks[start : end + 1])
    ):
        return blocks, (start, end)
    unnamed = annotated_blocks(body, names=False, titles=titles)
    run = best_run([block.value for block in unnamed])
    unnamed_worth = sum(block.value for block in unnamed[run[0] : run[1] + 1])
    if worth >= PARAGRAPH_UNITS and unnamed_worth < NAMES_HID * worth:
        return blocks, (start, end)
    skipped.clear()
    return unnamed, run


def _headline_block(run: list[Block]) -> bool:
    """Whether a run is a headline's block: headings and lines shorter than a paragraph
    (a kicker, a pull quote), no paragraph of text."""
    return all(
        1 <= _heading_rank(block) <= 6 or units(block.text) < PARAGRAPH_UNITS for block in run
    )


def repeated_heading(blocks: list[Block], container: Element) -> tuple[str, str]:
    """A heading that the body's first lines repeat ("Title" and "Author: Title"): the
    shorter form and the longer ("" when none). Such lines are the title, not the body."""
    above = {container, *container.iterancestors()}
    leading: list[tuple[str, str]] = []
    for block in blocks:
        if block.boilerplate is not None and block.boilerplate not in above:
            continue
        if len(leading) == HEADING_LINES or units(block.text) >= PARAGRAPH_UNITS:
            break
        text = _compact(block.text)
        if len(text) >= MIN_HEADING_CHARS:
            leading.append((text, block.text))
    for short, text in leading:
        longer = next((t for c, t in leading if short in c and c != short), "")
        if longer:
            return text, longer
    return "", ""


def _keep(
    blocks: list[Block], container: Element, titles: Iterable[str]
) -> tuple[list[Block], list[Block]]:
    """The container's blocks, less boilerplate, link lists, crumbs, a repeated title and a
    closing section; and the blocks dropped."""
    above = {container, *container.iterancestors()}
    repeated = _repeated_link_items(blocks)
    compact_titles = [_compact(t) for t in titles if t.strip()]
    kept, dropped, lines = [], [], []
    before_text = True
    inside = [b for b in blocks if b.boilerplate is None or b.boilerplate in above]
    entries = {id(inside[i]) for i in timetable_entries([b.text for b in inside])}
    for block in blocks:
        if block.boilerplate is not None and block.boilerplate not in above:
            dropped.append(block)
            continue
        block.reason = _drop_reason(block, repeated, id(block) in entries) or (
            "title" if before_text and _repeats_title(block, compact_titles) else ""
        )
        if block.reason:
            dropped.append(block)
        else:
            kept.append(block)
            before_text = before_text and units(block.text) < PARAGRAPH_UNITS
        if not block.reason or _is_heading_label(block):
            lines.append(block)
    closing = [block for block in _closing_sections(lines) if not block.reason]
    for block in closing:
        block.reason = "closing section"
    body, repeats = _first_copies([block for block in kept if not block.reason])
    body, empty = _without_empty_sections(blocks, body)
    return body, dropped + closing + repeats + empty


def _without_empty_sections(
    blocks: list[Block], kept: list[Block]
) -> tuple[list[Block], list[Block]]:
    """``kept`` less the headings whose sections were dropped whole ("Related", "Mehr zum
    Thema" over teaser links, "Inhaltsverzeichnis" over a table of contents) and headings
    that end the text: a heading introduces text, and these introduce nothing that is kept;
    and those headings."""
    is_kept = {id(block) for block in kept}
    empty: list[Block] = []
    for i, block in enumerate(blocks):
        rank = _heading_rank(block)
        if id(block) in is_kept and rank and _introduces_nothing(blocks[i + 1 :], rank, is_kept):
            block.reason = "heading of nothing kept"
            empty.append(block)
    gone = {id(block) for block in empty}
    return [block for block in kept if id(block) not in gone], empty


def _introduces_nothing(after: list[Block], rank: int, kept: set[int]) -> bool:
    """True when what follows a heading of ``rank`` up to the next heading of the same or a
    higher rank was all dropped (something was), or nothing follows at all."""
    dropped = False
    for block in after:
        other = _heading_rank(block)
        if id(block) in kept and other and other <= rank:
            return dropped
        if id(block) in kept and not other:
            return False
        dropped = dropped or id(block) not in kept
    return True


def _heading_rank(block: Block) -> int:
    """1-6 for ``<h1>``-``<h6>``, 7 for a short label ending in a colon, else 0."""
    tag = block.element.tag
    if isinstance(tag, str) and len(tag) == 2 and tag[0] == "h" and tag[1] in "123456":
        return int(tag[1])
    text = block.text.strip()
    return 7 if units(text) <= HEADING_UNITS and text.endswith((":", "：")) else 0


def _closing_sections(lines: list[Block]) -> list[Block]:
    """The blocks of closing sections: from a closing heading that starts late in the text
    to the end, or, for a heading element, to the next kept heading of the same or a higher
    rank that is not a closing heading too (the article resumes after "Mehr zum Thema")."""
    texts = [block.text for block in lines]
    found: list[Block] = []
    cut = closing_start(texts)
    while cut < len(lines):
        rank = _heading_rank(lines[cut])
        if not 1 <= rank <= 6 and (listed := _after_list(lines, cut)) is not None:
            found += lines[cut:listed]  # a label heading a list of links inside the text
            cut = closing_start(texts, listed)
            continue
        resume = next(
            (
                j
                for j in range(cut + 1, len(lines))
                if 0 < _heading_rank(lines[j]) <= min(rank, 6)
                and not lines[j].reason
                and not is_closing(texts[j])
            ),
            len(lines),
        )
        found += lines[cut:resume]
        cut = closing_start(texts, resume)
    return found


def _after_list(lines: list[Block], cut: int) -> int | None:
    """Where the text resumes after the list holding the closing label ``lines[cut]``
    (:func:`.boilerplate.closing_sections`): the index of the line right after the list,
    if the text goes on there (:func:`.boilerplate.resumes`); None if the label is in no
    list, or the text does not go on."""
    box = list_of(lines[cut].element)
    if box is None:
        return None
    after = cut + 1
    while after < len(lines) and list_of(lines[after].element) is box:
        after += 1
    following = [block.text for block in lines[after:] if not block.reason][:3]
    return after if resumes(following) else None


def _repeats_title(block: Block, titles: list[str]) -> bool:
    """True for a line, before the text starts, found in one of the page's titles (the
    headline again, a site name); never for a caption ("チコちゃん" under a photo)."""
    line = _compact(block.text)
    if not line or block.element.tag == "figcaption":
        return False
    return any(line in title for title in titles)


def _is_heading_label(block: Block) -> bool:
    """A short label ending in a colon ("反侵权公告：") heads what follows: it may close."""
    return block.reason == "short label" and block.text.strip().endswith((":", "："))


def _first_copies(blocks: list[Block]) -> tuple[list[Block], list[Block]]:
    """The blocks less later copies of a sentence-long block: a gallery and its lightbox, or
    a pull quote, print the same caption or sentence again; and the copies."""
    seen: set[str] = set()
    kept, copies = [], []
    for block in blocks:
        text = _compact(block.text)
        if text in seen:
            block.reason = "a repeated line"
            copies.append(block)
            continue
        if units(block.text) >= REPEAT_UNITS:
            seen.add(text)
        kept.append(block)
    return kept, copies


def _drop_reason(block: Block, repeated: set[tuple[str, int]], timetable: bool = False) -> str:
    # A paragraph with links of its own is text; one inside a link is a teaser card.
    is_paragraph = (
        block.element.tag == "p" and block.links > 0 and units(block.text) >= PARAGRAPH_UNITS
    )
    if block.is_mostly_links and not is_paragraph and not _is_photo_caption(block):
        return "mostly links"
    if _signature(block) in repeated:
        return "repeated link items"
    return crumb_reason(block.text, _holder_tag(block), timetable=timetable)


def _is_photo_caption(block: Block) -> bool:
    """A figure's caption inside the link that opens its photo (a lightbox, a photo page):
    a caption, not a link."""
    element = block.element
    if element.tag != "figcaption":
        return False
    link = next(element.iterancestors("a"), None)
    figure = next(element.iterancestors("figure"), None)
    return link is not None and figure is not None and link.find(".//img") is not None


def _line(block: Block) -> str:
    """A kept block's text: a caption's without the picture credit at its end."""
    if block.element.tag != "figcaption":
        return block.text
    return without_trailing_credit(block.text)


def _holder_tag(block: Block) -> object:
    """The block's holder tag; a named target (``<a name>``) around the whole block is a
    section heading, as in older pages (``<a name="overview">Overview</a>``)."""
    anchor = block.anchor
    if anchor is None or anchor.tag != "a" or anchor.get("href") is not None:
        return block.element.tag
    is_whole = _compact(block.text) == _compact("".join(anchor.itertext()))
    return "h6" if anchor.get("name") and is_whole else block.element.tag


def _signature(block: Block) -> tuple[str, int]:
    return (str(block.element.tag), block.links)


def _repeated_link_items(blocks: list[Block]) -> set[tuple[str, int]]:
    """Shapes (holder tag, number of links) of link-rich blocks that repeat: listings."""
    counts = Counter(
        _signature(b)
        for b in blocks
        if b.links
        and b.element.tag != "p"
        and len(b.link_text) >= LINK_ITEM_SHARE * len(b.text.strip())
    )
    return {shape for shape, n in counts.items() if n >= MIN_REPEATS}


def _compact(text: str) -> str:
    return "".join(text.split())

"""What a page says about where its article is, besides its text blocks; and how sure we are.

The generic extractor's choice is a guess from text density. A page carries independent
evidence to check it against:

- its title (OpenGraph, ``<title>``): a heading that agrees with it marks where the article
  starts, and the article is in or right after that heading;
- its description (``og:description``, ``<meta name=description>``, JSON-LD
  ``description``): usually the standfirst or the first sentences of the body;
- its JSON-LD ``articleBody``: the body as plain text, when the site publishes it.

:func:`support` says which of these a run of blocks has, for the generic extractor's best
run and the next best one elsewhere on the page, and :func:`confidence` turns what was found
into a
:class:`~monitor.models.Confidence`: ``high``, ``medium`` or ``low`` ("uncertain": the user
should check the text, or write a ``[[site]]`` rule), with its reason in words.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.extract.blocks import Block
from monitor.extract.boilerplate import PARAGRAPH_UNITS
from monitor.extract.declared import Trigrams, trigrams
from monitor.extract.measure import units
from monitor.extract.text import agrees, tokens
from monitor.models import Confidence

log = logging.getLogger(__name__)

#: A title heading this many blocks of text above a run's start still heads it.
TITLE_WINDOW = 10
#: A description is in a text when this share of its trigrams are.
DESCRIPTION_SHARE = 0.5
#: The JSON-LD body agrees with a text that holds this share of its trigrams; below the
#: lower share it disagrees.
DECLARED_AGREES = 0.6
DECLARED_DISAGREES = 0.3
#: A title heading heads a run when at most this share of the run's text (or a paragraph's
#: worth) is above it.
HEADED_SHARE = 0.25
#: A rival run worth this share of the chosen one makes the choice uncertain.
RIVAL_SHARE = 0.6
#: Below this many units, a text without other evidence is too short to be sure of.
SHORT_UNITS = 2 * PARAGRAPH_UNITS


@dataclass(frozen=True)
class PageEvidence:
    """The page's title words, description trigrams and JSON-LD body trigrams."""

    titles: tuple[frozenset[str], ...] = ()
    description: frozenset[tuple[str, ...]] = frozenset()
    declared: frozenset[tuple[str, ...]] = frozenset()


@dataclass(frozen=True)
class Support:
    """What a run of blocks has of the page's evidence."""

    titled: bool = False
    described: bool = False
    declared: float | None = None  # the share of the JSON-LD body it holds; None: no body

    @property
    def score(self) -> int:
        agreement = 0 if self.declared is None else _declared_score(self.declared)
        return int(self.titled) + int(self.described) + agreement


def _declared_score(share: float) -> int:
    if share >= DECLARED_AGREES:
        return 1
    return -1 if share < DECLARED_DISAGREES else 0


def page_evidence(
    titles: Sequence[str], descriptions: Sequence[str | None], declared: Trigrams
) -> PageEvidence:
    """The evidence of a page: its titles, descriptions and JSON-LD body trigrams."""
    described: set[tuple[str, ...]] = set()
    for description in descriptions:
        if description and units(description) >= 6:
            described = trigrams(description)
            break
    return PageEvidence(
        tuple(frozenset(tokens(t)) for t in titles if t.strip()),
        frozenset(described),
        frozenset(declared),
    )


def support(blocks: Sequence[Block], start: int, end: int, evidence: PageEvidence) -> Support:
    """What the run ``blocks[start:end + 1]`` has of the evidence (a title heading in it or
    above it, with at most a few blocks of text between, counts)."""
    titled = _headed(blocks[start : end + 1], evidence)
    seen = 0
    for block in reversed(blocks[:start]):
        if titled or seen > TITLE_WINDOW:
            break
        titled = _is_title_heading(block, evidence)
        seen += block.boilerplate is None and not block.is_mostly_links
    return text_support(" ".join(b.text for b in blocks[start : end + 1]), evidence, titled)


def text_support(text: str, evidence: PageEvidence, titled: bool) -> Support:
    """What a text has of the description and the JSON-LD body."""
    grams = trigrams(text) if evidence.description or evidence.declared else set()
    described = bool(evidence.description) and _share(evidence.description, grams) >= (
        DESCRIPTION_SHARE
    )
    declared = _share(evidence.declared, grams) if evidence.declared else None
    return Support(titled, described, declared)


def _share(wanted: frozenset[tuple[str, ...]], found: set[tuple[str, ...]]) -> float:
    return len(wanted & found) / len(wanted) if wanted else 0.0


def _headed(run: Sequence[Block], evidence: PageEvidence) -> bool:
    """True when a title heading opens the run: at most a caption's or a kicker's worth of
    the run's text is above it (a notice or another text above the headline is not the
    article the headline heads)."""
    sizes = [_own(block) for block in run]
    allowed = max(PARAGRAPH_UNITS, HEADED_SHARE * sum(sizes))
    above = 0.0
    for block, size in zip(run, sizes, strict=True):
        if _is_title_heading(block, evidence):
            return above <= allowed
        above += size
    return False


def _own(block: Block) -> float:
    """A block's text that is not boilerplate nor mostly links, in units."""
    if block.boilerplate is not None or block.is_mostly_links:
        return 0.0
    return units(block.text)


def _is_title_heading(block: Block, evidence: PageEvidence) -> bool:
    if block.element.tag not in ("h1", "h2"):
        return False
    words = set(tokens(block.text))
    return any(agrees(words, title) for title in evidence.titles)


def confidence(
    text: str, chosen: Support, rival_share: float, rival: Support | None = None
) -> Confidence:
    """How sure the generic extractor is that ``text`` is the article, and why."""
    size = units(text)
    if not text.strip():
        return Confidence("low", "no article text was found on the page")
    if chosen.declared is not None and chosen.declared < DECLARED_DISAGREES:
        return Confidence("low", "the page's JSON-LD articleBody is another text")
    if rival_share >= RIVAL_SHARE and (rival is None or rival.score >= chosen.score):
        return Confidence(
            "low", "another part of the page looks as much like the article as the one chosen"
        )
    if chosen.declared is not None and chosen.declared >= DECLARED_AGREES:
        return Confidence("high", "the page's JSON-LD articleBody agrees")
    if chosen.titled and chosen.described:
        return Confidence("high", "it follows the headline and holds the page's description")
    if chosen.titled and size >= SHORT_UNITS:
        return Confidence("high", "it follows the headline")
    if chosen.described:
        return Confidence("high", "it holds the page's description")
    if size < SHORT_UNITS:
        return Confidence(
            "low",
            f"only {int(size)} words, and neither the headline nor the description is with them",
        )
    return Confidence("medium", "no headline or description on the page confirms the choice")

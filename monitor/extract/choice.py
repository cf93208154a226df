"""When the candidates for the article disagree, the page's evidence decides.

The generic extractor's first candidate is the densest part of the page. When the page's
own evidence confirms it (:func:`.evidence.confidence` says ``high``), that is the article
and nothing else runs: the fast path. Otherwise the extraction looks at other candidates,
each a part of the page that monitor serialises as it serialises the densest:

- the part the page's JSON-LD ``articleBody`` holds (when it does not agree with the
  densest part);
- the part a second extractor takes for the article (:mod:`.second`).

A text is *projected* onto the page's blocks to find its part: blocks that the text holds
count for their size, blocks it does not hold against it, and the best run of blocks is the
part (:func:`projected_values`, for the maximum-sum run).

Each candidate scores one point for each piece of independent evidence with it (it follows
the headline; it holds the page's description; the JSON-LD body agrees; the second
extractor's text and it are the same part of the page, one holding most of the other) and
loses one for each against it (the JSON-LD body is another text; the second extractor's text
and it have almost nothing in common). The highest score wins; a tie keeps the densest part,
so the evidence must be *with* another part to move the choice. The chosen text is always
monitor's own serialisation, so a second extractor can change which part is watched but
never how its text is written.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from monitor.extract.blocks import Block
from monitor.extract.declared import Trigrams, trigrams
from monitor.extract.evidence import DECLARED_AGREES, SHORT_UNITS, Support
from monitor.extract.measure import units
from monitor.models import Confidence

log = logging.getLogger(__name__)

#: A block is in a text when this share of its trigrams are.
BLOCK_IN_TEXT = 0.5
#: Two texts are the same part of the page when one holds this share of the other's trigrams;
#: below the lower share they have almost nothing in common.
SAME_PART = 0.5
OTHER_PART = 0.3
#: Two texts are the same text when each holds this share of the other's trigrams.
SAME_TEXT = 0.8
#: A switch to another candidate with this score or more (or with the JSON-LD body) is sure
#: of itself; with less, only the second extractor is with it, and the page is uncertain.
SURE_SCORE = 2


@dataclass(frozen=True)
class Candidate:
    """A part of the page that may be the article: what found it, its text (monitor's
    serialisation) and what it has of the page's evidence."""

    name: str
    text: str
    support: Support


@dataclass(frozen=True)
class Choice:
    """The chosen candidate's index, and how sure the choice is."""

    index: int
    confidence: Confidence


def projected_values(blocks: Sequence[Block], text: Trigrams) -> list[float]:
    """Each block's value for finding the part of the page that ``text`` holds: its size
    when the text holds it, minus its size (and a unit) when not."""
    values = []
    for block in blocks:
        grams = trigrams(block.text)
        size = units(block.text)
        held = bool(grams) and len(grams & text) >= BLOCK_IN_TEXT * len(grams)
        values.append(size if held else -size - 1.0)
    return values


def overlap(text: Trigrams, other: Trigrams) -> float:
    """How much two texts are the same part of the page: the larger of the shares each
    holds of the other."""
    if not text or not other:
        return 0.0
    shared = len(text & other)
    return max(shared / len(text), shared / len(other))


def choose(candidates: Sequence[Candidate], second: str | None, densest: Confidence) -> Choice:
    """The candidate the evidence is with (the first, the densest part, on a tie), and the
    confidence of the choice; ``densest``: the densest part's confidence without a second
    view."""
    view = trigrams(second) if second else set()
    scores = [_score(candidate, view) for candidate in candidates]
    best = max(range(len(candidates)), key=lambda i: (scores[i], -i))
    if best == 0:
        return Choice(0, _kept(candidates[0], view, densest))
    chosen = candidates[best]
    evidence = _with(chosen.support, view, chosen.text)
    declared = chosen.support.declared is not None and chosen.support.declared >= DECLARED_AGREES
    if scores[best] >= SURE_SCORE or declared:
        return Choice(best, Confidence("high", f"{chosen.name}, not the densest part: {evidence}"))
    reason = f"{chosen.name}, not the densest part, and nothing else on the page confirms either"
    return Choice(best, Confidence("low", reason))


def _score(candidate: Candidate, view: Trigrams) -> int:
    if not candidate.text.strip():
        return -9
    return candidate.support.score + _view_score(candidate.text, view)


def _view_score(text: str, view: Trigrams) -> int:
    if not view:
        return 0
    share = overlap(trigrams(text), view)
    if share >= SAME_PART:
        return 1
    return -1 if share < OTHER_PART else 0


def _kept(candidate: Candidate, view: Trigrams, densest: Confidence) -> Confidence:
    """The confidence of keeping the densest part, knowing the second view (which never
    outweighs a JSON-LD body that is another text, and never makes a few words enough)."""
    if not view or candidate.support.score < 0 or units(candidate.text) < SHORT_UNITS:
        return densest
    grams = trigrams(candidate.text)
    shared = len(grams & view)
    if grams and shared >= SAME_TEXT * len(grams) and shared >= SAME_TEXT * len(view):
        return Confidence("high", "a second extractor finds the same text")
    if _view_score(candidate.text, view) < 0:
        return Confidence(
            "low", "a second extractor finds the article elsewhere, and nothing settles which"
        )
    return densest


def _with(support: Support, view: Trigrams, text: str) -> str:
    """The evidence with a candidate, in words."""
    found = []
    if support.titled:
        found.append("it follows the headline")
    if support.described:
        found.append("it holds the page's description")
    if support.declared is not None and support.declared >= DECLARED_AGREES:
        found.append("the page's JSON-LD articleBody agrees")
    if view and _view_score(text, view) > 0:
        found.append("a second extractor agrees")
    return ", ".join(found) or "the densest part has less of the page's evidence"

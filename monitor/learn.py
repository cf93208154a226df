"""What a watch learns about its page, from full analyses: pure functions the pipeline calls.

* The **first check** fetches the page twice, a few seconds apart (``second_fetch``): the
  lines that differ between the two are churn (:func:`monitor.extract.volatile.learn`),
  dropped from the article's text from then on (:func:`first_look`).
* A check whose full analysis finds the article **unchanged** though the replay's
  fingerprint was not (churn around the article, in its region) learns that churn, for the
  fingerprint only (:func:`after_unchanged`).
* A check whose full analysis finds the article **changed** fetches the page once more at
  once: what differs between those two fetches is churn too, and only what the second fetch
  still shows against the stored version is a change (:func:`second_look`); a line that
  differs from the stored one only in words that also differ between the two fetches
  churned (a teaser sentence drawn anew on every request), and is no change either.

What is learned covers the lines that churned, not their neighbours: an edit of a sentence
of the article is never hidden. It is kept per watch for one extractor version and one set
of rules; a new extractor or new rules start afresh.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace

from monitor.analyse import Analysis, renormalised, without_churn
from monitor.config import Rules
from monitor.extract import EXTRACTOR_VERSION
from monitor.extract.learned import Learned, Learning
from monitor.extract.volatile import Volatility, churned_alike, learn, learn_texts


def rules_key(rules: Rules) -> str:
    """The key of the rules (and extractor) a watch learned under."""
    text = EXTRACTOR_VERSION + json.dumps(rules.__dict__, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def learned_for(text: str | None, rules: Rules) -> Learned | None:
    """What a watch learned (its ``learned_json``), if it holds for these rules and this
    extractor."""
    learned = Learned.from_json(text)
    if learned is None or learned.extractor != EXTRACTOR_VERSION:
        return None
    return learned if learned.rules == rules_key(rules) else None


def rules_changed(text: str | None, rules: Rules) -> bool:
    """Whether what a watch learned (its ``learned_json``) was learned by this extractor
    under other rules: the user changed the watch's site rules since (its stored versions
    were extracted under the old ones)."""
    learned = Learned.from_json(text)
    return (
        learned is not None
        and learned.extractor == EXTRACTOR_VERSION
        and learned.rules != rules_key(rules)
    )


def document(title: str, text: str, churn: Volatility) -> str:
    """A version's title and text as compared: less what ``churn`` covers."""
    title, body = without_churn(title, text, churn)
    return f"{title}\n{body}" if title else body


def fresh(analysis: Analysis, rules: Rules, origin: str) -> Learned | None:
    """What one full analysis teaches on its own (no churn yet)."""
    if analysis.learning is None:
        return None
    return Learned(EXTRACTOR_VERSION, rules_key(rules), analysis.learning, origin=origin)


def first_look(
    first: Analysis, second: Analysis, rules: Rules, origin: str
) -> tuple[Learned | None, Analysis]:
    """The first check's two fetches: what churned between them, and the second fetch's
    analysis less that churn (what the first version holds)."""
    article = learn_texts(first.raw_document, second.raw_document)
    around = _region_churn(first, second)
    analysis = renormalised(second, article, None)
    base = fresh(second, rules, origin)
    if base is None:
        return None, analysis
    return replace(base, article=article, region=around), analysis


def after_unchanged(learned: Learned | None, analysis: Analysis, rules: Rules) -> Learned | None:
    """A full analysis found the article as it was while the replay's fingerprint differed:
    what changed in the region is churn around the article (for the fingerprint only), and
    the region is read from this page from now on."""
    if analysis.learning is None:
        return learned
    if learned is None:
        return fresh(analysis, rules, "a full analysis")
    if not _reads_alike(learned.learning, analysis.learning):
        return replace(learned, learning=analysis.learning, region=Volatility())
    around = learn(learned.learning.lines, analysis.learning.lines)
    return replace(learned, learning=analysis.learning, region=learned.region.merged(around))


def second_look(
    learned: Learned | None,
    first: Analysis,
    second: Analysis,
    rules: Rules,
    baseline: tuple[str, str],
) -> tuple[Learned | None, Analysis]:
    """A full analysis found the article changed, and the page was fetched again at once:
    what differs between the two fetches is churn; the second fetch's analysis less all the
    churn known, diffed against the stored version (``baseline``: its title and text) less
    the same churn."""
    churn = learn_texts(first.raw_document, second.raw_document)
    around = _region_churn(first, second)
    if learned is None:
        learned = fresh(second, rules, "a check that saw the article change")
    if learned is None:
        article = churn
    else:
        article = learned.article.merged(churn)
        learning = second.learning or learned.learning
        known = learned.region if _reads_alike(learned.learning, learning) else Volatility()
        learned = replace(learned, learning=learning, article=article, region=known.merged(around))
    previous = document(*baseline, article)
    analysis = renormalised(second, article, previous)
    if analysis.diff is not None:
        before = renormalised(first, article, None).article.document.split("\n")
        if churned_alike(previous.split("\n"), before, analysis.article.document.split("\n")):
            analysis = replace(analysis, diff=None)  # what differs churned between the fetches
    return learned, analysis


def _region_churn(first: Analysis, second: Analysis) -> Volatility:
    if first.learning is None or second.learning is None:
        return Volatility()
    if not _reads_alike(first.learning, second.learning):
        return Volatility()
    return learn(first.learning.lines, second.learning.lines)


def _reads_alike(one: Learning, other: Learning) -> bool:
    """Whether two learnings read their region's lines alike (the same removals first): if
    not (a learning of an earlier release, another rule pack), what differs between their
    lines is no churn, and the region's churn is learned afresh."""
    return one.removed == other.removed

"""The CPU-heavy part of a check, in pure functions that a worker process runs.

:func:`analyse_page` is the full analysis: extraction (and what it learns for replays), the
page's signals (:mod:`monitor.identity`) and the diff against the previous text.
:func:`replay_page` is the cheap look of a routine check (:mod:`monitor.extract.replay`).
This module imports only what they need (extraction and diffing), so a worker process stays
small: about 25 MB instead of the 40 MB of the whole pipeline; and it imports the extractor
in the functions that run it, so the checker, which uses its data classes, imports no HTML
parser. The second extractor
(trafilatura, :mod:`monitor.extract.second`) is imported only when a page's evidence leaves
the generic extractor unsure, and then adds 15-20 MB to that worker.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace

from monitor.config import Rules
from monitor.diff import diff_texts
from monitor.extract.learned import Learning
from monitor.extract.volatile import Volatility
from monitor.identity import PageSignals, page_signals
from monitor.models import Article, Metadata, TextDiff


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse_page` makes of a page (pure data, picklable). ``article`` is the
    article less the lines learned to churn; ``raw`` the article as extracted."""

    article: Article
    text_sha256: str
    diff: TextDiff | None
    signals: PageSignals = field(default_factory=PageSignals)
    raw: Article | None = None
    learning: Learning | None = None

    @property
    def raw_document(self) -> str:
        """The title and text as extracted, before the lines that churn were dropped."""
        return (self.raw or self.article).document


def text_sha256(document: str) -> str:
    """The identity of a version: sha256 of its title and text."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def analyse_page(
    html: str,
    url: str,
    rules: Rules,
    previous: str | None,
    churn: Volatility | None = None,
) -> Analysis:
    """Extract the article (less the lines ``churn`` covers), read the page's signals and,
    if the article differs from ``previous``, diff it (CPU only)."""
    from monitor.extract.article import learn_article

    article, learning = learn_article(html, url, rules)
    analysis = Analysis(article, "", None, page_signals(html, url), article, learning)
    return renormalised(analysis, churn or Volatility(), previous)


def renormalised(analysis: Analysis, churn: Volatility, previous: str | None) -> Analysis:
    """The analysis with the lines ``churn`` covers dropped from the article as extracted
    (a title that churns is no title), its identity and diff against ``previous`` anew."""
    raw = analysis.raw or analysis.article
    title, text = without_churn(raw.title, raw.text, churn)
    article = replace(raw, title=title, text=text)
    sha = text_sha256(article.document)
    diff = None
    if previous is not None and text_sha256(previous) != sha:
        diff = diff_texts(previous, article.document)
    return replace(analysis, article=article, text_sha256=sha, diff=diff)


def without_churn(title: str, text: str, churn: Volatility) -> tuple[str, str]:
    """A title and text less what ``churn`` covers: the lines of the text, and the title
    too when it is one of them (a counter or a rotating teaser taken for the title)."""
    if churn.is_empty:
        return title, text
    lines = churn.apply([title, *text.split("\n")] if title else text.split("\n"))
    if title and lines and lines[0] == title:
        return title, "\n".join(lines[1:])
    return "", "\n".join(lines)


def replay_page(html: str, learning: Learning, churn: Volatility, rules: Rules) -> str | None:
    """The replay fingerprint of a page (None: the learned region is not on it)."""
    from monitor.extract.article import replay_fingerprint

    return replay_fingerprint(html, learning, churn, rules)


@dataclass(frozen=True)
class SecondLook:
    """What a page fetched again shows where a check looks without a full analysis: its
    replay fingerprint, its signals and its metadata."""

    fingerprint: str | None
    signals: PageSignals
    metadata: Metadata


def second_look_at(
    html: str, url: str, learning: Learning, churn: Volatility, rules: Rules
) -> SecondLook:
    """:class:`SecondLook` of a page (CPU only)."""
    from monitor.extract.article import replay_view

    fingerprint, metadata = replay_view(html, url, learning, churn, rules)
    return SecondLook(fingerprint, page_signals(html, url), metadata)

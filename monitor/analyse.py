"""The CPU-heavy part of a check, in one pure function that a worker process runs.

This module imports only what :func:`analyse_page` needs (extraction and diffing), so a
worker process stays small: about 25 MB instead of the 40 MB of the whole pipeline. The
second extractor (trafilatura, :mod:`monitor.extract.second`) is imported only when a page's
evidence leaves the generic extractor unsure, and then adds 15-20 MB to that worker.
"""

from __future__ import annotations

import hashlib
import signal
from dataclasses import dataclass, field

from monitor.config import Rules
from monitor.diff import diff_texts
from monitor.extract import extract_article
from monitor.identity import PageSignals, page_signals
from monitor.models import Article, TextDiff


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyse_page` makes of a page (pure data, picklable)."""

    article: Article
    text_sha256: str
    diff: TextDiff | None
    signals: PageSignals = field(default_factory=PageSignals)


def text_sha256(document: str) -> str:
    """The identity of a version: sha256 of its title and text."""
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def analyse_page(html: str, url: str, rules: Rules, previous: str | None) -> Analysis:
    """Extract the article, read the page's signals (:mod:`monitor.identity`) and, if the
    article differs from ``previous``, diff it (CPU only)."""
    article = extract_article(html, url, rules)
    sha = text_sha256(article.document)
    diff = None
    if previous is not None and text_sha256(previous) != sha:
        diff = diff_texts(previous, article.document)
    return Analysis(article, sha, diff, page_signals(html, url))


def worker_ignores_signals() -> None:
    """In extraction workers: Ctrl-C and SIGTERM reach the whole process group, but only the
    parent decides when to stop; the workers finish what they were given."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)

"""A second extractor's view of a page: the text trafilatura takes for its article.

monitor's generic extractor chooses the densest part of a page. When the page's own evidence
does not confirm that choice (:func:`.evidence.confidence` is not ``high``), the candidate
choice (:mod:`.choice`) asks a second, independent extractor where it thinks the article
is. Its text is only ever *evidence*: it helps pick one of monitor's candidate parts of the
page, and the article text is always monitor's own serialisation of that part. So the text
stays byte-identical whatever trafilatura's version or its serialisation, and whatever it
adds around the article.

trafilatura runs in its ``fast`` mode (no readability/justext fallback: about 9 ms a page
instead of 12, and 22 MB of memory in the process instead of 54) and is imported on first
use, so a process that only ever sees confident pages never loads it.

:data:`SecondView` is what the extraction passes down: a function that returns the view's
text, or None when there is no view (trafilatura failed on the page, or is not installed).
It is called at most once per extraction, and only on the slow path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import cache

log = logging.getLogger(__name__)

#: The text a second extractor takes for the article, or None (no view).
SecondView = Callable[[], str | None]


def no_view() -> str | None:
    """The second view of a run that has none."""
    return None


def trafilatura_view(html: str, url: str | None) -> SecondView:
    """trafilatura's view of ``html``, computed on first call (at most once)."""

    @cache
    def view() -> str | None:
        return _trafilatura_text(html, url)

    return view


def _trafilatura_text(html: str, url: str | None) -> str | None:
    extract = _trafilatura()
    if extract is None:
        return None
    try:
        text = extract(
            html, url=url, include_comments=False, include_tables=True, fast=True, deduplicate=False
        )
    except Exception as exc:  # a second opinion that fails is no opinion, never a crash
        log.debug("trafilatura failed on %s: %s: %s", url, type(exc).__name__, exc)
        return None
    return text if isinstance(text, str) and text.strip() else None


@cache
def _trafilatura() -> Callable[..., object] | None:
    try:
        import trafilatura
    except ImportError:  # pragma: no cover - it is a dependency; a broken install degrades
        log.warning("trafilatura is not installed: extraction has no second view")
        return None
    extract: Callable[..., object] = trafilatura.extract
    return extract

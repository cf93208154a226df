"""HTML -> Article: the extraction stage (:mod:`.article` runs it; the modules beside it are
its parts).

The package's names are imported from their modules when first used, so that a process that
only keeps and compares what extraction produced (the checker, which hands every page to its
extraction workers) never imports lxml and the extractor's regular expressions: about 6 MB
and 60 ms of its start. :data:`EXTRACTOR_VERSION` is the one name defined here.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Bumped whenever a change to extraction can change the text of an unchanged page.
EXTRACTOR_VERSION = "20"

if TYPE_CHECKING:
    from monitor.extract.article import (
        explain_article,
        extract_article,
        learn_article,
        replay_fingerprint,
        replay_view,
    )
    from monitor.extract.explain import Explanation, Removal
    from monitor.extract.learned import Learning
    from monitor.extract.parse import parse_html
    from monitor.extract.text import normalize_line, normalize_text
    from monitor.extract.volatile import Volatility

#: Where each of the package's names is defined.
_HOMES = {
    "explain_article": "article",
    "extract_article": "article",
    "learn_article": "article",
    "replay_fingerprint": "article",
    "replay_view": "article",
    "Explanation": "explain",
    "Removal": "explain",
    "Learning": "learned",
    "parse_html": "parse",
    "normalize_line": "text",
    "normalize_text": "text",
    "Volatility": "volatile",
}

__all__ = [
    "EXTRACTOR_VERSION",
    "Explanation",
    "Learning",
    "Removal",
    "Volatility",
    "explain_article",
    "extract_article",
    "learn_article",
    "normalize_line",
    "normalize_text",
    "parse_html",
    "replay_fingerprint",
    "replay_view",
]


def __getattr__(name: str) -> Any:
    """A name of the package, imported from its module on first use."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value

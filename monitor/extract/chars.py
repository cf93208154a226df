"""Characters that are not text: kept out of the page before parsing and out of the article.

- NUL bytes: libxml2 turns each into U+FFFD, so a block of them became a run of replacement
  characters in the text. They are removed from the page before it is parsed.
- Noncharacters (U+FDD0..U+FDEF and the last two code points of every plane, U+FFFE and
  U+FFFF among them) are never text, and XML (an Atom feed) cannot hold them: removed from the
  article's title, text and metadata, whether the page had them as bytes or as ``&#xFFFE;``.
- Runs of U+FFFD (bytes that decoded to nothing) become one U+FFFD: the mark that something
  unreadable was there stays, its length (which depends on the bytes around it) does not.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace

from monitor.extract.text import normalize_text
from monitor.models import Article, Metadata

_NONCHARACTERS = dict.fromkeys(
    [
        *range(0xFDD0, 0xFDF0),
        *(plane * 0x10000 + low for plane in range(17) for low in (0xFFFE, 0xFFFF)),
    ]
)
_REPLACEMENT_RUN = re.compile(r"\ufffd(?:[^\S\n]*\ufffd)+")


def clean_markup(html: str) -> str:
    """The page without NUL characters, before it is parsed."""
    return html.replace("\x00", "") if "\x00" in html else html


def clean_chars(text: str) -> str:
    """``text`` without noncharacters, and with each run of U+FFFD made one (its lines
    normalised again when anything went: no double spaces or empty lines are left)."""
    cleaned = text.translate(_NONCHARACTERS)
    if "\ufffd" in cleaned:
        cleaned = _REPLACEMENT_RUN.sub("\ufffd", cleaned)
    return text if cleaned == text else normalize_text(cleaned.split("\n"))


def clean_article(article: Article) -> Article:
    """The article with :func:`clean_chars` applied to its title, text and metadata."""
    metadata = replace(
        article.metadata,
        **{
            field.name: clean_chars(value)
            for field in fields(Metadata)
            if isinstance(value := getattr(article.metadata, field.name), str)
        },
    )
    return replace(
        article, title=clean_chars(article.title), text=clean_chars(article.text), metadata=metadata
    )

"""The built-in sample site: two article pages and the error pages a real site serves.

``monitor demo``, the end-to-end tests and the extraction fixtures use it. Article content is
package data (``monitor/data/sample_<name>.json``), site chrome is ``site_<lang>.json`` and the
markup is ``string.Template`` sections in ``monitor/data/*.tmpl``. Every function is pure: the
same (article, noise, url) give the same bytes, and a different :class:`Noise` changes only what
a live site changes between two fetches of an unchanged article (nonces, ad ids, widget order,
counters, clocks, comments). :func:`article_text` is the ground truth a perfect extractor returns.

Modules::

    article.py      SampleArticle and Block, loading, edits, ground-truth text and metadata
    noise.py        Noise and the deterministic values derived from it
    data.py         package data: site chrome, template sections
    markup.py       escaping, dates, images, the article body as HTML
    parts.py        page parts both themes share: <head>, JSON-LD, menus, comments, other posts
    jannah.py       the Japanese page (Jannah theme)
    twentyone.py    the English page (Twenty Twenty-One with Jetpack)
    error_pages.py  maintenance, soft 404, bot challenge, login
"""

from __future__ import annotations

from monitor.samplesite import jannah, twentyone
from monitor.samplesite.article import (
    BLOCK_KINDS,
    MEDIA_KINDS,
    SAMPLE_NAMES,
    Block,
    SampleArticle,
    add_block,
    article_metadata,
    article_text,
    load_article,
    remove_block,
    replace_text,
    with_modified,
)
from monitor.samplesite.error_pages import ERROR_KINDS, error_page
from monitor.samplesite.noise import Noise

__all__ = [
    "BLOCK_KINDS",
    "ERROR_KINDS",
    "MEDIA_KINDS",
    "SAMPLE_NAMES",
    "Block",
    "Noise",
    "SampleArticle",
    "add_block",
    "article_metadata",
    "article_text",
    "error_page",
    "load_article",
    "remove_block",
    "render_page",
    "replace_text",
    "with_modified",
]


def render_page(
    article: SampleArticle, noise: Noise | None = None, *, url: str | None = None
) -> str:
    """The article's whole HTML page in its theme (Jannah for "ja", Twenty Twenty-One for "en")."""
    noise = noise or Noise()
    if article.theme == "jannah":
        return jannah.render(article, noise, url or article.url)
    return twentyone.render(article, noise, url or article.url)

"""Does this page need a browser? An app shell: next to no text, a script bundle, and an empty
element that the script fills (``<div id="root">``, ``<div id="__next">``, ``<app-root>``) or
a ``<noscript>`` asking for JavaScript.

:func:`browser_hint` says why a page looks like one, so that ``monitor add`` and
``monitor extract --explain`` can print the ``render = "browser"`` lines to add
(:func:`config_lines`). A page with its article in the markup is never one: the hint needs
the page's own text to be short, whatever scripts it loads.
"""

from __future__ import annotations

import re
from copy import deepcopy as copy_of
from urllib.parse import urlsplit

from lxml import etree

from monitor.extract.parse import parse_html
from monitor.extract.text import Element, normalize_line

#: Fewer characters of text than this in the whole page: a shell, whatever the extractor found.
SHELL_CHARS = 300
#: An article shorter than this on a page with less text than SHELL_PAGE_CHARS: a shell too
#: (a shell may render its navigation and footer on the server).
SHELL_ARTICLE_CHARS = 150
SHELL_PAGE_CHARS = 1500
#: Inline script this long is a bundle (or the data a bundle renders from).
INLINE_BUNDLE_CHARS = 2000
MOUNT_IDS = frozenset(
    {"root", "app", "__next", "__nuxt", "___gatsby", "svelte", "main-app", "app-root", "react-root"}
)
_ASKS_FOR_JS = re.compile(r"javascript|JavaScript|JS を|有効にして", re.IGNORECASE)
_NOT_TEXT = ("script", "style", "noscript", "template", "svg")


def browser_hint(html: str, article_text: str | None = None) -> str | None:
    """Why ``html`` looks like an app shell whose article a script puts in place, or None."""
    root = parse_html(html)
    bundle = _bundle(root)
    if bundle is None:
        return None
    text = _page_chars(root)
    short_article = article_text is not None and len(article_text) < SHELL_ARTICLE_CHARS
    if text >= SHELL_CHARS and not (short_article and text < SHELL_PAGE_CHARS):
        return None
    signs = [f"{text} characters of text", bundle]
    mount = _empty_mount(root)
    if mount is not None:
        signs.append(f"an empty {mount}")
    if _noscript_asks(root):
        signs.append("a <noscript> asking for JavaScript")
    if mount is None and len(signs) == 2 and text >= SHELL_CHARS // 3:
        return None  # short, with scripts, but nothing says a script builds the page
    return "an app shell: " + ", ".join(signs)


def config_lines(url: str) -> str:
    """The config.toml lines that render ``url``'s site in a browser."""
    parts = urlsplit(url)
    return f'[[site]]\nmatch = "{parts.scheme}://{parts.netloc}/*"\nrender = "browser"'


def _bundle(root: Element) -> str | None:
    """The script bundle a page loads: its first external or module script, or a long
    inline one."""
    inline = 0
    for script in root.iter("script"):
        kind = (script.get("type") or "").strip().lower()
        if kind and kind not in ("module", "text/javascript", "application/javascript"):
            continue  # JSON, templates: data, not code
        src = (script.get("src") or "").strip()
        if src:
            return f"a script bundle ({src[:80]})"
        inline += len(script.text or "")
    if inline >= INLINE_BUNDLE_CHARS:
        return f"{inline} characters of inline script"
    return None


def _page_chars(root: Element) -> int:
    """Characters of text a reader sees without scripts running."""
    body = root.find("body")
    scope = body if body is not None else root
    copy = copy_of(scope)
    etree.strip_elements(copy, *_NOT_TEXT, with_tail=False)
    return len(normalize_line(" ".join(copy.itertext())))


def _empty_mount(root: Element) -> str | None:
    """An empty element a script mounts the page on, named as a person reads it."""
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        ident = (element.get("id") or "").strip()
        custom = "-" in element.tag and element.tag not in ("font-face",)
        if (ident.lower() in MOUNT_IDS or custom or element.get("data-reactroot") is not None) and (
            not normalize_line(" ".join(element.itertext()))
        ):
            return f'<{element.tag} id="{ident}">' if ident else f"<{element.tag}>"
    return None


def _noscript_asks(root: Element) -> bool:
    return any(_ASKS_FOR_JS.search(" ".join(n.itertext())) for n in root.iter("noscript"))

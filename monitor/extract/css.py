"""CSS selectors on lxml trees, through cssselect (CSS -> XPath, compiled once and cached).

config.py validates site rules with :func:`check_selector`, so a selector that passes
validation is one that this module can run.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache

from cssselect import HTMLTranslator, SelectorError
from lxml import etree

from monitor.extract.text import Element, drop_tree

log = logging.getLogger(__name__)

_TRANSLATOR = HTMLTranslator()


def check_selector(selector: str) -> str | None:
    """None if ``selector`` is valid CSS, else a one-line reason."""
    try:
        _TRANSLATOR.css_to_xpath(selector)
    except SelectorError as exc:
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return None


@lru_cache(maxsize=1024)
def _compiled(selector: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector))


def _joined(selectors: Iterable[str]) -> str:
    return ", ".join(selectors)


def select(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Elements matching any selector, in document order."""
    selector = _joined(selectors)
    if not selector:
        return []
    found = _compiled(selector)(root)
    return [e for e in found if isinstance(e, etree._Element)] if isinstance(found, list) else []


def select_one(root: Element, selectors: Iterable[str]) -> Element | None:
    """The first element matching any selector, in document order."""
    found = select(root, selectors)
    return found[0] if found else None


def select_outermost(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Elements matching any selector, in document order, without nested duplicates."""
    found = select(root, selectors)
    ids = set(found)
    return [e for e in found if not any(a in ids for a in e.iterancestors())]


def remove(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Drop the elements matching any selector (their tails stay); the ones dropped."""
    dropped = select_outermost(root, selectors)
    for element in dropped:
        drop_tree(element)
    return dropped

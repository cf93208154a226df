"""CSS selectors on lxml trees, through cssselect (CSS -> XPath, compiled once and cached).

config.py validates site rules with :func:`monitor.config.check_selector`, so a selector that passes
validation is one that this module can run.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import cast

from cssselect import HTMLTranslator
from lxml import etree

from monitor.extract.text import TREE_EDITS, Element, drop_tree

log = logging.getLogger(__name__)

_TRANSLATOR = HTMLTranslator()


@lru_cache(maxsize=1024)
def _compiled(selector: str) -> etree.XPath:
    return etree.XPath(_TRANSLATOR.css_to_xpath(selector))


def _joined(selectors: Iterable[str]) -> str:
    return ", ".join(selectors)


_SIMPLE = re.compile(
    r"^(?P<tag>[A-Za-z][\w-]*)?(?P<parts>(?:[#.][\w-]+|\[[\w-]+(?:=[\w-]+|=\"[^\"]*\")?\])*)$"
)
_PART = re.compile(r"([#.])([\w-]+)|\[([\w-]+)(?:=\"?([^\"\]]*)\"?)?\]")


@dataclass(frozen=True)
class _Simple:
    """A selector without combinators: tag, #id, .classes, [attr] or [attr=value]."""

    tag: str | None
    id: str | None
    classes: frozenset[str]
    attrs: tuple[tuple[str, str | None], ...]

    def matches(self, element: Element) -> bool:
        if self.tag is not None and element.tag != self.tag:
            return False
        if self.id is not None and element.get("id") != self.id:
            return False
        if self.classes and not self.classes <= set(_class_names(element)):
            return False
        return all(
            element.get(name) is not None and (value is None or element.get(name) == value)
            for name, value in self.attrs
        )


@lru_cache(maxsize=1024)
def _simple(selector: str) -> _Simple | None:
    """The selector as a _Simple, or None when it needs the full CSS engine."""
    match = _SIMPLE.match(selector.strip())
    if match is None or not (match.group("tag") or match.group("parts")):
        return None
    ident, classes, attrs = None, set(), []
    for kind, name, attr, value in _PART.findall(match.group("parts")):
        if kind == "#" and ident is not None:
            return None  # two ids: leave the (empty) answer to the full engine
        if kind == "#":
            ident = name
        elif kind == ".":
            classes.add(name)
        else:
            attrs.append((attr.lower(), value or None))  # HTML attribute names ignore case
    tag = match.group("tag")
    return _Simple(tag.lower() if tag else None, ident, frozenset(classes), tuple(attrs))


class _Index:
    """One pass over a document: its elements in order, and by id, class and tag."""

    def __init__(self, root: Element) -> None:
        self.order: dict[Element, int] = {}
        self.by_key: dict[str, list[Element]] = {}
        for position, element in enumerate(root.iter()):
            if not isinstance(element.tag, str):
                continue
            self.order[element] = position
            self.by_key.setdefault(element.tag, []).append(element)
            for name in _class_names(element):
                self.by_key.setdefault("." + name, []).append(element)
            ident = element.get("id")
            if ident:
                self.by_key.setdefault("#" + ident, []).append(element)

    def candidates(self, simple: _Simple) -> list[Element]:
        if simple.id is not None:
            return self.by_key.get("#" + simple.id, [])
        if simple.classes:
            return self.by_key.get("." + min(simple.classes), [])
        if simple.tag is not None:
            return self.by_key.get(simple.tag, [])
        return list(self.order)


_ASCII_SPACE = re.compile(r"[ \t\n\f\r]+")


def _class_names(element: Element) -> list[str]:
    """The element's classes, split on ASCII whitespace only (as HTML and CSS do)."""
    return [name for name in _ASCII_SPACE.split(element.get("class") or "") if name]


_CACHE = threading.local()


def _index_of(root: Element) -> _Index:
    """The index of ``root``, reused until the tree changes (one per thread)."""
    cached = getattr(_CACHE, "entry", None)
    if cached is not None and cached[0] is root and cached[1] == TREE_EDITS[0]:
        return cast(_Index, cached[2])
    index = _Index(root)
    _CACHE.entry = (root, TREE_EDITS[0], index)
    return index


def select(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Elements matching any selector, in document order.

    Simple selectors (tag, #id, .class, [attr=value]) are answered from one indexing pass;
    a union of many class selectors as one XPath costs ~20 times more on a news page.
    Selectors with combinators or pseudo-classes go through cssselect's XPath one by one.
    """
    joined = _joined(selectors)
    if not joined.strip():
        return []
    if any(mark in joined for mark in "\"'(\\"):  # a comma may sit in a value or :not()
        return _xpath(root, joined)
    wanted = [part.strip() for part in joined.split(",") if part.strip()]
    index = _index_of(root)
    found: set[Element] = set()
    for selector in wanted:
        simple = _simple(selector)
        if simple is not None:
            found.update(e for e in index.candidates(simple) if simple.matches(e))
        else:
            found.update(_xpath(root, selector))
    return sorted(found, key=lambda e: index.order.get(e, -1))


def _xpath(root: Element, selector: str) -> list[Element]:
    """The full CSS engine: cssselect's XPath, in document order."""
    result = _compiled(selector)(root)
    return [e for e in result if isinstance(e, etree._Element)] if isinstance(result, list) else []


def select_one(root: Element, selectors: Iterable[str]) -> Element | None:
    """The first element matching any selector, in document order."""
    found = select(root, selectors)
    return found[0] if found else None


def select_outermost(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Elements matching any selector, in document order, without nested duplicates."""
    found = select(root, selectors)
    ids = set(found)
    return [e for e in found if not any(a in ids for a in e.iterancestors())]


def forget(root: Element) -> None:
    """Drop this thread's cached index of ``root`` (its document is done with)."""
    cached = getattr(_CACHE, "entry", None)
    if cached is not None and cached[0] is root:
        _CACHE.entry = None


def remove(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Drop the elements matching any selector (their tails stay); the ones dropped."""
    dropped = select_outermost(root, selectors)
    for element in dropped:
        drop_tree(element)
    return dropped

"""CSS selectors on lxml trees, through cssselect (CSS -> XPath, compiled once and cached).

config.py validates site rules with :func:`monitor.config.check_selector`, so a selector that passes
validation is one that this module can run.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from cssselect import HTMLTranslator
from lxml import etree

from monitor.extract.text import Element, drop_tree

log = logging.getLogger(__name__)

_TRANSLATOR = HTMLTranslator()
#: CSS whitespace: ASCII only (a no-break or an ideographic space is part of a name to CSS)
_CSS_SPACE = " \t\n\r\f"


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

    @property
    def is_one_key(self) -> bool:
        """Whether the index's key answers it alone: a tag, an id or one class."""
        parts = (self.tag is not None) + (self.id is not None) + len(self.classes)
        return parts == 1 and not self.attrs

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


@dataclass(frozen=True)
class _Chain:
    """A selector of simple compounds joined by descendant and child combinators
    (``article .entry-content``, ``main > h1.title``), matched right to left as browsers
    match: the last compound on the element, then the others on its ancestors up to the
    root the selection runs on (cssselect's XPath for it scans every element of the page
    for the first compound, often with ``normalize-space``: ~0.2 ms on a news page)."""

    compounds: tuple[_Simple, ...]
    #: ``children[i]``: ``compounds[i + 1]`` must be a child of ``compounds[i]`` (``>``),
    #: not just a descendant
    children: tuple[bool, ...]

    @property
    def last(self) -> _Simple:
        return self.compounds[-1]

    def matches(self, element: Element, root: Element) -> bool:
        """Whether ``element`` (``root`` or below it) matches, counting ancestors up to
        ``root`` only."""
        return self._matches(element, len(self.compounds) - 1, root)

    def _matches(self, element: Element, index: int, root: Element) -> bool:
        if not self.compounds[index].matches(element):
            return False
        if index == 0:
            return True
        if element is root:
            return False
        if self.children[index - 1]:
            parent = element.getparent()
            return parent is not None and self._matches(parent, index - 1, root)
        for ancestor in element.iterancestors():
            if self._matches(ancestor, index - 1, root):
                return True
            if ancestor is root:
                break
        return False


_CHAIN_SPLIT = re.compile(r"[ \t\n\r\f]*(>)[ \t\n\r\f]*|[ \t\n\r\f]+")


@lru_cache(maxsize=1024)
def _chain(selector: str) -> _Chain | None:
    """The selector as a _Chain of two or more simple compounds, or None."""
    parts = _CHAIN_SPLIT.split(selector.strip(_CSS_SPACE))
    if len(parts) < 3:
        return None
    compounds = [_simple(part) for part in parts[0::2]]
    if any(compound is None for compound in compounds):
        return None
    children = tuple(combinator == ">" for combinator in parts[1::2])
    return _Chain(tuple(c for c in compounds if c is not None), children)


@lru_cache(maxsize=1024)
def _simple(selector: str) -> _Simple | None:
    """The selector as a _Simple, or None when it needs the full CSS engine."""
    match = _SIMPLE.match(selector.strip(_CSS_SPACE))
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
    """One pass over a document: its elements in order, and by id, class, tag and the names
    of their attributes; less those removed since (:meth:`forget`)."""

    def __init__(self, root: Element) -> None:
        self.gone: set[Element] = set()
        elements = list(root.iter(etree.Element))  # no comments
        self.order: dict[Element, int] = {e: i for i, e in enumerate(elements)}
        by_key: dict[str, list[Element]] = {}
        self.by_key = by_key
        for element in elements:
            by_key.setdefault(str(element.tag), []).append(element)
            for name, value in element.items():
                by_key.setdefault("[" + name, []).append(element)
                if name == "class" and value:
                    for part in _split_classes(value):
                        by_key.setdefault("." + part, []).append(element)
                elif name == "id" and value:
                    by_key.setdefault("#" + value, []).append(element)

    def forget(self, removed: Iterable[Element]) -> None:
        """These elements were removed from the document, with their subtrees."""
        for element in removed:
            self.gone.update(element.iter())

    def candidates(self, simple: _Simple) -> list[Element]:
        found: Iterable[Element]
        if simple.id is not None:
            found = self.by_key.get("#" + simple.id, [])
        elif simple.classes:
            found = self.by_key.get("." + min(simple.classes), [])
        elif simple.tag is not None:
            found = self.by_key.get(simple.tag, [])
        elif simple.attrs:
            found = self.by_key.get("[" + simple.attrs[0][0], [])
        else:
            found = self.order
        return [e for e in found if e not in self.gone] if self.gone else list(found)


_ASCII_SPACE = re.compile(r"[ \t\n\f\r]+")


def _class_names(element: Element) -> list[str]:
    """The element's classes, split on ASCII whitespace only (as HTML and CSS do)."""
    return _split_classes(element.get("class") or "")


def _split_classes(value: str) -> list[str]:
    if value.isascii() and value.isprintable():  # no whitespace but spaces: str.split's
        return value.split()
    return [name for name in _ASCII_SPACE.split(value) if name]


class Document:
    """A page's tree and its selector index, owned by one extraction: the index is built on
    the first selection and dropped by every edit made through :meth:`remove` or told of
    with :meth:`changed`. Nothing is shared between extractions or threads."""

    def __init__(self, root: Element, *, indexed: bool = True) -> None:
        self.root = root
        self._index: _Index | None = None
        #: False for a page selected from once or twice (a replay): indexing every element
        #: costs more than finding each selector's candidates with libxml2's XPath
        self.indexed = indexed
        #: without an index, what each candidate XPath found (rule packs look for the
        #: same ``.entry-content``), until the tree is edited
        self._scans: dict[str, list[Element]] = {}

    def changed(self) -> None:
        """The tree was edited: the index is stale."""
        self._index = None
        self._scans.clear()

    def _scan(self, path: str) -> list[Element]:
        """The elements a candidate XPath finds (once per path, until an edit)."""
        found = self._scans.get(path)
        if found is None:
            found = self._scans[path] = _elements(self.root, path)
        return found

    def index(self) -> _Index:
        if self._index is None:
            self._index = _Index(self.root)
        return self._index

    def select(self, selectors: Iterable[str]) -> list[Element]:
        """Elements matching any selector, in document order.

        Simple selectors (tag, #id, .class, [attr=value]) are answered from one indexing
        pass; a union of many class selectors as one XPath costs ~20 times more on a news
        page. Selectors with combinators or pseudo-classes go through cssselect's XPath one
        by one.
        """
        joined = _joined(selectors)
        if not joined.strip():
            return []
        if any(mark in joined for mark in "\"'(\\"):  # a comma may sit in a value or :not()
            return _xpath(self.root, joined)
        wanted = [part.strip(_CSS_SPACE) for part in joined.split(",") if part.strip(_CSS_SPACE)]
        if not self.indexed and self._index is None:
            return _scanned(self.root, wanted, self._scan)
        found: set[Element] = set()
        for selector in wanted:
            simple = _simple(selector)
            if simple is not None and simple.is_one_key:
                found.update(self.index().candidates(simple))
            elif simple is not None:
                found.update(e for e in self.index().candidates(simple) if simple.matches(e))
            elif (chain := _chain(selector)) is not None:
                candidates = self.index().candidates(chain.last)
                found.update(e for e in candidates if chain.matches(e, self.root))
            else:
                found.update(_xpath(self.root, selector))
        if len(found) < 2:  # no order to find: the index is built only if a selector needs it
            return list(found)
        return self.in_order(found)

    def having(self, attribute: str) -> list[Element]:
        """The elements with ``attribute`` (a lowercase name), in document order: the
        index's answer, with no selector to match."""
        if self.indexed or self._index is not None:
            return self.index().candidates(_Simple(None, None, frozenset(), ((attribute, None),)))
        return _scanned(self.root, [f"[{attribute}]"], self._scan)

    def in_order(self, elements: Iterable[Element]) -> list[Element]:
        """``elements`` (of this document) in document order."""
        order = self.index().order
        return sorted(elements, key=lambda e: order.get(e, -1))

    def select_one(self, selectors: Iterable[str]) -> Element | None:
        """The first element matching any selector, in document order."""
        found = self.select(selectors)
        return found[0] if found else None

    def select_outermost(self, selectors: Iterable[str]) -> list[Element]:
        """Elements matching any selector, in document order, without nested duplicates."""
        found = self.select(selectors)
        ids = set(found)
        return [e for e in found if not any(a in ids for a in e.iterancestors())]

    def remove(self, elements: Iterable[Element]) -> None:
        """Drop these elements (their tails stay); the index forgets them (rebuilding it
        costs about a millisecond on a news page)."""
        dropped = list(elements)
        for element in dropped:
            drop_tree(element)
        self.forget(dropped)

    def forget(self, removed: Iterable[Element]) -> None:
        """These elements left the tree (with their subtrees) by other means than
        :meth:`remove`: the index forgets them."""
        gone = list(removed)
        if gone:
            self._scans.clear()
        if gone and self._index is not None:
            self._index.forget(gone)


#: A selector made of type, ``#id``, ``.class`` and ``[attr]`` parts joined by descendant or
#: child combinators: what it matches depends on each element and its ancestors alone, so
#: removing other elements first can never make it match more.
_NAMES_ONLY = re.compile(
    r"""^\s*(?:[\w\-.#*]|\[[\w\-]+(?:[~|^$*]?=(?:[\w\-]+|"[^"]*"|'[^']*'))?\])+"""
    r"""(?:\s*[\s>]\s*(?:[\w\-.#*]|\[[\w\-]+(?:[~|^$*]?=(?:[\w\-]+|"[^"]*"|'[^']*'))?\])+)*\s*$"""
)


def names_only(selector: str) -> bool:
    """Whether ``selector`` matches by names and attributes only (see :data:`_NAMES_ONLY`):
    not ``:nth-child``, ``+``, ``~``, ``:not``, ``:has``, ``:contains``, whose matches
    depend on the elements around, which a removal before them may change."""
    return _NAMES_ONLY.match(selector) is not None


def any_may_match(selectors: Iterable[str], elements: Sequence[Element], root: Element) -> bool:
    """Whether one of ``selectors`` may match one of ``elements`` (of the tree under
    ``root``): its last compound matches one (a superset of what the selector matches),
    or, where that part needs the full engine, the selector itself matches one over the
    whole tree."""
    keys = {key for element in elements for key in _keys(element)}
    for selector in selectors:
        last = _last_part(selector)
        if last is None:
            found = set(_xpath(root, selector))
            if any(e in found for e in elements):
                return True
        elif _key(last) in keys and any(last.matches(e) for e in elements):
            return True
    return False


@lru_cache(maxsize=1024)
def _last_part(selector: str) -> _Simple | None:
    return _simple(_CHAIN_SPLIT.split(selector.strip(_CSS_SPACE))[-1])


def _key(simple: _Simple) -> str:
    """The one name an element must have for ``simple`` to match it (as the index keys)."""
    if simple.id is not None:
        return "#" + simple.id
    if simple.classes:
        return "." + min(simple.classes)
    if simple.tag is not None:
        return simple.tag
    return "*"


def _keys(element: Element) -> list[str]:
    found = [str(element.tag), "*"]
    ident = element.get("id")
    if ident:
        found.append("#" + ident)
    found += ["." + name for name in _class_names(element)]
    return found


def select(root: Element, selectors: Iterable[str]) -> list[Element]:
    """Elements of ``root`` matching any selector, in document order (one-off)."""
    return Document(root).select(selectors)


def _scanned(
    root: Element, selectors: list[str], scan: Callable[[str], list[Element]]
) -> list[Element]:
    """What :meth:`Document.select` finds, in document order, without an index: one XPath
    union of the selectors (a simple selector's candidates by one of its parts, and a
    chain's by its last compound's: a superset that :meth:`_Simple.matches` and
    :meth:`_Chain.matches` then decide on, as the index's would). ``scan``: how a
    candidate XPath is evaluated (the document's, which remembers what each found)."""
    simples: list[_Simple] = []
    chains: list[_Chain] = []
    exact: list[str] = []  # the selectors the full engine answers
    paths: list[str] = []  # the candidates of the others
    for selector in selectors:
        simple = _simple(selector)
        chain = _chain(selector) if simple is None else None
        if simple is not None:
            simples.append(simple)
            paths.append(_candidates_path(simple))
        elif chain is not None:
            chains.append(chain)
            paths.append(_candidates_path(chain.last))
        else:
            exact.append(_TRANSLATOR.css_to_xpath(selector))
    if not simples and not chains:  # each alone (a union costs libxml2 more), in order
        found = {e for path in exact for e in _elements(root, path)}
        return _elements(root, " | ".join(exact)) if len(found) > 1 else list(found)
    answered = set(_elements(root, " | ".join(exact))) if exact else set()
    union = " | ".join([*_unsubsumed(paths), *exact])
    return [
        e
        for e in scan(union)
        if any(simple.matches(e) for simple in simples)
        or any(chain.matches(e, root) for chain in chains)
        or e in answered
    ]


def _unsubsumed(paths: list[str]) -> list[str]:
    """Candidate paths (:func:`_candidates_path`) once each, less those the same path for
    any tag finds a superset of (``h1/@class[contains(., 'x')]`` beside
    ``*/@class[contains(., 'x')]``): libxml2 walks the page once for each path of a union."""
    unique = list(dict.fromkeys(paths))
    found = set(unique)
    return [p for p in unique if p == (star := _ANY_TAG.sub(r"\1*", p, 1)) or star not in found]


_ANY_TAG = re.compile(r"^(descendant-or-self::)[\w-]+(?=/@|\[|$)")


def _elements(root: Element, path: str) -> list[Element]:
    result = _compiled_path(path)(root)
    return [e for e in result if isinstance(e, etree._Element)] if isinstance(result, list) else []


def _candidates_path(simple: _Simple) -> str:
    """An XPath finding every element ``simple`` may match (and maybe a few more). An id or
    a class is looked for on the attribute axis (``*/@class[...]/..``): libxml2 then tests
    only the elements that have the attribute, twice as fast on a news page."""
    tag = simple.tag or "*"
    if simple.id is not None:
        return f"descendant-or-self::{tag}/@id[. = {_literal(simple.id)}]/.."
    if simple.classes:
        name = min(simple.classes)
        return f"descendant-or-self::{tag}/@class[contains(., {_literal(name)})]/.."
    if simple.attrs and _XPATH_NAME.match(simple.attrs[0][0]):
        return f"descendant-or-self::{tag}[@{simple.attrs[0][0]}]"
    return f"descendant-or-self::{tag}"  # (an attribute named ``-a`` is no XPath name)


_XPATH_NAME = re.compile(r"^[A-Za-z_][\w.-]*$")


def _literal(text: str) -> str:
    """``text`` as an XPath string literal."""
    if "'" not in text:
        return f"'{text}'"
    if '"' not in text:
        return f'"{text}"'
    return "concat(" + ', "\'", '.join(f"'{part}'" for part in text.split("'")) + ")"


@lru_cache(maxsize=256)
def _compiled_path(path: str) -> etree.XPath:
    return etree.XPath(path)


def _xpath(root: Element, selector: str) -> list[Element]:
    """The full CSS engine: cssselect's XPath, in document order."""
    result = _compiled(selector)(root)
    return [e for e in result if isinstance(e, etree._Element)] if isinstance(result, list) else []

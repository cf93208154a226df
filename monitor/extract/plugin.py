"""Site plugins: a few lines of Python where selectors are not enough.

``[[site]] plugin = "module:function"`` names a function that gets the page as a
BeautifulSoup object (parsed by lxml) and its URL, and returns the article: a ``Tag`` (the
element holding it), a string (its text, one block per line), a list of either, or None when
it finds no article. The module is imported from the environment or, failing that, from the
config file's folder (:attr:`Rules.plugin_path`), once per process.

What a plugin returns goes through the path of any rule: an element loses the rules' ``remove``
selectors, hidden text and live elements, and is serialised like a content selector's
element; text is normalised; both lose the ``ignore`` patterns' lines. A plugin that raises,
cannot be imported or returns nothing is an :class:`~monitor.errors.ExtractError` naming it:
the check is an extraction error, never a change, and the baseline stays as it was.
"""

from __future__ import annotations

import importlib
import logging
import sys
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from monitor.config import Rules
from monitor.errors import ExtractError
from monitor.extract.blocks import blocks_of
from monitor.extract.css import Document
from monitor.extract.explain import Trace, sample_of
from monitor.extract.live import drop_live_elements
from monitor.extract.text import Element

log = logging.getLogger(__name__)

Plugin = Callable[[Any, str], object]


@lru_cache(maxsize=64)
def load_plugin(spec: str, folder: str = "") -> Plugin:
    """The function ``spec`` ("module:function") names; ExtractError if there is none."""
    module_name, _, name = spec.partition(":")
    if folder and folder not in sys.path:
        sys.path.append(folder)  # after the environment: a plugin never shadows a library
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:
        raise ExtractError(f"site plugin {spec}: cannot import {module_name}: {exc!r}") from exc
    function = getattr(module, name, None)
    if not callable(function):
        raise ExtractError(f"site plugin {spec}: {module_name} has no function {name!r}")
    return function  # type: ignore[no-any-return]


def run_plugin(rules: Rules, html: str, url: str | None) -> list[Element | str]:
    """The article the plugin finds in ``html``: lxml elements and text blocks, in order."""
    from bs4 import BeautifulSoup, Tag

    function = load_plugin(rules.plugin, rules.plugin_path)
    soup = BeautifulSoup(html, "lxml")
    try:
        found = function(soup, url or "")
    except Exception as exc:
        raise ExtractError(
            f"site plugin {rules.plugin} raised {type(exc).__name__}: {exc}"
        ) from exc
    items = found if isinstance(found, list | tuple) else [found]
    parts: list[Element | str] = []
    for item in items:
        if isinstance(item, Tag):
            parts.append(_element(str(item)))
        elif isinstance(item, str):
            parts.extend(line for line in item.splitlines() if line.strip())
        elif item is not None:
            raise ExtractError(
                f"site plugin {rules.plugin} returned a {type(item).__name__}: "
                "expected a BeautifulSoup Tag, a string, a list of them or None"
            )
    if not parts:
        raise ExtractError(f"site plugin {rules.plugin} found no article on the page")
    return parts


def _element(markup: str) -> Element:
    """A Tag's markup as an lxml element (in a wrapper of its own)."""
    from monitor.extract.parse import parse_html

    root = parse_html(f"<html><body><div>{markup}</div></body></html>")
    body = root.find("body")
    wrapper = body[0] if body is not None and len(body) else root
    return wrapper


def plugin_lines(
    parts: list[Element | str], rules: Rules, always_remove: tuple[str, ...], trace: Trace
) -> list[str]:
    """The plugin's article as text lines: each element less ``always_remove``, the rules'
    ``remove`` selectors and live elements, serialised as a content selector's would be."""
    lines: list[str] = []
    trace.chose("plugin", (rules.plugin,))
    for part in parts:
        if isinstance(part, str):
            lines.append(part)
            continue
        doc = Document(part)
        for reason, selectors in (
            ("always removed", always_remove),
            ("plugin remove", rules.remove),
        ):
            dropped = doc.select_outermost(selectors)
            trace.removed_elements(reason, selectors, dropped, doc)
            doc.remove(dropped)
        for reason, element in drop_live_elements(doc, [part]).removed:
            trace.removed_texts(f"live element: {reason}", [sample_of(element)])
        lines.extend(blocks_of([part]))
    return lines

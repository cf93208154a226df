"""The selector engine: its fast path (one index per page) agrees with cssselect's XPath."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract.css import _xpath, select
from monitor.extract.parse import parse_html

CASES = Path(__file__).parents[1] / "data" / "extract"
HAND = """<html><body><div id="b" class="a c">x</div><div class="a&#160;b">nbsp</div>
<span class="a b" role="dialog" data-x="1">y</span><p class="A">upper</p>
<a id="x" class="y" href="#">z</a><ul><li>1</li><li class="a">2</li></ul>
<div data-kind="a,b">comma</div><article><div class="entry-content">c</div></article>
<h1 class="post-title entry-title">t</h1></body></html>"""
SELECTORS = [
    ".a",
    "#b",
    "div.a.b",
    "[role=dialog]",
    "[data-x]",
    "DIV.a",
    "a#x.y",
    "h1.post-title.entry-title",
    "article .entry-content",
    "ul > li",
    ".a, .b",
    "[ROLE=dialog]",
    "[DATA-X]",
    "#a#b",
    "div[data-kind='a,b']",
    "li.a",
    "span",
    ".A",
    ".stream-item",
    ".screen-reader-text",
    "#related-posts",
    "[hidden]",
]
PAGES = {"hand": HAND} | {p.stem: p.read_text(encoding="utf-8") for p in CASES.glob("*.html")}


@pytest.mark.parametrize("page", list(PAGES))
def test_fast_path_agrees_with_cssselect(page: str) -> None:
    root = parse_html(PAGES[page])
    for selector in SELECTORS:
        fast = select(root, [selector])
        full = _xpath(root, selector)
        assert fast == full, selector


def test_several_selectors_come_back_once_each_in_document_order() -> None:
    root = parse_html(HAND)
    found = select(root, [".a", "#b", "li"])
    assert found == sorted(set(found), key=lambda e: list(root.iter()).index(e))
    assert len(found) == len(set(found))

"""The selector engine: its fast path (one index per page) agrees with cssselect's XPath."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract.css import Document, _xpath, select
from monitor.extract.parse import parse_html

CASES = Path(__file__).parents[1] / "data" / "extract"
HAND = """<html><body><div id="b" class="a c">x</div><div class="a&#160;b">nbsp</div>
<span class="a b" role="dialog" data-x="1">y</span><p class="A">upper</p>
<a id="x" class="y" href="#">z</a><ul><li>1</li><li class="a">2</li></ul>
<div data-kind="a,b">comma</div><article><div class="entry-content">c</div></article>
<h1 class="post-title entry-title">t</h1>
<section class="a"><div class="b"><div class="c"><p class="d">deep</p></div></div>
<div class="c"><span><p class="d">not a child of .c</p></span></div></section>
<main><section class="b"><article class="c"><p>in main</p></article></section></main>
<div id="a&#160;b"><p>in a no-break id</p></div><div id="a"><b>bold</b><p -a="v">dash</p></div>
</body></html>"""
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
    ".a .d",
    ".a > .d",
    ".b > .c > .d",
    ".b .c > .d",
    ".a .b .c .d",
    "section.a div.c p",
    "section > div > div > p.d",
    "main p",
    "main > p",
    "body > main section.b > article p",
    ".c .c",
    "html body",
    "body > h1.entry-title",
    ".c > span p.d",
    "article h1.entry-title",
    ".hentry .entry-content",
    "div.a > p, main article",
    "#a\xa0b",
    "#a\xa0b p",
    "div\xa0p",
    "div\u3000.b",
    "div [-a]",
    "#a > [-a=v]",
]
PAGES = {"hand": HAND} | {p.stem: p.read_text(encoding="utf-8") for p in CASES.glob("*.html")}


@pytest.mark.parametrize("page", list(PAGES))
def test_fast_path_agrees_with_cssselect(page: str) -> None:
    root = parse_html(PAGES[page])
    for selector in SELECTORS:
        fast = select(root, [selector])
        full = _xpath(root, selector)
        assert fast == full, selector


@pytest.mark.parametrize("page", list(PAGES))
def test_selections_below_an_element_and_without_an_index_agree_with_cssselect(
    page: str,
) -> None:
    """Chains are matched right to left, their ancestors counted up to the element the
    selection runs on (as cssselect's XPath from that element does), with an index or with
    one scan (a replay's selections)."""
    root = parse_html(PAGES[page])
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    tops = [root, *elements[1 : len(elements) : max(1, len(elements) // 12)]]
    for top in tops:
        for selector in SELECTORS:
            full = _xpath(top, selector)
            assert Document(top).select([selector]) == full, selector
            assert Document(top, indexed=False).select([selector]) == full, selector
        several = SELECTORS[-9:]
        assert Document(top, indexed=False).select(several) == _xpath(top, ", ".join(several))


def test_a_chain_is_matched_with_ancestors_up_to_the_root_only() -> None:
    root = parse_html(HAND)
    below = root.find(".//section[@class='a']/div[@class='b']")
    assert below is not None
    assert [e.text for e in Document(below).select([".a .d"])] == []
    assert [e.text for e in Document(below).select([".b .d"])] == ["deep"]
    assert [e.text for e in Document(below, indexed=False).select([".b > .c > .d"])] == ["deep"]
    assert [e.text for e in Document(root).select([".c > .d"])] == ["deep"]


def test_several_selectors_come_back_once_each_in_document_order() -> None:
    root = parse_html(HAND)
    found = select(root, [".a", "#b", "li"])
    assert found == sorted(set(found), key=lambda e: list(root.iter()).index(e))
    assert len(found) == len(set(found))


def test_an_indexed_page_selects_by_attribute_only_what_is_still_in_the_tree() -> None:
    """``[role=dialog]`` on an indexed page is answered by libxml2 from the tree as it is:
    an element removed since the index was built is not found, one still there is."""
    root = parse_html(HAND)
    doc = Document(root)
    assert [e.text for e in doc.select(["[role=dialog]"])] == ["y"]  # builds the index
    doc.remove(doc.select(["span"]))
    assert doc.select(["[role=dialog]"]) == [] == _xpath(root, "[role=dialog]")
    assert doc.select(["[data-kind]", "#b"]) == _xpath(root, "[data-kind], #b")
    assert len(doc.select(["[data-kind]", "#b"])) == 2


@pytest.mark.parametrize("indexed", [True, False])
def test_elements_having_an_attribute_are_those_the_attribute_selector_finds(
    indexed: bool,
) -> None:
    root = parse_html(HAND)
    for name in ("role", "data-x", "class", "href", "-a", "hidden"):
        doc = Document(root, indexed=indexed)
        having = doc.having(name)
        assert set(having) == set(Document(root).select([f"[{name}]"]))
        if name != "-a":  # (no XPath name)
            assert doc.in_order(having) == _xpath(root, f"[{name}]")
    assert [e.get("-a") for e in Document(root, indexed=indexed).having("-a")] == ["v"]


def test_an_unindexed_page_scans_once_per_candidate_path_and_again_after_an_edit() -> None:
    """Rule packs look for the same ``.entry-content``: the second look reuses the first
    scan; a removal makes the page scanned again; a tag-bound candidate path beside the same
    path for any tag is not walked twice, and the answer is cssselect's."""
    root = parse_html(HAND)
    doc = Document(root, indexed=False)
    assert [e.text for e in doc.select(["article .entry-content"])] == ["c"]
    scans = dict(doc._scans)
    assert [e.text for e in doc.select([".hentry .entry-content, article .entry-content"])] == ["c"]
    assert doc._scans == scans  # the same candidate path: no new scan
    assert doc.select(["h1.entry-title", ".entry-title"]) == _xpath(root, "h1.entry-title")
    assert len(doc._scans) == 2 and all(" | " not in path for path in doc._scans)
    doc.remove(doc.select([".entry-content"]))
    assert doc._scans == {}
    assert doc.select(["article .entry-content"]) == [] == _xpath(root, "article .entry-content")

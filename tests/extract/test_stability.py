"""The same article body gives byte-identical text whatever changes around it.

Every extraction case of tests/data/extract is changed only around its body, the way sites
change between two fetches or after a theme update, and must extract exactly as before. A
one-character edit inside the body must come through as exactly that edit.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import lxml.html
import pytest
from lxml.html import HtmlElement

from monitor.diff import diff_texts
from monitor.extract import extract_article

CASES = Path(__file__).parents[1] / "data" / "extract"
CASE_NAMES = sorted(p.stem for p in CASES.glob("*.html"))
CHROME = "//aside | //nav | //footer | //header[not(ancestor::article)]"
WIDGETS = (
    "//*[contains(@class, 'sidebar') or contains(@class, 'widget') or contains(@class, 'related')"
    " or contains(@class, 'popular') or contains(@class, 'ranking') or contains(@id, 'related')]"
)


def load(case: str) -> str:
    return (CASES / f"{case}.html").read_text(encoding="utf-8")


def parse(html: str) -> HtmlElement:
    return lxml.html.document_fromstring(html)


def serialize(root: HtmlElement) -> str:
    return "<!DOCTYPE html>\n" + lxml.html.tostring(root, encoding="unicode")


def reorder_sidebars(html: str) -> str:
    """Widgets, lists of popular and related posts, menus: children in reverse order."""
    root = parse(html)
    for element in root.xpath(f"{CHROME} | {WIDGETS}"):
        for lst in [element, *element.xpath(".//ul | .//ol")]:
            children = list(lst)
            for child in children:
                lst.remove(child)
            for child in reversed(children):
                lst.append(child)
    return serialize(root)


def new_nonces_and_ad_ids(html: str) -> str:
    """Fresh nonces in scripts and hidden inputs, new ad and tracking attributes."""
    rng = random.Random(42)
    root = parse(html)
    for script in root.xpath("//script"):
        if script.text:
            script.text = re.sub(
                r"[0-9a-f]{8,}", lambda m: f"{rng.getrandbits(48):012x}", script.text
            )
    for element in root.xpath("//input[@type='hidden'] | //*[@data-ad-slot] | //*[@data-id]"):
        for name in ("value", "data-ad-slot", "data-id"):
            if element.get(name) is not None:
                element.set(name, str(rng.getrandbits(32)))
    ads = (
        "//*[contains(@class, 'stream-item') or contains(@class, 'adsbygoogle')"
        " or contains(concat(' ', normalize-space(@class), ' '), ' ad ')"
        " or contains(concat(' ', normalize-space(@class)), ' ad-')]"
    )
    for element in root.xpath(ads):
        element.set("id", f"ad-{rng.getrandbits(24)}")
    return serialize(root)


def add_a_comment(html: str) -> str:
    """One more reader comment, wherever the page keeps its comments."""
    root = parse(html)
    comment = lxml.html.fragment_fromstring(
        '<li class="comment"><div class="comment-body"><p>A new comment: great article, '
        "ありがとうございます。</p></div></li>"
    )
    lists = root.xpath("//ol[contains(@class, 'comment')] | //ul[contains(@class, 'comment')]")
    if lists:
        lists[0].append(comment)
    else:
        box = lxml.html.fragment_fromstring(
            '<div class="comments"><ol class="comment-list"></ol></div>'
        )
        box[0].append(comment)
        (root.xpath("//body") or [root])[0].append(box)  # a page without <body> tag
    return serialize(root)


def minify(html: str) -> str:
    """What a minifier does: whitespace between tags removed, runs of whitespace collapsed."""
    html = re.sub(r">\s+<", "><", html)
    return re.sub(r"[ \t\r\n]+", " ", html)


def rename_theme_classes(html: str) -> str:
    """A theme update: new class names on the page chrome (body, header, nav, sidebars, footer)."""
    root = parse(html)
    for element in [*root.xpath("//body"), *root.xpath(f"({CHROME})//descendant-or-self::*")]:
        classes = element.get("class")
        if classes:
            element.set("class", " ".join(f"v2-{name}" for name in classes.split()))
    return serialize(root)


TRANSFORMS: dict[str, Callable[[str], str]] = {
    "reorder sidebars": reorder_sidebars,
    "new nonces and ad ids": new_nonces_and_ad_ids,
    "add a comment": add_a_comment,
    "minify whitespace": minify,
    "rename theme classes": rename_theme_classes,
}


@pytest.mark.parametrize("transform", list(TRANSFORMS))
@pytest.mark.parametrize("case", CASE_NAMES)
def test_text_is_identical_when_only_the_surroundings_change(case: str, transform: str) -> None:
    html = load(case)
    url = f"https://example.test/{case}/"
    changed = TRANSFORMS[transform](html)
    assert changed != html
    before, after = extract_article(html, url), extract_article(changed, url)
    assert after.document == before.document
    assert after.document.encode("utf-8") == before.document.encode("utf-8")


def test_all_transforms_at_once() -> None:
    for case in CASE_NAMES:
        html = load(case)
        changed = html
        for transform in TRANSFORMS.values():
            changed = transform(changed)
        url = f"https://example.test/{case}/"
        assert extract_article(changed, url).document == extract_article(html, url).document


def _edit_one_character(html: str, body_line: str) -> tuple[str, str, str]:
    """Change one character in the middle of ``body_line`` where it appears in the page;
    the text that must show as removed and added: that character in CJK text, the word
    around it in Latin text (diffs show whole words)."""
    middle = len(body_line) // 2
    old = body_line[middle]
    cjk = "\u3040" <= old <= "\u9fff"
    new = ("乙" if old != "乙" else "甲") if cjk else ("x" if old != "x" else "y")
    anchor = body_line[middle - 6 : middle]
    assert anchor and html.count(anchor + old) == 1
    edited = html.replace(anchor + old, anchor + new)
    if cjk:
        return edited, old, new
    word = next(m for m in re.finditer(r"\w+", body_line) if m.start() <= middle < m.end())
    changed = (
        word.group()[: middle - word.start()] + new + word.group()[middle - word.start() + 1 :]
    )
    return edited, word.group(), changed


@pytest.mark.parametrize("case", CASE_NAMES)
def test_one_character_edit_in_the_body_comes_through_exactly(case: str) -> None:
    html = load(case)
    url = f"https://example.test/{case}/"
    before = extract_article(html, url)
    lines = [line for line in before.text.splitlines() if len(line) > 40]
    line = next(
        line
        for line in lines
        if line[len(line) // 2].isalnum()
        and html.count(line[len(line) // 2 - 6 : len(line) // 2 + 1]) == 1
    )
    edited, old, new = _edit_one_character(html, line)
    after = extract_article(edited, url)
    assert len(after.document) == len(before.document)
    diff = diff_texts(before.document, after.document)
    assert [(op.op, op.text) for op in diff.ops if op.op] == [(-1, old), (1, new)]

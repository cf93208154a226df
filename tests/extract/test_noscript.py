"""monitor.extract.noscript: a ``<noscript>`` copy of the article is the article, for the
extraction and for every replay; a notice, an image fallback or a copy of what the page
shows anyway is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract import extract_article, learn_article, replay_fingerprint
from monitor.extract.noscript import shown_without_script
from monitor.extract.parse import parse_html
from monitor.extract.volatile import Volatility

CASE = Path(__file__).parents[1] / "data" / "extract" / "blog_post_noscript_copy.html"
URL = "https://transit.example/2026/11/ferry.html"
FIRST = "From the first Monday of December the harbour ferry will run every twenty minutes"
P = (
    "The museum reopens its east wing after two years of repairs to the roof, which had "
    "let in water during the storms of the last two winters.",
    "Admission stays free on the first Sunday of each month, and the café on the ground "
    "floor will keep its opening hours until the end of the season.",
)


def tags(html: str) -> list[str]:
    root = parse_html(html)
    shown_without_script(root)
    return [str(e.tag) for e in root.iter() if e.tag in ("noscript", "div")]


def test_a_noscript_holding_the_article_becomes_a_block() -> None:
    copy = f"<noscript><p>{P[0]}</p><p>{P[1]}</p></noscript>"
    html = f"<body><div><script>draw()</script>{copy}</div></body>"
    assert tags(html) == ["div", "div"]


@pytest.mark.parametrize(
    "noscript",
    [
        "<p>Please enable JavaScript to read this site. It needs it for everything.</p>",
        '<img src="pixel.gif" alt="">',
        f"<p>{P[0]}</p>",  # one paragraph: a notice, however long
        f"<p>{P[0]}</p><p>Short.</p>",
    ],
)
def test_a_notice_or_a_fallback_stays_script_only(noscript: str) -> None:
    html = f"<body><p>Shown text.</p><noscript>{noscript}</noscript></body>"
    assert tags(html) == ["noscript"]


def test_a_copy_of_what_the_page_shows_anyway_stays_script_only() -> None:
    shown = f"<div class='lazy'><p>{P[0]}</p><p>{P[1]}</p></div>"
    copy = f"<noscript><p>{P[0]}</p><p>{P[1]}</p></noscript>"
    assert tags(f"<body>{shown}{copy}</body>") == ["div", "noscript"]
    # the same words in other markup, split by inline elements
    split = P[0].replace("two years", "<em>two</em> years")
    assert tags(f"<body><section>{split}</section>{copy}</body>") == ["noscript"]


def test_the_post_is_extracted_from_its_noscript_copy() -> None:
    article = extract_article(CASE.read_text(encoding="utf-8"), URL)
    assert article.text.startswith(FIRST)
    assert "enable JavaScript" not in article.text


@pytest.mark.parametrize(
    "old, new",
    [
        ("the annual passenger count", "the autumn passenger count"),  # the first paragraph
        ("at 23:40", "at 23:10"),  # a number
        ("Works on the south landing", "Works on the north landing"),  # the subheading
        ("confirmed by the harbour office.", "confirmed by the port authority."),  # the last line
    ],
)
def test_an_edit_of_the_noscript_copy_is_never_replayed_as_unchanged(old: str, new: str) -> None:
    before = CASE.read_text(encoding="utf-8")
    after = before.replace(old, new)
    assert after.count(new) == before.count(old) == 1
    first, learning = learn_article(before, URL)
    assert learning is not None and old in first.text
    unchanged = learning.fingerprint(Volatility())
    assert replay_fingerprint(before, learning, Volatility()) == unchanged
    assert new in extract_article(after, URL).text
    assert replay_fingerprint(after, learning, Volatility()) != unchanged

"""monitor.extract.noscript: a ``<noscript>`` copy of the article is the article, for the
extraction and for every replay; a notice, an image fallback or a copy of what the page
shows anyway is not."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract import extract_article, learn_article, replay_fingerprint
from monitor.extract.learned import Learned
from monitor.extract.noscript import MAX_COPIES, shown_without_script
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


def test_a_notice_about_javascript_needs_the_length_of_a_post() -> None:
    notice = (
        "The interactive map below needs JavaScript to draw the departures of each pier, so "
        "without it you only see this message instead of the map and the table."
    )
    turn_on = (
        "Turn JavaScript on in your browser settings and reload this page, or download the "
        "printable timetable from the timetables section of our site."
    )
    two = f"<noscript><p>{notice}</p><p>{turn_on}</p></noscript>"
    assert tags(f"<body><p>Shown.</p>{two}</body>") == ["noscript"]
    post = f"<noscript><p>{notice}</p><p>{turn_on}</p><p>{P[0]}</p><p>{P[1]}</p></noscript>"
    assert tags(f"<body><p>Shown.</p>{post}</body>") == ["div"]  # a post about JavaScript


CAFE = (
    "The café of the museum reopens after two years of repairs to the roof, which had let in "
    "water during the storms of the last two winters."
)


@pytest.mark.parametrize(
    "old, new", [("museum", "mu\u00adseum"), ("museum", "mu\u200bseum"), ("é", "e\u0301")]
)
def test_a_copy_is_compared_with_the_page_as_normalised(old: str, new: str) -> None:
    """Soft hyphens, zero-width spaces and decomposed accents do not hide that the page
    shows the copy's text anyway."""
    shown = CAFE.replace(old, new)
    assert shown != CAFE
    html = f"<body><div><p>{shown}</p><p>{P[1]}</p></div>"
    html += f"<noscript><p>{CAFE}</p><p>{P[1]}</p></noscript></body>"
    assert tags(html) == ["div", "noscript"]


def test_text_the_page_hides_is_not_shown() -> None:
    copy = f"<noscript><p>{P[0]}</p><p>{P[1]}</p></noscript>"
    for hidden in (f'<div hidden="">{P[0]}</div>', f"<textarea>{P[0]}</textarea>"):
        assert tags(f"<body>{hidden}{copy}</body>")[-1] == "div"


def test_a_page_of_many_copies_shows_none() -> None:
    copy = f"<noscript><p>{P[0]}</p><p>{P[1]}</p></noscript>"
    root = parse_html(f"<body>{copy * (MAX_COPIES + 1)}</body>")
    assert shown_without_script(root) == "copies:many"
    assert len(root.findall(".//noscript")) == MAX_COPIES + 1
    root = parse_html(f"<body>{copy * MAX_COPIES}</body>")
    assert shown_without_script(root) == "copies:" + "1" * MAX_COPIES


def test_the_post_is_extracted_from_its_noscript_copy() -> None:
    article = extract_article(CASE.read_text(encoding="utf-8"), URL)
    assert article.text.startswith(FIRST)
    assert "enable JavaScript" not in article.text


def test_what_was_learned_says_it_read_a_copy() -> None:
    _, learning = learn_article(CASE.read_text(encoding="utf-8"), URL)
    assert learning is not None and learning.copies == "copies:1"
    lines = Learned("generic", "", learning).describe()
    assert "<noscript> copies of the article: 1 of 1 read" in lines
    assert Learned.from_json(Learned("generic", "", learning).to_json()) is not None


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


INTRO = (
    '<div class="post-intro"><p>The winter timetable for the harbour ferry is out. We have '
    "thinned out the early weekday crossings and used the quieter weeks for works at the "
    "south landing.</p><p>Here is what changes, when it changes, and where to find printed "
    "timetables at the piers; questions are welcome below.</p></div>"
)
OPENING = CASE.read_text(encoding="utf-8").split("<noscript>\n<p>")[1].split("</p>")[0]


def featuring(snippet: str) -> str:
    """The case's page with a visible intro, and a widget featuring ``snippet``."""
    widget = f'<div class="featured"><h2>Featured post</h2><div>{snippet}</div></div>'
    html = CASE.read_text(encoding="utf-8").replace(
        '<div class="post-body">', INTRO + '<div class="post-body">'
    )
    return html.replace('<aside class="sidebar">', '<aside class="sidebar">' + widget)


@pytest.mark.parametrize(
    "before, after",
    [
        # the page showed the copy's opening elsewhere (so the copy stayed hidden); then not
        (featuring(OPENING), featuring(P[0])),
        # the other way round
        (featuring(P[0]), featuring(OPENING)),
    ],
)
def test_a_decision_that_text_elsewhere_changed_is_never_replayed_as_unchanged(
    before: str, after: str
) -> None:
    first, learning = learn_article(before, URL)
    assert learning is not None
    assert extract_article(after, URL).text != first.text  # the article changed
    unchanged = learning.fingerprint(Volatility())
    assert replay_fingerprint(before, learning, Volatility()) == unchanged
    assert replay_fingerprint(after, learning, Volatility()) != unchanged


def test_a_paragraph_that_becomes_prose_is_never_replayed_as_unchanged() -> None:
    short = "x" * 20
    template = (
        "<html><head><title>Ferry notes</title></head><body><h1>Ferry notes</h1>"
        '<div class="post"><p>{intro}</p><noscript><p>{p0}</p><p>{p1}</p></noscript></div>'
        "<footer><p>Footer</p></footer></body></html>"
    )
    intro = "The ferry notes of the week, in short, for readers of the transit blog."
    before = template.format(intro=intro, p0=P[0], p1=P[1][: len(P[1]) - len(short)][:99])
    after = template.format(intro=intro, p0=P[0], p1=P[1])
    first, learning = learn_article(before, URL)
    assert learning is not None
    assert extract_article(after, URL).text != first.text
    assert replay_fingerprint(after, learning, Volatility()) != learning.fingerprint(Volatility())

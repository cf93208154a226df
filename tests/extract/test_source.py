"""A replay that cuts the article's region out of the page's source (monitor.extract.source):
the same fingerprint as long as the region, the title sources and the prose around are the
same, another one (or none) for any edit of them, whatever the markup around does."""

from __future__ import annotations

import pytest

from monitor.extract import learn_article, replay_fingerprint
from monitor.extract.parse import parse_html
from monitor.extract.replay import Learning, find_region, region_lines
from monitor.extract.source import Anchor, anchor_of, locate, may_match
from monitor.extract.volatile import Volatility, learn

PARAGRAPHS = (
    "The council voted on Tuesday to adopt the budget after a hearing that ran well into the "
    "night, with residents speaking for and against the plan.",
    "Most of the increase goes to street repair and to the city's four branch libraries, "
    "which will open on Sundays again from March, the finance director said.",
    "The budget takes effect on July 1, and a vote on water rates follows in December.",
)

PAGE = """<!DOCTYPE html><html lang="en"><head><title>Council adopts the budget | Gazette</title>
<meta property="og:title" content="Council adopts the budget">
<script>var nonce = "{nonce}"; document.write("<div class='ad'>");</script>
</head><body><nav><div class="menu"><a href="/">Home</a> <a href="/news">News</a></div></nav>
<div class="content"><div class="wrap">
<div class="entry-content" data-view="{nonce}"><h1>Council adopts the budget</h1>
<!-- a comment with a stray </div> in it -->
<p>{p0}</p>
<div class="ad-slot" data-token="{nonce}"></div>
<style>.x:after {{ content: "</div>"; }}</style>
<p>{p1}</p>
<figure><img src="a.jpg" alt="The council chamber"><figcaption>The chamber on Tuesday.
</figcaption></figure>
<p>{p2}</p>
</div></div>
<aside><div class="widget"><p>Popular today: {nonce} readers.</p></div></aside>
</div><footer><p>© Gazette</p></footer></body></html>"""


def page(nonce: str = "a1") -> str:
    return PAGE.format(nonce=nonce, p0=PARAGRAPHS[0], p1=PARAGRAPHS[1], p2=PARAGRAPHS[2])


def learned(html: str) -> Learning:
    article, learning = learn_article(html, "https://gazette.example/budget")
    assert article.text and learning is not None
    return learning


def fingerprint(html: str, learning: Learning) -> str | None:
    return replay_fingerprint(html, learning, Volatility())


def test_the_region_is_anchored_and_replays_whatever_changes_outside_it() -> None:
    learning = learned(page())
    assert learning.anchor is not None
    assert learning.anchor.start_tag == '<div class="entry-content" data-view="a1">'
    assert fingerprint(page(), learning) == learning.fingerprint(Volatility())
    # the nonce in the page's scripts, its ad slots and its widgets churns: the region's
    # start tag carries it here, so the region is not found and the page is analysed
    assert fingerprint(page(nonce="b2"), learning) is None


@pytest.mark.parametrize(
    "edit",
    [
        {"four branch libraries": "five branch libraries"},  # a paragraph
        {"July 1": "July 2"},  # the last line
        {"The chamber on Tuesday.": "The chamber on Monday."},  # a caption
        {"<h1>Council adopts the budget</h1>": "<h1>Council adopts a budget</h1>"},
        {'content="Council adopts the budget"': 'content="Council adopts a budget"'},
        {"<title>Council adopts the budget": "<title>Council rejects the budget"},
        # a long paragraph written after the region
        {"</div></div>\n<aside>": f"</div></div><p>{PARAGRAPHS[1]} {PARAGRAPHS[2]}</p><aside>"},
    ],
)
def test_every_edit_of_the_article_gives_another_fingerprint(edit: dict[str, str]) -> None:
    before = page()
    learning = learned(before)
    after = before
    for old, new in edit.items():
        assert old in after
        after = after.replace(old, new)
    assert fingerprint(after, learning) != learning.fingerprint(Volatility())


def test_end_tags_in_comments_scripts_and_styles_do_not_end_the_region() -> None:
    html = page()
    learning = learned(html)
    assert learning.anchor is not None
    span = locate(html, learning.anchor)
    assert span is not None
    assert html[span[0] : span[1]].endswith(PARAGRAPHS[2] + "</p>\n</div>")


def test_an_end_tag_in_an_attribute_value_never_hides_what_follows_it() -> None:
    """A quoted '</div>' ends no element for a parser; for the cut, it is not an end tag
    either, and if it were, the lines would not be those learned."""
    html = page().replace('alt="The council chamber"', 'alt="The council </div> chamber"')
    learning = learned(html)
    edited = html.replace("July 1", "July 2")
    assert fingerprint(edited, learning) != learning.fingerprint(Volatility())
    assert fingerprint(html, learning) == learning.fingerprint(Volatility())


def test_the_nth_of_identical_start_tags_is_found() -> None:
    teaser = '<div class="entry-content"><p>Another story, in a teaser.</p></div>'
    html = page().replace("<nav>", f"<nav>{teaser}").replace(' data-view="a1"', "")
    learning = learned(html)
    assert learning.anchor == Anchor('<div class="entry-content">', 1, "div")
    assert fingerprint(html, learning) == learning.fingerprint(Volatility())
    edited = html.replace("four branch", "five branch")
    assert fingerprint(edited, learning) != learning.fingerprint(Volatility())
    moved = html.replace(teaser, teaser + teaser)  # now the third one: another region
    assert fingerprint(moved, learning) != learning.fingerprint(Volatility())


def test_a_region_whose_markup_cannot_be_cut_out_is_replayed_from_the_whole_page() -> None:
    """A region the parser ends where its source never ends it (no end tag: the parser
    closes it with the page) has no anchor; a replay parses the whole page."""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    html = (
        "<html><head><title>Council adopts the budget</title></head><body>"
        f'<nav><a href="/">Home</a></nav><div class="story"><h1>Council adopts the budget</h1>'
        f"{paragraphs}</body></html>"
    )
    learning = learned(html)
    root = parse_html(html)
    region = find_region(root, learning.region)
    assert region is not None and region.get("class") == "story"
    assert anchor_of(html, region, region_lines(region), region_lines) is None
    assert learning.anchor is None
    assert fingerprint(html, learning) == learning.fingerprint(Volatility())
    edited = html.replace("July 1", "July 2")
    assert fingerprint(edited, learning) != learning.fingerprint(Volatility())


def test_the_whole_page_is_never_an_anchor() -> None:
    html = "<html><body><p>" + "</p><p>".join(PARAGRAPHS) + "</p></body></html>"
    root = parse_html(html)
    body = root.find("body")
    assert body is not None
    assert anchor_of(html, body, region_lines(body), region_lines) is None


def test_churn_in_the_region_is_left_out_as_learned() -> None:
    html = page().replace("<p>" + PARAGRAPHS[1], "<p>1,204 views</p><p>" + PARAGRAPHS[1])
    learning = learned(html)
    more = html.replace("1,204 views", "1,377 views")
    churn = learn(learning.lines, learned(more).lines)
    assert learning.anchor is not None and not churn.is_empty
    assert replay_fingerprint(more, learning, churn) == learning.fingerprint(churn)
    assert replay_fingerprint(more, learning, Volatility()) != learning.fingerprint(Volatility())


def test_what_was_learned_round_trips_with_its_anchor() -> None:
    learning = learned(page())
    again = Learning.from_dict(learning.as_dict())
    assert again == learning and again.anchor is not None
    assert Learning.from_dict({**learning.as_dict(), "anchor": ["x", "y"]}).anchor is None


WORDPRESS = """<html><head><title>Council adopts the budget</title></head><body>
<article class="post"><h1 class="entry-title">Council adopts the budget</h1>
<div class="entry-content"><p>{p0}</p><p>{p1}</p>
<div class="jp-relatedposts"><h3>Related</h3><ul><li><a href="/a">{teaser}</a></li></ul></div>
<p>{p2}</p></div></article></body></html>"""


def wordpress(teaser: str) -> str:
    return WORDPRESS.format(teaser=teaser, p0=PARAGRAPHS[0], p1=PARAGRAPHS[1], p2=PARAGRAPHS[2])


def test_what_extraction_removes_first_is_left_out_of_the_region() -> None:
    """A related-posts box inside the article's container, which the WordPress rule pack
    removes before anything is read, rotates its teasers on every request: never article
    text, so never a reason to analyse the page again. An edit beside it still shows."""
    learning = learned(wordpress("Parking fees rise in March"))
    assert ".jp-relatedposts" in learning.removed
    assert not any("Parking" in line for line in learning.lines)
    same = learning.fingerprint(Volatility())
    assert fingerprint(wordpress("The library reopens on Sundays"), learning) == same
    edited = wordpress("Parking fees rise in March").replace("four branch", "five branch")
    assert fingerprint(edited, learning) != same
    again = Learning.from_dict(learning.as_dict())
    assert again.removed == learning.removed


def test_a_selector_may_match_only_markup_holding_the_names_it_needs() -> None:
    markup = '<div class="share-bar" role="dialog"><a id="respond">x</a></div>'
    assert may_match(".share-bar", markup) and may_match("#respond", markup)
    assert may_match("[role=dialog]", markup) and may_match("div.share-bar a", markup)
    assert not may_match(".jp-relatedposts", markup) and not may_match("#comments", markup)
    assert may_match("div:not(.absent)", markup)  # needs no 'absent'

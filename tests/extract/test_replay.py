"""A replay (monitor.extract.replay): the same fingerprint as long as the article's region
(less what extraction removes first), the title sources and the prose around are the same;
another one (or none) for any edit of them, whatever the markup around does. A replay never
says a page is unchanged where a full analysis finds its article changed."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from monitor.extract import extract_article, learn_article, replay_fingerprint
from monitor.extract.learned import Learning
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


def test_an_end_tag_in_an_attribute_value_never_hides_what_follows_it() -> None:
    """A quoted '</div>' ends no element."""
    html = page().replace('alt="The council chamber"', 'alt="The council </div> chamber"')
    learning = learned(html)
    edited = html.replace("July 1", "July 2")
    assert fingerprint(edited, learning) != learning.fingerprint(Volatility())
    assert fingerprint(html, learning) == learning.fingerprint(Volatility())


def test_churn_in_the_region_is_left_out_as_learned() -> None:
    html = page().replace("<p>" + PARAGRAPHS[1], "<p>1,204 views</p><p>" + PARAGRAPHS[1])
    learning = learned(html)
    more = html.replace("1,204 views", "1,377 views")
    churn = learn(learning.lines, learned(more).lines)
    assert not churn.is_empty
    assert replay_fingerprint(more, learning, churn) == learning.fingerprint(churn)
    assert replay_fingerprint(more, learning, Volatility()) != learning.fingerprint(Volatility())


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


STORY = (
    "<p>The city council approved the budget of 100 million yen on Monday.</p>"
    "<p>Second paragraph of the article, with more words in it.</p>"
)
ADDED = "<p>A sentence added at the end of the article.</p>"


def story(body: str = STORY, before: str = "", heading: str = "") -> str:
    heading = heading or '<h1 class="entry-title">The headline</h1>'
    return (
        "<!DOCTYPE html><html><head><title>Site name</title></head><body>"
        f'{before}<article class="post type-post hentry">{heading}'
        f'<div class="entry-content">{body}</div></article></body></html>'
    )


def _unclosed_heading(title: str) -> str:
    return f'<header><h1 class="entry-title">{title}</header>'


#: Pages whose markup changed around or inside the article (found by a review of a replay
#: that read the region's markup off the page's source instead of parsing the page): a
#: replay must never find them unchanged while a full analysis sees the article change.
EDITED_AROUND = {
    "an old copy in a comment before it": (
        story(),
        story(STORY.replace("100", "120"), f'<!-- <div class="entry-content">{STORY}</div> -->'),
    ),
    "an old copy in <noscript> before it": (
        story(),
        story(
            STORY.replace("100", "120"),
            f'<noscript><div class="entry-content">{STORY}</div></noscript>',
        ),
    ),
    "the region wrapped in screen-reader text": (
        story(),
        story().replace(
            '<div class="entry-content">', '<span class="sr-only"><div class="entry-content">'
        ),
    ),
    "an unclosed <textarea> before the article": (
        story(),
        story().replace("<article", "<textarea><article"),
    ),
    "'<!-->' inside the region": (story(), story(f"<!--><div>{STORY}<!-- --></div>{ADDED}")),
    "'--!>' inside the region": (story(), story(f"<!-- x --!><div>{STORY}<!-- --></div>{ADDED}")),
    "a leaked '<?php ... </div> ?>'": (story(), story(f"{STORY}<?php echo '</div>'; ?>{ADDED}")),
    "'</div>' in an iframe": (story(), story(f"{STORY}<iframe></div></iframe>{ADDED}")),
    "an unquoted value holding a quote": (story(), story(f'<div class=x"y>{STORY}</div>{ADDED}')),
    "text hidden by an escaped class name": (
        story(),
        story(STORY.replace("100 million yen", '<span class="sr&#45;only">100 million yen</span>')),
    ),
    "text in an upper-case role=dialog": (
        story(),
        story(STORY.replace("100 million yen", '<span ROLE="dialog">100 million yen</span>')),
    ),
    "a headline in an <h1> never closed": (
        story(heading=_unclosed_heading("Council approves budget")),
        story(heading=_unclosed_heading("Council rejects budget")),
    ),
}


@pytest.mark.parametrize("case", sorted(EDITED_AROUND))
def test_a_replay_never_finds_unchanged_what_a_full_analysis_finds_changed(case: str) -> None:
    before, after = EDITED_AROUND[case]
    url = "https://example.com/a"
    first, learning = learn_article(before, url)
    assert learning is not None
    again = extract_article(after, url)
    assert (again.title, again.text) != (first.title, first.text)  # the article changed
    assert fingerprint(after, learning) != learning.fingerprint(Volatility())


def test_a_learning_that_read_the_region_otherwise_teaches_no_churn() -> None:
    """A watch learned by the release before left nothing out of its region; its next full
    analysis does. What differs between the two readings (the related-posts and share boxes
    at the article's end) is no churn: learned as churn, it would hide a short line added
    at the article's end."""
    from dataclasses import replace

    from monitor.analyse import analyse_page
    from monitor.config import Rules
    from monitor.extract import EXTRACTOR_VERSION
    from monitor.extract.learned import Learned
    from monitor.extract.parse import parse_html
    from monitor.extract.replay import find_region, region_lines
    from monitor.learn import after_unchanged, rules_key

    def post(teaser: str, extra: str = "") -> str:
        paragraphs = "".join(
            f"<p>Paragraph {n} of the report, with more in it.</p>" for n in range(14)
        )
        return (
            "<html><head><title>Site</title></head><body>"
            '<article class="post type-post hentry"><h1 class="entry-title">Headline</h1>'
            f'<div class="entry-content"><p>The council approved the budget.</p>{paragraphs}'
            f'{extra}<div class="jp-relatedposts"><h3>Related</h3><p>{teaser}</p></div>'
            '<div class="sharedaddy"><h3>Share this:</h3><ul><li>Twitter</li><li>Facebook</li>'
            "</ul></div></div></article></body></html>"
        )

    url = "https://gazette.example/budget"
    now = learned(post("Teaser one"))
    region = find_region(parse_html(post("Teaser one")), now.region)
    assert region is not None
    before = replace(now, removed=(), lines=tuple(region_lines(region)))  # boxes read too
    assert len(before.lines) == len(now.lines) + 5
    old = Learned(EXTRACTOR_VERSION, rules_key(Rules()), before)
    analysis = analyse_page(post("Teaser two"), url, Rules(), None)
    after = after_unchanged(old, analysis, Rules())
    assert after is not None and after.region.is_empty and after.learning.removed
    update = post("Teaser two", "<p>Update: two more council members resigned over the vote</p>")
    assert replay_fingerprint(update, after.learning, after.churn) != after.fingerprint


LONG = (
    "<p>The council met on Tuesday evening and voted on the budget for the coming year, after"
    " a long debate that lasted hours.</p><p>Members of the public were allowed to speak for"
    " three minutes each before the vote took place in the main hall.</p>"
)


def _story(inner: str, title: str = "<h1>Council votes on budget</h1>") -> str:
    return (
        "<html><head><title>Council votes on budget</title></head><body>"
        f'{title}<div class="story">{inner}{LONG}</div></body></html>'
    )


def _post(inner: str, wrapper: str = "post hentry", heading: str = "h1") -> str:
    return (
        "<html><head><title>Site name</title></head><body>"
        f'<article class="{wrapper}"><{heading} class="entry-title">Council votes on budget'
        f'</{heading}><div class="entry-content">{inner}{LONG}</div></article></body></html>'
    )


def _both(make: Callable[[str], str], template: str, old: str, new: str) -> tuple[str, str]:
    return make(template.format(old)), make(template.format(new))


VOTE = ("approved the budget by 12 votes to 3", "rejected the budget by 3 votes to 12")

#: Pages whose article changed where a replay might not look (found by a second review):
#: removal selectors whose matches depend on what was removed before them, a page that
#: stopped matching the rule pack whose removals were learned, an ancestor of the region
#: that extraction now removes, a title selected outside the region. Each: the page before,
#: the page after, the site rule.
READ_AS_EXTRACTION_READS: dict[str, tuple[tuple[str, str], dict[str, tuple[str, ...]]]] = {
    ":nth-child": (
        _both(_story, '<span class="sr-only">Listen</span><p>PARIS: the council {}.</p>', *VOTE),
        {"content": (".story",), "remove": (".story > p:nth-child(2)",)},
    ),
    "span + p": (
        _both(_post, '<span class="screen-reader-text">2 minutes</span><p>It {}.</p>', *VOTE),
        {"remove": ("span + p",)},
    ),
    ":contains": (
        _both(_story, '<p>It {}. <span class="visually-hidden">Sponsored</span></p>', *VOTE),
        {"content": (".story",), "remove": ("p:contains('Sponsored')",)},
    ),
    ":not(:first-child)": (
        _both(
            _story, '<div class="cap"><div class="off-screen">Image</div><p>It {}.</p></div>', *VOTE
        ),
        {"remove": (".cap > :not(:first-child)",)},
    ),
    ":has": (
        _both(_story, '<p>It {}.<span class="sr-only"><a href="/x">more</a></span></p>', *VOTE),
        {"content": (".story",), "remove": ("p:has(a)",)},
    ),
    "the page stops matching the rule pack": (
        (
            _post(f'<div class="wpcnt"><p>It {VOTE[0]}.</p></div>').replace("article", "div"),
            _post(f'<div class="wpcnt"><p>It {VOTE[1]}.</p></div>', "x").replace("article", "div"),
        ),
        {},
    ),
    "an ancestor now removed": ((_post(""), _post("", "post hentry visually-hidden")), {}),
    "a title selected outside the region": (
        (_post("", heading="h2"), _post("", heading="h2").replace("votes on", "rejects the")),
        {},
    ),
}


@pytest.mark.parametrize("case", sorted(READ_AS_EXTRACTION_READS))
def test_a_replay_reads_what_extraction_reads(case: str) -> None:
    from monitor.config import Rules

    (before, after), rule = READ_AS_EXTRACTION_READS[case]
    rules = Rules(**rule)
    url = "https://example.com/a"
    first, learning = learn_article(before, url, rules)
    assert learning is not None
    unchanged = learning.fingerprint(Volatility())
    assert replay_fingerprint(before, learning, Volatility(), rules) == unchanged  # replays
    again = extract_article(after, url, rules)
    assert (again.title, again.text) != (first.title, first.text)  # the article changed
    assert replay_fingerprint(after, learning, Volatility(), rules) != unchanged

"""Live elements inside the article (extract/live.py) and characters that are not text
(extract/chars.py): what changes between fetches goes, the article's sentences stay."""

from __future__ import annotations

import pytest

from monitor.config import Rules
from monitor.extract import extract_article
from monitor.extract.chars import clean_chars
from monitor.extract.live import decode_cf_email, drop_live_lines, is_live_line
from monitor.samplesite.hostile import cf_obfuscate

SENTENCE = "The council voted 7-2 on Tuesday night to adopt the budget after a long hearing."


def page(body: str) -> str:
    paragraphs = "".join(
        f"<p>{SENTENCE} This is paragraph {n} of the article, with words enough.</p>"
        for n in range(4)
    )
    return (
        "<html><head><title>Budget adopted</title></head><body><nav><a href='/'>Home</a></nav>"
        f"<article><h1>Budget adopted</h1>{paragraphs}{body}</article></body></html>"
    )


def text_of(body: str) -> str:
    return extract_article(page(body), "https://news.example/a/").text


@pytest.mark.parametrize(
    "line",
    [
        "Updated 5 minutes ago",
        "Last updated: 2 hours ago",
        "3時間前",
        "5分前に更新",
        "12 comments",
        "Comments (12)",
        "コメント(3)",
        "1.2K shares",
        "No comments yet",
        "You have 3 free articles left this month.",
        "今月あと2本の記事を無料で読めます。",
        "vor 5 Minuten",
        "il y a 3 heures",
    ],
)
def test_a_line_that_is_only_live_is_dropped(line: str) -> None:
    assert is_live_line(line)
    assert text_of(f"<p>{line}</p>") == text_of("")


@pytest.mark.parametrize(
    "line",
    [
        "The fire started 20 minutes ago, officials said, and crews are still on the scene.",
        "He scored 12 points in the final quarter.",
        "Comments from residents were mostly critical of the plan to close the library.",
        "Three years ago the council rejected a similar budget.",
    ],
)
def test_a_sentence_with_a_time_or_a_count_stays(line: str) -> None:
    assert not is_live_line(line)
    assert line in text_of(f"<p>{line}</p>")


def test_php_errors_are_removed_wherever_they_are() -> None:
    warning = (
        "<br />\n<b>Warning</b>:  Undefined variable $x in "
        "<b>/var/www/html/wp-content/themes/t/single.php</b> on line <b>12</b><br />\n"
    )
    assert text_of(f"<p>{warning}</p>") == text_of("")
    line = "Notice: Trying to get property of non-object in /srv/a.php on line 3 and the rest"
    assert drop_live_lines(line) == "and the rest"


@pytest.mark.parametrize(
    "box",
    [
        '<div aria-live="polite"><p>09:41 Update 7: officials say more will follow soon.</p></div>',
        '<div class="live-updates"><p>09:41 Update 7: officials say more will follow.</p></div>',
        '<div role="log"><p>09:41 Update 7: officials say more information will follow.</p></div>',
        '<ol class="comment-list"><li><p>Reader 4: I have thoughts about this story.</p></li></ol>',
        '<div itemprop="comment" itemscope itemtype="https://schema.org/Comment"><p>Reader 4 '
        "says this is a good article and wants more.</p></div>",
        '<div class="native-ad"><p>Sponsored: save 20% on a new mattress this week only.</p></div>',
        '<ins class="adsbygoogle" data-ad-slot="123"><p>Buy now and save a lot of money.</p></ins>',
        '<div class="cookie-banner"><p>We use cookies to improve your experience here.</p></div>',
    ],
)
def test_what_the_page_marks_as_live_goes(box: str) -> None:
    assert text_of(box) == text_of("")


def test_a_relative_time_in_a_time_element_reads_the_same_on_every_fetch() -> None:
    def posted(ago: str) -> str:
        return text_of(f'<p>Posted <time datetime="2026-11-27T09:00:00Z">{ago}</time> by Ann</p>')

    assert posted("5 minutes ago") == posted("6 minutes ago") == posted("2 hours ago")
    assert "Posted by Ann" in posted("just now")


def test_a_negated_name_is_no_widget_and_the_declared_body_is_kept() -> None:
    html = (
        "<html><body><nav>"
        + "".join(f"<a href='/{n}'>Section {n}</a>" for n in range(40))
        + "</nav><div class='no-comments article-comments-disabled' itemprop='articleBody'>"
        + "".join(f"<p>{SENTENCE} Paragraph {n}.</p>" for n in range(3))
        + "</div></body></html>"
    )
    assert extract_article(html).text.count("Paragraph") == 3


def test_an_a_b_headline_gives_way_to_the_page_s_own_title() -> None:
    html = (
        page("")
        .replace(
            "<title>Budget adopted</title>",
            '<title>Budget adopted</title><meta property="og:title" content="Budget adopted">',
        )
        .replace("<h1>Budget adopted</h1>", '<h1 data-variant="b">You will not believe it</h1>')
    )
    assert extract_article(html).title == "Budget adopted"


def test_cloudflare_e_mail_obfuscation_reads_as_the_address() -> None:
    address = "press@news.example"
    assert decode_cf_email(cf_obfuscate(address, 0x5A)) == address
    plain = text_of(f'<p>Write to <a href="mailto:{address}">{address}</a> with tips.</p>')
    for key in (0x11, 0xE3):
        hexed = cf_obfuscate(address, key)
        hidden = (
            f'<p>Write to <a href="/cdn-cgi/l/email-protection" class="__cf_email__" '
            f'data-cfemail="{hexed}">[email&#160;protected]</a> with tips.</p>'
        )
        assert text_of(hidden) == plain
        link = f"/cdn-cgi/l/email-protection#{hexed}"
        linked = f'<p>Write to <a href="{link}">[email protected]</a> with tips.</p>'
        assert text_of(linked) == plain


def test_what_live_elements_and_decoded_addresses_took_out_is_never_selected_again() -> None:
    """The selector index forgets what went (a rebuild costs a millisecond a page): a title
    selector then finds the headline, not an element no longer on the page."""
    hexed = cf_obfuscate("press@news.example", 0x2B)
    before = (
        f'<p>Write to <a href="/cdn-cgi/l/email-protection" data-cfemail="{hexed}">'
        '<span class="headline">[email&#160;protected]</span></a> with tips.</p>'
        '<div class="live-updates"><p class="headline">09:41 Update 7: more soon.</p></div>'
    )
    html = page("").replace(
        "<h1>Budget adopted</h1>", f'{before}<h1 class="headline">Budget adopted, at last</h1>'
    )
    article = extract_article(html, rules=Rules(title=(".headline",)))
    assert article.title == "Budget adopted, at last"


def test_characters_that_are_not_text() -> None:
    assert clean_chars("a\ufffe b\uffff c\ufdd0 d\U0001fffe") == "a b c d"
    assert clean_chars("x\ufffd\ufffd \ufffd\ufffdy") == "x\ufffdy"
    nul = text_of("<p>Before" + "\x00" * 500 + " after, still a sentence of this article.</p>")
    assert "\ufffd" not in nul and "Before after, still a sentence" in nul
    article = extract_article(page("<p>Odd \ufffe&#xFFFF; characters &#xFDD0;in a line.</p>"))
    assert "Odd characters in a line." in article.text


def test_a_live_region_holding_most_of_the_page_s_prose_stays_however_many_links_the_page_has() -> (
    None
):
    """A live blog's feed marked ``aria-live`` is the article: an element holding more than
    MAX_SHARE of the page's text outside links is never removed. Its own links are what
    count against it, not the menus of the rest of the page."""
    entries = "".join(
        f"<p>{SENTENCE} Entry {n} of the live blog, with words enough to be prose.</p>"
        for n in range(6)
    )
    menu = "".join(
        f"<li><a href='/s/{n}'>Section number {n} of the site</a></li>" for n in range(80)
    )
    html = (
        "<html><head><title>Budget: live</title></head><body>"
        f"<nav><ul>{menu}</ul></nav><article><h1>Budget: live</h1>"
        f'<div class="feed" aria-live="polite">{entries}</div></article></body></html>'
    )
    text = extract_article(html, "https://news.example/live/").text
    assert text.count(SENTENCE) == 6


def test_a_link_marked_as_an_ad_has_no_prose_of_its_own_however_long() -> None:
    """A sponsored link, or an ad inside a link, is all link text: it goes, even when it
    holds most of a short page's text."""
    promo = "Sponsored content: discover the best mortgage rates in town, click here"
    for box in (
        f'<a class="sponsor" href="/promo">{promo}</a>',
        f'<a href="/promo"><div class="ad">{promo}</div></a>',
    ):
        html = (
            "<html><head><title>Brief note</title></head><body><article><h1>Brief note</h1>"
            f"<p>The council met on Tuesday and approved the budget.</p>{box}</article>"
            "</body></html>"
        )
        text = extract_article(html, "https://e.example/x", Rules(content=("article",))).text
        assert text == "The council met on Tuesday and approved the budget."

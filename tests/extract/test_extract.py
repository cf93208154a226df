"""Extraction: data-driven cases (tests/data/extract/<case>.html + <case>.txt) and unit tests."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from monitor.config import Rules
from monitor.extract import (
    explain_article,
    extract_article,
    normalize_line,
    normalize_text,
    parse_html,
)
from monitor.extract.blocks import blocks_of
from monitor.extract.boilerplate import line_reason
from monitor.extract.boxes import tables_of_contents

CASES = Path(__file__).parents[1] / "data" / "extract"
CASE_NAMES = sorted(p.stem for p in CASES.glob("*.html"))


@pytest.mark.parametrize("case", CASE_NAMES)
def test_extraction_case(case: str) -> None:
    html = (CASES / f"{case}.html").read_text(encoding="utf-8")
    expected = (CASES / f"{case}.txt").read_text(encoding="utf-8").rstrip("\n")
    article = extract_article(html, f"https://example.test/{case}/")
    assert article.document == expected
    level = CASES / f"{case}.confidence"
    if level.is_file():
        assert article.confidence.level == level.read_text(encoding="utf-8").strip()


def test_there_are_cases() -> None:
    assert {"jannah_ja", "wordpress_en_comments"} <= set(CASE_NAMES)


def test_jannah_page_drops_all_boilerplate() -> None:
    html = (CASES / "jannah_ja.html").read_text(encoding="utf-8")
    article = extract_article(html, "https://example.test/ja/")
    assert article.extractor == "jannah"
    for noise in ("関連記事", "コメントを残す", "Back to top button", "メールアドレスが公開"):
        assert noise not in article.document
    assert "第8戦域維持司令部国家安全保障法チームはハワイを拠点としている。" in article.text
    assert article.text.splitlines()[-1].startswith("第8戦域維持司令部")
    assert article.metadata.language == "ja"
    assert article.metadata.published_at
    assert article.metadata.author


PAGE = """<!doctype html><html lang="en"><head><title>Page title | Site</title>
<meta property="og:site_name" content="Site">
<link rel="canonical" href="/news/story">
<meta property="article:modified_time" content="2026-11-02T10:00:00Z">
<script type="application/ld+json">{"@graph": [{"@type": "WebPage"},
 {"@type": "NewsArticle", "headline": "H", "datePublished": "2026-11-01T09:00:00Z",
  "author": [{"name": "Ann Lee"}, {"name": "Bo Kim"}], "inLanguage": "en"}]}</script>
</head><body>
<nav><a href="/">Home</a></nav>
<div class="story"><h1 class="headline">The  headline\u200b</h1>
<p>First <b>bold</b>paragraph,&nbsp;with   spaces.</p>
<p>Line one<br>line two</p>
<p style="display:none">hidden text</p><p hidden>also hidden</p>
<span class="screen-reader-text">Share on X</span>
<ul><li>item one</li><li>item <i>two</i></li></ul>
<table><tr><td>cell a</td><td>cell b</td></tr></table>
<pre>code line 1
code line 2</pre>
<div class="ad">Buy now</div>
<p>Updated 5 minutes ago</p>
<script>var nonce = "abc";</script><form><input value="x"><button>Send</button></form>
</div><footer>Copyright</footer></body></html>"""


def test_site_rules_select_remove_and_ignore() -> None:
    rules = Rules(
        content=(".story",), title=("h1.headline",), remove=(".ad",), ignore=(r"^Updated \d+",)
    )
    article = extract_article(PAGE, "https://site.test/news/story?x=1", rules)
    assert article.extractor == "site-rule"
    assert article.title == "The headline"
    assert article.text.splitlines() == [
        "First boldparagraph, with spaces.",
        "Line one",
        "line two",
        "item one",
        "item two",
        "cell a cell b",
        "code line 1",
        "code line 2",
    ]


def test_metadata() -> None:
    meta = extract_article(PAGE, "https://site.test/news/story?x=1").metadata
    assert meta.canonical_url == "https://site.test/news/story"
    assert meta.author == "Ann Lee, Bo Kim"
    assert meta.published_at == "2026-11-01T09:00:00Z"
    assert meta.modified_at == "2026-11-02T10:00:00Z"
    assert meta.language == "en"
    assert meta.site_name == "Site"


def test_content_selector_that_matches_nothing_falls_back() -> None:
    article = extract_article(PAGE, None, Rules(content=(".nope",)))
    assert article.extractor == "generic"


def test_normalisation_keeps_full_width_and_drops_zero_width() -> None:
    assert normalize_line("  ＡＢＣ１２３\u200b　です\u00a0 ") == "ＡＢＣ１２３　です"
    assert normalize_line("Cafe\u0301") == "Café"
    assert normalize_text(["a\n\n b ", "", "c"]) == "a\nb\nc"


def test_deeply_nested_markup_does_not_recurse() -> None:
    html = "<div>" * 5000 + "<p>deep text</p>" + "</div>" * 5000
    article = extract_article(html, None, Rules(content=("div",)))
    assert "deep text" in article.text


def test_the_text_after_a_comment_or_processing_instruction_is_read() -> None:
    """The page parser drops them, but a tree given to the serialiser may hold them: their
    tails are text of the element around them."""
    root = lxml.html.fromstring("<div><p>a<!--c-->b<?pi x?>c</p><!--x-->tail</div>")
    assert list(blocks_of([root])) == ["abc", "tail"]


def test_same_body_same_text_whatever_surrounds_it() -> None:
    body = "<div class='entry-content'><p>本文です。</p><p>Second para.</p></div>"
    one = f"<html><body><nav>a</nav><article class='post'>{body}</article><aside>x</aside>"
    reclassed = body.replace("<p>", "<p class='n1'> ")
    two = (
        "<html><body><aside>y z</aside><article class='post'>"
        f"{reclassed}"
        "<div id='comments'>A comment</div></article><footer>f</footer></body></html>"
    )
    assert extract_article(one).text == extract_article(two).text == "本文です。\nSecond para."


def test_empty_and_odd_documents_give_an_empty_article() -> None:
    for html in ("", "   ", "<!-- only a comment -->", '<?xml version="1.0" encoding="utf-8"?>'):
        article = extract_article(html)
        assert (article.title, article.text) == ("", "")
    declared = '<?xml version="1.0" encoding="utf-8"?><html><body><p>本文です。</p></body></html>'
    assert extract_article(declared).text == "本文です。"


def test_parser_drops_comments_but_keeps_their_tails() -> None:
    root = parse_html("<p>one <!-- note -->two<?php x ?> three</p>")
    assert list(blocks_of([root])) == ["one two three"]


def test_markup_deeper_than_libxml2_allows_keeps_its_text() -> None:
    html = "<div>" * 10_000 + "<p>deep text</p>" + "</div>" * 10_000
    assert "deep text" in extract_article(html, None, Rules(content=("p",))).text


def test_ruby_annotations_are_not_text() -> None:
    html = "<article><p><ruby>漢字<rp>(</rp><rt>かんじ</rt><rp>)</rp></ruby>を読む。</p></article>"
    assert extract_article(html, None, Rules(content=("article",))).text == "漢字を読む。"


GENERIC = """<html><head><title>Rains return | Daily</title></head><body>
<header><nav><a href="/">Home</a> <a href="/world">World</a>
 <a href="/sport">Sport</a></nav></header>
<div class="layout"><div class="col">
<h1>Rains return</h1>
<p class="dateline">March 3, 2026 10:15</p>
<figure><img src="a.jpg"><figcaption>Clouds over the bay.</figcaption></figure>
<p>The first rains of the season reached the coast on Monday, ending a dry spell of four months,
 forecasters said, and more are expected this week across the region.</p>
<div class="share-tools"><a href="#">Share on a network with a long name</a></div>
<p>Farmers welcomed the change, though some warned that the ground was too hard to absorb much of
 the water, and that floods were likely in the lower valleys.</p>
<p>Officials asked drivers to take care on the mountain roads, where rock falls are common after
 the first heavy showers of the year, and to check the forecasts.</p>
<ul class="list"><li><a href="/a">Another story about the weather in the north</a></li>
<li><a href="/b">A story about a football match</a></li></ul>
</div>
<aside class="sidebar"><h3>Most read</h3><p>Something long enough to be a paragraph if it were in
 the article, which it is not, as it lives in the sidebar of the page.</p></aside>
</div><footer><p>Copyright Daily, all rights reserved, and more words in the footer.</p></footer>
</body></html>"""


def test_generic_extraction_keeps_article_and_caption_drops_furniture() -> None:
    article = extract_article(GENERIC, "https://daily.test/rains")
    assert article.extractor == "generic"
    assert article.title == "Rains return"
    lines = article.text.splitlines()
    assert lines[0] == "Clouds over the bay."
    assert lines[1].startswith("The first rains") and lines[-1].startswith("Officials asked")
    assert len(lines) == 4


def test_explain_says_what_chose_the_content_and_what_was_dropped() -> None:
    explanation = explain_article(GENERIC, "https://daily.test/rains")
    assert explanation.method == "generic"
    assert explanation.content == ("body > div.layout > div.col",)
    assert explanation.title_source == "an <h1> that agrees with <title>"
    reasons = {r.reason: r for r in explanation.removed}
    assert reasons["generic: name 'share'"].sample == "Share on a network with a long name"
    assert reasons["generic: name 'dateline'"].sample == "March 3, 2026 10:15"
    assert reasons["generic: mostly links"].count == 2
    assert explanation.lines == 4
    assert "method:   generic" in explanation.describe()


def test_explain_names_rule_selectors() -> None:
    rules = Rules(
        content=(".story",), title=("h1.headline",), remove=(".ad",), ignore=(r"^Updated",)
    )
    explanation = explain_article(PAGE, None, rules)
    assert explanation.method == "site-rule"
    assert explanation.content == (".story",)
    assert explanation.title_source == "title selectors ['h1.headline']"
    counts = {r.reason: (r.count, r.sample) for r in explanation.removed}
    assert counts["site-rule remove '.ad'"] == (1, "Buy now")
    assert counts["always removed '.screen-reader-text'"] == (1, "Share on X")
    assert counts["ignore pattern"] == (1, "Updated 5 minutes ago")


def test_jannah_explanation() -> None:
    html = (CASES / "jannah_ja.html").read_text(encoding="utf-8")
    explanation = explain_article(html)
    assert explanation.method == "jannah"
    assert any(r.reason == "jannah remove '#related-posts'" for r in explanation.removed)


def test_control_characters_never_reach_the_text() -> None:
    html = (
        "<html><head><title>T\x1b]0;pwned\x07</title></head><body><article>"
        "<h1>Title\x1b[31m red</h1><p>Body \x1b[2J text\x00 here\x85.</p></article></body></html>"
    )
    article = extract_article(html, None, Rules(content=("article",), title=("h1",)))
    assert "\x1b" not in article.document and "\x07" not in article.document
    assert "\x00" not in article.document and "\x85" not in article.document


def test_a_form_wrapping_the_whole_page_is_not_skipped() -> None:
    paragraphs = "".join(
        f"<p>Paragraph number {i} of the story, with enough words.</p>" for i in range(5)
    )
    html = (
        '<html><body><form id="aspnetForm" method="post"><input type="hidden" name="__VIEWSTATE">'
        f'<div id="content"><h1>Story</h1>{paragraphs}</div></form></body></html>'
    )
    article = extract_article(html, None, Rules(content=("#content",)))
    assert article.text.count("Paragraph number") == 5
    comment_form = "<form><p>Name</p><p>Email</p><textarea></textarea></form>"
    plain = extract_article(
        f"<div id='c'><p>Story text.</p>{comment_form}</div>", None, Rules(content=("#c",))
    )
    assert plain.text == "Story text."


def test_jannah_pack_drops_wordpress_plugin_widgets_in_the_body() -> None:
    html = (
        '<html><body id="tie-body"><article id="the-post"><h1 class="post-title entry-title">'
        'タイトル</h1><div class="entry-content"><p>本文です。</p>'
        '<div class="sharedaddy"><h3>共有:</h3><a>Twitter</a></div>'
        '<div id="jp-relatedposts"><h3>関連</h3></div><div class="a2a_kit"><a>LINE</a></div>'
        "</div></article></body></html>"
    )
    article = extract_article(html, None)
    assert article.extractor == "jannah"
    assert article.text == "本文です。"


def _paragraphs(n: int, word: str = "story") -> str:
    return "".join(
        f"<p>Paragraph {i} of the {word}, with enough words in it to count as article text "
        "for the generic extractor.</p>"
        for i in range(n)
    )


def test_furniture_lines_credits_links_and_prompts_are_dropped() -> None:
    html = (
        "<html><body><div class='story'>"
        f"{_paragraphs(2)}<div>Advertisement</div><p>Don't miss</p>"
        "<figure><img src='a.jpg'><figcaption>A harbour at dawn.</figcaption>"
        "<p>Getty Images</p></figure><p>Photo: Jane Doe, AP</p>"
        "<p>https://news.test/2026/story-with-a-long-slug</p>"
        "<p>Sign up for our free daily newsletter to get the news in your inbox.</p>"
        f"{_paragraphs(2, 'follow-up')}</div></body></html>"
    )
    lines = extract_article(html).text.splitlines()
    assert "A harbour at dawn." in lines  # captions stay: they are article text
    assert len(lines) == 5
    reasons = {r.reason for r in explain_article(html).removed}
    assert {"generic: furniture", "generic: credit or link", "generic: promotion"} <= reasons


@pytest.mark.parametrize(
    ("line", "furniture"),
    [
        ("Back to top", True),
        ("Back to top button", True),
        ("Zurück zur Startseite", True),
        ("Artikel vorlesen", True),
        ("Diesen Artikel teilen", True),
        ("Print this page", True),
        ("Inhaltsverzeichnis [Anzeigen]", True),
        ("Table of contents:", True),
        ("目次", True),
        ("Nach oben gehen die Preise.", False),
        ("Inhalt", False),  # a review's heading over the plot; a table's label only beside one
        ("Vorlesen", False),
        ("Nach oben", False),
        ("Back to top [12 floors]", False),
        ("Contents of the report were leaked to the paper", False),
        ("Back to top form, the striker scored twice", False),
    ],
)
def test_a_page_button_on_a_line_of_its_own_is_furniture(line: str, furniture: bool) -> None:
    assert (line_reason(line) == "furniture") is furniture


@pytest.mark.parametrize(
    ("line", "teaser"),
    [
        ("Weiterlesen: Kein Getreide mehr: Ist glutenfreie Ernährung gesünder?", True),
        ("Lesen Sie auch: Warum ein Spaziergang so gut tut", True),
        ("À lire aussi : Le budget de la ville adopté", True),
        ("LEIA TAMBÉM: Governo anuncia novo programa", True),
        ("Lee también: El ayuntamiento aprueba el presupuesto", True),
        ("Read also: The council's budget, line by line", True),
        ("関連記事：予算案が可決", True),
        ("Weiterlesen auf Utopia.de:", False),  # a label alone heads a closing section
        ("Lesen Sie auch", False),
        ("Weiterlesen", False),
        ("Weiterlesen lohnt sich: der zweite Teil der Studie zeigt, dass die Werte", False),
        (
            "See also: the council debated the plan for three hours, and the mayor said that "
            "the vote on the budget for roads and libraries would be held in the spring",
            False,  # too long for a title: a sentence of the article
        ),
    ],
)
def test_a_read_also_line_inside_a_text_is_a_teaser(line: str, teaser: bool) -> None:
    assert (line_reason(line) == "read-also teaser") is teaser


def test_a_closing_heading_late_in_the_text_ends_the_article() -> None:
    bio = "<h3>About the author</h3><p>Ann Lee writes about the weather for the paper.</p>"
    html = f"<html><body><div class='story'>{_paragraphs(4)}{bio}</div></body></html>"
    text = extract_article(html).text
    assert text.splitlines()[-1].startswith("Paragraph 3") and "Ann Lee" not in text
    early = f"<html><body><div class='story'><h3>Related</h3>{_paragraphs(4)}</div></body></html>"
    assert extract_article(early).text.count("Paragraph") == 4


def test_rule_packs_drop_furniture_lines_and_closing_sections_too() -> None:
    html = (
        "<html><body><article class='post'><h1 class='entry-title'>T</h1>"
        f"<div class='entry-content'>{_paragraphs(3)}<p>Advert</p>"
        "<h3>Über Anna Schmidt</h3><p>Anna Schmidt schreibt über Messen.</p></div>"
        "</article></body></html>"
    )
    article = extract_article(html)
    assert article.extractor == "wordpress"
    assert article.text.count("\n") == 2 and "Anna" not in article.text
    site = extract_article(html, None, Rules(content=(".entry-content",)))
    assert "Advert" in site.text.splitlines()  # site rules keep what their authors chose


def _pack_page(body: str) -> str:
    return (
        "<html><body><article class='post'><h1 class='entry-title'>T</h1>"
        f"<div class='entry-content'>{body}</div></article></body></html>"
    )


def test_rule_packs_drop_boxes_named_as_never_the_article() -> None:
    html = _pack_page(
        f"{_paragraphs(2)}"
        "<div class='post-share-buttons'><a href='#'>Share on Mastodon</a></div>"
        "<div class='inline-related-box'><h4>Also on the site</h4><ul><li><a href='/x'>Harbour "
        "quay opens in May</a></li><li><a href='/y'>Ferry prices rise again</a></li></ul></div>"
        "<div class='author-box'><p>Ann Lee covers the harbour for the paper.</p></div>"
        "<div class='elementor-widget-container'><p>Text a page builder wraps.</p></div>"
        "<div class='social-media-embed'><blockquote>A post the article quotes.</blockquote>"
        "</div><div class='non-related'><p>A box that says it is not one.</p></div>"
        f"{_paragraphs(1, 'ending')}"
    )
    article = extract_article(html)
    assert article.extractor == "wordpress"
    kept = article.text.splitlines()
    assert kept[2:] == [
        "Text a page builder wraps.",
        "A post the article quotes.",
        "A box that says it is not one.",
        "Paragraph 0 of the ending, with enough words in it to count as article text for the "
        "generic extractor.",
    ]
    removed = {r.reason for r in explain_article(html).removed}
    assert "wordpress: box named 'post-share-buttons'" in removed
    assert {"wordpress: box named 'inline-related-box'", "wordpress: box named 'author-box'"} <= (
        removed
    )
    site = extract_article(html, None, Rules(content=(".entry-content",)))
    assert "Also on the site" in site.text  # site rules keep what their authors chose


@pytest.mark.parametrize(
    "box",
    [
        # a hash is no name: "ad" inside a Gutenberg class, an Elementor id
        "<div class='wp-elements-d63b33d30a3ee632cf4ad4e987f8f383'><p>{text}</p></div>",
        "<div class='wp-container-core-group-is-layout-0ba1ad86'><p>{text}</p></div>",
        # names that are article words
        "<div class='share-price-box'><p>{text}</p></div>",
        "<div class='ranking-item'><p>{text}</p></div>",
        "<div class='our-recommendation'><p>{text}</p></div>",
        "<div class='subscription-prices'><p>{text}</p></div>",
        "<div class='popular-vote'><p>{text}</p></div>",
        # a "related" box holding two paragraphs of prose is the article's
        "<div class='related-story'><p>{long}</p><p>{long}</p></div>",
        # ids made of a heading's words; headings, paragraphs and words are no boxes
        "<section id='trending-topics'><h2>What is trending</h2><p>{text}</p></section>",
        "<h2 id='h-related-work'>Related work</h2><p>{text}</p>",
        "<p class='share'>{text}</p>",
        "<p>Der Stadtrat hat <a class='related-post-link' href='/h'>{text}</a> beschlossen.</p>",
        "<p>Der Umsatz <span class='trending-up'>{text}</span> im Mai.</p>",
        # a box of related facts, not of links
        "<aside class='related-facts'><p>{text}</p><p>Founded: 1901.</p></aside>",
    ],
)
def test_what_looks_named_as_a_widget_but_is_the_article_stays(box: str) -> None:
    text = "Shares of Acme closed 12% lower on Friday."
    long = "The harbour authority said the new quay would open in May, two years late. " * 3
    html = _pack_page(_paragraphs(3) + box.format(text=text, long=long.strip()))
    assert (text if "{text}" in box else long.strip()) in extract_article(html).text


def test_named_boxes_holding_most_of_the_pack_content_stay() -> None:
    style = "<style>" + ".elementor-1 { color: red; } " * 100 + "</style>"
    wrapped = _pack_page(f"{style}<div class='share-buttons-wrap'>{_paragraphs(3)}</div>")
    assert extract_article(wrapped).text.count("Paragraph") == 3  # scripts are no text
    two = _pack_page(
        f"<div class='related-a'>{_paragraphs(2, 'first half')}</div>"
        f"<div class='related-b'>{_paragraphs(2, 'second half')}</div>{_paragraphs(1)}"
    )
    assert extract_article(two).text.count("Paragraph") == 5  # together, most of it


def _tables(markup: str) -> list[str]:
    root = parse_html(f"<html><body><div id='c'>{markup}</div></body></html>")
    body = root.find(".//div")
    assert body is not None
    return [" ".join(" ".join(e.itertext()).split()) for e in tables_of_contents(body)]


_HEADINGS = "<h2 id='a'>Eignung</h2><h3><span id='a1'></span>Im Altbau</h3><h2 id='b'>Kosten</h2>"


def test_a_table_of_contents_leads_to_the_headings_it_repeats() -> None:
    toc = (
        "<div class='box'><p>Inhalt <span>[ausblenden]</span></p><ul><li><a href='#a'>1 Eignung"
        "</a><ul><li><a href='#a1'>Im Altbau</a></li></ul></li><li><a href='#b'>2 Kosten</a>"
        "</li></ul></div>"
    )
    assert _tables(f"<p>Intro of the article.</p>{toc}{_HEADINGS}") == [
        "Inhalt [ausblenden] 1 Eignung Im Altbau 2 Kosten"
    ]
    listing = "<ol><li><a href='#a'>Eignung</a></li><li><a href='#b'>Kosten</a></li></ol>"
    assert _tables(f"<h2>Contents</h2>{listing}{_HEADINGS}") == ["Contents", "Eignung Kosten"]


@pytest.mark.parametrize(
    "markup",
    [
        # footnotes: text with a link back
        "<ol><li>The bridge opened in 1932. <a href='#a'>↩</a></li>"
        "<li>Source: the city archive. <a href='#b'>↩</a></li></ol>",
        "<ul><li><a href='#a'>Eignung</a></li></ul>",  # one link: a "jump to" button
        "<ul><li><a href='/a'>Eignung</a></li><li><a href='#b'>Kosten</a></li></ul>",
        "<ul><li><a href='#'>Eignung</a></li><li><a href='#'>Kosten</a></li></ul>",  # scripts
        "<ul><li><a href='#a'>Eignung</a> und mehr</li><li><a href='#b'>Kosten</a></li></ul>",
        # key points that say more than the heading they lead to
        "<ul><li><a href='#a'>Die EZB senkt den Leitzins auf 3 Prozent.</a></li>"
        "<li><a href='#b'>Die Kosten steigen im Mai um ein Zehntel.</a></li></ul>",
        # questions that exist only in the links (their answers are the places)
        "<ul><li><a href='#q1'>Wer zahlt?</a></li><li><a href='#q2'>Wann?</a></li></ul>"
        "<p id='q1'>Die Stadt.</p><p id='q2'>Im Mai.</p>",
        # key points that link to themselves, or to what holds them
        "<ul><li id='k1'><a href='#k1'>Die EZB senkt den Leitzins</a></li>"
        "<li id='k2'><a href='#k2'>Die Kosten steigen</a></li></ul>",
        "<ul><li><a id='k1' href='#k1'>Die EZB senkt den Leitzins</a></li>"
        "<li><a name='k2' href='#k2'>Die Kosten steigen</a></li></ul>",
        "<div id='post'><a id='s1'></a><ul><li><a href='#post'>Eignung und Kosten</a></li>"
        "<li><a href='#s1'>Eignung</a></li></ul></div>",
        # a word of the place is not the place ("Ja" in "Jahr")
        "<ul><li><a href='#j'>Ja</a></li><li><a href='#b'>Kosten</a></li></ul>"
        "<h2 id='j'>Das Jahr im Rückblick</h2>",
    ],
)
def test_what_is_not_a_table_of_contents(markup: str) -> None:
    assert _tables(markup + _HEADINGS) == []


def test_a_table_of_contents_label_after_a_comment_and_a_list_as_the_root() -> None:
    listing = "<ul><li><a href='#a'>Eignung</a></li><li><a href='#b'>Kosten</a></li></ul>"
    assert _tables(f"<h2>Inhalt</h2><!-- toc -->{listing}{_HEADINGS}") == [
        "Inhalt",
        "Eignung Kosten",
    ]
    root = parse_html(f"<html><body><p>Inhalt</p>{listing}{_HEADINGS}</body></html>")
    only = root.find(".//ul")
    assert only is not None
    assert tables_of_contents(only) == []  # the root itself is never taken, nor what is outside


@pytest.mark.parametrize(
    ("before", "kept"),
    [
        ("<div>Diese Fragen hat der <strong>Bundestag</strong> beschlossen:", "Bundestag"),
        ("<div><h2>Die Kandidaten</h2>", "Die Kandidaten"),
        ("<div class='wp-block-column'><p>Wahl abgesagt!</p>", "Wahl abgesagt!"),
    ],
)
def test_a_table_of_contents_takes_no_word_but_its_label(before: str, kept: str) -> None:
    listing = "<ul><li><a href='#a'>Eignung</a></li><li><a href='#b'>Kosten</a></li></ul>"
    found = _tables(f"{before}{listing}</div>{_HEADINGS}")
    assert found == ["Eignung Kosten"]
    assert not any(kept in table for table in found)


def test_print_only_and_off_screen_text_is_hidden() -> None:
    html = (
        "<html><body><div class='story'>"
        f"{_paragraphs(3)}<div class='d-none d-print-block'>Citation: the story, retrieved "
        "today from the site, with a long list of words that would count.</div>"
        "<p class='d-none d-md-block'>Shown on wide screens, which is still a reader.</p>"
        "<span class='off-screen'>Image caption</span></div></body></html>"
    )
    text = extract_article(html).text
    assert "Citation" not in text and "Image caption" not in text
    assert "Shown on wide screens" in text


def test_text_loose_in_an_inline_container_is_kept() -> None:
    html = (
        "<html><body><table><tr><td><font id='zoom'>"
        f"{_paragraphs(2)}<table><tr><td>ad</td></tr></table>"
        "and the sentence goes on after the advert, as part of the story, for a while."
        f"{_paragraphs(2, 'end')}</font></td></tr></table></body></html>"
    )
    assert "the sentence goes on after the advert" in extract_article(html).text


def test_an_element_marked_article_body_narrows_the_container() -> None:
    html = (
        "<html><body><div class='page'><p>This copy is for your personal use only, and "
        "more words so that it reads like a paragraph of some length.</p>"
        f"<div itemprop='articleBody'>{_paragraphs(6)}</div></div></body></html>"
    )
    text = extract_article(html).text
    assert "personal use" not in text and text.count("Paragraph") == 6


def test_json_ld_article_body_drops_what_it_does_not_have_but_captions() -> None:
    body = " ".join(
        f"Paragraph {i} of the story, with enough words in it to count as article text "
        "for the generic extractor."
        for i in range(6)
    )
    html = (
        '<html><head><script type="application/ld+json">'
        f'{{"@type": "NewsArticle", "articleBody": "{body}"}}</script></head><body>'
        f"<div class='story'>{_paragraphs(3)}<p>Day 3, Part 10: the opening statement</p>"
        "<figure><figcaption>A harbour at dawn.</figcaption></figure>"
        f"{_paragraphs(6)[len(_paragraphs(3)) :]}</div></body></html>"
    )
    text = extract_article(html).text
    assert "Day 3" not in text
    assert "A harbour at dawn." in text and text.count("Paragraph") == 6
    teaser = html.replace(body, "Paragraph 0 of the story only.")
    assert "Day 3" in extract_article(teaser).text  # a teaser is not the body: no check


def test_a_paragraph_inside_a_link_is_a_teaser_card() -> None:
    card = (
        "<a href='/show'><p>In each episode of his weekly show, the host will delve a little "
        "deeper into the news of the week. Click to subscribe!</p></a>"
    )
    html = f"<html><body><div class='story'>{_paragraphs(2)}{card}{_paragraphs(2)}</div></body>"
    assert "In each episode" not in extract_article(html).text


def test_a_heading_repeated_at_the_body_start_is_the_title() -> None:
    html = (
        "<html><head><title>Thank you for visiting our site</title></head><body>"
        "<div class='story'><p>Ann Lee: How I came to the city</p><p>How I came to the city</p>"
        f"<p>Ann Lee</p>{_paragraphs(3)}</div></body></html>"
    )
    article = extract_article(html)
    assert article.title == "How I came to the city"
    assert article.text.startswith("Paragraph 0") and "Ann Lee" not in article.text


def test_the_title_is_an_h1_that_agrees_with_title_not_a_popup_heading() -> None:
    popup = "<div class='tooltip'><h1>Original text</h1></div>"
    page = "<html><head><title>Rains return - Daily</title></head><body>{}</body></html>"
    story = f"<div class='story'><h1>Rains return</h1>{_paragraphs(2)}</div>"
    assert extract_article(page.format(popup + story)).title == "Rains return"
    assert extract_article(page.format(_paragraphs(2) + popup)).title == "Rains return - Daily"


def test_a_named_anchor_is_a_section_heading_not_a_link() -> None:
    row = "<tr><td><a name='s{0}'>Overview</a></td></tr><tr><td><blockquote>{1}</blockquote>"
    rows = "".join(row.format(i, _paragraphs(1, f"part {i}")) for i in range(3))
    html = f"<html><body><table>{rows}</table></body></html>"
    assert extract_article(html).text.count("Overview") == 3


def test_comment_and_trackback_headings_close_the_article() -> None:
    for heading in ("Trackback", "回复", "コメント"):
        html = (
            f"<html><body><div class='story'>{_paragraphs(4)}<h3>{heading}</h3>"
            "<p>A reader says the story was good.</p></div></body></html>"
        )
        assert "A reader says" not in extract_article(html).text


def test_author_bios_and_conversation_prompts_are_furniture() -> None:
    html = (
        f"<html><body><div class='story'>{_paragraphs(3)}"
        "<p>Join the conversation: tell us what you think below.</p>"
        "<p>Sign up for ourNewsletter.</p>"
        "<div class='contrib-bio'><p>I am a writer, journalist and professor who writes about "
        "health, with enough words here to be a paragraph.</p></div>"
        f"{_paragraphs(1, 'last')}</div></body></html>"
    )
    text = extract_article(html).text
    assert "Join the conversation" not in text and "Newsletter" not in text
    assert "I am a writer" not in text and text.count("Paragraph") == 4


@pytest.mark.parametrize("case", CASE_NAMES)
def test_explaining_is_the_same_run(case: str) -> None:
    html = (CASES / f"{case}.html").read_text(encoding="utf-8")
    url = f"https://example.test/{case}/"
    explanation = explain_article(html, url)
    assert explanation.article == extract_article(html, url)
    assert explanation.lines == len(explanation.article.text.splitlines())


def test_forms_and_pre_read_the_same_through_every_rule() -> None:
    body = (
        "<p>The story opens with a sentence long enough to be an article paragraph here.</p>"
        "<pre>line one\nline two</pre>"
        "<form><p>Name</p><p>Email</p><textarea></textarea></form>"
        "<p>The story goes on with a second sentence that is long enough for a paragraph.</p>"
    )
    html = f"<html><body><div id='story'>{body}</div></body></html>"
    generic = extract_article(html).text
    rule = extract_article(html, None, Rules(content=("#story",))).text
    assert generic == rule
    assert rule.splitlines()[1:3] == ["line one", "line two"]
    assert "Name" not in rule


def test_extractions_in_threads_share_no_state() -> None:
    from concurrent.futures import ThreadPoolExecutor

    pages = [(CASES / f"{case}.html").read_text(encoding="utf-8") for case in CASE_NAMES]
    expected = [extract_article(page) for page in pages]
    with ThreadPoolExecutor(max_workers=4) as pool:
        for _ in range(3):
            assert list(pool.map(extract_article, pages)) == expected


HEADLINE_PAGE = """<html><head><title>Harbor Town approves ferry terminal | The Gazette</title>
<meta property="og:title" content="Harbor Town approves new ferry terminal">
</head><body><nav><a href="/">The Gazette</a></nav><article>
<h1>{headline}</h1>
<p>The council voted on Tuesday to build the terminal on the old pier, after a year of
hearings about its cost and the traffic it would bring to the harbor.</p>
<p>Work is to start in the spring and take two years, the mayor said after the vote, which
passed with five votes to two.</p>
<p>Opponents said the money would be better spent on the roads leading to the harbor.</p>
</article></body></html>"""


def test_the_headline_readers_see_is_the_title_when_og_title_is_a_variant() -> None:
    """An edit of the on-page headline is an edit of the article, even when the page's
    og:title (a social or search variant of it) stays the same."""
    before = extract_article(
        HEADLINE_PAGE.format(headline="Harbor Town approves new ferry terminal")
    )
    edited = HEADLINE_PAGE.format(
        headline="Harbor Town council approves $48 million ferry terminal"
    )
    after = extract_article(edited)
    assert before.title == "Harbor Town approves new ferry terminal"
    assert after.title == "Harbor Town council approves $48 million ferry terminal"
    assert before.text == after.text and before.document != after.document
    logo = HEADLINE_PAGE.replace("<nav>", "<nav><h1>The Gazette</h1>").format(headline="x")
    assert extract_article(logo).title == "Harbor Town approves new ferry terminal"  # og:title


@pytest.mark.parametrize(
    "markup",
    [
        '<figure class="wp-block-table"><table><tr><td>Bayern</td><td>3/4</td><td>Sieg</td></tr>'
        "<tr><td>Dortmund</td><td>2 von 5</td><td>12/2024</td></tr></table></figure>",
        '<figure><img src="a.jpg"><figcaption class="caption-credit">Kapitän Tobias Brenner auf'
        " der Brücke am Montag früh.</figcaption></figure>",
        '<p>Die Stadt leiht sich Geld. <span class="credit">Der Kredit beträgt drei Millionen'
        " Euro.</span> Das sagte der Kämmerer am Montag im Rat der Stadt.</p>",
        '<p>Zum Schluss: <span id="copyright">Das Urheberrecht liegt beim Verlag.</span> Mehr'
        " dazu im nächsten Heft der Zeitung morgen.</p>",
    ],
)
def test_what_looks_like_a_credit_or_a_counter_but_is_article_text_stays(markup: str) -> None:
    """A table's "3/4" in a WordPress figure, a caption named as a credit, a sentence in an
    element named credit or copyright: article text, kept whole."""
    paragraph = "<p>" + "Ein langer Absatz über die Saison und ihre Spiele im Land. " * 4 + "</p>"
    html = (
        "<html><head><title>Saison</title></head><body><article><h1>Saison</h1>"
        f"{paragraph}{markup}{paragraph}</article></body></html>"
    )
    text = extract_article(html, "https://example.test/saison/").text
    wanted = lxml.html.fragment_fromstring(markup, create_parent="div").text_content()
    assert "".join(wanted.split()) in "".join(text.split())  # cells: spaces aside


def test_explain_lists_the_picture_credits_and_gallery_counters_left_out() -> None:
    html = (CASES / "caption_credits.html").read_text(encoding="utf-8")
    explanation = explain_article(html)
    found = {r.reason: (r.count, r.sample) for r in explanation.removed}
    assert found["generic: picture credit"] == (2, "© Werft Mittelsee | Jana Roth")
    assert found["generic: gallery counter"][0] == 1
    assert "Werft Mittelsee | Jana Roth" not in explanation.article.text
    assert "picture credit" in explanation.describe()


def test_the_package_names_come_from_their_modules_when_first_used() -> None:
    """``monitor.extract`` imports the extractor only when one of its names is used (the
    checking process never does), and a name it does not have is an AttributeError."""
    import monitor.extract as package
    from monitor.extract import article, text

    assert package.extract_article is article.extract_article
    assert package.normalize_line is text.normalize_line
    assert package.EXTRACTOR_VERSION == article.EXTRACTOR_VERSION
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        package.nothing  # noqa: B018


@pytest.mark.parametrize("name", ["ja", "en"])
def test_the_same_article_reads_alike_in_either_theme(name: str) -> None:
    """A site's redesign (Jannah to a core WordPress theme, or back) changes no line of the
    article: its title, the featured image's caption and its body read as before."""
    from monitor import samplesite
    from monitor.samplesite import jannah, twentyone

    article = samplesite.load_article(name)
    url = "https://example.test/2026/11/story/"
    for theme in (jannah, twentyone):
        page = theme.render(article, samplesite.Noise(seed=5), url)
        assert extract_article(page, url).document == samplesite.article_text(article)


def test_a_document_without_markup_is_read_line_by_line() -> None:
    """A text/plain page: its lines as a browser shows them, "<" in its text kept."""
    plain = "Notice of the board\n\nWe met on Monday.  Costs: a < b.\nContact <press@x.example>\n"
    assert extract_article(plain).text == (
        "Notice of the board\nWe met on Monday. Costs: a < b.\nContact <press@x.example>"
    )
    assert extract_article("<p>One\nparagraph</p>").text == "One paragraph"


@pytest.mark.parametrize(
    ("lines", "entries"),
    [
        (["Polls open: 7:00", "Polls close: 21:00", "Results: 22:15"], {0, 1, 2}),
        (["8:30–8:50 开幕式", "8:50–9:20 主题演讲", "9:50–10:10 大会休息"], {0, 1, 2}),
        (["Polls open: 7:00", "Polls close: 21:00"], set()),  # two are no timetable
        # one label repeated with its time: the datelines of reviews or comments
        (["Review 02.05.2020 at 00:21", "Review 02.05.2020 at 03:05", "Review 1.5. 04:54"], set()),
        (["04.10.2016", "05.10.2016", "07.10.2016"], set()),  # bare dates: an archive
        # an article's datelines, with the year: a changed "Stand" is no edit
        (
            [
                "Erstellt: 01.12.2026, 10:32 Uhr",
                "Stand: 01.12.2026, 11:45 Uhr",
                "dpa 1.12.2026 10:30",
            ],
            set(),
        ),
        # names with the day they signed: no time of day
        (
            [
                "1,199 Ann Lee Feb 16, 2013",
                "1,198 Bo Kim Feb 16, 2013",
                "1,197 Cy Ray Feb 16, 2013",
            ],
            set(),
        ),
        (
            ["Opening: 9:00", "A paragraph between them, with no time at all.", "Lunch: 12:30"],
            set(),
        ),
    ],
)
def test_timetable_entries_are_runs_of_timed_lines_with_words_of_their_own(
    lines: list[str], entries: set[int]
) -> None:
    from monitor.extract.boilerplate import timetable_entries

    assert timetable_entries(lines) == entries

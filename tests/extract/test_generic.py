"""The generic extractor's signals, each on a small synthetic page."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.extract import explain_article, extract_article, learn_article, replay_fingerprint
from monitor.extract.boilerplate import (
    boilerplate_reason,
    closing_sections,
    closing_start,
    crumb_reason,
    is_dateline,
    is_number_run,
    is_pager,
    line_reason,
)
from monitor.extract.generic import _core
from monitor.extract.parse import parse_html
from monitor.extract.volatile import Volatility


def _paragraphs(n: int, word: str = "story") -> str:
    return "".join(
        f"<p>Paragraph {i} of the {word}, with enough words in it to count as article text "
        "for the generic extractor.</p>"
        for i in range(n)
    )


def _menu(n: int) -> str:
    return "<nav><ul>" + "".join(f"<li><a href='/s{i}'>Section {i}</a></li>" for i in range(n))


def test_a_name_that_negates_a_widget_is_not_that_widget() -> None:
    root = parse_html("<div class='non-ad-column'></div><div class='ad-column'></div>")
    columns = list(root.iter("div"))
    assert boilerplate_reason(columns[0]) == ""
    assert boilerplate_reason(columns[1]) == "name 'ad'"
    html = f"<html><body>{_menu(60)}</nav><section class='non-ad-column'>{_paragraphs(3)}"
    assert extract_article(html + "</section></body></html>").text.count("Paragraph") == 3


def test_when_names_hide_every_paragraph_tags_and_roles_still_find_the_article() -> None:
    # A long menu makes the article wrapper hold less than 40% of the page's text, so its
    # (misleading) class name would count; with no article left, names are not trusted.
    html = (
        f"<html><body>{_menu(80)}</nav><div class='main-widget-area'>{_paragraphs(3)}"
        "</div><footer><p>Copyright, with a few words of small print.</p></footer>"
        "</body></html>"
    )
    text = extract_article(html).text
    assert text.count("Paragraph") == 3 and "Section" not in text and "Copyright" not in text


LAYOUT_CASE = Path(__file__).parents[1] / "data" / "extract" / "news_body_in_sidebar_layout_en.html"
TITLE = "Valley rail line to reopen in spring after flood repairs"
LIST_CASE = LAYOUT_CASE.with_name("wordpress_inline_read_more_list_de.html")


def _core_run(html: str) -> str:
    """The text of the best run :func:`_core` settles on."""
    body = parse_html(html).find("body")
    assert body is not None
    blocks, (start, end) = _core(body, [TITLE], [])
    return " ".join(block.text for block in blocks[start : end + 1])


def _layout_page(paragraphs: int = 5, lead: int = 0) -> str:
    """The data case: a story's column named for the sidebar beside it (class names make
    it boilerplate), after a header worth more than a paragraph, on a page whose sidebar
    holds most of the text; with ``paragraphs`` of its five, and ``lead`` more paragraphs
    in the header."""
    html = LAYOUT_CASE.read_text(encoding="utf-8")
    body = html.split('<div class="story-body">')[1].split("</div>")[0]
    kept = "</p>".join(body.split("</p>")[:paragraphs]) + "</p>\n"
    html = html.replace(body, kept)
    byline = '<div class="byline">By Morgan Hale · 3 December 2026</div>'
    return html.replace(byline, byline + _paragraphs(lead, "lead"))


def test_names_that_leave_only_the_header_hid_the_article() -> None:
    run = _core_run(_layout_page())
    assert "Both bridges" in run and "The repairs cost more" in run


def test_names_are_trusted_when_what_they_leave_is_worth_three_paragraphs() -> None:
    run = _core_run(_layout_page(lead=4))
    assert run.count("of the lead") == 4 and "The repairs cost more" not in run


def test_a_short_story_keeps_a_named_box_of_prose_out() -> None:
    """Names are distrusted only when they leave a headline's block: a two-paragraph story
    followed by a named appeal of five paragraphs is the story."""
    story = (
        "<p>The town council agreed on Tuesday to keep the swimming pool open on Sunday "
        "mornings through the winter, after a petition signed by more than two thousand "
        "residents.</p><p>The extra hours will be paid for from the leisure budget, and the "
        "council will look at the numbers of swimmers again in the spring before it decides "
        "on the summer timetable.</p>"
    )
    appeal = "".join(
        f"<p>Paragraph {i} of our appeal: local reporting takes time and money, and readers "
        "who support us every month make it possible for everyone to read it.</p>"
        for i in range(5)
    )
    html = (
        f"<html><body>{_menu(200)}</nav><div class='story'><h1>Headline</h1>{story}"
        f"<div class='support-promo'><h2>Before you go</h2>{appeal}</div></div>"
        "</body></html>"
    )
    text = extract_article(html, "https://example.com/a").text
    assert "swimming pool" in text and "appeal" not in text and "Before you go" not in text


def test_names_are_trusted_when_tags_alone_find_little_more() -> None:
    run = _core_run(_layout_page(paragraphs=2))
    assert "Both bridges" in run and "Engineers have rebuilt" not in run


def test_of_several_articles_the_one_with_the_title_heading_is_the_article() -> None:
    teasers = "".join(
        f"<article><div class='bar'><a href='/x'>Share</a></div>{_paragraphs(1, f'teaser {i}')}"
        "</article>"
        for i in range(5)
    )
    html = (
        "<html><head><title>Who loves himself | Quotes</title></head><body><div class='page'>"
        f"<article><h1>Who loves himself…</h1>{_paragraphs(2)}</article>"
        f"<article><h3>More quotes</h3>{teasers}</article></div></body></html>"
    )
    text = extract_article(html).text
    assert text.startswith("Paragraph 0 of the story") and "teaser" not in text
    untitled = html.replace("<h1>Who loves himself…</h1>", "")
    assert "teaser 4" in extract_article(untitled).text  # no title heading: no choice


def test_a_sentence_printed_again_by_a_lightbox_is_kept_once() -> None:
    caption = (
        "<div class='slide'>A firefighter walks past the burned houses of the town on Tuesday "
        "morning, as the wind turns north.</div>"
    )
    spec = "<p>Engine type: inline four, 16 valves</p>"
    html = (
        f"<html><body><div class='story'>{caption * 3}<p>Caption</p><p>Close</p>"
        f"{_paragraphs(3)}{spec}{spec}</div></body></html>"
    )
    lines = extract_article(html).text.splitlines()
    assert sum(line.startswith("A firefighter") for line in lines) == 1
    assert "Caption" not in lines and "Close" not in lines
    assert lines.count("Engine type: inline four, 16 valves") == 2  # short lines may repeat
    reasons = {r.reason for r in explain_article(html).removed}
    assert "generic: a repeated line" in reasons


def test_trending_rails_are_boilerplate() -> None:
    root = parse_html("<div class='rail rail--trending'></div>")
    assert boilerplate_reason(next(root.iter("div"))) == "name 'trending'"


def test_gallery_labels_counters_and_image_credits_are_furniture() -> None:
    for line in (
        "Image 1 of 5",
        "2 of 4",
        "Click to enlarge",
        "Read Later",
        "Top Video",
        "(Image credit: Blue Origin)",
        "(Image: © NASA/ESA)",
        "Courtesy of Andrew Vaughan",
    ):
        assert line_reason(line), line
    for line in ("Image: NASA", "Close to the border, the town waited.", "One of the four"):
        assert not line_reason(line), line


def test_subscription_and_follow_prompts_are_furniture() -> None:
    for line in (
        "Let our news meet your inbox. The news that matters, delivered weekday mornings.",
        "Email Ann Lee at ann@news.test or follow her @annlee. Follow us on Twitter.",
        "Need more space? Subscribe to our sister title All About Space magazine!",
        "Get Cycling Monthly delivered through your letterbox every month. 12 issues for £9.",
    ):
        assert line_reason(line) == "promotion", line


def test_an_ad_or_copyright_label_is_a_notice_a_sentence_about_either_is_text() -> None:
    for line in (
        "Werbung",
        "*Werbung",
        "Werbung | unbezahlt",
        "Werbung (unbeauftragt)",
        "Werbung Dieser Beitrag enthält Links zu unseren Partnern.",
        "Copyright 2026 The Coast Courier.",
        "Copyright, with a few words of small print.",
        # a label a word goes on from is still one, a short sentence too
        "*Werbung wegen Markennennung",
        "Werbung durch Verlinkung / unbezahlt",
        "Copyright by Example Media GmbH 2026",
        "Copyright der Fotos: Max Mustermann",
        "Werbung Dieser Beitrag enthält Links zu unseren Partnern.",
    ):
        assert line_reason(line) == "notice", line
    for line in (
        "Werbung nervt. Tracking nervt. Und mobil habe ich keine Zeit für schwere Seiten.",
        "Copyright lawyers for the architect asked the council to keep the railings.",
    ):
        assert not line_reason(line), line


def test_a_share_buttons_line_is_furniture_a_line_about_sharing_is_not() -> None:
    for line in ("teilen", "twittern", "E-Mail", "Facebook", "LinkedIn", "Drucken", "シェア"):
        assert line_reason(line) == "furniture", line
    for line in ("Share prices fell by a third.", "Facebook said it would appeal.", "Teilen?"):
        assert not line_reason(line), line


def test_closing_headings_in_other_languages() -> None:
    headings = (
        *("Você pode gostar...", "Читайте также", "À lire aussi", "猜你喜欢", "免责声明"),
        *("3 Kommentare", "Laisser un commentaire", "Deja un comentario", "1 commento"),
        "Keine Kommentare (Kommentare erscheinen erst nach unserer Freigabe)",
        "Kommentarfeed | Kommentare geschlossen | Trackback-URL",  # a bar of them
    )
    for heading in headings:
        texts = ["Paragraph one of the story, long enough."] * 4 + [heading, "A teaser."]
        assert closing_start(texts) == 4, heading
    texts = ["Paragraph one of the story, long enough."] * 4 + ["Comments | Sport | Politics"]
    assert closing_start(texts) == 5  # a menu that names the comments is no closing bar


def test_an_opinion_pieces_label_and_a_spokesmans_no_comment_close_nothing() -> None:
    lines = ("Kommentar", "Sin comentarios.", "Aucun commentaire de l'Élysée.")
    for line in (*lines, "3 Kommentare zu viel?"):
        texts = ["Paragraph one of the story, long enough."] * 4 + [line, "Der Text."]
        assert closing_start(texts) == 6, line


def test_more_stories_headings_close_the_article() -> None:
    for heading in ("More Great WIRED Stories", "More stories", "More Top Articles"):
        texts = ["Paragraph one of the story, long enough."] * 4 + [heading, "A teaser."]
        assert closing_start(texts) == 4, heading
    # headings of the article that happen to start with "More"
    for heading in ("More rain is on the way", "More bad news", "More Than Just Stories"):
        texts = ["Paragraph one of the story, long enough."] * 4 + [heading, "It goes on."]
        assert closing_start(texts) == 6, heading


PROSE = (
    "A paragraph of the story that goes on after the list, with enough words in it to be "
    "counted as a paragraph of prose here."
)
LISTED = object()  # a list the lines below are items of


@pytest.mark.parametrize(
    "after, boxes, closed",
    [
        # a closing label heading a list inside the text: the text resumes after the list
        ([PROSE, PROSE], [None, None], [4, 5, 6]),
        (["A subheading", PROSE, PROSE], [None] * 3, [4, 5, 6]),
        # one paragraph after the list is a teaser's excerpt, a bio, a disclaimer: the rest
        # closes, as it does after nothing, more links or a closing heading
        ([PROSE], [None], [4, 5, 6, 7]),
        (["A subheading", PROSE], [None] * 2, [4, 5, 6, 7, 8]),
        ([], [], [4, 5, 6]),
        (["Another teaser", "And one more"], [object(), object()], [4, 5, 6, 7, 8]),
        (["Related", PROSE, PROSE], [None] * 3, [4, 5, 6, 7, 8, 9]),
    ],
)
def test_a_closing_label_in_a_list_closes_that_list_when_the_text_resumes(
    after: list[str], boxes: list[object | None], closed: list[int]
) -> None:
    texts = [PROSE] * 4 + ["Mehr zum Thema:", "A teaser", "Another teaser", *after]
    lists = [None] * 4 + [LISTED] * 3 + boxes
    assert closing_sections(texts, lists) == closed


MID_LIST = (
    '<ul class="has-background"><li><strong>Mehr zum Thema Schlaf:</strong></li>'
    '<li><a href="/schlaf/rituale">Fünf Abendrituale für besseren Schlaf</a></li>'
    '<li><a href="/schlaf/mittagsschlaf">Wie lang darf ein Mittagsschlaf sein?</a></li></ul>'
)


def test_a_label_and_the_list_nested_in_its_item_are_one_list() -> None:
    html = LIST_CASE.read_text(encoding="utf-8")
    assert MID_LIST in html
    nested = (
        "<ul><li><strong>Mehr zum Thema Schlaf:</strong><ul>"
        '<li><a href="/schlaf/rituale">Fünf Abendrituale für besseren Schlaf</a></li>'
        '<li><a href="/schlaf/mittagsschlaf">Wie lang darf ein Mittagsschlaf sein?</a></li>'
        "</ul></li></ul>"
    )
    text = extract_article(html.replace(MID_LIST, nested), "https://example.com/a").text
    assert "Abendrituale" not in text and "Seltenheit." in text


def test_where_a_labels_list_ends_is_part_of_what_a_replay_compares() -> None:
    before = LIST_CASE.read_text(encoding="utf-8")
    link = '</li><li><a href="/schlaf/mittagsschlaf"'
    split = MID_LIST.replace(link, link.replace("</li>", "</li></ul><ul>"))
    after = before.replace(MID_LIST, split)
    assert after != before
    url = "https://example.com/a"
    first, learning = learn_article(before, url)
    assert learning is not None
    assert extract_article(after, url).text != first.text  # the article lost its second half
    unchanged = learning.fingerprint(Volatility())
    assert replay_fingerprint(before, learning, Volatility()) == unchanged
    assert replay_fingerprint(after, learning, Volatility()) != unchanged


def test_a_closing_label_outside_a_list_closes_the_rest() -> None:
    texts = [PROSE] * 4 + ["Mehr zum Thema:", "A teaser", PROSE]
    assert closing_sections(texts, [None] * 7) == [4, 5, 6]


def test_generic_extraction_keeps_the_text_after_a_read_more_list() -> None:
    # no rule pack; the label a plain list item, prose right after the list
    html = (
        LIST_CASE.read_text(encoding="utf-8")
        .replace("post type-post hentry", "story")
        .replace("entry-content", "story-text")
        .replace(
            "<li><strong>Mehr zum Thema Schlaf:</strong></li>", "<li>Mehr zum Thema Schlaf:</li>"
        )
        .replace("<h2>Was gegen die Müdigkeit hilft</h2>", "")
    )
    text = extract_article(html, "https://example.com/a").text
    assert "Ein Spaziergang" in text and "Seltenheit." in text
    assert "Mittagsschlaf" not in text and "Winterobst" not in text and "Erkältung" not in text


def test_a_line_saying_when_it_was_posted_is_a_dateline() -> None:
    for line in (
        "Posted by Ann Lee on March 3, 2020",
        "UPDATED: November 8, 2023 at 6:00 p.m.",
        "PUBLISHED: November 8, 2023 at 4:56 p.m. | UPDATED: November 8, 2023 at 6:00 p.m.",
        "Aktualisiert am 19.02.2020",
        "本贴由大卫于2005年8月12日16:12:21在〖心灵体操（在线心理咨询）〗发表.",
        "本帖最后由 小林 于 2012-3-4 12:00 编辑",
        "海姑娘写于2005年3月16日",
    ):
        assert is_dateline(line), line
        assert crumb_reason(line, "p") == "byline or date", line
    for line in (
        "Published on March 3, 2020, the report found that the city's budget grew by a third.",
        "Updated figures show the river rose 2 metres overnight.",  # no date
        "Updated guidance from the health ministry, issued to all hospitals and care homes in "
        "the region, took effect on March 3, 2020.",
        "Posted guards stood outside the embassy all night, and the last of them left at 6:30",
        "Publié par l'Insee, le rapport sur l'emploi des jeunes dans les départements "
        "d'outre-mer date du 12/03/2024.",
        "Veröffentlicht wurde die lange erwartete Studie zur Lage der Pflegekräfte in den "
        "Kliniken erst am 12.03.2024.",
        "本帖由楼主于2005年8月12日发表，以下是正文：今天我们去了长城，天气很好。",
        "该报告最初发布于2020年3月1日",
        "他在信中写于2005年的那段话，后来被反复引用，成为了这本书的开篇。",
        "鲁迅写于1925年3月的这篇文章，至今仍被广泛阅读。",
        "Posted in Uncategorized",
    ):
        assert not crumb_reason(line, "p"), line


def test_a_short_sentence_with_a_date_is_article_text_a_short_dated_label_is_not() -> None:
    for line in (
        "Revenues from the tariffs have totaled about $63 billion through June 30, 2019.",
        "Updated guidance was issued on March 3, 2020.",
        "而在备战国赛的紧要关头，2022年1月，疫情再次“袭击”了郑州。",
        # a verse's "5:13" in the citation that ends the line is no time of day
        "“有喜乐的呢，他就该歌颂。”(雅 5:13)",
        "„Denn also hat Gott die Welt geliebt.“ (Johannes 3:16)",
        "“The vote is on May 3, 2020.”",
    ):
        assert not crumb_reason(line, "p"), line
    labels = ("March 3, 2020", "4:14 p.m.", "2022年1月5日 10:30", "Monday, March 3, 2020 | 14:05")
    labels += ("Updated 14:32 (GMT)", "May 3, 2020 (updated)", "Frist: 3.5.2020 (Ausschluss)")
    # an update stamp that ends as a sentence before its source is still one
    labels += (
        "Posted by Ann Lee on March 3, 2026. (AP)",
        "Zuletzt aktualisiert am 04.05.2026 um 14:05 Uhr. (red)",
        "Stand: 04.05.2026. (dpa)",
        "本文更新于2026年3月4日 14:05。（编辑：张三）",
    )
    for line in labels:
        assert crumb_reason(line, "p") == "byline or date", line


def test_a_line_of_numbers_counting_up_is_a_pager_or_a_calendar() -> None:
    for line in ("1 2 3 4 5 6 7 8", "1 2 3 … 9", "29 30 31 1 2 3 4", "01 02 03 04"):
        assert is_number_run(line), line
        assert line_reason(line) == "pager or calendar", line
    rows = ("2019 2020 2021", "10 11 12", "100 101 102 103", "18 19 20 33 34 35")
    for line in (*rows, "12 45 67", "3 4", "10 20 30", "1 2 3 go"):
        assert not is_number_run(line), line


def test_a_pagers_words_and_a_reader_count_are_furniture() -> None:
    pagers = ("« Previous 1 2 3 Next »", "Page 2 of 5", "上一页 下一页", "Older / Newer")
    for line in (*pagers, "第1页/共3页 << 上一页 | 下一页 >>"):
        assert is_pager(line), line
        assert line_reason(line) == "pager or calendar", line
    others = ("Next", "The next page", "First of all", "Last of the Mohicans", "1 2 3")
    for line in (*others, "4 von 5", "3 de 5", "2 > 1", "5 < 10", "Seite 3"):
        assert not is_pager(line), line
    counts = ("您是本文第 154 个阅览者", "阅读次数：154", "1,234 views", "Views: 12", "浏览 (23)")
    for line in counts:
        assert line_reason(line) == "reader count", line
    for line in ("12 views of the river", "100 hits", "Hits: 1990", "阅读 3", "他是第3位读者"):
        assert line_reason(line) != "reader count", line


def test_a_line_listing_the_tags_is_furniture() -> None:
    for line in ("Tags: Haute Couture, Paris, SS14", "Etiquetas:", "Schlagwörter: Konsum News"):
        assert line_reason(line) == "tags", line
    for line in (
        "Tags are what shoppers read first, the survey found.",
        "Themen: Haushalt, Rente und Migration standen auf der Tagesordnung",
        "关键词：人工智能；机器学习",
        "Tag: 1",
        "Tags: what the shop owners stick on every parcel before it leaves the warehouse",
    ):
        assert line_reason(line) != "tags", line


def test_cjk_prompts_that_run_on_are_furniture_but_cjk_words_keep_their_boundary() -> None:
    assert line_reason("扫一扫在手机打开当前页") == "furniture"
    assert line_reason("分享到微博") == "furniture"
    assert not line_reason("打印机的销量今年上升了。")  # 打印 begins a word here


def test_a_short_line_ending_as_a_sentence_is_not_a_label() -> None:
    html = (
        f"<html><body><div class='notice'>{_paragraphs(3)}<div>特此通告。</div>"
        "<div>菜单</div></div></body></html>"
    )
    lines = extract_article(html).text.splitlines()
    assert lines[-1] == "特此通告。" and "菜单" not in lines


def _declared_page(head: str, body_extra: str = "", before_title: str = "") -> str:
    """A page whose trusted JSON-LD articleBody holds its twelve paragraphs and nothing else."""
    paragraphs = [
        f"Absatz {i} des Berichts über den Umbau am Hafen, mit genug Wörtern für einen Absatz."
        for i in range(12)
    ]
    jsonld = json.dumps({"@type": "NewsArticle", "articleBody": " ".join(paragraphs)})
    body = "".join(f"<p>{p}</p>" for p in paragraphs[:6]) + body_extra
    body += "".join(f"<p>{p}</p>" for p in paragraphs[6:])
    return (
        f"<html><head><title>Der Hafen wird umgebaut</title><script type='application/ld+json'>"
        f"{jsonld}</script></head><body><div class='main'>{before_title}"
        f"<h1>Der Hafen wird umgebaut</h1>{head}<div class='story'>{body}</div></div>"
        "</body></html>"
    )


def test_a_trusted_article_body_keeps_the_standfirst_and_subheadings_it_leaves_out() -> None:
    standfirst = "Der alte Kai wird abgerissen, und an seiner Stelle entsteht ein Park am Wasser."
    subheading = "<h2>Was sich für Anwohner ändert</h2>"
    lines = extract_article(_declared_page(f"<p>{standfirst}</p>", subheading)).text.splitlines()
    assert lines[0] == standfirst
    assert lines[7] == "Was sich für Anwohner ändert"
    # teasers, tickers and widgets the body does not hold are not the article's
    for head in (
        "<p>Eilmeldung: Der Bundestag hat am Abend das neue Hafengesetz beschlossen.</p>",
        "<p>Lesen Sie auch: Warum die Mieten am Hafen steigen und was Mieter tun können.</p>",
    ):
        assert "Eilmeldung" not in (text := extract_article(_declared_page(head)).text)
        assert "Lesen Sie auch" not in text
    above = f"<p>{standfirst}</p>"  # above the headline: not its standfirst
    assert standfirst not in extract_article(_declared_page("", before_title=above)).text
    widgets = (
        "<h3>Meistgelesen im Viertel</h3><ul><li><a href='/a'>Neues Freibad öffnet</a></li>"
        "<li><a href='/b'>Markt zieht um</a></li></ul>"
        "<h3>Auch interessant: Neues Freibad öffnet im Mai</h3>"
        "<p>Das Freibad am Stadtrand öffnet nach zwei Jahren Umbau wieder für alle Gäste.</p>"
    )
    text = extract_article(_declared_page("", widgets)).text
    assert "Meistgelesen" not in text and "Auch interessant" not in text


def test_a_closing_heading_that_looks_like_a_label_still_closes() -> None:
    notice = "<p>反侵权公告：</p><p>未经书面许可，任何单位或个人不得转载本报社作品，违者必究。</p>"
    html = f"<html><body><div class='story'>{_paragraphs(4)}{notice}</div></body></html>"
    text = extract_article(html).text
    assert "未经书面许可" not in text and text.count("Paragraph") == 4
    label = "<div>Read More</div><p>A sentence of the story that goes on after the label.</p>"
    html = f"<html><body><div class='story'>{_paragraphs(4)}{label}</div></body></html>"
    assert "goes on after the label" in extract_article(html).text  # no colon: no heading


def test_a_reporters_name_after_the_papers_is_a_byline() -> None:
    for line in ("光明日报记者 王建宏 张文攀", "本报记者 李明"):
        assert crumb_reason(line, "p") == "byline or date", line
    assert not crumb_reason("记者发现，村里的土豆今年丰收了。", "p")


def test_the_titled_article_gives_the_same_text_whatever_teasers_follow_it() -> None:
    def page(teasers: int, sidebar: str) -> str:
        cards = "".join(
            f"<article>{_paragraphs(1, f'teaser {i}')}</article>" for i in range(teasers)
        )
        return (
            "<html><head><title>Rains return</title></head><body><div class='page'>"
            f"<article><h1>Rains return</h1>{_paragraphs(3)}</article>{cards}</div>"
            f"<aside>{sidebar}</aside></body></html>"
        )

    texts = {extract_article(page(n, s)).text for n in (2, 5, 9) for s in ("Hot", "Most read")}
    assert len(texts) == 1 and "teaser" not in texts.pop()


def test_a_caption_inside_the_link_to_its_photo_is_a_caption() -> None:
    """A lead photo wrapped in a link to its photo page, captioned with a word of the title:
    the caption is article text (neither "mostly links" nor "the title again")."""
    html = (
        "<html><head><title>Awards go to Chiko-chan and others</title></head><body><main>"
        "<h1>Awards go to Chiko-chan and others</h1><div class='body'>"
        "<figure><a href='./photo/1.html'><img src='/1.jpg' alt=''>"
        "<figcaption>Chiko-chan</figcaption></a></figure>"
        f"{_paragraphs(3)}</div></main></body></html>"
    )
    lines = extract_article(html).text.splitlines()
    assert lines[0] == "Chiko-chan" and len(lines) == 4


def test_a_teaser_card_linking_elsewhere_is_still_a_link() -> None:
    """A link holding a caption but no photo is a link, not a caption."""
    html = (
        "<html><head><title>The story</title></head><body><main><div class='body'>"
        f"{_paragraphs(3)}<figure><a href='/other/'><figcaption>Another story</figcaption></a>"
        "</figure></div></main></body></html>"
    )
    assert "Another story" not in extract_article(html).text


def _story(title: str, body: str, head: str = "") -> str:
    return (
        f"<html><head><title>{title}</title>{head}</head><body>{_menu(5)}</nav>"
        f"{body}<footer><p>Small print.</p></footer></body></html>"
    )


def test_an_article_under_its_headline_is_extracted_with_high_confidence() -> None:
    html = _story("Bridge reopens", f"<main><h1>Bridge reopens</h1>{_paragraphs(4)}</main>")
    article = extract_article(html)
    assert article.confidence.level == "high"
    assert "headline" in article.confidence.reason


def test_a_page_whose_json_ld_body_is_another_text_is_uncertain() -> None:
    ld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "articleBody": '
        '"The council voted on Tuesday to close the old library and build a new one by the '
        'river, a decision that has divided the town for years."}</script>'
    )
    html = _story("Library", f"<div>{_paragraphs(4, 'cookie notice')}</div>", ld)
    article = extract_article(html)
    assert article.confidence.is_uncertain
    assert "JSON-LD" in article.confidence.reason


FERRY = (
    "The ferry to the northern islands will run twice a day from next month, the operator said.",
    "Residents had asked for a second crossing since the old timetable was cut in the spring.",
    "A new boat, built at the yard across the bay, joins the service in time for the summer.",
)
MARKET = (
    "The covered market reopens on Saturday after a winter of repairs to its glass roof.",
    "Stallholders who moved to the square outside may keep their pitches until the autumn.",
    "The council expects the works to have cost less than the estimate it published in May.",
)


def _prose(sentences: tuple[str, ...]) -> str:
    return "".join(f"<p>{sentence}</p>" for sentence in sentences)


def test_two_parts_that_look_alike_make_the_choice_uncertain() -> None:
    # A second extractor that takes both parts does not settle which one is the article.
    html = _story(
        "Two stories",
        f"<div class='a'>{_prose(FERRY)}</div>{_menu(30)}</nav>"
        f"<div class='b'>{_prose(MARKET)}</div>",
    )
    confidence = extract_article(html).confidence
    assert confidence.level == "low" and "another part" in confidence.reason


def test_a_page_of_notices_only_is_no_article_and_says_so() -> None:
    html = _story(
        "Welcome",
        "<div class='consent'><p>We use cookies to improve your experience on this site. By "
        "continuing to use this site you accept cookies.</p></div>",
    )
    article = extract_article(html)
    assert article.text == ""
    assert article.confidence.level == "low"


def test_site_rules_and_packs_are_sure_of_what_they_chose() -> None:
    from monitor.config import Rules

    html = _story("Bridge", f"<div id='story'>{_paragraphs(2)}</div>")
    sure = extract_article(html, None, Rules(content=("#story",))).confidence
    assert sure.level == "high" and "[[site]]" in sure.reason
    empty = extract_article(
        _story("Bridge", "<div id='story'></div>"), None, Rules(content=("#story",))
    )
    assert empty.confidence.is_uncertain


def test_explain_shows_the_confidence_of_the_same_run() -> None:
    html = _story("Bridge reopens", f"<main><h1>Bridge reopens</h1>{_paragraphs(4)}</main>")
    explanation = explain_article(html)
    assert explanation.confidence == explanation.article.confidence
    assert "confidence: high: it follows the headline" in explanation.describe()
    assert explanation.as_dict()["confidence"]["level"] == "high"

"""A gate page, or a widget of every page: where a page's password fields, consent banners
and captcha widgets sit against its article (monitor.extract.gates), on the hand-written
pages of tests/data/gates."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract import gates_in_frame, learn_article, page_of, parse_html
from monitor.extract.gates import gates_apart
from monitor.identity import PLACED_GATES, page_signals

GATES = Path(__file__).parent.parent / "data" / "gates"
URL = "https://forum.example/t/1"


def page(case: str) -> str:
    return (GATES / f"{case}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("case", "in_frame"),
    [
        ("forum_header_login_zh", {"a login page"}),  # a login bar in the header row
        ("blog_sidebar_login_en", {"a login page"}),  # a login form in the <aside>
        ("qa_consent_banner_en", {"a consent wall"}),  # a banner at the end of the page
        ("blog_captcha_comment_form_de", {"a bot challenge"}),  # comments and sidebar
        ("login_page_en", set()),  # the form beside the text that asks for it
        ("error_and_login_zh", set()),  # the error message, and the form beside it
        ("consent_wall_en", set()),  # the notice is the page
        ("captcha_page_en", set()),  # the widget beside the text that asks for it
    ],
)
def test_gates_apart_from_the_article_are_in_the_page_frame(case: str, in_frame: set[str]) -> None:
    html = page(case)
    article, learning = learn_article(html, URL)
    assert article.text and learning is not None
    shown = page_signals(html, URL).gates()
    assert in_frame <= shown
    marks = {name: mark for name, mark in PLACED_GATES.items() if name in shown}
    assert marks
    assert gates_in_frame(html, learning, marks) == in_frame


def test_a_password_field_inside_the_article_is_not_apart() -> None:
    html = page("blog_sidebar_login_en").replace(
        "</article>", '<form><input type="password" name="q"></form></article>'
    )
    _, learning = learn_article(html, URL)
    assert learning is not None and not gates_in_frame(html, learning, PLACED_GATES)


def test_markup_that_encloses_the_article_is_not_apart() -> None:
    # a consent manager's class on the element around everything: it holds the article
    html = page("qa_consent_banner_en").replace(
        '<div id="content">', '<div id="content" class="cmp-shown">'
    )
    _, learning = learn_article(html, URL)
    assert learning is not None and not gates_in_frame(html, learning, PLACED_GATES)


def test_a_script_is_no_widget_of_a_challenge() -> None:
    # the page loads the captcha's script, but shows no widget: nothing places the gate
    html = page("blog_captcha_comment_form_de").replace('<div class="g-recaptcha"', "<div")
    assert page_signals(html, URL).challenge
    _, learning = learn_article(html, URL)
    assert learning is not None and not gates_in_frame(html, learning, PLACED_GATES)


def test_without_marked_markup_or_a_region_nothing_is_apart() -> None:
    html = page("blog_sidebar_login_en")
    _, learning = learn_article(html, URL)
    assert learning is not None
    login = {"a login page": PLACED_GATES["a login page"]}
    no_field = html.replace('type="password"', 'type="text"')
    assert not gates_in_frame(no_field, learning, login)
    root = page_of(html)[0]
    assert gates_apart(root, learning.region, login) == {"a login page"}
    assert not gates_apart(root, ("#no-such-element",), login)  # the region is not on the page
    assert not gates_apart(root, (f"/{root.tag}",), login)  # the root itself has no parent
    assert not gates_apart(parse_html("<p>x</p>"), ("/html",), login)

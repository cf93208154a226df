"""A login page, or a login widget: where a page's password fields sit against its article
(monitor.extract.forms), on the hand-written pages of tests/data/gates."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.extract import learn_article, page_of, parse_html, password_apart
from monitor.extract.forms import passwords_apart

GATES = Path(__file__).parent.parent / "data" / "gates"
URL = "https://forum.example/t/1"


def page(case: str) -> str:
    return (GATES / f"{case}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("case", "apart"),
    [
        ("forum_header_login_zh", True),  # a login bar in the header row
        ("blog_sidebar_login_en", True),  # a login form in the <aside>
        ("login_page_en", False),  # the form beside the text that asks for it
        ("error_and_login_zh", False),  # the error message, and the form beside it
    ],
)
def test_password_fields_apart_from_the_article_are_a_widget(case: str, apart: bool) -> None:
    html = page(case)
    article, learning = learn_article(html, URL)
    assert article.text and learning is not None
    assert password_apart(html, learning) is apart


def test_a_password_field_inside_the_article_is_not_apart() -> None:
    html = page("blog_sidebar_login_en").replace(
        "</article>", '<form><input type="password" name="q"></form></article>'
    )
    _, learning = learn_article(html, URL)
    assert learning is not None and not password_apart(html, learning)


def test_without_a_password_field_or_a_region_nothing_is_apart() -> None:
    html = page("blog_sidebar_login_en")
    _, learning = learn_article(html, URL)
    assert learning is not None
    assert not password_apart(html.replace('type="password"', 'type="text"'), learning)
    root = page_of(html)[0]
    assert passwords_apart(root, learning.region)
    assert not passwords_apart(root, ("#no-such-element",))  # the region is not on the page
    assert not passwords_apart(root, (f"/{root.tag}",))  # the root itself has no parent
    assert not passwords_apart(parse_html("<p>x</p>"), ("/html",))

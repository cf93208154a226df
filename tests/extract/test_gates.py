"""A captcha that guards a form one writes in, or a challenge page (monitor.extract.gates),
on the hand-written pages of tests/data/gates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.analyse import analyse_page
from monitor.config import Rules
from monitor.extract import captcha_guards_forms, parse_html
from monitor.extract.gates import guard_forms
from monitor.identity import is_challenge_widget

GATES = Path(__file__).parent.parent / "data" / "gates"


def page(case: str) -> str:
    return (GATES / f"{case}.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("case", "guards"),
    [
        ("blog_captcha_comment_form_de", True),  # comment form (a textarea), subscription
        ("newsletter_captcha_en", True),  # an e-mail field named for one
        ("captcha_page_en", False),  # the form asks for nothing but the check
        ("captcha_nested_en", False),  # and a captcha's own answer field is no text
    ],
)
def test_a_captcha_guards_forms_that_ask_for_a_text_or_an_address(case: str, guards: bool) -> None:
    assert captcha_guards_forms(page(case), is_challenge_widget) is guards


def form(fields: str) -> str:
    return f'<html><body><form>{fields}<div class="g-recaptcha"></div></form></body></html>'


@pytest.mark.parametrize(
    ("fields", "guards"),
    [
        ('<textarea name="comment"></textarea>', True),
        ('<input type="email" name="to">', True),
        ('<input name="your-email">', True),
        ('<input type="text" name="E_Mail">', True),
        ('<input type="hidden" name="email">', False),  # nothing to fill in
        ('<textarea name="g-recaptcha-response"></textarea>', False),  # the captcha's answer
        ('<input type="text" name="code"><button>Go</button>', False),
        ("", False),
    ],
)
def test_what_a_form_asks_for(fields: str, guards: bool) -> None:
    assert guard_forms(parse_html(form(fields)), is_challenge_widget) is guards


def test_every_widget_must_guard_a_form() -> None:
    comment = '<form><textarea name="c"></textarea><div class="g-recaptcha"></div></form>'
    alone = '<div class="cf-turnstile"></div>'
    assert guard_forms(parse_html(f"<body>{comment}</body>"), is_challenge_widget)
    assert not guard_forms(parse_html(f"<body>{comment}{alone}</body>"), is_challenge_widget)
    assert not guard_forms(parse_html("<body><p>No widget.</p></body>"), is_challenge_widget)


def test_only_a_sure_short_page_without_an_interstitial_is_asked() -> None:
    url = "https://blog.example/2024/05/post"
    post = page("blog_captcha_comment_form_de")
    assert analyse_page(post, url, Rules(), None).captcha_guards_forms
    # an interstitial's marks besides the comment form's captcha
    marked = post.replace(
        "</body>", '<script src="/cdn-cgi/challenge-platform/x.js"></script></body>'
    )
    assert not analyse_page(marked, url, Rules(), None).captcha_guards_forms
    # an unsure extraction (a few words): it may have chosen any text
    news = page("newsletter_captcha_en")
    assert analyse_page(news, url, Rules(), None).captcha_guards_forms
    thin = re.sub(r"<p>The .*?</p>", "<p>Closed today.</p>", news, flags=re.DOTALL)
    analysis = analyse_page(thin, url, Rules(), None)
    assert analysis.article.confidence.is_uncertain and not analysis.captcha_guards_forms

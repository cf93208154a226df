"""Classify: every fetch ends in one status; error pages are never articles."""

from __future__ import annotations

import pytest

from monitor.classify import classify_article, classify_fetch, is_collapse
from monitor.models import Article, CheckStatus, FetchOutcome, FetchResult, Metadata


def fetched(outcome: FetchOutcome = FetchOutcome.OK, **kw: object) -> FetchResult:
    defaults: dict[str, object] = {
        "url": "https://x.test/",
        "http_status": 200,
        "content": b"<html>article</html>",
        "text": "<html>article</html>",
        "content_type": "text/html",
    }
    return FetchResult(outcome=outcome, **(defaults | kw))  # type: ignore[arg-type]


def test_ok_page_goes_on_to_extraction() -> None:
    assert classify_fetch(fetched(), 0, 2).status is None


def test_not_modified() -> None:
    assert (
        classify_fetch(fetched(FetchOutcome.NOT_MODIFIED), 0, 2).status is CheckStatus.NOT_MODIFIED
    )


def test_network_and_http_errors_keep_their_message() -> None:
    verdict = classify_fetch(fetched(FetchOutcome.NETWORK_ERROR, error="connection refused"), 0, 2)
    assert (verdict.status, verdict.error) == (CheckStatus.NETWORK_ERROR, "connection refused")
    verdict = classify_fetch(
        fetched(FetchOutcome.HTTP_ERROR, http_status=503, error="HTTP 503"), 0, 2
    )
    assert verdict.status is CheckStatus.HTTP_ERROR


@pytest.mark.parametrize("code", [404, 410])
def test_gone_after_repeated_404(code: int) -> None:
    result = fetched(FetchOutcome.HTTP_ERROR, http_status=code, error=f"HTTP {code}")
    assert classify_fetch(result, 0, 2).status is CheckStatus.HTTP_ERROR
    gone = classify_fetch(result, 1, 2)
    assert gone.status is CheckStatus.GONE
    assert "2 checks in a row" in (gone.error or "")


@pytest.mark.parametrize(
    ("kw", "reason"),
    [
        ({"content": b"  ", "text": "  "}, "empty"),
        ({"content_type": "image/png"}, "not a web page"),
        ({"content": b"\x00\x01<html>", "text": "\x00\x01<html>"}, "binary"),
        ({"headers": {"cf-mitigated": "challenge"}}, "bot challenge"),
    ],
)
def test_soft_errors_from_the_response(kw: dict[str, object], reason: str) -> None:
    verdict = classify_fetch(fetched(**kw), 0, 2)
    assert verdict.status is CheckStatus.SOFT_ERROR
    assert reason in (verdict.error or "")


@pytest.mark.parametrize(
    ("title", "text", "reason"),
    [
        ("Just a moment...", "Checking your browser before accessing the site.", "bot challenge"),
        (
            "Making sure you're not a bot!",
            "You are seeing this because the administrator of this website has set up a "
            "proof-of-work check against the scourge of AI companies scraping websites. " * 4,
            "bot challenge",
        ),
        ("Vercel Security Checkpoint", "We're verifying your browser.", "bot challenge"),
        ("Site under maintenance", "We will be back soon.", "maintenance"),
        ("メンテナンス中", "ただいまメンテナンス中です。しばらくお待ちください。", "maintenance"),
        ("ページが見つかりません", "お探しのページは見つかりませんでした。", "page not found"),
        ("Oops", "Page not found. The page you requested could not be found.", "page not found"),
        ("Log in", "Please log in to continue reading.", "login wall"),
        ("An article", "", "no article text"),
        ("Internal Server Error", "The server encountered an internal error.", "error page"),
        (
            "503 Service Unavailable",
            "The server is temporarily unable to service your request due to maintenance "
            "downtime or capacity problems. Please try again later.",
            "error page",
        ),
        ("Maintenance", "We'll be back soon! We are performing some maintenance.", "maintenance"),
        (
            "Too Many Requests",
            "You have sent too many requests in a given amount of time.",
            "error",
        ),
        ("エラー", "システムエラーが発生しました。時間をおいて再度お試しください。", "error page"),
        ("Oops", "502 Bad Gateway", "error page"),
        ("Something went wrong", "Please try again in a few minutes.", "error page"),
        (
            "Before you continue",
            "We use cookies and data to deliver and maintain our services. " * 20,
            "consent wall",
        ),
        ("Before you continue to YouTube", "We use cookies.", "consent wall"),
        ("Bevor Sie fortfahren", "Wir verwenden Cookies. " * 40, "consent wall"),
        ("Internal Server Error - Example News", "Please try again later.", "error page"),
        ("Oops! Something went wrong.", "Our engineers have been told.", "error page"),
        ("Content unavailable", "This article is no longer available. " * 3, "not found"),
        ("News", "This story has been removed.\nMost read: a, b, c", "not found"),
    ],
)
def test_error_pages_served_as_200(title: str, text: str, reason: str) -> None:
    verdict = classify_article(Article(title=title, text=text))
    assert verdict.status is CheckStatus.SOFT_ERROR
    assert reason in (verdict.error or "")


def test_a_long_article_about_maintenance_is_an_article() -> None:
    text = "The bridge is under maintenance until May. " * 50
    assert classify_article(Article(title="Bridge works", text=text)).status is None


def test_collapse() -> None:
    old = "x" * 1000
    assert is_collapse(old, "x" * 100, 0.2)
    assert not is_collapse(old, "x" * 300, 0.2)
    assert not is_collapse("x" * 50, "x", 0.2)


@pytest.mark.parametrize(
    "text",
    [
        "人気ゲームの予約開始直後にアクセスが集中し、販売サイトが一時つながりにくくなった。"
        "運営会社は午後3時に復旧したと発表した。" * 2,
        "The bank's app was temporarily unavailable for three hours on Tuesday, the bank said. "
        "Customers could still use cards and cash machines.",
    ],
)
def test_short_news_items_that_mention_outages_are_articles(text: str) -> None:
    dated = Metadata(published_at="2026-11-27T09:00:00+09:00")
    news = Article(title="ニュース速報", text=text, metadata=dated, extractor="generic")
    assert classify_article(news).status is None
    assert classify_article(Article(title="News", text=text, extractor="wordpress")).status is None


@pytest.mark.parametrize(
    ("title", "text"),
    [
        ("500 jobs cut at the plant", "The company said it would cut 500 jobs."),
        ("System error hits bank payments", "A system error hit payments on Monday."),
        ("Bank app down", "An internal server error took the bank's app down on Monday."),
        ("Road maintenance closes Main Street", "Crews will close Main Street on Friday."),
        ("エラーの原因を調査", "システムの不具合について、会社が原因を調べている。"),
        ("Bakery owner after fire: 'We'll be back soon'", "The bakery burned on Monday."),
        ("Why the page is unavailable to readers abroad", "The site blocks readers abroad."),
    ],
)
def test_short_undated_news_about_errors_is_an_article(title: str, text: str) -> None:
    assert classify_article(Article(title=title, text=text, extractor="generic")).status is None


def test_error_words_in_the_title_count_on_short_undated_pages_only() -> None:
    error = Article(
        title="メンテナンス中", text="しばらくお待ちください。" * 20, extractor="wordpress"
    )
    assert classify_article(error).status is CheckStatus.SOFT_ERROR
    dated = Metadata(published_at="2026-11-27")
    for title in (
        "給付金サイトにアクセスが集中",
        "Scheduled maintenance: Ginza line closes",
        "Why Error 404 pages matter for SEO",
    ):
        article = Article(title=title, text="An article. " * 70, metadata=dated)
        assert classify_article(article).status is None, title
    long = Article(title="Site under maintenance", text="Words of an article. " * 100)
    assert classify_article(long).status is None


def test_utf16_pages_are_not_binary() -> None:
    page = ("\ufeff<html><body><p>本文</p></body></html>").encode("utf-16-le")
    assert classify_fetch(fetched(content=page, text="<p>本文</p>"), 0, 2).status is None

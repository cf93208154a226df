"""Decide what a fetch means before anything is stored: an error, a soft error, or an article.

A 200 answer is not always the article: maintenance pages, bot challenges, login walls,
"page not found" pages served with 200, empty or binary bodies, and pages whose article
text suddenly collapsed. These become ``soft_error`` checks and never a snapshot, so they
are never reported as changes and never become the baseline of the next comparison.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from monitor.models import Article, CheckStatus, FetchOutcome, FetchResult

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml", "text/plain", "application/xml"})

#: Checked on the title of any page, whatever its length: nobody titles an article like this.
_CHALLENGE_TITLES = re.compile(
    r"^(just a moment\.*|attention required!? \| cloudflare|please wait\.*|"
    r"ddos-guard|access denied|403 forbidden|checking your browser.*|"
    r"human verification|are you a robot\??|"
    # Anubis's proof-of-work page (served with 200, and longer than a short error page)
    r"making sure you['’]re not a bot!?|vercel security checkpoint)$",
    re.IGNORECASE,
)

#: A consent interstitial's title (the page asks for consent before it shows anything),
#: checked on any page: its text can be long (a thousand characters of cookie purposes).
_CONSENT_TITLES = re.compile(
    r"^(before you continue(?: to [\w .'-]{1,40})?|bevor sie (?:fortfahren|weitergehen)|"
    r"avant de continuer|antes de continuar|prima di continuare|voordat je verdergaat)[.…]*$",
    re.IGNORECASE,
)

#: Checked on pages without a publication date: on the title when the page is short, on the
#: text only when it is very short and no rule or rule pack recognised an article (a news
#: item may mention these words, or be titled with them).
_SHORT_PAGE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "maintenance page",
        re.compile(
            r"under maintenance|maintenance mode|scheduled maintenance|temporarily unavailable|"
            r"^we['’]ll be back (?:soon|shortly)\b|^(?:site |scheduled )?maintenance$|"
            r"メンテナンス中|メンテナンスのお知らせ|ただいまメンテナンス|アクセスが集中|"
            r"アクセスが混み合って",
            re.IGNORECASE,
        ),
    ),
    (
        "page not found",
        re.compile(
            r"page not found|page (?:you requested )?(?:could not|cannot|can't) be found|"
            r"\b404 not found|\berror 404\b|^404$|ページが見つかりません|"
            # an article taken down, and the page saying so at its URL
            r"^(?:this|the) (?:article|page|story|content|post) (?:is no longer available|"
            r"(?:has been|was) removed|no longer exists|(?:is )?unavailable)\b|"
            r"^content (?:is )?(?:no longer )?unavailable\b|"
            r"お探しのページは見つかりません|ページは存在しません|お探しのページ",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
    (
        # what a server or its framework answers when it fails, served with 200: the status
        # line as a title or a line of its own ("503 Service Unavailable"), or its words alone
        "error page",
        re.compile(
            r"^(?:error:? ?)?(?:(?:50[0-4]|429)\b\s*[-:–]?\s*)?(?:internal server error|"
            r"service (?:temporarily )?unavailable|bad gateway|gateway time-?out|"
            r"too many requests|server error)[.!]?(?:\s+[-|–—]\s+.{1,60})?$|"
            r"^(?:error:? ?)?(?:50[0-4]|429)$|"
            r"^(?:an? )?(?:unexpected |internal )?(?:server |system )?error"
            r"(?: (?:has )?occurred)?[.!]?$|^(?:oops[!.,]? )?something went wrong[.!]?$|"
            r"^エラー$|^システムエラー|^エラーが発生しました",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
    (
        "login wall",
        re.compile(
            r"^(log ?in|sign ?in)$|please (log|sign) ?in|you must be logged in|"
            r"ログインしてください|ログインが必要",
            re.IGNORECASE | re.MULTILINE,
        ),
    ),
    (
        "bot challenge",
        re.compile(
            r"enable javascript and cookies to continue|verify you are human|"
            r"checking if the site connection is secure",
            re.IGNORECASE,
        ),
    ),
)
SHORT_PAGE_CHARS = 300  # text patterns only count on pages this short: error pages are terse
TITLE_PAGE_CHARS = 1500  # title patterns only on pages this short (an article may be titled so)
COLLAPSE_MIN_CHARS = 200


@dataclass(frozen=True)
class Verdict:
    """A check's status before comparison, and why (for errors)."""

    status: CheckStatus | None  # None: the page holds an article to compare
    error: str | None = None


def classify_fetch(result: FetchResult, gone_streak: int, gone_after: int) -> Verdict:
    """The status a fetch ends in if it has no article to look at; ``gone_streak`` counts
    the consecutive 404/410 answers before this one."""
    if result.outcome is FetchOutcome.NOT_MODIFIED:
        return Verdict(CheckStatus.NOT_MODIFIED)
    if result.outcome is FetchOutcome.NETWORK_ERROR:
        return Verdict(CheckStatus.NETWORK_ERROR, result.error or "network error")
    if result.outcome is FetchOutcome.HTTP_ERROR:
        error = result.error or f"HTTP {result.http_status}"
        if result.http_status in (404, 410) and gone_streak + 1 >= gone_after:
            return Verdict(CheckStatus.GONE, f"{error} on {gone_streak + 1} checks in a row")
        return Verdict(CheckStatus.HTTP_ERROR, error)
    return _classify_body(result)


def _classify_body(result: FetchResult) -> Verdict:
    if not result.content.strip():
        return Verdict(CheckStatus.SOFT_ERROR, "empty response body")
    if result.content_type and result.content_type not in HTML_TYPES:
        return Verdict(CheckStatus.SOFT_ERROR, f"not a web page: {result.content_type}")
    if _is_binary(result.content[:4096]):
        return Verdict(CheckStatus.SOFT_ERROR, "binary content served as a web page")
    challenge = result.headers.get("cf-mitigated") or result.headers.get("x-amzn-waf-action")
    if challenge:
        return Verdict(CheckStatus.SOFT_ERROR, f"bot challenge page ({challenge})")
    return Verdict(None)


_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, *range(0x0E, 0x1B), *range(0x1C, 0x20), 0x7F])


def _is_binary(head: bytes) -> bool:
    """Many control bytes (a stray NUL in a page is not enough): an image, a PDF, a zip.
    UTF-16 text (with its byte-order mark) is full of NUL bytes and is not binary."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    return bool(head) and controls > 0.05 * len(head)


def classify_article(article: Article) -> Verdict:
    """A soft error if the extracted page is an error, challenge or login page, or empty."""
    if _CHALLENGE_TITLES.match(article.title.strip()):
        return Verdict(CheckStatus.SOFT_ERROR, f"bot challenge page ({article.title!r})")
    if _CONSENT_TITLES.match(article.title.strip()):
        return Verdict(CheckStatus.SOFT_ERROR, f"consent wall ({article.title!r})")
    undated = not article.metadata.published_at  # an error page has no publication date
    check_title = len(article.text) < TITLE_PAGE_CHARS and undated
    check_text = (
        len(article.text) < SHORT_PAGE_CHARS and article.extractor in ("generic", "") and undated
    )
    for reason, pattern in _SHORT_PAGE_PATTERNS:
        if (check_title and pattern.search(article.title)) or (
            check_text and pattern.search(article.text)
        ):
            return Verdict(CheckStatus.SOFT_ERROR, f"{reason} ({article.title or 'no title'})")
    if not article.text.strip():
        return Verdict(CheckStatus.SOFT_ERROR, "no article text found on the page")
    return Verdict(None)


def is_collapse(old_text: str, new_text: str, ratio: float) -> bool:
    """True if the new text lost most of an article that had some length."""
    return len(old_text) >= COLLAPSE_MIN_CHARS and len(new_text) < ratio * len(old_text)

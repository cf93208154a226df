"""Hostile and broken answers a live news site, its CDN or its origin gives: round 2 of faults.

Each :class:`Fault` turns the good page of a watched article (and the request that asked for
it) into what the site answers instead: a truncated or broken body, validators that cannot be
true, a flood of cookies, a stand-in page (a redirect page, a challenge, the home page, a login
or consent wall, another article or edition), live elements inside the article, characters that
are not text, a trickle. ``expect`` says what a check of the answer must end in: an error
status, or ``"article"`` when the answer holds the unchanged article (noise aside) and the check
must say it is unchanged. Everything is pure: the same inputs give the same answer, so the test
server and the benchmark farm (``bench/hostile.py``) serve the same faults.

:func:`good_article` is the article every hostile page starts from: the sample article with one
more paragraph holding what some faults need (an e-mail address, full-width ～ and －).
"""

from __future__ import annotations

import gzip
import html as html_lib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from email.utils import format_datetime
from typing import Final

from monitor.samplesite.article import Block, SampleArticle
from monitor.samplesite.data import load_site
from monitor.samplesite.noise import Noise, token

ARTICLE = "article"  # a fault whose answer holds the unchanged article
EMAIL = "press@forum.example.com"
_EXTRA = {
    "ja": f"取材の申し込みは{EMAIL}まで(受付は平日午前9時～午後5時、気温が－3℃を下回る日は休み)。",
    "en": f"Press inquiries: {EMAIL} (weekdays 9 a.m. to 5 p.m.).",
}
_HTML = {"Content-Type": "text/html; charset=utf-8"}


@dataclass(frozen=True)
class Answer:
    """What the site answers: a status, headers and body; or ``raw`` bytes written as they
    are before the connection closes; ``trickle`` seconds between single bytes of the body;
    ``hang`` seconds before anything is sent."""

    status: int = 200
    headers: Mapping[str, str] = field(default_factory=lambda: dict(_HTML))
    body: bytes = b""
    cookies: tuple[str, ...] = ()  # Set-Cookie values
    raw: bytes | None = None
    trickle: float = 0.0
    hang: float = 0.0


@dataclass(frozen=True)
class Request:
    """What a fault looks at in the request: its path, headers (lowercased names), and how
    many times this fault's page was asked for before (counting from 0)."""

    path: str
    headers: Mapping[str, str]
    count: int = 0


@dataclass(frozen=True)
class Page:
    """The watched page: its article as it is now, where it is served, and its good HTML."""

    article: SampleArticle
    url: str
    html: str  # the good page for this request (with its noise)
    home_url: str = "/"
    edited_at: datetime = datetime(2026, 11, 27, 9, 0)  # when the article last changed (UTC)


Respond = Callable[[Page, Request], Answer]


@dataclass(frozen=True)
class Fault:
    """One fault: its name, the issue item it belongs to, what a check must end in
    (``ARTICLE`` or statuses' values) and a piece of the error it must record."""

    name: str
    item: int
    expect: frozenset[str]
    error: str
    respond: Respond
    host_wide: bool = False  # the fault's rule applies to every page of its host (cookies)


def good_article(article: SampleArticle) -> SampleArticle:
    """The article with a paragraph holding an e-mail address and full-width ～ and －."""
    extra = Block("p", _EXTRA["ja" if article.lang == "ja" else "en"])
    return replace(article, blocks=(*article.blocks, extra))


def _ok(html: str, headers: Mapping[str, str] | None = None) -> Answer:
    return Answer(200, {**_HTML, **(headers or {})}, html.encode("utf-8"))


def _body_start(html: str) -> int:
    """Where the article body's first paragraph ends (insertions go there)."""
    start = html.find('class="entry-content')
    end = html.find("</p>", start if start >= 0 else 0)
    return end + len("</p>") if end >= 0 else len(html) // 2


def _insert(html: str, markup: str) -> str:
    at = _body_start(html)
    return html[:at] + markup + html[at:]


def _cut(html: str, share: float = 0.6) -> bytes:
    """The page's bytes cut inside the article body."""
    data = html.encode("utf-8")
    return data[: max(_body_start(html) + 200, int(len(data) * share))]


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, mtime=0)


# -- 1: bodies that did not arrive whole ---------------------------------------------------


def _gzip_without_trailer(page: Page, request: Request) -> Answer:
    body = _gzip(page.html.encode("utf-8"))[:-8]
    return Answer(200, {**_HTML, "Content-Encoding": "gzip"}, body)


def _gzip_cut(page: Page, request: Request) -> Answer:
    data = _gzip(page.html.encode("utf-8"))
    return Answer(200, {**_HTML, "Content-Encoding": "gzip"}, data[: len(data) * 2 // 3])


def _http10_cut(page: Page, request: Request) -> Answer:
    head = b"HTTP/1.0 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    return Answer(raw=head + _cut(page.html))


def _short_of_length(page: Page, request: Request) -> Answer:
    data = page.html.encode("utf-8")
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    ).encode()
    return Answer(raw=head + _cut(page.html))


def _chunked_cut(page: Page, request: Request) -> Answer:
    part = _cut(page.html)
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
    return Answer(raw=head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(part) + part)


# -- 2: validators that cannot be true -----------------------------------------------------


def _http_date(moment: datetime) -> str:
    return format_datetime(moment.replace(tzinfo=None), usegmt=False).replace("-0000", "GMT")


def _future_last_modified(page: Page, request: Request) -> Answer:
    """Last-Modified a year ahead; If-Modified-Since at or after the last edit is a 304 (an
    origin following RFC 9110, so a stored future date would hide every later edit)."""
    since = request.headers.get("if-modified-since")
    last_modified = _http_date(page.edited_at + timedelta(days=365))
    if since is not None:
        try:
            sent = datetime.strptime(since, "%a, %d %b %Y %H:%M:%S GMT")
        except ValueError:
            sent = None
        if sent is not None and sent >= page.edited_at.replace(tzinfo=None):
            return Answer(304, {"Last-Modified": last_modified}, b"")
    return _ok(page.html, {"Last-Modified": last_modified, "Date": _http_date(page.edited_at)})


def _malformed_etag(page: Page, request: Request) -> Answer:
    """An ETag without its quotes, and an origin answering 304 to any If-None-Match."""
    if "if-none-match" in request.headers:
        return Answer(304, {"ETag": "v1-unquoted"}, b"")
    return _ok(page.html, {"ETag": "v1-unquoted"})


def _always_304(page: Page, request: Request) -> Answer:
    """A CDN answering 304 to every conditional request, whatever the origin has now."""
    if "if-none-match" in request.headers:
        return Answer(304, {"ETag": '"cdn-v1"'}, b"")
    return _ok(page.html, {"ETag": '"cdn-v1"'})


# -- 3: cookies ------------------------------------------------------------------------------

#: A request carrying a Cookie header longer than this is refused by the farm's origin.
COOKIE_LIMIT = 8192


def _thousand_cookies(page: Page, request: Request) -> Answer:
    cookies = tuple(f"c{i}={token(Noise(seed=i), 'cookie', 24)}; Path=/" for i in range(1000))
    return replace(_ok(page.html), cookies=cookies)


def _metered_by_cookie(page: Page, request: Request) -> Answer:
    """A metered paywall counting views through a cookie: from the third, the article is cut."""
    match = re.search(r"(?:^|;\s*)views=(\d+)", request.headers.get("cookie", ""))
    views = int(match.group(1)) if match else 0
    cookie = f"views={views + 1}; Path=/; Max-Age=2592000"
    if views >= 2:
        return replace(_paywalled(page), cookies=(cookie,))
    return replace(_ok(page.html), cookies=(cookie,))


# -- 4: stand-in pages -----------------------------------------------------------------------


def _shell(lang: str, title: str, body: str, head: str = "") -> str:
    """A small page of the site: its name, a title and a body."""
    site = load_site(lang)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="UTF-8">'
        f"<title>{html_lib.escape(title)}</title>{head}</head><body>"
        f'<header><a href="{site["home"]}">{html_lib.escape(site["name"])}</a></header>'
        f"<main>{body}</main><footer>© {html_lib.escape(site['name'])}</footer></body></html>"
    )


def _meta_refresh(page: Page, request: Request) -> Answer:
    head = '<meta http-equiv="refresh" content="0; url=/redirect/target/">'
    body = '<p>Redirecting… <a href="/redirect/target/">click here if nothing happens</a></p>'
    return _ok(_shell(page.article.lang, "Redirecting…", body, head))


def _script_redirect(page: Page, request: Request) -> Answer:
    head = (
        "<script>window.location.replace('/landing/?from=' + "
        "encodeURIComponent(location.pathname));</script>"
    )
    body = "<p>リダイレクトしています… Redirecting you to the new page.</p>"
    return _ok(_shell(page.article.lang, page.article.title, body, head))


def _long_challenge(page: Page, request: Request) -> Answer:
    """A managed challenge with more text than an error page, titled after the site."""
    site = load_site(page.article.lang)
    head = (
        '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/chl_page/v1"></script>'
        "<script>window._cf_chl_opt={cvId:'3',cType:'managed'};</script>"
    )
    body = (
        f"<h1>{html_lib.escape(site['name'])}</h1><h2>Verifying that you are not a robot</h2>"
        '<div class="cf-turnstile" data-sitekey="0x4AAAA"></div>'
        + "".join(
            f"<p>{text}</p>"
            for text in (
                "This website uses a security service to protect itself from online attacks.",
                "The action you just performed triggered the security solution. There are "
                "several actions that could trigger this block, including submitting a certain "
                "word or phrase, a SQL command or malformed data.",
                "Please complete the check below to continue to the page you requested; it "
                "usually takes a few seconds and needs JavaScript and cookies.",
                f"Ray ID: {token(Noise(seed=request.count), 'ray', 16)} • Performance & security",
            )
        )
    )
    return _ok(_shell(page.article.lang, f"Security check | {site['name']}", body, head))


def home_page(article: SampleArticle, home_url: str) -> str:
    """The site's home page: teasers of its latest posts, this article's among them."""
    site = load_site(article.lang)
    teasers = [f'<h2><a href="{article.url}">{html_lib.escape(article.title)}</a></h2>']
    teasers.append(f"<p>{html_lib.escape(article.blocks[1].text[:120])}…</p>")
    for title, slug, *_ in site.get("posts", [])[:8]:
        teasers.append(f'<h2><a href="{site["home"]}{slug}/">{html_lib.escape(title)}</a></h2>')
        teasers.append(f"<p>{html_lib.escape(title)}: read the full story inside.</p>")
    head = (
        f'<link rel="canonical" href="{home_url}"><meta property="og:type" content="website">'
        f'<meta property="og:title" content="{html_lib.escape(site["name"])}">'
    )
    body = f'<section class="latest">{"".join(teasers)}</section>'
    return _shell(article.lang, site["name"], body, head)


def _home_at_url(page: Page, request: Request) -> Answer:
    return _ok(home_page(page.article, page.home_url))


def _redirect_home(page: Page, request: Request) -> Answer:
    return Answer(302, {"Location": page.home_url}, b"")


def _login_page(page: Page, request: Request) -> Answer:
    site = load_site(page.article.lang)
    body = (
        "<h1>Members log in</h1><p>Log in to your account to keep reading our journalism, "
        "manage your newsletters and join the conversation.</p>"
        '<form method="post" action="/wp-login.php"><label>E-mail <input type="email" '
        'name="log"></label><label>Password <input type="password" name="pwd"></label>'
        "<button>Log in</button></form><p>Not a member yet? Subscriptions start at $1 a "
        "week, and you can cancel at any time. Members read every story, get the morning "
        "briefing and support local reporting.</p><p>Forgot your password? We will e-mail you "
        "a link to set a new one.</p>"
    )
    return _ok(_shell(page.article.lang, f"Log in – {site['name']}", body))


# -- 5: interstitials and other editions -------------------------------------------------------


def _consent_wall(page: Page, request: Request) -> Answer:
    body = (
        '<div id="onetrust-consent-sdk" class="consent-wall"><h1>We value your privacy</h1>'
        "<p>We and our 843 partners store and access information on your device, such as "
        "cookies, and process personal data such as unique identifiers and browsing data, for "
        "personalised advertising and content, measurement of advertising and content, audience "
        "research and services development.</p><p>With your permission we and our partners may "
        "use precise geolocation data and identification through device scanning. You may "
        "click to consent to our and our partners' processing as described above, or access "
        "more detailed information and change your preferences before consenting.</p>"
        "<button>Accept all</button><button>Reject all</button><button>Manage options</button>"
        "</div>"
    )
    return _ok(_shell(page.article.lang, "Before you continue", body))


def _paywalled(page: Page) -> Answer:
    """The article cut after its second paragraph, with a subscription prompt."""
    html = page.html
    start = html.find('class="entry-content')
    first = html.find("</p>", start)
    second = html.find("</p>", first + 4)
    end = html.find("</article>", second)
    prompt = (
        '<div class="paywall-prompt"><p>Subscribe to continue reading. Already a subscriber? '
        "Log in.</p></div></div>"
    )
    return _ok(html[: second + 4] + prompt + html[end:])


def _paywall_sometimes(page: Page, request: Request) -> Answer:
    return _paywalled(page) if request.count % 2 == 0 else _ok(page.html)


def _free_articles_left(page: Page, request: Request) -> Answer:
    left = max(0, 9 - request.count % 10)
    if page.article.lang == "ja":
        notice = f"<p>今月あと{left}本の記事を無料で読めます。</p>"
    else:
        notice = f"<p>You have {left} free articles left this month.</p>"
    return _ok(_insert(page.html, notice))


def _other_edition(page: Page, request: Request, other: SampleArticle) -> Answer:
    from monitor.samplesite import render_page

    return _ok(render_page(other, Noise(seed=request.count), url=page.url))


def other_article(article: SampleArticle) -> SampleArticle:
    """Another article of the same site: other title, other text, other URL."""
    blocks = tuple(
        replace(block, text=block.text[::-1]) if block.kind == "p" else block
        for block in article.blocks
    )
    return replace(
        article,
        slug=f"{article.slug}-other",
        post_id=article.post_id + 1,
        title=f"{article.title[::-1]}",
        blocks=blocks,
    )


def _wrong_cache_entry(page: Page, request: Request) -> Answer:
    from monitor.samplesite import render_page

    other = other_article(page.article)
    return _ok(render_page(other, Noise(seed=request.count)))


# -- 6: live elements inside the article -------------------------------------------------------


def _comment_count(page: Page, request: Request) -> Answer:
    count = request.count + 3
    label = f"<p>コメント({count})</p>" if page.article.lang == "ja" else f"<p>{count} comments</p>"
    return _ok(_insert(page.html, label))


def _comments_growing(page: Page, request: Request) -> Answer:
    items = "".join(
        f'<li class="comment" id="comment-{i}"><p class="comment-author">Reader {i}</p>'
        f"<p>Comment number {i}: I read this and have thoughts about it.</p></li>"
        for i in range(request.count + 1)
    )
    box = f'<div class="article-comments"><h3>Comments</h3><ol>{items}</ol></div>'
    return _ok(_insert(page.html, box))


def _live_box(page: Page, request: Request) -> Answer:
    box = (
        '<div class="live-box" aria-live="polite"><h4>Latest</h4>'
        f"<p>{9 + request.count // 60:02d}:{request.count % 60:02d} Update {request.count}: "
        "officials say more information will follow.</p></div>"
    )
    return _ok(_insert(page.html, box))


def _updated_ago(page: Page, request: Request) -> Answer:
    minutes = request.count % 59 + 1
    line = f"<p>{minutes}分前に更新</p>" if page.article.lang == "ja" else ""
    line += f"<p>Updated {minutes} minutes ago</p>"
    return _ok(_insert(page.html, line))


_HEADLINE = re.compile(r"(<h1 class=\"[^\"]*entry-title[^\"]*\")>([^<]*)</h1>")


def _ab_headline(page: Page, request: Request) -> Answer:
    """The headline in an A/B test: every other fetch shows variant B (og:title stays)."""
    if request.count % 2 == 0:
        variant = "A"
        headline = page.article.title
    else:
        variant = "B"
        headline = "You will not believe what happened next"
    html = _HEADLINE.sub(
        lambda m: f'{m.group(1)} data-variant="{variant}">{html_lib.escape(headline)}</h1>',
        page.html,
        count=1,
    )
    return _ok(html)


def _native_ad(page: Page, request: Request) -> Answer:
    ad = (
        '<div class="native-ad sponsored-content"><p>Sponsored: Offer '
        f"{token(Noise(seed=request.count), 'ad', 6)} — save {request.count % 50 + 10}% on "
        "a new mattress this week only.</p></div>"
    )
    return _ok(_insert(page.html, ad))


def _php_warnings(page: Page, request: Request) -> Answer:
    if request.count % 2:
        return _ok(page.html)
    warning = (
        "<br />\n<b>Warning</b>:  Undefined variable $related_"
        f"{request.count} in <b>/var/www/html/wp-content/themes/jannah/single.php</b> on line "
        f"<b>{100 + request.count}</b><br />\n<br />\n<b>Deprecated</b>:  Function "
        "create_function() is deprecated in <b>/var/www/html/wp-includes/plugin.php</b> on "
        "line <b>42</b><br />\n"
    )
    return _ok(_insert(page.html, warning))


def cf_obfuscate(address: str, key: int) -> str:
    """Cloudflare's e-mail obfuscation of ``address`` with ``key``."""
    return f"{key:02x}" + "".join(f"{byte ^ key:02x}" for byte in address.encode())


def _cf_email(page: Page, request: Request) -> Answer:
    key = (request.count * 37 + 11) % 256
    hexed = cf_obfuscate(EMAIL, key)
    hidden = (
        f'<a href="/cdn-cgi/l/email-protection" class="__cf_email__" '
        f'data-cfemail="{hexed}">[email&#160;protected]</a>'
    )
    return _ok(page.html.replace(EMAIL, hidden, 1))


# -- 7: characters that are not text -----------------------------------------------------------


def _nul_block(page: Page, request: Request) -> Answer:
    return _ok(_insert(page.html, "\x00" * 1024))


def _noncharacters(page: Page, request: Request) -> Answer:
    html = page.html
    at = html.find("</p>", _body_start(html))
    return _ok(html[:at] + "\ufffe\uffff" + html[at:])


_META_CHARSET = re.compile(r'<meta charset="UTF-8"\s*/?>', re.IGNORECASE)
_SJIS_NAMES: Final = ("Shift_JIS", "shift_jis_2004", "x-sjis", "Windows-31J", "MS_Kanji", "")


def _shift_jis(page: Page, request: Request) -> Answer:
    """The page in cp932 bytes, declared under a different Shift_JIS name each time (or not
    at all)."""
    name = _SJIS_NAMES[request.count % len(_SJIS_NAMES)]
    meta = f'<meta charset="{name}">' if name else ""
    html = _META_CHARSET.sub(meta, page.html, count=1)
    data = html.encode("cp932", errors="xmlcharrefreplace")
    content_type = f"text/html; charset={name}" if name and request.count % 2 else "text/html"
    return Answer(200, {"Content-Type": content_type}, data)


# -- 9: slow servers -------------------------------------------------------------------------------


def _trickle(page: Page, request: Request) -> Answer:
    data = page.html.encode("utf-8")
    return Answer(200, {**_HTML, "Content-Length": str(len(data))}, data, trickle=0.5)


def _hung(page: Page, request: Request) -> Answer:
    return replace(_ok(page.html), hang=3600.0)


def _faults(other_language: Callable[[SampleArticle], SampleArticle]) -> tuple[Fault, ...]:
    network, soft = frozenset({"network_error"}), frozenset({"soft_error"})
    article = frozenset({ARTICLE})

    def fault(name: str, item: int, expect: frozenset[str], error: str, respond: Respond) -> Fault:
        return Fault(name, item, expect, error, respond)

    return (
        fault("gzip without trailer", 1, network, "truncated", _gzip_without_trailer),
        fault("gzip cut mid-stream", 1, network, "truncated", _gzip_cut),
        fault("HTTP/1.0 body cut on close", 1, network, "truncated", _http10_cut),
        fault("body shorter than Content-Length", 1, network, "truncated", _short_of_length),
        fault("chunked body cut", 1, network, "truncated", _chunked_cut),
        fault("Last-Modified in the future", 2, article, "", _future_last_modified),
        fault("malformed ETag", 2, article, "", _malformed_etag),
        fault("304 to every conditional request", 2, article, "", _always_304),
        Fault("1,000 cookies", 3, article, "", _thousand_cookies, host_wide=True),
        fault("metered paywall counting a cookie", 3, article, "", _metered_by_cookie),
        fault("meta refresh page", 4, soft, "redirect", _meta_refresh),
        fault("JavaScript redirecting page", 4, soft, "", _script_redirect),
        fault("bot challenge with a long text", 4, soft, "", _long_challenge),
        fault("home page at the article's URL", 4, soft, "not this article", _home_at_url),
        fault("redirect to the home page", 4, soft, "redirected", _redirect_home),
        fault("login page", 4, soft, "", _login_page),
        fault("consent wall", 5, soft, "", _consent_wall),
        fault("paywall cutting the article", 5, article | soft, "paywall", _paywall_sometimes),
        fault("free articles left notice", 5, article, "", _free_articles_left),
        fault(
            "another language edition",
            5,
            soft,
            "language",
            lambda page, request: _other_edition(page, request, other_language(page.article)),
        ),
        fault("another article from a wrong cache entry", 5, soft, "canonical", _wrong_cache_entry),
        fault("comment count", 6, article, "", _comment_count),
        fault("comments growing", 6, article, "", _comments_growing),
        fault("live-update box", 6, article, "", _live_box),
        fault("updated N minutes ago", 6, article, "", _updated_ago),
        fault("A/B headline", 6, article, "", _ab_headline),
        fault("inline native ad", 6, article, "", _native_ad),
        fault("PHP warnings", 6, article, "", _php_warnings),
        fault("Cloudflare e-mail obfuscation", 6, article, "", _cf_email),
        fault("block of NUL bytes", 7, article, "", _nul_block),
        fault("U+FFFE and U+FFFF", 7, article, "", _noncharacters),
        fault("Shift_JIS under its many names", 7, article, "", _shift_jis),
        fault("trickle of 2 bytes a second", 9, network, "total timeout", _trickle),
        fault("hung server", 9, network, "timeout", _hung),
    )


def faults(other_language: Callable[[SampleArticle], SampleArticle]) -> tuple[Fault, ...]:
    """Every fault of round 2; ``other_language`` gives the article's other-language edition."""
    return _faults(other_language)

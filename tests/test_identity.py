"""Stand-in pages told from edits of the article (monitor.identity), on small texts."""

from __future__ import annotations

import pytest

from monitor.identity import (
    PAYWALL_PROMPT,
    Judgement,
    PageSignals,
    Seen,
    containment,
    first_check_gate,
    folded,
    judge,
    page_signals,
    paywall_prompt,
    stood_in_for,
    titles_agree,
)

ARTICLE = "\n".join(
    f"Paragraph {n}: the council debated the budget for roads, libraries and the fire "
    f"department, and item {n} was adopted after a long public hearing on the {n}th."
    for n in range(1, 9)
)
TITLE = "Council approves budget with more for roads and libraries"
URL = "https://news.example/2026/11/council-budget/"


def seen(**changes: object) -> Seen:
    fields: dict[str, object] = {
        "title": TITLE,
        "text": ARTICLE,
        "final_url": URL,
        "canonical_url": URL,
        "language": "en-US",
    }
    fields.update(changes)
    return Seen(**fields)  # type: ignore[arg-type]


def test_containment_is_one_way() -> None:
    assert containment("The Council debated  the budget", ARTICLE) == 1.0  # case, spaces aside
    assert containment(ARTICLE, "the council debated the budget") < 0.1
    assert containment("", ARTICLE) == 1.0


def test_a_retitle_of_the_same_text_is_the_article() -> None:
    page = seen(title="Budget passes 7-2 after a three-hour hearing")
    assert not titles_agree(TITLE, page.title)
    assert judge(seen(), page).stand_in is None


def test_an_edit_of_sentences_is_the_article() -> None:
    edited = ARTICLE.replace("item 3 was adopted", "item 3 was rejected").replace("8th", "9th")
    assert judge(seen(), seen(text=edited)).stand_in is None


def test_the_same_article_moved_is_the_article() -> None:
    moved = "https://news.example/2026/11/council-budget-passes/"
    assert judge(seen(), seen(final_url=moved, canonical_url=moved)).stand_in is None


def test_another_article_at_the_url_is_a_stand_in() -> None:
    other = seen(
        title="School board picks finalists",
        text="The school board named three finalists for superintendent on Monday night.",
        canonical_url="https://news.example/2026/11/school-board/",
    )
    reason = judge(seen(), other).stand_in
    assert reason is not None and "canonical" in reason and "another title" in reason


def test_another_language_edition_is_a_stand_in() -> None:
    edition = seen(
        title="予算案を可決",
        text="市議会は火曜日の夜、予算案を賛成多数で可決した。" * 5,
        language="ja",
    )
    reason = judge(seen(), edition).stand_in
    assert reason is not None and "language" in reason


def test_a_rewrite_under_the_same_title_url_and_language_is_reported() -> None:
    rewrite = seen(text="The story was rewritten from the first word to the last. " * 10)
    assert judge(seen(), rewrite).stand_in is None


REWRITE = "\n".join(
    f"Update {n}: two firefighters were hurt as the blaze at the warehouse on Mill Road "
    f"spread to a second building; crews from {n + 2} towns fought it through the night."
    for n in range(1, 9)
)


def test_a_rewrite_under_a_new_title_at_the_address_it_names_itself_by_is_the_article() -> None:
    """A developing story rewritten under a new headline: both versions name the URL they
    are fetched from as canonical."""
    rewrite = seen(title="Two firefighters hurt as warehouse fire spreads", text=REWRITE)
    assert judge(seen(), rewrite) == Judgement(None, False)


@pytest.mark.parametrize("canonical", [None, "https://news.example/"])
def test_a_rewrite_under_a_new_title_without_a_canonical_of_its_own_waits(
    canonical: str | None,
) -> None:
    """Without a canonical URL naming the address (none, or a site that names its home page
    on every page), only the title says it is another page: a rewrite, or another page
    served there; it waits for confirmation (:class:`monitor.compare.Comparer`)."""
    old = seen(canonical_url=canonical)
    rewrite = seen(title="Two firefighters hurt", text=REWRITE, canonical_url=canonical)
    judgement = judge(old, rewrite)
    assert judgement.retitled and (judgement.stand_in or "").startswith("a rewrite or another")


def test_a_new_title_with_other_evidence_is_not_this_article() -> None:
    other = seen(title="Two firefighters hurt", text=REWRITE, signals=PageSignals(consent=True))
    judgement = judge(seen(), other)
    assert not judgement.retitled
    assert (judgement.stand_in or "").startswith("not this article: a consent wall")


def test_a_paywall_that_appeared_and_cut_the_text_is_a_stand_in() -> None:
    first_two = "\n".join(ARTICLE.split("\n")[:2])
    cut = seen(text=first_two + "\nSubscribe to continue reading.")
    reason = judge(seen(), cut).stand_in
    assert reason is not None and "paywall" in reason
    assert judge(seen(), cut).contained


@pytest.mark.parametrize(
    "text",
    [
        "Subscribe to continue reading.",
        "SIGN UP TO KEEP READING",
        "SİGN UP TO KEEP READING",  # İ: an i to the pattern, two characters lowered
        "sıgn up to read more",  # ı, ſ: an i and an s to the pattern, not to str.lower
        "ſubſcribe to read the rest",
        "Already a member? Log in",
        "This story is only available to subscribers",
        "この記事は有料会員限定です",
        "残り1200文字",
        "Remember the blog post about technology and the members of the council.",
        "",
    ],
)
def test_a_paywall_prompt_is_found_where_its_pattern_finds_it(text: str) -> None:
    """The pattern runs only on a text holding one of its words (a few words looked for in
    the lowered text cost a twentieth of the pattern on an article)."""
    assert paywall_prompt(text) == (PAYWALL_PROMPT.search(text) is not None)
    assert len(folded(text)) == len(text)


def test_a_deletion_on_a_page_whose_furniture_did_not_change_is_reported() -> None:
    # A captcha in the comment form and a login widget on every page prove nothing: only the
    # gates that appeared since the baseline count. The editor deleted six paragraphs.
    furniture = PageSignals(challenge=True, password_field=True)
    first_two = "\n".join(ARTICLE.split("\n")[:2])
    judgement = judge(seen(signals=furniture), seen(text=first_two, signals=furniture))
    assert judgement.stand_in is None and judgement.contained


def test_a_login_page_showing_a_teaser_is_a_stand_in() -> None:
    teaser = ARTICLE.split("\n")[0] + "\nLog in to read the rest."
    page = seen(title="Log in", text=teaser, signals=PageSignals(password_field=True))
    reason = judge(seen(), page).stand_in
    assert reason is not None and "login" in reason


LOGIN_TEXT = (
    "This story is for members. Log in with the e-mail address and password of your "
    "account to keep reading, to comment and to manage your newsletters.\n"
    "Forgot your password? We will e-mail you a link to set a new one.\n"
    "Not a member yet? Membership pays for the reporting of our newsroom."
)
LOGIN = {"title": "Members' area", "text": LOGIN_TEXT, "signals": PageSignals(password_field=True)}


def test_a_first_version_that_was_a_login_page_stood_in_for_the_article() -> None:
    first = seen(**LOGIN)
    assert stood_in_for(first, seen()) == "a login page"
    # the consent manager of every page of the site on both: the login gate went
    both = PageSignals(password_field=True, consent=True)
    with_cmp = seen(**{**LOGIN, "signals": both})
    assert stood_in_for(with_cmp, seen(signals=PageSignals(consent=True))) == "a login page"


@pytest.mark.parametrize(
    ("first", "page"),
    [
        (PageSignals(password_field=True), PageSignals(consent=True)),  # a gate after a gate
        (PageSignals(challenge=True), PageSignals(password_field=True)),  # the login wall
        (PageSignals(password_field=True), PageSignals(challenge=True)),
        (PageSignals(paywall=True), PageSignals()),  # paywall markup varies by article
    ],
)
def test_a_page_showing_a_gate_the_first_version_did_not_replaces_nothing(
    first: PageSignals, page: PageSignals
) -> None:
    assert stood_in_for(seen(**{**LOGIN, "signals": first}), seen(signals=page)) is None


@pytest.mark.parametrize(
    ("first", "page"),
    [
        ({}, {}),  # a first version without a gate never stood in
        ({}, {"title": "Another story", "text": ARTICLE + " More."}),
        (LOGIN, {"signals": PageSignals(password_field=True)}),  # the gate is still there
        (LOGIN, {"text": LOGIN_TEXT[:150]}),  # shorter than the first version
        (LOGIN, {"canonical_url": "https://news.example/other/"}),
        (LOGIN, {"final_url": "https://news.example/"}),
        (LOGIN, {"language": "de-DE"}),
        (LOGIN, {"signals": PageSignals(og_type="website")}),
    ],
)
def test_a_first_version_stood_in_only_when_the_gate_went_and_only_the_title_differs(
    first: dict[str, object], page: dict[str, object]
) -> None:
    first_seen = seen(**first)
    if not first:
        first_seen = seen(signals=PageSignals(og_type="article"))
    assert stood_in_for(first_seen, seen(**page)) is None


def test_a_short_gate_page_never_replaces_a_first_version() -> None:
    """A page a first check would refuse (short, showing a gate) replaces nothing."""
    first = seen(**LOGIN)
    consent = "We use cookies to measure our audience. " * 12
    page = seen(title="Your privacy", text=consent, signals=PageSignals(consent=True))
    assert len(LOGIN_TEXT) < len(consent) < 600 and stood_in_for(first, page) is None


def test_signals_from_markup() -> None:
    html = (
        '<html><head><meta http-equiv="refresh" content="0; URL=\'/elsewhere/\'">'
        '<meta property="og:type" content="website"></head><body>'
        '<form><input type="password" name="p"></form><div class="cf-turnstile"></div>'
        '<div id="onetrust-banner-sdk" class="ot-consent"></div><div class="paywall"></div>'
    )
    signals = page_signals(html, URL)
    assert signals.refresh_to == "https://news.example/elsewhere/"
    assert signals.password_field and signals.challenge and signals.consent and signals.paywall
    assert signals.og_type == "website"
    assert first_check_gate(signals, "Redirecting…") is not None
    assert first_check_gate(signals, ARTICLE) is None  # a long page: an article


def test_a_challenge_page_is_told_from_the_script_a_cdn_injects_into_every_page() -> None:
    detections = "<script>a.src='/cdn-cgi/challenge-platform/scripts/jsd/main.js';</script>"
    assert not page_signals(f"<html><body><p>Text.</p>{detections}</body></html>", URL).challenge
    managed = (
        "<script>window._cf_chl_opt={cvId: '3', cType: 'managed'};var cpo = "
        "document.createElement('script');cpo.src = "
        "'/cdn-cgi/challenge-platform/h/b/orchestrate/chl_page/v1?ray=1';</script>"
    )
    assert page_signals(f"<html><body>{managed}</body></html>", URL).challenge
    rendered = '<script src="/cdn-cgi/challenge-platform/h/g/orchestrate/jsch/v1"></script>'
    assert page_signals(f"<html><body>{rendered}</body></html>", URL).challenge
    old = '<form id="challenge-form" action="/cdn-cgi/l/chk_jschl?__cf_chl_jschl_tk__=x">'
    assert page_signals(f"<html><body>{old}</form></body></html>", URL).challenge


@pytest.mark.parametrize(
    "markup",
    [
        "<div onclick=\"location.href='https://elsewhere.example/'\">Logo</div>",
        "<a href='#' onclick='window.location.replace(\"https://elsewhere.example/\")'>Go</a>",
        '<select onchange="location = this.value"><option>1</option></select>',
        '<div data-share-sheet-location="2">Share</div>',
        '<weather-widget location="Berlin"></weather-widget>',  # an attribute, no code
        '<div v-bind:x="1" :location="venue"></div>',
    ],
)
def test_a_redirect_a_visitor_triggers_is_no_redirect_page(markup: str) -> None:
    assert page_signals(f"<html><body>{markup}</body></html>", URL).refresh_to is None


@pytest.mark.parametrize(
    "markup",
    [
        '<script>window.location = "https://elsewhere.example/";</script>',
        '<script>if (a < b) location.href = "https://elsewhere.example/";</script>',
        '<script>if (a <b) location.href = "https://elsewhere.example/";</script>',
        '<script>if (x<y && onclick="1") location.href = "https://elsewhere.example/";</script>',
        "<body onload=\"location.href='https://elsewhere.example/'\">",
        '<script>for(i=0;i<n;i++){}location="https://elsewhere.example/"</script>',
        "<script>// readers of <amp pages go to the new address\n"
        'window.location.replace("https://elsewhere.example/");</script>',
        "<div data-go='location=\"https://elsewhere.example/\"'></div>",  # as before
    ],
)
def test_a_redirect_on_load_is_a_redirect_page(markup: str) -> None:
    signals = page_signals(f"<html>{markup}</html>", URL)
    assert signals.refresh_to == "https://elsewhere.example/"


@pytest.mark.parametrize(
    ("markup", "consent", "paywall"),
    [
        ('<div class="x cookie-banner y">', True, False),
        ('<div CLASS = "Cookie-Notice">', True, False),
        ("<div id=\"a class='cookie-banner'\">", True, False),  # a value in a value
        ('<div class="qc-cmp2-ui">', True, False),
        ('<div class="my_consent-box">', True, False),
        ('<div class="consentx">', False, False),  # another word
        ('<div data-class="gdpr">', True, False),  # "class=": as a search finds it
        ('<div title="consent" class="other">', False, False),  # not a class or id
        ("<p>Read our cookie banner policy.</p>", False, False),  # text, not markup
        ('<div class="metered-wall">', False, True),
        ('<a id="tp-modal_1">', False, True),
        ('{"isAccessibleForFree": "False"}', False, True),
        ('<div class="paywalled">', False, False),
        ('<div class="site-meter">', False, True),
        ('<p>İstanbul</p><div class="paywall">', False, True),  # İ lowers to two characters
        ('<p>İİİ</p><div id="onetrust-banner-sdk">', True, False),
        # WordPress's comment form: a "save my name in a cookie" box, no consent manager
        (
            '<p class="comment-form-cookies-consent"><input id="wp-comment-cookies-consent" '
            'name="wp-comment-cookies-consent" type="checkbox" value="yes"></p>',
            False,
            False,
        ),
        ('<div class="comments"></div><div id="cookie-consent">', True, False),
    ],
)
def test_consent_and_paywall_markup_is_read_from_class_and_id_names(
    markup: str, consent: bool, paywall: bool
) -> None:
    signals = page_signals(f"<html><body>{markup}<p>Text.</p></body></html>", URL)
    assert (signals.consent, signals.paywall) == (consent, paywall)


def test_a_refresh_to_the_same_page_is_no_redirect() -> None:
    html = f'<meta http-equiv="refresh" content="300; url={URL}"><p>…</p>'
    assert page_signals(html, URL).refresh_to is None
    assert page_signals('<meta http-equiv="refresh" content="300">', URL).refresh_to is None
    script = "<script>window.location.href = '/other/';</script>"
    assert page_signals(script, URL).refresh_to == "https://news.example/other/"


def test_a_page_of_attributes_named_location_shows_no_redirect() -> None:
    unit = "<w" + ' location="x"' * 150 + ">"
    assert page_signals("<html>" + unit * 200 + "</html>", URL).refresh_to is None

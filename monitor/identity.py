"""Is this page still the watched article? Stand-in pages told from edits of the article.

A site answers 200 with many pages that are not the article: a bot challenge, a login or
consent wall, a "redirecting…" page (meta refresh or script), the home page served at the
article's URL or redirected to, another article from a wrong cache entry, the article in
another language edition, the article cut short by a paywall. None of them is an edit, however
often it is seen; only *the same article shrinking* is a collapse that confirmation may accept.

The evidence, compared with the last good version (the *baseline*), never one piece alone:

- **text overlap**: which share of the new text's character 5-grams the baseline holds
  (:func:`containment`), and the other way round. An edited article keeps most of its text; a
  stand-in shares next to nothing with it; a shrunk article is held in the old text.
- **identity**: another canonical URL, a final URL on another path, another language
  (``lang``'s primary subtag), a title that shares little with the old one, an ``og:type``
  that changed (``article`` to ``website``: a home page).
- **gates** that appeared since the baseline (:class:`PageSignals`, read from the page's own
  markup): a meta refresh or a script sending the browser elsewhere, a password field, a
  challenge or captcha widget, a consent manager, paywall markup or a paywall prompt (in the
  article's text, or anywhere in the page's visible text: an extractor drops "Subscribe to
  continue reading" as a promotion, and a paywall that cuts the article with nothing else
  to show for it is only that line).

The decision (:func:`judge`): the same article (both overlaps at least :data:`SAME`) is the
article, whatever its title, URL or canonical say (a retitle or a moved article is reported as
the change it is). A text held in the old one (:data:`CONTAINED`) that lost part of the article
while a gate appeared is a stand-in (a paywall or a login teaser). A text that shares little with
the article is a stand-in when any identity or gate evidence but its title says so; with none
it is a rewrite of the article, compared as usual when the title agrees or both pages name the
address the page was fetched from as canonical, and ``retitled`` (confirmed over several checks
by the comparer) under a new title otherwise; but a page under a new title that shows any gate
(even the consent manager of every page of its site) and does not name itself so is a
stand-in: it may be that gate. A collapse
(the text shrinking below ``collapse_ratio``) may only be confirmed when the shrunk text is held
in the old one.

Without a baseline (:func:`first_check_gate`), a page shorter than :data:`SHORT_GATE_CHARS`
that shows a gate is that gate, not an article, wherever the gate's markup sits: a gate page
stored as an article's first version would make every later version "another page". A
redirect a visitor triggers (``onclick="location.href=…"``) is no redirect page. A longer gate
page that became a first version gives way to the article it stood in for
(:func:`stood_in_for`).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from urllib.parse import urljoin, urlsplit

#: Both overlaps at least this: the same article (edited, retitled or moved).
SAME = 0.5
#: The new text's overlap with the old at least this: the new text comes from the article.
CONTAINED = 0.6
#: The old text's overlap with the new below this: part of the article is gone.
LOST = 0.9
#: A rewrite under a new title keeps at least this share of the article's length (a notice
#: that the article is gone, an error page, a teaser is shorter).
REWRITE_SHARE = 0.5
#: Titles whose word (or CJK character pair) sets agree less than this are different titles.
TITLE_AGREEMENT = 0.5
SHINGLE = 5
#: Texts are compared on their first this-many characters (enough to know an article).
MAX_COMPARED = 50_000
#: Without a baseline, gates decide only on pages this short (an error page is terse).
SHORT_GATE_CHARS = 600
_SCAN = 400_000  # the first this-many characters of a page are scanned for signals

_REFRESH = re.compile(r"""<meta\b[^>]*?http-equiv\s*=\s*["']?refresh["']?[^>]*>""", re.IGNORECASE)
_CONTENT = re.compile(r"""content\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE)
_REFRESH_URL = re.compile(r"""url\s*=\s*['"]?([^'"\s;]+)""", re.IGNORECASE)
_SCRIPT_REDIRECT = re.compile(
    r"""(?:window|document|top|self|parent)\.location(?:\.href)?\s*=\s*["']([^"']+)["']|"""
    r"""(?:window\.|document\.|top\.|self\.)?location\.(?:replace|assign)\(\s*["']([^"']+)["']|"""
    r"""(?<![\w.-])location(?:\.href)?\s*=\s*["']([^"']+)["']""",
    re.IGNORECASE,
)
#: A handler of what a visitor does (a click, a key, a submit) in an attribute, whose value
#: runs up to the end of the text searched (``onload`` runs without a visitor: not one).
_HANDLER = re.compile(
    r"""\son(?:click|dblclick|mouse[a-z]*|key[a-z]*|change|input|submit|focus[a-z]*|blur|"""
    r"""touch[a-z]*|pointer[a-z]*|contextmenu)\s*=\s*["'][^"'<>]*$""",
    re.IGNORECASE,
)
_TAG_REACH = 2_000  # how far back the start of a tag is looked for
#: A tag's start up to where one of its attributes is named: the tag's name, whole
#: attributes, and the start of a name (``:location`` in a template's binding).
_ATTRIBUTE_NAME = re.compile(
    r"""<[a-zA-Z][\w:-]*(?:\s+[\w:@.-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*"""
    r"""\s+[\w:@.-]*$"""
)
_PASSWORD = re.compile(r"""<input\b[^>]*\btype\s*=\s*["']?password\b""", re.IGNORECASE)
#: Cloudflare's challenge pages carry ``_cf_chl_opt`` (their script's options) and load an
#: ``…/orchestrate/<kind>/`` script (the old ones post a ``/cdn-cgi/l/chk_`` form), not only
#: a script under ``/cdn-cgi/challenge-platform/``: its JavaScript Detections inject one of
#: those into every HTML page of a site that has them on (Bot Fight Mode, the free plan's
#: default), which is no challenge.
_CHALLENGE = re.compile(
    r"/cdn-cgi/l/chk_|_cf_chl_opt|orchestrate/chl_page|orchestrate/managed|orchestrate/jsch|"
    r"orchestrate/captcha|cf-turnstile|challenges\.cloudflare|"
    r"g-recaptcha|h-captcha|hcaptcha\.com|recaptcha/api|captcha-delivery|px-captcha|"
    r"_Incapsula_Resource|aws-waf-token|awswaf|sucuri_cloudproxy|ddos-guard",
    re.IGNORECASE,
)


def _named(markers: str, unless: str = "") -> re.Pattern[str]:
    """A whole name (a run of word characters and dashes) of a class or id value that is
    one of ``markers``, alone or joined to other words by ``-`` or ``_`` (and holds none of
    the words ``unless`` lists)."""
    exclude = rf"(?![\w-]*(?:{unless}))" if unless else ""
    return re.compile(
        rf"(?<![\w-]){exclude}(?:[\w-]*[-_])?(?:{markers})(?:[-_][\w-]*)?(?![\w-])",
        re.IGNORECASE,
    )


# Consent managers, by the names they give their markup (OneTrust, Didomi, Quantcast,
# Funding Choices, Sourcepoint, TrustArc, Cookiebot, Usercentrics) and the generic words;
# not a comment form's "save my name in a cookie" box (WordPress's
# ``comment-form-cookies-consent``, on every post with comments open since WordPress 4.9.6).
_CONSENT_NAME = _named(
    "consent|cmp|gdpr|onetrust|didomi|qc-cmp2?|fc-consent|sp_message|truste|"
    "cookiebot|usercentrics|cookie-?(?:banner|notice|wall|consent)",
    unless="comment",
)
_PAYWALL_NAME = _named(
    "paywall|pay-wall|regwall|reg-wall|meter(?:ed)?|piano|tp-modal|tp-container|"
    "subscriber-only|subscribers-only|premium-gate|content-gate|gated"
)
_NOT_FREE = re.compile(r'"isAccessibleForFree"\s*:\s*"?false', re.IGNORECASE)


def _has_name(page: str, low: str, name: re.Pattern[str], words: tuple[str, ...]) -> bool:
    """Whether a class or id value of ``page`` (``low``: the page lowercased) holds a name
    ``name`` matches. Every such name holds one of ``words``: each place a word is found,
    the value around it (between the quotes) is checked to be a class or id value, and
    only then is ``name`` looked for in it. One pattern over the whole page, trying every
    position, cost 4-6 ms on a news page."""
    seen: set[int] = set()
    for word in words:
        at = low.find(word)
        while at != -1:
            opening = max(low.rfind('"', 0, at), low.rfind("'", 0, at))
            if opening not in seen:
                seen.add(opening)
                closing = _next_quote(low, at)
                if _names_value(low, opening) and name.search(page, opening + 1, closing):
                    return True
            at = low.find(word, at + 1)
    return False


def _names_value(low: str, opening: int) -> bool:
    """Whether the quote at ``opening`` opens a class or id attribute's value:
    ``(class|id)\\s*=\\s*`` right before it (nothing of the page is copied)."""
    if opening < 0:
        return False
    end = _before_spaces(low, opening)
    if not end or low[end - 1] != "=":
        return False
    end = _before_spaces(low, end - 1)
    return low.endswith("class", 0, end) or low.endswith("id", 0, end)


def _before_spaces(text: str, end: int) -> int:
    """Where the whitespace that ends ``text[:end]`` begins."""
    while end and text[end - 1].isspace():
        end -= 1
    return end


def _next_quote(low: str, at: int) -> int:
    """Where the value holding ``at`` ends: the next quote of either kind (or the end)."""
    found = [i for i in (low.find('"', at), low.find("'", at)) if i != -1]
    return min(found) if found else len(low)


#: What a paywall says where it cuts the article (in its text).
PAYWALL_PROMPT = re.compile(
    r"(?:subscribe|sign up|log ?in|register)\b.{0,40}\b(?:to (?:continue|keep) reading|"
    r"to read (?:the rest|more|the full))|to continue reading\b|"
    r"(?:this|the) (?:article|story|content) is (?:only )?(?:available|reserved|for) "
    r"(?:to |for )?(?:subscribers|members)|already a (?:subscriber|member)\b|"
    r"続きを読むには|有料会員|会員限定|この記事は有料|残り\d+文字|登録すると続きを",
    re.IGNORECASE,
)
_OG_TYPE = re.compile(
    r"""<meta\b[^>]*?property\s*=\s*["']og:type["'][^>]*?content\s*=\s*["']([^"']+)""",
    re.IGNORECASE,
)
_NOT_TEXT = re.compile(r"\s+")
_WORD = re.compile(r"[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")
_CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


@dataclass(frozen=True)
class PageSignals:
    """What a page's markup says about what it is, besides its text (see the module doc)."""

    refresh_to: str | None = None  # a meta refresh or script redirect to another page
    password_field: bool = False
    challenge: bool = False
    consent: bool = False
    paywall: bool = False
    og_type: str | None = None
    prompt: bool = False  # a paywall prompt in the page's visible text (no gate on its own)

    def as_json(self) -> str:
        """JSON, as stored with the version whose page these are (schema 9)."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | None) -> PageSignals | None:
        """Signals stored with a version (None: none stored, or not readable)."""
        if not text:
            return None
        try:
            data = json.loads(text)
            known = {f.name for f in fields(cls)}
            if "prompt" not in data:  # stored before prompts were read: read the page again
                return None
            return cls(**{k: v for k, v in data.items() if k in known})
        except (ValueError, TypeError, AttributeError):
            return None

    def gates(self) -> set[str]:
        """The names of the gates this page shows."""
        found = {
            name
            for name, present in (
                ("a redirect page", self.refresh_to is not None),
                ("a login page", self.password_field),
                ("a bot challenge", self.challenge),
                ("a consent wall", self.consent),
                ("a paywall", self.paywall),
            )
            if present
        }
        return found


def page_signals(html: str, url: str | None) -> PageSignals:
    """The signals of a page (its first :data:`_SCAN` characters), ``url`` its address.
    Each pattern runs only on a page that holds one of its words at all (a scan of the
    lowercased page for a few words costs a fraction of the patterns' own)."""
    head = html[:_SCAN]
    # where a word's place is the place it has in the page
    low = aligned = folded(head)
    og_type = _OG_TYPE.search(head)
    return PageSignals(
        refresh_to=_redirect_target(head, url) if _holds(low, _REDIRECT_WORDS) else None,
        password_field="password" in low and _PASSWORD.search(head) is not None,
        challenge=_holds(low, _CHALLENGE_WORDS),
        consent=_holds(low, _CONSENT_WORDS)
        and _has_name(head, aligned, _CONSENT_NAME, _CONSENT_WORDS),
        paywall=_holds(low, _PAYWALL_WORDS)
        and (
            _NOT_FREE.search(head) is not None
            or _has_name(head, aligned, _PAYWALL_NAME, _PAYWALL_WORDS)
        ),
        og_type=og_type.group(1).strip().lower() if og_type else None,
        # the words were looked for in the page already: the pattern on its visible text
        prompt=_holds(low, _PROMPT_WORDS) and PAYWALL_PROMPT.search(visible_text(head)) is not None,
    )


_HIDDEN = re.compile(
    r"<(script|style|template|noscript)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL
)
_TAG = re.compile(r"<[^>]*>")


def visible_text(html: str) -> str:
    """The text of a page's markup, roughly: without scripts, styles and comments, tags as
    spaces, whitespace collapsed (what a paywall prompt is looked for in)."""
    return " ".join(_TAG.sub(" ", _HIDDEN.sub(" ", html)).split())


#: Words one of which a page holds if the pattern of each signal can match it.
_REDIRECT_WORDS = ("refresh", "location")
_CHALLENGE_WORDS = tuple(_CHALLENGE.pattern.replace("\\", "").lower().split("|"))
_CONSENT_WORDS = (
    "consent",
    "cmp",
    "gdpr",
    "onetrust",
    "didomi",
    "fc-",
    "sp_message",
    "truste",
    "cookiebot",
    "usercentrics",
    "cookie",
)
_PAYWALL_WORDS = (
    "isaccessibleforfree",
    "paywall",
    "pay-wall",
    "regwall",
    "reg-wall",
    "meter",
    "piano",
    "tp-modal",
    "tp-container",
    "subscriber",
    "premium-gate",
    "content-gate",
    "gated",
)


def _holds(low: str, words: tuple[str, ...]) -> bool:
    return any(word in low for word in words)


#: The characters that a case-insensitive regular expression takes for an ASCII letter and
#: ``str.lower`` does not lower to it (İ lowers to two characters).
_CASE_ODD = ("\u0130", "i"), ("\u0131", "i"), ("\u017f", "s")


def folded(text: str) -> str:
    """``text`` lowercased character for character, so that it holds a word (lowercase) if
    a case-insensitive regular expression finds the word in ``text``: a word's place in it
    is its place in ``text``."""
    for odd, letter in _CASE_ODD:
        if odd in text:
            text = text.replace(odd, letter)
    return text.lower()


#: Words one of which every match of :data:`PAYWALL_PROMPT` holds (lowercase).
_PROMPT_WORDS = (
    "subscribe",
    "sign up",
    "login",
    "log in",
    "register",
    "continue reading",
    "members",
    "already a",
    "続きを読むには",
    "有料会員",
    "会員限定",
    "この記事は有料",
    "残り",
    "登録すると続きを",
)


def paywall_prompt(text: str) -> bool:
    """Whether ``text`` holds what a paywall says where it cuts the article
    (:data:`PAYWALL_PROMPT`), the pattern run only on a text holding one of its words."""
    return _holds(folded(text), _PROMPT_WORDS) and PAYWALL_PROMPT.search(text) is not None


def _redirect_target(html: str, url: str | None) -> str | None:
    """Where a meta refresh or an inline script sends the browser, if to another page."""
    targets: list[str] = []
    for tag in _REFRESH.finditer(html):
        content = _CONTENT.search(tag.group(0))
        value = _first_group(content) if content else ""
        refresh = _REFRESH_URL.search(value)
        if refresh:
            targets.append(refresh.group(1))
    targets += [_first_group(found) for found in _script_redirects(html)]
    for target in targets:
        if target.lower().startswith(("javascript:", "mailto:", "tel:", "#")):
            continue
        absolute = urljoin(url or "", target)
        if url is None or page_identity(absolute) != page_identity(url):
            return absolute
    return None


def _script_redirects(html: str) -> list[re.Match[str]]:
    """The script redirects of a page, looked for only around the word "location" (the
    pattern over a whole page costs several ms)."""
    low, found, start = html.lower(), [], 0
    seen: set[tuple[int, int]] = set()
    while (at := low.find("location", start)) != -1:
        window = max(0, at - 40)
        for match in _SCRIPT_REDIRECT.finditer(html, window, min(len(html), at + 600)):
            span = (match.start(), match.end())
            if span in seen:  # each match is looked at once (the windows overlap)
                continue
            seen.add(span)
            if not _visitors_or_attribute(html, match):
                found.append(match)
        start = at + 1
    return found


def _visitors_or_attribute(html: str, match: re.Match[str]) -> bool:
    """Whether a script redirect's match is in a tag's handler of what a visitor does
    (``onclick="location.href=…"``): code run on a click, not when the page loads; or, for
    a bare ``location = …``, where a tag's attribute is named (``<weather-widget
    location="Berlin">``: no code at all). A ``<`` that is no tag's start (``i<n`` in a
    script) is followed by neither."""
    at = match.start()
    start = html.rfind("<", max(0, at - _TAG_REACH), at)
    if start == -1 or not html[start + 1 : start + 2].isalpha():
        return False
    if _HANDLER.search(html, start, at) is not None:
        return True
    bare = match.group(3) is not None  # ``window.location…`` is never an attribute's name
    return bare and _ATTRIBUTE_NAME.match(html, start, at) is not None


def _first_group(match: re.Match[str]) -> str:
    return next((group for group in match.groups() if group is not None), "")


def page_identity(url: str) -> tuple[str, str, str]:
    """What makes two URLs one page: host without ``www.``, path without a trailing slash,
    and the query (``/?p=123`` is a WordPress article); scheme and fragment aside."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower().removeprefix("www.")
    except ValueError:
        return url, "", ""
    return host, parts.path.rstrip("/") or "/", parts.query


def _shingles(text: str) -> set[str]:
    compact = _NOT_TEXT.sub("", text[:MAX_COMPARED]).casefold()
    if len(compact) <= SHINGLE:
        return {compact} if compact else set()
    return {compact[i : i + SHINGLE] for i in range(len(compact) - SHINGLE + 1)}


def containment(part: str, whole: str) -> float:
    """The share of ``part``'s character 5-grams (whitespace and case aside) that ``whole``
    holds: 1.0 when all of ``part`` is in ``whole``; 1.0 for an empty ``part``."""
    return _held(_shingles(part), _shingles(whole))


def _held(mine: set[str], theirs: set[str]) -> float:
    return len(mine & theirs) / len(mine) if mine else 1.0


def _title_tokens(title: str) -> set[str]:
    """Words, and pairs of CJK characters (single ones are shared by unrelated titles)."""
    title = title.casefold()
    found = set(_WORD.findall(title))
    for run in _CJK_RUN.findall(title):
        found.update(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return found


def titles_agree(old: str, new: str) -> bool:
    """True when two titles share at least half their words (CJK: character pairs)."""
    a, b = _title_tokens(old), _title_tokens(new)
    if not a or not b:
        return a == b
    return 2 * len(a & b) / (len(a) + len(b)) >= TITLE_AGREEMENT


@dataclass(frozen=True)
class Seen:
    """One page as the judgement needs it: text, title, where it came from, its signals."""

    title: str
    text: str
    final_url: str | None = None
    canonical_url: str | None = None
    language: str | None = None
    signals: PageSignals = field(default_factory=PageSignals)


@dataclass(frozen=True)
class Judgement:
    """Whether a page is the article: ``stand_in`` with the reason, or ``contained`` (the
    text comes from the article: a shrink that a collapse confirmation may accept)."""

    stand_in: str | None
    contained: bool
    #: only its title says it is another page: a rewrite of the article under a new
    #: headline, or a page that says nothing of what it is; it is the article once seen
    #: on enough checks in a row (a stand-in served by mistake does not stay)
    retitled: bool = False


def judge(baseline: Seen, page: Seen) -> Judgement:
    """Is ``page`` the article that ``baseline`` is a version of? (see the module doc)"""
    new, old = _shingles(page.text), _shingles(baseline.text)  # each text's once
    both = len(new & old)  # once for both shares
    new_in_old = both / len(new) if new else 1.0
    old_in_new = both / len(old) if old else 1.0
    contained = new_in_old >= CONTAINED
    gates = _new_gates(baseline, page)
    lost = old_in_new < LOST and len(page.text) < len(baseline.text)
    if contained and lost and gates:
        return Judgement(f"{gates[0]} instead of the article (its text cut short)", contained)
    if min(new_in_old, old_in_new) >= SAME:
        return Judgement(None, contained)
    evidence = _other_identity(baseline, replace(page, title=baseline.title)) + gates
    shared = f"{round(100 * max(new_in_old, old_in_new))}%"
    retitled = not titles_agree(baseline.title, page.title)
    shorter = len(page.text) < REWRITE_SHARE * len(baseline.text)
    named = retitled and _names_itself(baseline, page)
    shown = _gate_names(page) if retitled and not named else []
    if evidence or (retitled and (shorter or shown)):
        title = f"another title ({page.title[:100]!r})"
        if not evidence and shown:  # a gate the site shows?
            evidence.append(f"{title} on a page showing {shown[0]}")
        elif not evidence:  # and not the rewrite of a story, which keeps its length
            evidence.append(f"{title} and a text less than half as long")
        elif retitled:
            evidence.append(title)
        reason = f"not this article: {', '.join(evidence)}; it shares {shared} of its text"
        return Judgement(reason, contained)
    if not retitled or named:
        return Judgement(None, contained)  # a rewrite (at the address both name themselves by)
    reason = (
        f"a rewrite or another page: another title ({page.title[:100]!r}) and {shared} of "
        "the text in common, nothing else against it"
    )
    return Judgement(reason, contained, retitled=True)


def _gate_names(page: Seen) -> list[str]:
    """The gates a page shows, even those the article's page showed too (a consent manager
    on every page of a site): a page under a new title that may be the gate itself is taken
    for a rewrite only when it names itself so (:func:`_names_itself`)."""
    gates = page.signals.gates()
    if paywall_prompt(page.text):
        gates.add("a paywall")
    return sorted(gates)


def _names_itself(baseline: Seen, page: Seen) -> bool:
    """Whether both pages name one canonical URL, the very address ``page`` was fetched
    from: the site says this is the page it was (a rewrite of a developing story under a
    new headline), not another page served there."""
    old, new, final = baseline.canonical_url, page.canonical_url, page.final_url
    if not (old and new and final):
        return False
    return page_identity(old) == page_identity(new) and (
        page_identity(new)[:2] == page_identity(final)[:2]
    )


def _new_gates(baseline: Seen, page: Seen) -> list[str]:
    """The gates ``page`` shows that ``baseline`` did not (a comment form's captcha or a login
    widget on every page of a site is no evidence): from the markup, and a paywall prompt
    in the text."""
    gates = page.signals.gates() - baseline.signals.gates()
    prompted = page.signals.prompt or paywall_prompt(page.text)
    if prompted and not (baseline.signals.prompt or paywall_prompt(baseline.text)):
        gates.add("a paywall")
    return sorted(gates)


def _other_identity(baseline: Seen, page: Seen) -> list[str]:
    """What says ``page`` is another page than ``baseline``."""
    found = []
    old, new = baseline.canonical_url, page.canonical_url
    if old and new and page_identity(old) != page_identity(new):
        found.append(f"its canonical URL is {new[:200]}")
    old, new = baseline.final_url, page.final_url
    if old and new and page_identity(old)[:2] != page_identity(new)[:2]:
        found.append(f"redirected to {new[:200]}")
    old_lang, new_lang = _primary(baseline.language), _primary(page.language)
    if old_lang and new_lang and old_lang != new_lang:
        found.append(f"another language ({page.language})")
    if not titles_agree(baseline.title, page.title):
        found.append(f"another title ({page.title[:100]!r})")
    old_type, new_type = baseline.signals.og_type, page.signals.og_type
    if old_type == "article" and new_type and new_type != "article":
        found.append(f"og:type {new_type}")
    return found


def _primary(language: str | None) -> str:
    """``en-US`` -> ``en``; "" for none."""
    return (language or "").strip().lower().replace("_", "-").split("-")[0]


def first_check_gate(signals: PageSignals, text: str) -> str | None:
    """Without a baseline: the gate a short page shows (a redirect, login, challenge or
    consent page has little text of its own), or None."""
    if len(text) >= SHORT_GATE_CHARS:
        return None
    gates = sorted(signals.gates() - {"a paywall"})
    return gates[0] if gates else None


def stood_in_for(first: Seen, page: Seen) -> str | None:
    """The gate a watch's *first* version showed, if that version only stood in for the
    article ``page`` is: a gate page long enough to pass :func:`first_check_gate` (a login
    page with its help text, a challenge that explains itself) is stored as an article's
    first version, and every later fetch of the real article is then "another page".

    It stood in when the first version showed a gate that ``page`` does not show and
    ``page`` shows no gate the first version did not (the consent manager of every page of
    the site may be on both; a consent wall after a login page is one gate after another),
    no paywall prompt, is longer, and nothing but its title says it is another page (the
    same canonical URL, final URL and language, and no ``og:type`` but an article's).
    Paywall markup is no gate here: it differs from article to article of a site
    (``isAccessibleForFree``). A first version without a gate never stood in: a page that
    shares little with it is another page, however it looks."""
    gates = first.signals.gates() - {"a paywall"}
    shown = page.signals.gates()
    if not gates - shown or shown - first.signals.gates() or paywall_prompt(page.text):
        return None
    if len(page.text) <= len(first.text):
        return None
    if page.signals.og_type not in (None, "article"):
        return None  # a page that says it is a website, a profile, a video: no article
    if _other_identity(first, replace(page, title=first.title)):
        return None
    return sorted(gates - shown)[0]

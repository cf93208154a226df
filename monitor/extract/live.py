"""Live elements inside the article: what changes between two fetches of an unchanged article.

Two kinds of evidence, both general (no site is named), and neither ever touches a sentence of
the article:

*What the page marks* (:func:`drop_live_elements`, on the tree, before the article is chosen):

- regions that announce themselves as live: ``aria-live``, ``role=log|marquee|timer`` (a
  live-update box, a ticker; not ``role=alert``, which may carry a correction);
- comments, by microdata (``itemtype`` …/Comment, …/UserComments, ``itemprop=comment``) or
  class/id names (``comment``, ``comments``, ``comment-list``, ``disqus``…);
- ads, by microdata (…/WPAdBlock), ad-slot attributes (``data-ad-slot``, ``data-ad-client``…)
  or class/id names (``ad``, ``advert``, ``sponsored``, ``native-ad``, ``outbrain``…); consent
  boxes and live-blog boxes by their names (``consent``, ``live-updates``, ``ticker``…). Not
  ``paywall``: sites wrap the article's paid part in it;
- an element marked as an A/B test (``data-variant``, ``data-experiment``, ``data-ab-*``, a
  class ``ab-test``/``experiment``): a rotating headline; the title then comes from the page's
  other title sources (``og:title``, ``<title>``);
- relative times in a ``<time>`` of their own ("<time datetime=…>5 minutes ago</time>");
- Cloudflare's e-mail obfuscation (``data-cfemail``, ``/cdn-cgi/l/email-protection#…``) is
  decoded to the address, so "[email protected]" and the address read the same.

Names are matched as whole parts of a class or id (split at ``-`` and ``_``): ``commentary``
is no comment, ``header`` no ad, and an element marked as an ad that holds two paragraphs
of prose is none. A name negating a widget (``non-ad-column``, ``no-comments``,
``ad-free``) names none. An element holding more than :data:`MAX_SHARE` of the page's text
outside links is never removed, nor an ``<article>``, ``<main>`` (or their roles), the
declared body (``itemprop=articleBody``), the ``<h1>`` or a content selector's element, nor
anything holding one: a Drupal ``node--promoted`` article is no promotion.

*Shapes of lines* (:func:`drop_live_lines`, on the text): a line that is only a relative time
("Updated 5 minutes ago", "3時間前"), only a count ("12 comments", "コメント(3)", "1.2K
shares"), only a metered-paywall notice ("You have 3 free articles left"); and PHP errors printed
into the page ("Warning: … in /var/www/….php on line 12"), wherever they are. Whole lines only
(but the PHP shape): "The fire started 20 minutes ago" is a sentence, and stays.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lxml import etree

from monitor.extract.boilerplate import name_parts
from monitor.extract.css import Document
from monitor.extract.measure import PAGE_CACHE
from monitor.extract.text import Element, drop_tree

#: An element holding more than this share of the page's text is never removed.
MAX_SHARE = 0.4
#: An element marked as an A/B test is removed only when it is this short (a headline).
MAX_VARIANT_CHARS = 300
#: An element is a relative time when its text is this short and has the shape.
MAX_TIME_CHARS = 60

_LIVE_ROLES = frozenset({"log", "marquee", "timer"})
_COMMENT_NAMES = frozenset({"comment", "comments", "commentlist", "disqus", "dsq"})
_AD_NAMES = frozenset(
    {
        "ad",
        "ads",
        "advert",
        "adverts",
        "advertisement",
        "advertising",
        "adsbygoogle",
        "adslot",
        "adunit",
        "sponsored",
        "sponsor",
        "outbrain",
        "taboola",
        "dfp",
        "consent",
        "gdpr",
        "liveblog",
        "ticker",
    }
)
#: Names that count as a pair of parts: "live-updates", "cookie-banner", "ab-test".
_PAIRED_NAMES = frozenset(
    {
        ("live", "update"),
        ("live", "updates"),
        ("live", "blog"),
        ("live", "feed"),
        ("live", "coverage"),
        ("cookie", "banner"),
        ("cookie", "notice"),
        ("cookie", "consent"),
        ("native", "ad"),
    }
)
_VARIANT_NAMES = frozenset({"abtest", "experiment"})
_VARIANT_PAIRS = frozenset({("ab", "test"), ("a", "b"), ("headline", "variant")})
_VARIANT_ATTRIBUTES = re.compile(r"^data-(?:variant|experiment|ab|abtest|ab-test|optimizely)\b")
_AD_ATTRIBUTES = re.compile(
    r"^data-(?:ad-slot|ad-client|ad-unit|ad-unit-path|adunit|ad-format|google-query-id)$"
)
_ITEMTYPES = re.compile(r"/(?:Comment|UserComments|WPAdBlock)$")
_CF_LINK = "/cdn-cgi/l/email-protection#"

_NUMBER = r"(?:\d+|an?|one|a few|several)"
RELATIVE_TIME = (
    rf"(?:about |over |almost |nearly |less than )?{_NUMBER}\s*"
    r"(?:sec(?:ond)?s?|s|min(?:ute)?s?|m|h(?:ou)?rs?|h|hours?|days?|d|weeks?|wks?|w|"
    r"months?|mos?|years?|yrs?|y)\.?\s+ago|just now|a? ?moments? ago|"
    r"\d+\s*(?:秒|分|時間|日|週間|週|か月|ヶ月|カ月|ケ月|年)前|たった今|"
    r"\d+\s*(?:秒|分钟|分鐘|小时|小時|天|周|个月|個月|年)前|刚刚|剛剛|"
    r"\d+\s*(?:초|분|시간|일|주|개월|년)\s*전|방금|"
    r"vor\s+(?:\d+|einer?|einem)\s+(?:sekunden?|minuten?|stunden?|tag(?:en)?|wochen?|"
    r"monat(?:en)?|jahr(?:en)?)|"
    r"il y a\s+(?:\d+|une?)\s+(?:secondes?|minutes?|min|heures?|h|jours?|semaines?|mois|ans?)|"
    r"(?:hace|há)\s+(?:\d+|una?|uma?)\s+(?:segundos?|minutos?|min|horas?|h|d[ií]as?|"
    r"semanas?|mes(?:es)?|años?|anos?)"
)
_TIME_LABEL = (
    r"(?:(?:last )?updated|posted|published|edited|modified|更新(?:日時)?|最終更新|投稿|公開|"
    r"aktualisiert|mis à jour|actualizado|atualizado)\s*(?:on|at|:|：)?\s*"
)
_TIME_LINE = re.compile(
    rf"^[\s(（\[]*(?:{_TIME_LABEL})?(?:{RELATIVE_TIME})"
    r"(?:\s*(?:に|で)?\s*(?:更新|投稿|公開)(?:されました|しました)?)?[\s)）\].。]*$",
    re.IGNORECASE,
)
_TIME_ONLY = re.compile(rf"^\s*(?:{RELATIVE_TIME})\s*$", re.IGNORECASE)
_COUNT = r"\d[\d,.]*\s*[kKmM万千]?\+?"
_COUNTED = (
    r"comments?|replies|reply|responses?|reactions?|likes?|shares?|views?|"
    r"retweets?|reposts?|claps?|upvotes?|"
    r"コメント|件のコメント|いいね！?|シェア|ビュー|閲覧(?:数)?|pv|ブックマーク|はてブ|リツイート|"
    r"评论|評論|阅读|閱讀|분享|댓글|조회"
)
_COUNT_LINE = re.compile(
    rf"^[\s(（\[]*(?:{_COUNT}\s*(?:件|回|人|个|個|개)?\s*(?:の)?\s*(?:{_COUNTED})|"
    rf"(?:{_COUNTED})\s*[:：]?\s*[(（\[]?\s*{_COUNT}\s*(?:件|回|人|个|個|개)?\s*[)）\]]?|"
    r"no comments(?: yet)?|be the first to comment|コメントはまだありません)[\s)）\].。!！]*$",
    re.IGNORECASE,
)
_METER = re.compile(
    r"\b(?:\d+|one|two|three|four|five|no) (?:more )?free (?:articles?|stories|reads?|views?)\b"
    r".{0,40}\b(?:left|remaining|this month)|"
    r"\b(?:\d+|one|two|three) of (?:\d+|three|four|five|ten) free (?:articles?|stories)|"
    r"(?:今月|無料).{0,12}(?:残り|あと)\s*\d+\s*(?:本|記事|件)|残り\s*\d+\s*本(?:の記事)?",
    re.IGNORECASE,
)
METER_CHARS = 120
_PHP_ERROR = re.compile(
    r"(?:PHP )?(?:Fatal error|Parse error|Warning|Notice|Deprecated|Strict Standards|"
    r"(?:Catchable|Recoverable) fatal error)\s*:\s+.{1,500}? in \S+ on line \d+",
)
_PHP_TRACE = re.compile(
    r"^(?:Stack trace:|#\d+ \S.*\(\d+\): .*|#\d+ \{main\}|thrown in \S+ on line \d+)$"
)


@dataclass(frozen=True)
class LiveDrop:
    """What :func:`drop_live_elements` took out of a tree."""

    #: the live elements removed, each with why
    removed: list[tuple[str, Element]]
    #: the elements of an obfuscated address that its decoded text replaced
    replaced: list[Element]

    @property
    def gone(self) -> list[Element]:
        """Every element no longer in the tree (the roots of what went)."""
        return [*self.replaced, *(element for _, element in self.removed)]


def drop_live_elements(doc: Document, keep: Sequence[Element] = ()) -> LiveDrop:
    """Decode Cloudflare's e-mail obfuscation and remove the live elements that the page
    marks (see the module doc). ``doc``'s index is not told of what goes (the caller
    forgets :attr:`LiveDrop.gone`)."""
    root = doc.root
    candidates, obfuscated = _candidates(doc)
    replaced = [child for element in obfuscated for child in decode_cf_email_of(element)]
    marked = [(reason, e) for e in candidates if (reason := live_reason(e))]
    if not marked:
        return LiveDrop([], replaced)
    body = root.find("body")
    page_chars = _prose_chars(body if body is not None else root)
    protected = _protected(doc, keep)
    chosen = {
        element: reason
        for reason, element in marked
        if element not in protected
        and (element.tag != "h1" or reason == "A/B test")
        and _removable(element, reason, page_chars)
    }
    removed = [
        (reason, element)
        for element, reason in chosen.items()
        if not any(ancestor in chosen for ancestor in element.iterancestors())
    ]
    for _, element in removed:
        drop_tree(element)
    return LiveDrop(removed, replaced)


def _protected(doc: Document, keep: Iterable[Element]) -> set[Element]:
    """Elements never removed: the content selectors' elements, the declared article body,
    ``<article>``/``<main>`` (and their roles) and the page's ``<h1>``, with all their
    ancestors (a Drupal ``node--promoted`` article or a body named ``cuerpo-ad`` stays)."""
    roots = [*keep, *doc.select(_ARTICLE_LIKE)]
    protected: set[Element] = {doc.root}
    for element in roots:
        if element.tag != "h1":  # a headline in an A/B test may go: the title has other sources
            protected.add(element)
        protected.update(element.iterancestors())
    return protected


def _prose_chars(element: Element) -> int:
    """The characters of ``element``'s text outside links (menus are links, articles not):
    none for a link or what a link holds, else less the text of the links it holds."""
    if _IN_LINK(element):
        return 0
    return len("".join(element.itertext())) - len("".join(_LINK_TEXTS(element)))


def _removable(element: Element, reason: str, page_chars: int) -> bool:
    if reason == "relative time":
        return True
    if reason == "A/B test":
        return len("".join(element.itertext())) <= MAX_VARIANT_CHARS
    if reason.startswith("ad") and len(_PROSE_PARAGRAPHS(element)) >= 2:
        return False  # an ad is no run of paragraphs: a name that only looks like one
    if not page_chars:
        return True
    limit = MAX_SHARE * page_chars
    return len("".join(element.itertext())) <= limit or _prose_chars(element) <= limit


def live_reason(element: Element) -> str:
    """Why ``element`` is live by what the page marks ("" when it is not)."""
    get = element.get
    if get("aria-live") in ("polite", "assertive") or get("role") in _LIVE_ROLES:
        return "live region"
    itemtype = get("itemtype")
    if (itemtype and _ITEMTYPES.search(itemtype.strip())) or get("itemprop") in (
        "comment",
        "comments",
    ):
        return "comment or ad (microdata)"
    attributes = element.keys()
    if any(_VARIANT_ATTRIBUTES.match(name) for name in attributes):
        return "A/B test"
    if any(_AD_ATTRIBUTES.match(name) for name in attributes):
        return "ad"
    names = f"{get('class') or ''} {get('id') or ''}".lower()
    if names.strip():
        reason = _name_reason(names)
        if reason:
            return reason
    text = element.text
    if element.tag == "time" and text and len(text) <= MAX_TIME_CHARS and _TIME_ONLY.match(text):
        return "relative time"
    return ""


def _name_reason(names: str) -> str:
    """The reason a class or id list names a live element ("" for none)."""
    for name in names.split():
        parts = name_parts(name)  # none for "non-ad-column": a name negating a widget
        pairs = set(itertools.pairwise(parts))
        if _COMMENT_NAMES.intersection(parts):
            return "comments"
        if _AD_NAMES.intersection(parts) or pairs & _PAIRED_NAMES:
            return "ad, meter or live box"
        if _VARIANT_NAMES.intersection(parts) or pairs & _VARIANT_PAIRS:
            return "A/B test"
    return ""


#: A cheap first test of a class or id list (lowercased): it may hold a name that
#: :func:`_name_reason` knows.
_NAME_HINT = re.compile(
    r"comment|disqus|dsq|\bads?\b|advert|sponsor|outbrain|taboola|dfp|consent|gdpr|"
    r"liveblog|ticker|live|cookie|native|ab-?_?test|experiment"
)
#: The attributes that make an element a candidate whatever their value.
_MARKING_ATTRIBUTES = (
    "aria-live itemtype data-variant data-experiment data-ab data-abtest data-ab-test "
    "data-optimizely data-ad-slot data-ad-client data-ad-unit data-ad-unit-path data-adunit "
    "data-ad-format data-google-query-id".split()
)
_LINK_TEXTS = etree.XPath(".//a//text()")
_IN_LINK = etree.XPath("boolean(ancestor-or-self::a)")
_ARTICLE_LIKE = (
    "article",
    "main",
    "[role=article]",
    "[role=main]",
    "[itemprop=articleBody]",
    "h1",
)
_PROSE_PARAGRAPHS = etree.XPath(".//p[string-length(normalize-space()) >= 150]")


@lru_cache(maxsize=PAGE_CACHE)  # a page repeats its class names: each is looked at once
def _hints_live(names: str) -> bool:
    return _NAME_HINT.search(names.lower()) is not None


#: The attributes whose value makes an element a candidate, and the test of the value.
_HINTS: tuple[tuple[str, Callable[[str], bool]], ...] = (
    ("class", _hints_live),
    ("id", _hints_live),
    ("role", _LIVE_ROLES.__contains__),
    ("itemprop", ("comment", "comments").__contains__),
)


def _candidates(doc: Document) -> tuple[list[Element], list[Element]]:
    """From the page's selector index: elements that may be live (:func:`live_reason`
    decides): those with a live role, microdata or a marking data attribute, a class or id
    holding a name hint, and ``<time>`` elements; and the elements Cloudflare obfuscated."""
    found: set[Element] = set(doc.select(("time",)))
    for name in _MARKING_ATTRIBUTES:
        found.update(doc.having(name))
    for name, hit in _HINTS:
        found.update(e for e in doc.having(name) if hit(e.get(name) or ""))
    obfuscated = doc.having("data-cfemail")
    obfuscated += (e for e in doc.having("href") if _CF_LINK in (e.get("href") or ""))
    return list(found), doc.in_order(set(obfuscated)) if obfuscated else []


def decode_cf_email(hexed: str) -> str | None:
    """The address Cloudflare hid in ``hexed`` (a key byte, then the address XOR the key)."""
    try:
        data = bytes.fromhex(hexed.strip())
    except ValueError:
        return None
    if len(data) < 2:
        return None
    address = bytes(byte ^ data[0] for byte in data[1:])
    try:
        return address.decode("utf-8")
    except UnicodeDecodeError:
        return None


def decode_cf_email_of(element: Element) -> list[Element]:
    """An element Cloudflare obfuscated shows its address again; the child elements that
    the address replaced."""
    hexed = element.get("data-cfemail")
    href = element.get("href") or ""
    if hexed is None and _CF_LINK in href and "protected" in "".join(element.itertext()):
        hexed = href.split(_CF_LINK, 1)[1]
    address = decode_cf_email(hexed) if hexed is not None else None
    if address is None:
        return []
    children = list(element)
    for child in children:
        drop_tree(child)
    element.text = address
    if _CF_LINK in href:
        element.set("href", f"mailto:{address}")
    element.attrib.pop("data-cfemail", None)
    return children


def is_live_line(line: str) -> bool:
    """True for a whole line that is only a relative time, a count or a meter notice."""
    if len(line) > METER_CHARS:
        return False
    return bool(_TIME_LINE.match(line) or _COUNT_LINE.match(line) or _METER.search(line))


def drop_live_lines(text: str) -> str:
    """The text without lines that are only live (:func:`is_live_line`) and without PHP
    errors printed into it."""
    kept = []
    for line in text.split("\n"):
        if "on line" in line:
            line = _PHP_ERROR.sub("", line).strip()
            if not line or _PHP_TRACE.match(line):
                continue
        if line and not is_live_line(line):
            kept.append(line)
    return "\n".join(kept)

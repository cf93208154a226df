"""HTML -> Article: the article's title, its text (one block per line) and metadata.

Rules are tried in order, and the first that finds the article body wins:

1. site rules from config.toml (``content`` selectors), with the watch's overrides;
2. built-in rule packs for common platforms (:data:`RULE_PACKS`: the Jannah theme, WordPress
   core), recognised by their markup; their text loses furniture lines and a closing section
   as generic extraction's does (:func:`.boilerplate.clean_lines`);
3. a generic main-content extractor (:mod:`.generic`) for every other page.

Pages are parsed with lxml and selectors run through cssselect (:mod:`.css`). Whatever the
rule, boilerplate that is never article text (scripts, forms, hidden and screen-reader-only
elements, share and related-post widgets of the packs, the rules' ``remove`` selectors) is
dropped first, and the text is normalised the same way: Unicode NFC, zero-width characters
removed, whitespace collapsed, one block per line, no empty lines. Full-width characters stay
as published. Lines matching a rule's ``ignore`` patterns are dropped, so the same article
body gives byte-identical text whatever changes around it.

:func:`explain_article` runs the same steps and says which rule chose what (:mod:`.explain`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from monitor.config import Rules
from monitor.extract.boilerplate import boilerplate_reason, clean_lines
from monitor.extract.chars import clean_article, clean_markup
from monitor.extract.css import forget, remove, select_one, select_outermost
from monitor.extract.declared import tokens
from monitor.extract.explain import Explanation, Removal, Trace, css_path
from monitor.extract.generic import generic_content
from monitor.extract.live import drop_live_elements, drop_live_lines
from monitor.extract.metadata import extract_metadata
from monitor.extract.packs import RULE_PACKS
from monitor.extract.parse import parse_html
from monitor.extract.text import Element, blocks_of, is_hidden, normalize_line, normalize_text
from monitor.models import Article, Metadata

log = logging.getLogger(__name__)

#: Bumped whenever a change to extraction can change the text of an unchanged page.
EXTRACTOR_VERSION = "8"
#: An <h1> agrees with <title> when this share of their words are shared (Dice).
TITLE_AGREEMENT = 0.5
#: Title sources that a heading repeated at the body's start beats.
WEAK_TITLE_SOURCES = frozenset({"<title>", "the first <h1>", ""})

ALWAYS_REMOVE = (
    ".screen-reader-text",
    ".sr-only",
    ".visually-hidden",
    ".off-screen",
    ".assistive-text",
    "[role=dialog]",
)

__all__ = [
    "EXTRACTOR_VERSION",
    "Explanation",
    "Removal",
    "explain_article",
    "extract_article",
    "normalize_line",
    "normalize_text",
    "parse_html",
]


def extract_article(html: str, url: str | None = None, rules: Rules | None = None) -> Article:
    """The article of one page: rules from config first, then rule packs, then generic."""
    return _extract(html, url, rules or Rules(), None)


def explain_article(html: str, url: str | None = None, rules: Rules | None = None) -> Explanation:
    """How :func:`extract_article` finds the article of this page, and what it drops."""
    trace = Trace()
    article = _extract(html, url, rules or Rules(), trace)
    lines = len(article.text.splitlines())
    return trace.explanation(article.title, lines, EXTRACTOR_VERSION)


def _extract(html: str, url: str | None, rules: Rules, trace: Trace | None) -> Article:
    root = parse_html(clean_markup(html))
    try:
        return _extract_from(root, url, rules, trace)
    finally:
        forget(root)  # the selector index of this page is not needed any more


def _extract_from(root: Element, url: str | None, rules: Rules, trace: Trace | None) -> Article:
    metadata = extract_metadata(root, url)
    chosen, extractor = _choose_rules(root, rules, trace)
    _remove(root, ALWAYS_REMOVE, "always removed", trace)
    _remove(root, chosen.remove, f"{extractor} remove", trace)
    _drop_live(root, chosen, trace)
    title, source = _title(root, chosen, metadata)
    page_title = _page_title(root, metadata) or ""
    lines, heading = _content_lines(root, chosen, (title, page_title), trace, extractor)
    if heading and source in WEAK_TITLE_SOURCES and _compact(heading) not in _compact(title):
        title, source = heading, "a heading the body's first lines repeat"
    if trace is not None:
        trace.title_source = source
    text = normalize_text(lines, chosen.ignore)
    if trace is not None and chosen.ignore:
        kept = set(text.splitlines())
        dropped = [line for line in normalize_text(lines).splitlines() if line not in kept]
        trace.removed_texts("ignore pattern", dropped)
    text = _drop_leading_title(drop_live_lines(text), title)
    return clean_article(Article(title=title, text=text, metadata=metadata, extractor=extractor))


def _drop_live(root: Element, chosen: Rules, trace: Trace | None) -> None:
    """Live elements the page marks (:mod:`.live`), never a content selector's element."""
    keep = select_outermost(root, chosen.content) if chosen.content else []
    removed = drop_live_elements(root, keep)
    if trace is not None:
        for reason, element in removed:
            trace.removed_elements(f"live element: {reason}", [element])


def _content_lines(
    root: Element, chosen: Rules, titles: tuple[str, ...], trace: Trace | None, extractor: str
) -> tuple[list[str], str]:
    """The body's lines: the content selectors' elements, or the generic extractor's; and a
    heading that the generic extractor found repeated at the body's start."""
    if chosen.content:
        roots = select_outermost(root, chosen.content)
        if trace is not None:
            trace.content = chosen.content
        lines = list(blocks_of(roots))
        return (lines if extractor == "site-rule" else _pack_lines(lines, extractor, trace)), ""
    result = generic_content(root, titles)
    if trace is not None:
        trace.content = (css_path(result.container),) if result.container is not None else ()
        for block in result.dropped:
            trace.removed_texts(f"generic: {block.reason}", [normalize_line(block.text)])
    return result.lines, result.heading


def _pack_lines(lines: list[str], pack: str, trace: Trace | None) -> list[str]:
    """A rule pack's lines less furniture lines and a closing section (site rules keep all)."""
    kept, dropped = clean_lines(lines)
    if trace is not None:
        for reason, line in dropped:
            trace.removed_texts(f"{pack}: {reason}", [line])
    return kept


def _choose_rules(root: Element, rules: Rules, trace: Trace | None) -> tuple[Rules, str]:
    """Site rules if their content selectors match, else the first matching pack, else none."""
    chosen, extractor, note = _rules_for(root, rules)
    if trace is not None:
        trace.method = extractor
        if note:
            trace.notes.append(note)
    return chosen, extractor


def _rules_for(root: Element, rules: Rules) -> tuple[Rules, str, str]:
    if rules.content and select_one(root, rules.content) is not None:
        return rules, "site-rule", ""
    for pack in RULE_PACKS:
        if select_one(root, (pack.detect,)) is not None:
            merged = pack.rules.merged(Rules(title=rules.title, remove=rules.remove))
            chosen = Rules(merged.content, merged.title, merged.remove, rules.ignore)
            return chosen, pack.name, f"rule pack {pack.name!r}: page matches {pack.detect!r}"
    note = ""
    if rules.content:
        note = f"content selectors {list(rules.content)} match nothing; using generic extraction"
        log.info(note)
    return Rules(title=rules.title, remove=rules.remove, ignore=rules.ignore), "generic", note


def _remove(root: Element, selectors: Iterable[str], reason: str, trace: Trace | None) -> None:
    if trace is None:
        remove(root, selectors)
        return
    for selector in selectors:
        trace.removed_elements(f"{reason} {selector!r}", remove(root, (selector,)))


def _title(root: Element, rules: Rules, metadata: Metadata) -> tuple[str, str]:
    """The article title and where it came from: title selectors, then OpenGraph, then an
    <h1> that agrees with <title>, then <title>, then the first shown <h1>."""
    page_title = _page_title(root, metadata)
    h1s = [h1 for h1 in root.iter("h1") if not _is_tucked_away(h1)]
    candidates: list[tuple[str, Element | str | None]] = []
    if rules.title:
        candidates.append((f"title selectors {list(rules.title)}", select_one(root, rules.title)))
    candidates.append(("og:title", _meta_content(root, "og:title")))
    candidates.append(("an <h1> that agrees with <title>", _agreeing(h1s, page_title)))
    candidates.append(("<title>", page_title))
    candidates.append(("the first <h1>", h1s[0] if h1s else None))
    for source, candidate in candidates:
        text = _text_of(candidate)
        if text:
            return text, source
    return "", ""


def _is_tucked_away(element: Element) -> bool:
    """True for an element that is hidden or sits in a popup, a dialog or other furniture."""
    return any(is_hidden(e) or boilerplate_reason(e) for e in (element, *element.iterancestors()))


def _agreeing(h1s: list[Element], page_title: str | None) -> Element | None:
    """The <h1> that shares most words with <title>, if it shares at least half of them."""
    wanted = set(tokens(page_title or ""))
    scored = [(_agreement(set(tokens(_text_of(h1))), wanted), -i) for i, h1 in enumerate(h1s)]
    if not scored or max(scored)[0] < TITLE_AGREEMENT:
        return None
    return h1s[-max(scored)[1]]


def _agreement(words: set[str], wanted: set[str]) -> float:
    """The Dice coefficient of two sets of words."""
    return 2 * len(words & wanted) / (len(words) + len(wanted)) if words and wanted else 0.0


def _compact(text: str) -> str:
    return "".join(text.split()).casefold()


def _meta_content(root: Element, prop: str) -> str | None:
    for tag in root.iter("meta"):
        if tag.get("property") == prop:
            return tag.get("content")
    return None


def _page_title(root: Element, metadata: Metadata) -> str | None:
    """<title> without a trailing " | Site name"."""
    tag = root.find("head/title")
    if tag is None:
        tag = next(root.iter("title"), None)
    if tag is None:
        return None
    title = normalize_line("".join(tag.itertext()))
    site = metadata.site_name
    if site:
        for sep in (" | ", " - ", " – ", " — ", " :: ", " : ", "｜", " ｜ "):
            if title.endswith(sep + site):
                return title[: -len(sep + site)]
    return title


def _text_of(candidate: Element | str | None) -> str:
    if candidate is None:
        return ""
    if isinstance(candidate, str):
        return normalize_line(candidate)
    return normalize_text(blocks_of([candidate])).replace("\n", " ")


def _drop_leading_title(text: str, title: str) -> str:
    """Some bodies repeat the title as their first line; keep it once."""
    first, _, rest = text.partition("\n")
    return rest if title and first == title else text

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

:func:`explain_article` is the same run, heard by a recorder: which rule chose what, and what
was dropped (:mod:`.explain`). Each run owns its state (the tree, its selector index): nothing
is shared between runs or threads.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from lxml import etree

from monitor.config import Rules
from monitor.extract import EXTRACTOR_VERSION
from monitor.extract.blocks import blocks_of, lines_and_lists
from monitor.extract.boilerplate import boilerplate_reason, clean_lines
from monitor.extract.boxes import named_boxes, tables_of_contents
from monitor.extract.chars import clean_article, clean_markup
from monitor.extract.css import Document, names_only
from monitor.extract.declared import declared_body, declared_description
from monitor.extract.evidence import page_evidence
from monitor.extract.explain import (
    NO_TRACE,
    Explanation,
    Recorder,
    Trace,
    css_path,
    sample_of,
)
from monitor.extract.generic import common_ancestor, generic_content
from monitor.extract.learned import Learning
from monitor.extract.live import drop_live_elements, drop_live_lines
from monitor.extract.metadata import extract_metadata
from monitor.extract.noscript import shown_without_script
from monitor.extract.packs import RULE_PACKS
from monitor.extract.parse import parse_html
from monitor.extract.plugin import plugin_lines, run_plugin
from monitor.extract.replay import RawPaths, learning_of, page_fingerprint
from monitor.extract.second import SecondView, trafilatura_view
from monitor.extract.text import (
    Element,
    is_hidden,
    normalize_line,
    normalize_text,
    normalized_lines,
    tokens,
)
from monitor.extract.volatile import Volatility
from monitor.models import Article, Confidence, Metadata

log = logging.getLogger(__name__)

#: An <h1> agrees with <title> when this share of their words are shared (Dice).
TITLE_AGREEMENT = 0.5
#: What sites put between a title and their name.
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " : ", " ｜ ", "｜", " · ", " » ")
#: A site name has at most this many words, and spells at least this many of the host's letters.
SITE_NAME_WORDS = 5
MIN_SITE_CHARS = 4
#: Title sources that a heading repeated at the body's start beats.
WEAK_TITLE_SOURCES = frozenset({"<title>", "the first <h1>", ""})

#: Never text, and in the way of the generic extractor's measures of the page's text.
NOISE_TAGS = ("script", "style", "noscript", "template")

ALWAYS_REMOVE = (
    ".screen-reader-text",
    ".sr-only",
    ".visually-hidden",
    ".off-screen",
    ".assistive-text",
    "[role=dialog]",
)

#: Makes the second extractor's view of a page (html, url) for the candidate choice.
ViewMaker = Callable[[str, str | None], SecondView]


def extract_article(
    html: str,
    url: str | None = None,
    rules: Rules | None = None,
    *,
    second_view: ViewMaker = trafilatura_view,
) -> Article:
    """The article of one page: rules from config first, then rule packs, then generic.
    ``second_view``: the second extractor the generic extractor asks when the page's
    evidence does not confirm its first choice (:mod:`.choice`)."""
    return _extract(html, url, rules or Rules(), NO_TRACE, second_view).article


def learn_article(
    html: str,
    url: str | None = None,
    rules: Rules | None = None,
    *,
    second_view: ViewMaker = trafilatura_view,
) -> tuple[Article, Learning | None]:
    """The article of one page, and what a later check replays to tell cheaply whether the
    article can have changed (:mod:`.replay`; None when no text was found)."""
    found = _extract(html, url, rules or Rules(), NO_TRACE, second_view, learn=True)
    if not found.path or not found.article.text or found.page is None:
        return found.article, None
    learning = learning_of(found.page, found.path, found.removed, found.titled, found.copies)
    return found.article, learning


def replay_fingerprint(
    html: str, learning: Learning, volatility: Volatility, rules: Rules | None = None
) -> str | None:
    """The fingerprint a page has for a check replaying ``learning`` (None: the region is
    not on the page, or the page would not be read as it was): the page is parsed, nothing
    more (:mod:`.replay`). ``rules``: the rules it was learned under."""
    return _replayed(*page_of(clean_markup(html)), learning, volatility, rules or Rules())


def replay_view(
    html: str, url: str | None, learning: Learning, volatility: Volatility, rules: Rules
) -> tuple[str | None, Metadata]:
    """:func:`replay_fingerprint`, and the page's metadata (one parse for both)."""
    root, copies = page_of(clean_markup(html))
    # first: a replay removes from the tree
    metadata = extract_metadata(Document(root, indexed=False), url)
    return _replayed(root, copies, learning, volatility, rules), metadata


def page_of(html: str) -> tuple[Element, str]:
    """The page as extraction and replays read it: parsed, with a ``<noscript>`` copy of
    the article shown (:mod:`.noscript`), and what was decided about such copies (a replay
    compares it). ``html``: after :func:`clean_markup`."""
    root = parse_html(html)
    return root, shown_without_script(root)


def _replayed(
    root: Element, copies: str, learning: Learning, volatility: Volatility, rules: Rules
) -> str | None:
    """The fingerprint of a parsed page. What extraction removes first is left out of the
    region only if this page chooses the same rules: a page that stopped matching a rule
    pack keeps the pack's boxes, so its replay must read them (and differs from what was
    learned)."""
    if learning.removed:
        chosen = _rules_for(Document(root, indexed=False), rules)[0]
        if _replayable_removal(chosen) != learning.removed or chosen.title != learning.titled:
            return None
    return page_fingerprint(root, learning, volatility, copies)


def _replayable_removal(chosen: Rules) -> tuple[str, ...]:
    """What extraction removes first under ``chosen`` that a replay removes too: the
    selectors matching by names and attributes alone (:func:`.css.names_only`), which a
    removal before them cannot make match more."""
    return tuple(s for s in (*ALWAYS_REMOVE, *chosen.remove) if names_only(s))


def explain_article(
    html: str,
    url: str | None = None,
    rules: Rules | None = None,
    *,
    second_view: ViewMaker = trafilatura_view,
) -> Explanation:
    """The article of one page, as :func:`extract_article` finds it, and how it was found
    (:attr:`Explanation.article` is the article of this very run)."""
    recorder = Recorder()
    article = _extract(html, url, rules or Rules(), recorder, second_view).article
    return recorder.explanation(article, EXTRACTOR_VERSION)


def _prepare(doc: Document, rules: Rules, trace: Trace) -> tuple[Rules, str]:
    """The rules that apply to the page, and the page without what is never article text
    (the same for an extraction and for a replay)."""
    chosen, extractor = _choose_rules(doc, rules, trace)
    _remove(doc, ALWAYS_REMOVE, "always removed", trace)
    _remove(doc, chosen.remove, f"{extractor} remove", trace)
    _drop_live(doc, chosen, trace)
    return chosen, extractor


def _extract(
    html: str,
    url: str | None,
    rules: Rules,
    trace: Trace,
    second_view: ViewMaker,
    *,
    learn: bool = False,
) -> _Extracted:
    """The article, and (with ``learn``) the path of its region on the page as parsed
    (:class:`.replay.RawPaths`) and the selectors whose elements were removed from the page
    before anything was read off it."""
    plugged = run_plugin(rules, html, url) if rules.plugin else None  # the page as it came
    html = clean_markup(html)
    root, copies = page_of(html)
    doc = Document(root)
    paths = RawPaths(doc.root) if learn else None
    # the page as parsed, for the learning to read (a copy costs a third of a parse)
    page = copy.deepcopy(doc.root) if learn else None
    metadata = extract_metadata(doc, url)
    # with a plugin, its article says what it lost (the page's removals only shape the title)
    chosen, extractor = _prepare(doc, rules, trace if plugged is None else NO_TRACE)
    title, source = _title(doc, chosen, metadata, url)
    page_title = _page_title(doc.root, metadata, url) or ""
    if plugged is not None:
        lines = plugin_lines(plugged, chosen, ALWAYS_REMOVE, trace)
        heading, region = "", None  # no region: a plugin's watch is never replayed
        sure = Confidence("high", f"the site plugin {rules.plugin} chose it")
    else:
        lines, heading, sure, region = _content_lines(
            doc, chosen, (title, page_title), trace, extractor, (metadata, second_view(html, url))
        )
    if heading and source in WEAK_TITLE_SOURCES and _compact(heading) not in _compact(title):
        title, source = heading, "a heading the body's first lines repeat"
    trace.titled(source)
    kept, ignored = normalized_lines(lines, chosen.ignore)
    trace.removed_texts("ignore pattern", ignored)
    text = _drop_leading_title(drop_live_lines("\n".join(kept)), title)
    if not text:
        sure = Confidence("low", "no article text was found on the page")
    path = paths.path(region) if paths is not None and region is not None else ()
    article = clean_article(Article(title, text, metadata, extractor, sure))
    return _Extracted(article, path, _replayable_removal(chosen), chosen.title, page, copies)


@dataclass(frozen=True)
class _Extracted:
    """What :func:`_extract` found: the article, the path of its region (with ``learn``),
    and the selectors of what was removed from the page first (never article text)."""

    article: Article
    path: tuple[str, ...]
    removed: tuple[str, ...]
    titled: tuple[str, ...]  # the chosen rules' title selectors
    page: Element | None = None  # with ``learn``: the page as parsed, before any removal
    copies: str = ""  # what :func:`page_of` decided about ``<noscript>`` copies


def _drop_live(doc: Document, chosen: Rules, trace: Trace) -> None:
    """Live elements the page marks (:mod:`.live`), never a content selector's element."""
    keep = doc.select_outermost(chosen.content) if chosen.content else []
    dropped = drop_live_elements(doc, keep)
    doc.forget(dropped.gone)
    if trace.recording:
        for reason, element in dropped.removed:
            trace.removed_texts(f"live element: {reason}", [sample_of(element)])


def _content_lines(
    doc: Document,
    chosen: Rules,
    titles: tuple[str, ...],
    trace: Trace,
    extractor: str,
    page: tuple[Metadata, SecondView],
) -> tuple[list[str], str, Confidence, Element | None]:
    """The body's lines: the content selectors' elements, or the generic extractor's; a
    heading that the generic extractor found repeated at the body's start; how sure the
    choice is; and the deepest element holding every line (the region a replay reads)."""
    if chosen.content:
        roots = doc.select_outermost(chosen.content)
        trace.chose(extractor, chosen.content)
        region = _common(roots)
        if extractor == "site-rule":
            sure = Confidence("high", "a [[site]] rule's content selectors chose it")
            return list(blocks_of(roots)), "", sure, region
        _drop_named_boxes(doc, roots, extractor, trace)
        _drop_tables_of_contents(doc, roots, extractor, trace)
        sure = Confidence("high", f"the {extractor!r} rule pack's selectors chose it")
        return _pack_lines(*lines_and_lists(roots), extractor, trace), "", sure, region
    metadata, second = page
    declared = declared_body(doc)  # before the scripts go
    descriptions = (metadata.description, declared_description(doc))
    evidence = page_evidence(titles, descriptions, declared)
    etree.strip_elements(doc.root, *NOISE_TAGS, with_tail=False)
    doc.changed()
    _drop_tables_of_contents(doc, [doc.root], extractor, trace)
    result = generic_content(doc.root, titles, declared, evidence, second)
    for note in result.notes:
        trace.note(note)
    if trace.recording:
        path = (css_path(result.container),) if result.container is not None else ()
        trace.chose(extractor, path)
        for block in result.dropped:
            trace.removed_texts(f"generic: {block.reason}", [normalize_line(block.text)])
        for why, element in result.skipped:
            trace.removed_texts(f"generic: {why}", [sample_of(element)])
    return result.lines, result.heading, result.confidence, result.region


def _common(elements: list[Element]) -> Element | None:
    """The deepest element holding all of ``elements``."""
    if not elements:
        return None
    region = elements[0]
    for element in elements[1:]:
        region = common_ancestor(region, element)
    return region


def _drop_named_boxes(doc: Document, roots: list[Element], pack: str, trace: Trace) -> None:
    """What a rule pack's content holds that is named as never article text (a related-posts
    box, a share bar, an author box: :func:`.boxes.named_boxes`), as the generic extractor
    would see it; a site rule's content is what its author chose, whole."""
    boxes = [box for root in roots for box in named_boxes(root)]
    if trace.recording:
        for name, element in boxes:
            trace.removed_texts(f"{pack}: box named {name!r}", [sample_of(element)])
    doc.remove(element for _, element in boxes)


def _drop_tables_of_contents(
    doc: Document, roots: list[Element], extractor: str, trace: Trace
) -> None:
    """The tables of contents inside ``roots`` (:func:`.boxes.tables_of_contents`): their
    lines repeat the headings, which stay."""
    tables = [table for root in roots for table in tables_of_contents(root)]
    if trace.recording:
        for element in tables:
            trace.removed_texts(f"{extractor}: table of contents", [sample_of(element)])
    doc.remove(tables)


def _pack_lines(
    lines: list[str], lists: list[Element | None], pack: str, trace: Trace
) -> list[str]:
    """A rule pack's lines less furniture lines and closing sections (site rules keep all);
    ``lists``: the list each line is in, if any."""
    kept, dropped = clean_lines(lines, lists)
    for reason, line in dropped:
        trace.removed_texts(f"{pack}: {reason}", [line])
    return kept


def _choose_rules(doc: Document, rules: Rules, trace: Trace) -> tuple[Rules, str]:
    """Site rules if their content selectors match, else the first matching pack, else none."""
    chosen, extractor, note = _rules_for(doc, rules)
    trace.chose(extractor)
    if note:
        log.info(note)
        trace.note(note)
    return chosen, extractor


def _rules_for(doc: Document, rules: Rules) -> tuple[Rules, str, str]:
    if rules.plugin:
        return rules, "plugin", ""
    if rules.content and doc.select_one(rules.content) is not None:
        return rules, "site-rule", ""
    for pack in RULE_PACKS:
        if doc.select_one((pack.detect,)) is not None:
            merged = pack.rules.merged(Rules(title=rules.title, remove=rules.remove))
            chosen = Rules(merged.content, merged.title, merged.remove, rules.ignore)
            return chosen, pack.name, f"rule pack {pack.name!r}: page matches {pack.detect!r}"
    note = ""
    if rules.content:
        note = f"content selectors {list(rules.content)} match nothing; using generic extraction"
    return Rules(title=rules.title, remove=rules.remove, ignore=rules.ignore), "generic", note


def _remove(doc: Document, selectors: tuple[str, ...], reason: str, trace: Trace) -> None:
    """Drop what ``selectors`` match; the trace hears of each element first."""
    dropped = doc.select_outermost(selectors)
    trace.removed_elements(reason, selectors, dropped, doc)
    doc.remove(dropped)


def _title(doc: Document, rules: Rules, metadata: Metadata, url: str | None) -> tuple[str, str]:
    """The article title and where it came from: title selectors, then the <h1> that agrees
    with OpenGraph's title (the headline readers see, where og:title is a social or search
    variant of it: an edit of the headline is an edit of the article), then OpenGraph, then
    an <h1> that agrees with <title>, then <title>, then the first shown <h1>. OpenGraph's
    and <title>'s lose the site name they often end with."""
    root = doc.root
    page_title = _page_title(root, metadata, url)
    h1s = [h1 for h1 in root.iter("h1") if not _is_tucked_away(h1)]
    candidates: list[tuple[str, Element | str | None]] = []
    if rules.title:
        candidates.append((f"title selectors {list(rules.title)}", doc.select_one(rules.title)))
    og_title = _meta_content(root, "og:title")
    og_title = (
        _without_site_name(normalize_line(og_title), root, metadata, url) if og_title else None
    )
    if og_title:
        candidates.append(("the <h1> that agrees with og:title", _agreeing(h1s, og_title)))
    candidates.append(("og:title", og_title))
    candidates.append(("an <h1> that agrees with <title>", _agreeing(h1s, page_title)))
    candidates.append(("<title>", page_title))
    candidates.append(("the first <h1>", h1s[0] if h1s else None))
    for source, candidate in candidates:
        text = _text_of(candidate)
        if text:
            return text, source
    return "", ""


def _is_tucked_away(element: Element) -> bool:
    """True for an element that is hidden or sits in a popup, a dialog or other furniture
    (a ``<header>`` is not: an article's header holds its headline)."""
    return any(
        is_hidden(e) or (e.tag != "header" and boilerplate_reason(e))
        for e in (element, *element.iterancestors())
    )


def _agreeing(h1s: list[Element], page_title: str | None) -> Element | None:
    """The <h1> that shares most words with ``page_title``, if it shares at least half."""
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


def _page_title(root: Element, metadata: Metadata, url: str | None = None) -> str | None:
    """<title> without a trailing " | Site name"."""
    tag = root.find("head/title")
    if tag is None:
        tag = next(root.iter("title"), None)
    if tag is None:
        return None
    return _without_site_name(normalize_line("".join(tag.itertext())), root, metadata, url)


def _without_site_name(title: str, root: Element, metadata: Metadata, url: str | None) -> str:
    """``title`` less a trailing (or leading) site name after a separator: the name the page
    declares (og:site_name, application-name), or a part that spells the host's name
    ("Rail Weekly" on railweekly.example)."""
    names = {_compact(n) for n in (metadata.site_name, _meta_name(root, "application-name")) if n}
    host = _compact(urlsplit(url).hostname or "") if url else ""
    for sep in TITLE_SEPARATORS:
        head, found, tail = title.rpartition(sep)
        if found and head.strip() and _names_site(tail, names, host):
            return head.strip()
        tail, found, head = title.partition(sep)
        if found and head.strip() and _names_site(tail, names, host):
            return head.strip()
    return title


def _names_site(part: str, names: set[str], host: str) -> bool:
    compact = _compact(part)
    if not compact or len(part.split()) > SITE_NAME_WORDS:
        return False
    letters = "".join(c for c in compact if c.isalnum())
    return compact in names or (len(letters) >= MIN_SITE_CHARS and letters in host)


def _meta_name(root: Element, name: str) -> str | None:
    for tag in root.iter("meta"):
        if (tag.get("name") or "").lower() == name:
            return tag.get("content")
    return None


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

"""The built-in sample site: two article pages and the error pages a real site serves.

``monitor demo``, the end-to-end tests and the extraction fixtures use it. Article content is
package data (``monitor/data/sample_<name>.json``), site chrome is ``site_<lang>.json`` and the
markup is ``string.Template`` sections in ``monitor/data/*.tmpl``. Every function is pure: the
same (article, noise, url) give the same bytes, and a different :class:`Noise` changes only what
a live site changes between two fetches of an unchanged article (nonces, ad ids, widget order,
counters, clocks, comments). :func:`article_text` is the ground truth a perfect extractor returns.

Layout of the Japanese page (the Jannah theme, see ``shared/research/jannah.md``)::

    header#theme-header          nav menus, breaking-news ticker, date   (chrome)
    article#the-post
      header.entry-header-outer  breadcrumb, category chips, h1 TITLE, #single-post-meta (byline)
      div.featured-area          figcaption.single-caption-text          LEAD CAPTION (text)
      div.entry-content          body blocks, WP captions                BODY (text)
                                 + .stream-item ads, .code-block ad, #inline-related-post,
                                   .post-bottom-meta tags                (noise inside the body)
    div.post-components          author box, prev/next, #related-posts, #comments/#respond
    aside.sidebar, footer#footer, #share-buttons-mobile, a#go-to-top     (chrome)
"""

from __future__ import annotations

import hashlib
import html
import json
import pkgutil
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import cache
from string import Template
from typing import Any, Final, TypeVar
from urllib.parse import quote

from monitor.models import Metadata

SAMPLE_NAMES: Final = ("ja", "en")
ERROR_KINDS: Final = ("maintenance", "not_found", "challenge", "login")
BLOCK_KINDS: Final = frozenset({"lead", "p", "h2", "h3", "li", "quote", "image", "video", "credit"})
MEDIA_KINDS: Final = frozenset({"image", "video"})

_T = TypeVar("_T")
_MONTHS: Final = (
    "January February March April May June July August September October November December"
).split()
_WEEKDAYS_JA: Final = "月火水木金土日"


def _clean(text: str) -> str:
    """NFC, with runs of whitespace collapsed to one space: how article text is compared."""
    return " ".join(unicodedata.normalize("NFC", text).split())


@dataclass(frozen=True)
class Block:
    """One line of article text; ``kind`` says how the page renders it.

    ``lead`` is the lead-image caption (first block only), ``image``/``video`` are media
    captions, and ``credit`` is a media credit line shown in the caption of the media before it.
    """

    kind: str
    text: str

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}; allowed: {sorted(BLOCK_KINDS)}")
        if not self.text or self.text != _clean(self.text):
            raise ValueError(
                f"block text must be non-empty and whitespace-collapsed: {self.text!r}"
            )


@dataclass(frozen=True)
class SampleArticle:
    """One article of the sample site: what the editor wrote, not the page around it."""

    name: str
    lang: str
    theme: str
    post_id: int
    slug: str
    title: str
    byline: str
    author_slug: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    published: str
    modified: str
    blocks: tuple[Block, ...]

    def __post_init__(self) -> None:
        if not self.title or self.title != _clean(self.title):
            raise ValueError(f"title must be non-empty and whitespace-collapsed: {self.title!r}")
        _check_block_order(self.blocks)

    @property
    def url(self) -> str:
        """The article's canonical URL on the sample site."""
        return f"{_site(self.lang)['home']}{self.slug}/"


@dataclass(frozen=True)
class Noise:
    """Everything on a page that changes without the article changing."""

    seed: int = 0  # drives nonces, ad ids, widget order, view counts
    timestamp: str = "2026-11-27T09:00:00+09:00"  # the site's clock: header date, cache comment
    comment_count: int = 0  # shown in the post meta; at least len(comments)
    comments: tuple[tuple[str, str], ...] = ()  # (author, text) in the comment list


def _check_block_order(blocks: Sequence[Block]) -> None:
    """A lead caption only comes first; a credit only follows a media caption or a credit."""
    for index, block in enumerate(blocks):
        if block.kind == "lead" and index != 0:
            raise ValueError(f"a lead caption must be the first block, not block {index}")
        previous = blocks[index - 1].kind if index else ""
        if block.kind == "credit" and previous not in MEDIA_KINDS | {"credit"}:
            raise ValueError(f"credit block {index} does not follow an image or video caption")


# --- package data -------------------------------------------------------------------------------


def _data_text(name: str) -> str:
    """A file of ``monitor/data``, read through this module's loader.

    Not ``importlib.resources.files("monitor")``: on Python 3.11 that fails when an editable
    install maps ``monitor`` as a namespace package (MultiplexedPath with a path hook).
    """
    data = pkgutil.get_data(__name__, f"data/{name}")
    if data is None:
        raise FileNotFoundError(f"package data monitor/data/{name} is missing")
    return data.decode("utf-8")


@cache
def _site(lang: str) -> dict[str, Any]:
    site: dict[str, Any] = json.loads(_data_text(f"site_{lang}.json"))
    return site


@cache
def _templates(name: str) -> dict[str, Template]:
    """The ``@@ section`` parts of one template file."""
    parts = re.split(r"^@@ (\w+)\n", _data_text(name), flags=re.MULTILINE)
    return {
        key: Template(body.rstrip("\n")) for key, body in zip(parts[1::2], parts[2::2], strict=True)
    }


def _fill(name: str, section: str, **values: object) -> str:
    return _templates(name)[section].substitute(values)


def load_article(name: str) -> SampleArticle:
    """The sample article ``name`` ("ja": Jannah theme, "en": a plain WordPress theme)."""
    if name not in SAMPLE_NAMES:
        raise ValueError(f"unknown sample article {name!r}; allowed: {', '.join(SAMPLE_NAMES)}")
    data = json.loads(_data_text(f"sample_{name}.json"))
    blocks = tuple(Block(item["kind"], item["text"]) for item in data.pop("blocks"))
    data["categories"], data["tags"] = tuple(data["categories"]), tuple(data["tags"])
    return SampleArticle(blocks=blocks, **data)


# --- ground truth and edits ---------------------------------------------------------------------


def article_text(article: SampleArticle) -> str:
    """The ground truth: the title line, then one line per block in page order (no final newline).

    This is what a perfect extractor returns as ``Article.document``; the byline, dates,
    categories and tags are metadata, not text.
    """
    return "\n".join([article.title, *(block.text for block in article.blocks)])


def article_metadata(article: SampleArticle, url: str | None = None) -> Metadata:
    """The metadata the rendered page declares (JSON-LD, OpenGraph, canonical link)."""
    site = _site(article.lang)
    return Metadata(
        canonical_url=url or article.url,
        author=article.byline,
        published_at=article.published,
        modified_at=article.modified,
        language=article.lang,
        description=_description(article),
        site_name=site["name"],
    )


def replace_text(article: SampleArticle, old: str, new: str) -> SampleArticle:
    """Replace ``old`` by ``new`` in the title and every block; ValueError if ``old`` is absent."""
    if old not in article_text(article):
        raise ValueError(f"{old!r} is not in the text of sample article {article.name!r}")
    blocks = tuple(replace(b, text=_clean(b.text.replace(old, new))) for b in article.blocks)
    return replace(article, title=_clean(article.title.replace(old, new)), blocks=blocks)


def add_block(article: SampleArticle, index: int, text: str, kind: str = "p") -> SampleArticle:
    """Insert a block before position ``index`` of ``article.blocks``."""
    blocks = list(article.blocks)
    blocks.insert(index, Block(kind, _clean(text)))
    return replace(article, blocks=tuple(blocks))


def remove_block(article: SampleArticle, index: int) -> SampleArticle:
    """Drop the block at ``index``."""
    blocks = list(article.blocks)
    del blocks[index]
    return replace(article, blocks=tuple(blocks))


def with_modified(article: SampleArticle, iso: str) -> SampleArticle:
    """The article with a new "last modified" date (shown in the meta line and JSON-LD)."""
    datetime.fromisoformat(iso)  # validates
    return replace(article, modified=iso)


# --- noise and formatting helpers ---------------------------------------------------------------


def _token(noise: Noise, label: str, length: int = 10) -> str:
    """A hex string that depends only on the noise seed and ``label``."""
    return hashlib.sha256(f"{noise.seed}|{label}".encode()).hexdigest()[:length]


def _number(noise: Noise, label: str, low: int, high: int) -> int:
    return low + int(_token(noise, label, 12), 16) % (high - low + 1)


def _shuffled(items: Iterable[_T], noise: Noise, label: str) -> list[_T]:
    return sorted(items, key=lambda item: _token(noise, f"{label}|{item!r}"))


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _date_ja(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def _date_en(iso: str) -> str:
    moment = datetime.fromisoformat(iso)
    return f"{_MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def _clock(iso: str) -> str:
    """12-hour clock as WordPress prints it ("9:05 AM")."""
    moment = datetime.fromisoformat(iso)
    return f"{(moment.hour - 1) % 12 + 1}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def _avatar(name: str) -> str:
    digest = hashlib.sha256(name.strip().lower().encode()).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}"


def _json_script(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def _description(article: SampleArticle) -> str:
    first = next((b.text for b in article.blocks if b.kind == "p"), article.title)
    limit = 110 if article.lang == "ja" else 155
    return first if len(first) <= limit else first[:limit].rstrip() + "…"


def _comment_total(noise: Noise) -> int:
    return max(noise.comment_count, len(noise.comments))


def _generated(noise: Noise) -> str:
    """The page-cache comments a WordPress cache plugin appends after ``</html>``."""
    moment = datetime.fromisoformat(noise.timestamp)
    seconds = _number(noise, "generated", 180, 1900) / 1000
    return (
        f"<!-- Dynamic page generated in {seconds:.3f} seconds. -->\n"
        f"<!-- Cached page generated by WP-Super-Cache on {moment:%Y-%m-%d %H:%M:%S} -->\n"
        "<!-- Compression = gzip -->"
    )


def _post_url(site: dict[str, Any], post: Sequence[str]) -> str:
    return f"{site['home']}{post[1]}/"


def _thumb(site: dict[str, Any], post: Sequence[str], size: str) -> str:
    year, month = post[2][:4], post[2][5:7]
    return f"{site['uploads']}{year}/{month}/{post[1].rsplit('/', 1)[-1]}-{size}.jpg"


def _image(article: SampleArticle, name: str, css: str, alt: str = "") -> str:
    """An ``<img>`` with the srcset WordPress prints for a 1200x800 upload."""
    moment = datetime.fromisoformat(article.published)
    base = f"{_site(article.lang)['uploads']}{moment:%Y/%m}/{name}"
    srcset = ", ".join(
        [f"{base}.jpg 1200w"]
        + [f"{base}-{w}x{h}.jpg {w}w" for w, h in ((300, 200), (1024, 683), (768, 512))]
    )
    return (
        f'<img decoding="async" width="1200" height="800" src="{base}.jpg" class="{css}" '
        f'alt="{_esc(alt)}" srcset="{srcset}" sizes="(max-width: 1200px) 100vw, 1200px" />'
    )


# --- body blocks --------------------------------------------------------------------------------


def _group_blocks(blocks: Sequence[Block]) -> list[list[Block]]:
    """Blocks as the page groups them: list items into one list, a caption with its credits."""
    groups: list[list[Block]] = []
    for block in blocks:
        last = groups[-1][-1].kind if groups else ""
        joins_list = block.kind == "li" and last == "li"
        joins_media = block.kind == "credit"
        if joins_list or joins_media:
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def _media_html(article: SampleArticle, group: list[Block], number: int) -> str:
    """A captioned image or video, classic ``wp-caption`` (Jannah) or block markup."""
    caption = "<br />".join(_esc(b.text) for b in group)
    stem = f"{article.slug.rsplit('/', 1)[-1]}-{number}"
    moment = datetime.fromisoformat(article.published)
    if group[0].kind == "video":
        src = f"{_site(article.lang)['uploads']}{moment:%Y/%m}/{stem}.mp4"
        media = (
            f'<div style="width: 1280px;" class="wp-video"><video class="wp-video-shortcode" '
            f'id="video-{article.post_id}-{number}" width="1280" height="720" '
            f'preload="metadata" controls="controls">'
            f'<source type="video/mp4" src="{src}?_={number}" />'
            f'<a href="{src}">{src}</a></video></div>'
        )
    else:
        media = _image(article, stem, f"size-full wp-image-{article.post_id + number}")
    if article.theme == "jannah":
        ident = f"caption-attachment-{article.post_id + number}"
        return (
            f'<figure id="attachment_{article.post_id + number}" aria-describedby="{ident}" '
            f'style="width: 1200px" class="wp-caption aligncenter">{media}'
            f'<figcaption id="{ident}" class="wp-caption-text">{caption}</figcaption></figure>'
        )
    kind = "video" if group[0].kind == "video" else "image size-large"
    return (
        f'<figure class="wp-block-{kind}">{media}'
        f'<figcaption class="wp-element-caption">{caption}</figcaption></figure>'
    )


def _group_html(article: SampleArticle, group: list[Block], number: int) -> str:
    kind, text = group[0].kind, _esc(group[0].text)
    block_class = "" if article.theme == "jannah" else ' class="wp-block-{}"'
    if kind in MEDIA_KINDS:
        return _media_html(article, group, number)
    if kind == "li":
        items = "\n".join(f"<li>{_esc(b.text)}</li>" for b in group)
        return f"<ul{block_class.format('list')}>\n{items}\n</ul>"
    if kind == "quote":
        return f'<blockquote class="wp-block-quote"><p>{text}</p></blockquote>'
    if kind in ("h2", "h3"):
        return f"<{kind}{block_class.format('heading')}>{text}</{kind}>"
    return f"<p>{text}</p>"


def _body_parts(article: SampleArticle) -> list[str]:
    """The body blocks (without the lead caption) as HTML, one string per group."""
    blocks = [b for b in article.blocks if b.kind != "lead"]
    return [_group_html(article, g, n) for n, g in enumerate(_group_blocks(blocks), start=1)]


def _lead(article: SampleArticle) -> str | None:
    first = article.blocks[0] if article.blocks else None
    return first.text if first and first.kind == "lead" else None


# --- page parts shared by both themes -----------------------------------------------------------


def _head_meta(article: SampleArticle, url: str) -> str:
    """Canonical link, description, OpenGraph and Twitter meta tags (Yoast SEO style)."""
    site = _site(article.lang)
    locale = "ja_JP" if article.lang == "ja" else "en_US"
    pairs = [
        ("property", "og:locale", locale),
        ("property", "og:type", "article"),
        ("property", "og:title", article.title),
        ("property", "og:description", _description(article)),
        ("property", "og:url", url),
        ("property", "og:site_name", site["name"]),
        ("property", "article:published_time", article.published),
        ("property", "article:modified_time", article.modified),
        ("property", "og:image", _lead_image_url(article)),
        ("property", "og:image:width", "1200"),
        ("property", "og:image:height", "800"),
        ("name", "author", article.byline),
        ("name", "twitter:card", "summary_large_image"),
        *(("property", "article:section", category) for category in article.categories),
        *(("property", "article:tag", tag) for tag in article.tags),
    ]
    tags = [f'<meta {attr}="{_esc(n)}" content="{_esc(v)}" />' for attr, n, v in pairs]
    head = [
        f'<meta name="description" content="{_esc(_description(article))}" />',
        f'<link rel="canonical" href="{_esc(url)}" />',
    ]
    return "\n".join(head + tags)


def _lead_image_url(article: SampleArticle) -> str:
    moment = datetime.fromisoformat(article.published)
    slug = article.slug.rsplit("/", 1)[-1]
    return f"{_site(article.lang)['uploads']}{moment:%Y/%m}/{slug}-lead.jpg"


def _jsonld(article: SampleArticle, url: str) -> str:
    """A Yoast-like ``@graph`` with the NewsArticle, its WebPage and the WebSite."""
    site = _site(article.lang)
    author = {"@type": "Person", "name": article.byline, "url": _author_url(article)}
    news = {
        "@type": "NewsArticle",
        "@id": f"{url}#article",
        "isPartOf": {"@id": url},
        "author": author,
        "headline": article.title,
        "datePublished": article.published,
        "dateModified": article.modified,
        "mainEntityOfPage": {"@id": url},
        "image": {"@id": f"{url}#primaryimage"},
        "articleSection": list(article.categories),
        "keywords": list(article.tags),
        "inLanguage": article.lang,
        "publisher": {"@id": f"{site['home']}#organization"},
    }
    page = {"@type": "WebPage", "@id": url, "url": url, "name": article.title}
    image = {"@type": "ImageObject", "@id": f"{url}#primaryimage", "url": _lead_image_url(article)}
    org = {"@type": "Organization", "@id": f"{site['home']}#organization", "name": site["name"]}
    graph = [news, page, image, org]
    return _json_script({"@context": "https://schema.org", "@graph": graph})


def _author_url(article: SampleArticle) -> str:
    return f"{_site(article.lang)['home']}author/{article.author_slug}/"


def _category_url(site: dict[str, Any], label: str) -> str:
    for item_label, path in site["menu"]:
        if item_label == label:
            return f"{site['home']}{path}"
    return f"{site['home']}category/{quote(label.lower().replace(' ', '-'))}/"


def _menu(article: SampleArticle, template: str, first_id: int, key: str = "menu") -> str:
    """A navigation menu of the site, with the article's first category marked as current."""
    site = _site(article.lang)
    current = article.categories[0] if article.categories else None
    items = []
    for number, (label, path) in enumerate(site[key]):
        kind = "taxonomy menu-item-object-category" if path.startswith("category/") else "custom"
        item_class = f"menu-item-type-{kind}"
        if label == current:
            item_class += " current-post-ancestor current-menu-parent"
        values = {"item_id": first_id + number, "item_class": item_class, "label": _esc(label)}
        items.append(_fill(template, "menu_item", url=f"{site['home']}{path}", **values))
    return "\n".join(items)


def _comment_items(article: SampleArticle, noise: Noise, url: str, template: str) -> str:
    """The ``ol.comment-list`` items (WordPress core markup) for the noise's comments."""
    items = []
    for index, (author, text) in enumerate(noise.comments):
        moment = datetime.fromisoformat(article.published) + timedelta(hours=3 * index + 2)
        when = (
            _date_ja(moment.isoformat()) if article.lang == "ja" else _date_en(moment.isoformat())
        )
        values = {
            "comment_id": article.post_id * 10 + index + 1,
            "parity": "odd" if index % 2 else "even",
            "author": _esc(author),
            "text": _esc(text),
            "avatar": _avatar(author),
            "iso": moment.isoformat(),
            "when": f"{when} {_clock(moment.isoformat())}",
            "permalink": _esc(url),
            "post_id": article.post_id,
        }
        items.append(_fill(template, "comment", **values))
    return "\n".join(items)


def _respond(article: SampleArticle, noise: Noise, url: str, template: str) -> str:
    site = _site(article.lang)
    return _fill(
        template,
        "respond",
        home=site["home"],
        permalink=_esc(url),
        post_id=article.post_id,
        akismet_nonce=_token(noise, "akismet"),
        unfiltered_nonce=_token(noise, "unfiltered"),
        ak_js=_number(noise, "ak_js", 10, 999),
    )


def _neighbours(article: SampleArticle) -> dict[str, str]:
    """Previous and next post links (the site's two newest other posts)."""
    site = _site(article.lang)
    prev, after = site["posts"][0], site["posts"][1]
    return {
        "prev_url": _post_url(site, prev),
        "prev_title": _esc(prev[0]),
        "prev_thumb": _thumb(site, prev, "390x220"),
        "next_url": _post_url(site, after),
        "next_title": _esc(after[0]),
        "next_thumb": _thumb(site, after, "390x220"),
    }


# --- the Jannah theme (Japanese article) --------------------------------------------------------

_JANNAH: Final = "jannah.tmpl"
_TT1: Final = "twentyone.tmpl"
_JANNAH_ADS: Final = {
    "ad_above_header": ("above-header", 728, 90),
    "ad_header": ("top", 728, 90),
    "ad_below_header": ("below-header", 728, 90),
    "ad_above_post": ("above-post", 728, 90),
    "ad_below_post": ("below-post", 728, 90),
    "ad_below_comments": ("below-post-comments", 728, 90),
}
_SHARE_NETWORKS: Final = (
    ("facebook", "facebook", "Facebook", "https://www.facebook.com/sharer.php?u={u}"),
    ("twitter", "twitter", "X", "https://x.com/intent/post?text={t}&url={u}"),
    ("linkedin", "linkedin", "LinkedIn", "https://www.linkedin.com/shareArticle?mini=true&url={u}"),
    ("line", "line", "LINE", "https://line.me/R/msg/text/?{t}%20{u}"),
    ("email", "envelope", "Share via Email", "mailto:?subject={t}&body={u}"),
    ("print", "print", "Print", "#"),
)


def _ad(noise: Noise, position: str, width: int, height: int) -> str:
    """A Jannah ``div.stream-item`` ad slot whose ids and creative change with the noise."""
    return _fill(
        _JANNAH,
        "ad",
        position=position,
        ad_id=_token(noise, f"ad-{position}", 8),
        refresh=_number(noise, f"refresh-{position}", 30, 90),
        creative=f"cr-{_number(noise, f'creative-{position}', 1000, 9999)}",
        width=width,
        height=height,
    )


def _jannah_in_body_ads(noise: Noise) -> tuple[str, str]:
    """The two ads inside the post body: a theme ``stream-item`` and an Ad Inserter block."""
    stream = _fill(
        _JANNAH,
        "ad_inpost",
        ad_id=_token(noise, "ad-in-post", 8),
        refresh=_number(noise, "refresh-in-post", 30, 90),
        creative=f"cr-{_number(noise, 'creative-in-post', 1000, 9999)}",
    )
    code_block = _fill(
        _JANNAH, "code_block_ad", slot=_number(noise, "adsense-slot", 10**9, 10**10 - 1)
    )
    return stream, code_block


def _share(article: SampleArticle, url: str, label_class: str, count: int = 6) -> str:
    """Jannah share links; network names are visually hidden or short labels."""
    links = []
    for network, icon, label, pattern in _SHARE_NETWORKS[:count]:
        href = pattern.format(u=quote(url, safe=""), t=quote(article.title, safe=""))
        links.append(
            _fill(
                _JANNAH,
                "share_link",
                href=_esc(href),
                network=network,
                icon=icon,
                label=_esc(label),
                label_class=label_class,
                extra="large-share-button" if network in ("facebook", "twitter") else "",
            )
        )
    return "\n".join(links)


def _jannah_entry_header(article: SampleArticle, noise: Noise) -> str:
    """Breadcrumb, category chips, the h1 title and the post meta line with the byline."""
    site = _site(article.lang)
    first = article.categories[0] if article.categories else site["menu"][0][0]
    cats = "".join(
        f'<a class="post-cat tie-cat-{30 + n}" href="{_category_url(site, c)}">{_esc(c)}</a>'
        for n, c in enumerate(article.categories)
    )
    last_updated = ""
    if article.modified != article.published:
        last_updated = (
            f'<span class="meta-item last-updated">最終更新日: {_date_ja(article.modified)}</span>'
        )
    crumbs = [("ホーム", site["home"]), (first, _category_url(site, first))]
    breadcrumb = {
        "@context": "http://schema.org",
        "@type": "BreadcrumbList",
        "@id": "#Breadcrumb",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "item": {"name": name, "@id": link}}
            for n, (name, link) in enumerate(crumbs, start=1)
        ],
    }
    return _fill(
        _JANNAH,
        "entry_header",
        home=site["home"],
        cat_url=_category_url(site, first),
        cat_label=_esc(first),
        title=_esc(article.title),
        breadcrumb_json=_json_script(breadcrumb),
        cats=cats,
        last_updated=last_updated,
        comment_count=_comment_total(noise),
        views=f"{_number(noise, 'views', 1200, 48000):,}",
        reading_time=max(1, len(article_text(article)) // 600),
        date_display=_date_ja(article.published),
        **_author_values(article),
    )


def _author_values(article: SampleArticle) -> dict[str, object]:
    return {
        "author_id": 14,
        "author_url": _author_url(article),
        "avatar": _avatar(article.byline),
        "byline": _esc(article.byline),
        "bio": _esc(_site(article.lang)["author_bio"]),
    }


def _jannah_featured(article: SampleArticle) -> str:
    """The featured image; its ``figcaption.single-caption-text`` holds the lead caption."""
    slug = article.slug.rsplit("/", 1)[-1]
    css = "attachment-jannah-image-post size-jannah-image-post wp-post-image"
    image = _image(article, f"{slug}-lead", css)
    lead = _lead(article)
    if lead is None:
        return (
            '\t\t<div class="featured-area"><div class="featured-area-inner">'
            f'<figure class="single-featured-image">{image}</figure></div></div>'
        )
    return _fill(_JANNAH, "featured", image=image, caption=_esc(lead))


def _jannah_content(article: SampleArticle, noise: Noise) -> str:
    """``div.entry-content``: the body with ads, an inline related box and the tags inside."""
    site = _site(article.lang)
    stream_ad, code_block = _jannah_in_body_ads(noise)
    inline = [_post_values(site, post, "220x150") for post in _related(article, noise)[:2]]
    extras = {
        2: stream_ad,
        4: code_block,
        6: _fill(_JANNAH, "inline_related", items=_items(_JANNAH, "inline_related_item", inline)),
    }
    parts = _body_parts(article)
    out = [_ad(noise, "above-post-content", 728, 90)]
    for number, part in enumerate(parts, start=1):
        out.append(part)
        if number in extras and number < len(parts):
            out.append(extras[number])
    links = " ".join(
        f'<a href="{site["home"]}tag/{quote(tag)}/" rel="tag">{_esc(tag)}</a>'
        for tag in article.tags
    )
    out += [_fill(_JANNAH, "tags", tags=links), _ad(noise, "below-post-content", 728, 90)]
    return "\n\n".join(out)


def _related(article: SampleArticle, noise: Noise) -> list[list[str]]:
    """Other posts in a noise-driven order, as Jannah's "random" related posts are."""
    return _shuffled(_site(article.lang)["posts"], noise, "related")


def _post_values(site: dict[str, Any], post: Sequence[str], size: str) -> dict[str, object]:
    date = _date_ja(post[2]) if site["home"].endswith("/ja/") else _date_en(post[2])
    return {
        "title": _esc(post[0]),
        "url": _post_url(site, post),
        "thumb": _thumb(site, post, size),
        "date": date,
    }


def _items(template: str, section: str, values: Iterable[Mapping[str, object]]) -> str:
    return "\n".join(_fill(template, section, **item) for item in values)


def _tie_schema(article: SampleArticle, url: str) -> str:
    """Jannah's own Article JSON-LD, printed inside ``#the-post``."""
    site = _site(article.lang)
    schema = {
        "@context": "http://schema.org",
        "@type": "Article",
        "dateCreated": article.published,
        "datePublished": article.published,
        "dateModified": article.modified,
        "headline": article.title,
        "name": article.title,
        "keywords": ",".join(article.tags),
        "url": url,
        "description": _description(article),
        "copyrightYear": article.published[:4],
        "articleSection": ",".join(article.categories),
        "publisher": {"@id": "#Publisher", "@type": "Organization", "name": site["name"]},
        "author": {"@type": "Person", "name": article.byline, "url": _author_url(article)},
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "image": {"@type": "ImageObject", "url": _lead_image_url(article), "width": 1200},
    }
    return _json_script(schema)


def _jannah_comments(article: SampleArticle, noise: Noise, url: str) -> str:
    box = ""
    if noise.comments:
        items = _comment_items(article, noise, url, _JANNAH)
        box = _fill(_JANNAH, "comment_box", count=_comment_total(noise), items=items)
    respond = _respond(article, noise, url, _JANNAH)
    return _fill(_JANNAH, "comments", comment_box=box, respond=respond)


def _jannah_sidebar(article: SampleArticle, noise: Noise) -> str:
    """Search, an ad widget, the rotating 人気記事 list, categories and a clock widget."""
    site = _site(article.lang)
    popular = []
    for post in _shuffled(site["posts"], noise, "popular")[:5]:
        views = f"{_number(noise, f'views-{post[1]}', 300, 90000):,}"
        popular.append({**_post_values(site, post, "220x150"), "views": views})
    ad = _ad(noise, "widget", 300, 250)
    moment = datetime.fromisoformat(noise.timestamp)
    return _fill(
        _JANNAH,
        "sidebar",
        home=site["home"],
        ad_sidebar=_fill(_JANNAH, "ad_widget", ad=ad),
        popular=_items(_JANNAH, "popular_item", popular),
        category_items=_category_items(site, noise),
        updated=f"{_date_ja(noise.timestamp)} {moment:%H:%M}",
        about=_esc(site["about"]),
    )


def _category_items(site: dict[str, Any], noise: Noise) -> str:
    items = []
    for number, (label, path) in enumerate(site["menu"]):
        if path.startswith("category/"):
            count = _number(noise, f"count-{path}", 20, 400)
            items.append(
                f'\t\t\t\t<li class="cat-item cat-item-{30 + number}"><a href="{site["home"]}'
                f'{path}">{_esc(label)}</a> <span>({count})</span></li>'
            )
    return "\n".join(items)


def _jannah_footer(article: SampleArticle, noise: Noise) -> str:
    site = _site(article.lang)
    recent = "\n".join(
        f'\t\t\t\t\t\t\t\t<li><a href="{_post_url(site, post)}">{_esc(post[0])}</a></li>'
        for post in site["posts"][:5]
    )
    cloud = " ".join(
        f'<a href="{site["home"]}tag/{quote(label)}/" class="tag-cloud-link" '
        f'style="font-size: {_number(noise, f"tag-{label}", 8, 22)}pt;">{_esc(label)}</a>'
        for label, path in site["menu"]
        if path.startswith("category/")
    )
    return _fill(
        _JANNAH,
        "footer",
        site_name=_esc(site["name"]),
        about=_esc(site["about"]),
        recent=recent,
        tag_cloud=cloud,
        year=datetime.fromisoformat(noise.timestamp).year,
        footer_menu=_menu(article, _JANNAH, 1400, "footer_menu"),
    )


def _jannah_chrome(article: SampleArticle, noise: Noise) -> dict[str, object]:
    """Everything around the post: header, menus, ads, sidebar, footer, scripts."""
    site = _site(article.lang)
    moment = datetime.fromisoformat(noise.timestamp)
    breaking = [
        {"title": _esc(post[0]), "url": _post_url(site, post)}
        for post in _shuffled(site["posts"], noise, "breaking")[:5]
    ]
    ads = {key: _ad(noise, *spec) for key, spec in _JANNAH_ADS.items()}
    return {
        **ads,
        "today": f"{_date_ja(noise.timestamp)} {_WEEKDAYS_JA[moment.weekday()]}曜日",
        "breaking": _items(_JANNAH, "breaking_item", breaking),
        "main_menu": _menu(article, _JANNAH, 1200),
        "mobile_menu": _menu(article, _JANNAH, 1300),
        "sidebar": _jannah_sidebar(article, noise),
        "footer": _jannah_footer(article, noise),
        "tie_nonce": _token(noise, "tie-nonce"),
        "views_nonce": _token(noise, "views-nonce"),
        "api_nonce": _token(noise, "api-nonce"),
        "api_root": f"{site['home']}wp-json/".replace("/", "\\/"),
        "ajaxurl": f"{site['home']}wp-admin/admin-ajax.php".replace("/", "\\/"),
        "generated": _generated(noise),
    }


def _jannah_post(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """``article#the-post`` and the post components below it."""
    site = _site(article.lang)
    return {
        "entry_header": _jannah_entry_header(article, noise),
        "featured": _jannah_featured(article),
        "share_top": _fill(
            _JANNAH,
            "share",
            where="top",
            style="icons-only",
            links=_share(article, url, "screen-reader-text"),
        ),
        "content": _jannah_content(article, noise),
        "date_display": _date_ja(article.published),
        "tie_schema": _tie_schema(article, url),
        "share_bottom": _fill(
            _JANNAH,
            "share",
            where="bottom",
            style="share-skew icons-text",
            links=_share(article, url, "social-text"),
        ),
        "share_mobile": _share(article, url, "screen-reader-text", 4),
        "about_author": _fill(_JANNAH, "about_author", **_author_values(article)),
        "prev_next": _fill(_JANNAH, "prev_next", **_neighbours(article)),
        "related": _fill(
            _JANNAH,
            "related",
            items=_items(
                _JANNAH,
                "related_item",
                [_post_values(site, post, "390x220") for post in _related(article, noise)[2:8]],
            ),
        ),
        "comments": _jannah_comments(article, noise, url),
    }


def _page_values(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """The ``<head>`` values both themes share."""
    site = _site(article.lang)
    separator = " - " if article.theme == "jannah" else " – "
    return {
        "title_tag": _esc(article.title + separator + site["name"]),
        "title_attr": _esc(article.title),
        "head_meta": _head_meta(article, url),
        "jsonld": _jsonld(article, url),
        "site_name": _esc(site["name"]),
        "tagline": _esc(site["tagline"]),
        "home": site["home"],
        "uploads": site["uploads"],
        "canonical": _esc(url),
        "canonical_q": quote(url, safe=""),
        "global_css": _data_text("global_styles.css").rstrip("\n"),
        "post_id": article.post_id,
        "slug": article.slug,
        "cache_buster": _token(noise, "cache-buster", 8),
    }


def _render_jannah(article: SampleArticle, noise: Noise, url: str) -> str:
    values = {
        **_page_values(article, noise, url),
        **_jannah_chrome(article, noise),
        **_jannah_post(article, noise, url),
    }
    return _fill(_JANNAH, "page", **values)


# --- a plain WordPress theme (Twenty Twenty-One, with Jetpack; English article) -----------------

_JETPACK_SHARES: Final = (
    ("facebook", "Facebook", "Click to share on Facebook"),
    ("x", "X", "Click to share on X"),
    ("linkedin", "LinkedIn", "Click to share on LinkedIn"),
    ("reddit", "Reddit", "Click to share on Reddit"),
    ("email", "Email", "Click to email a link to a friend"),
    ("print", "Print", "Click to print"),
)


def _tt1_sharing(article: SampleArticle, noise: Noise, url: str) -> str:
    """Jetpack's share buttons, likes widget and related posts, appended to the content."""
    site = _site(article.lang)
    links = _items(
        _TT1,
        "share_link",
        (
            {
                "network": network,
                "label": label,
                "title": title,
                "href": _esc(f"{url}?share={network}&nb=1"),
                "post_id": article.post_id,
            }
            for network, label, title in _JETPACK_SHARES
        ),
    )
    related = []
    for index, post in enumerate(_related(article, noise)[:3]):
        values = _post_values(site, post, "350x200")
        context = article.categories[0] if article.categories else ""
        related.append(
            {
                **values,
                "index": index,
                "related_id": 4000 + index,
                "context": context,
                "post_id": article.post_id,
            }
        )
    return _fill(
        _TT1,
        "sharing",
        links=links,
        post_id=article.post_id,
        like_id=_token(noise, "like-id", 13),
        related=_items(_TT1, "related_item", related),
    )


def _tt1_article(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """``article.post``: title, thumbnail, content and the entry footer with the byline."""
    site = _site(article.lang)
    slug = article.slug.rsplit("/", 1)[-1]
    lead = _lead(article)
    caption = f'\t\t\t<figcaption class="wp-caption-text">{_esc(lead)}</figcaption>' if lead else ""
    image = _image(article, f"{slug}-lead", "attachment-post-thumbnail size-post-thumbnail")
    updated = ""
    if article.modified != article.published:
        updated = (
            f'<span class="updated-on">Updated <time class="updated" datetime="{article.modified}">'
            f"{_date_en(article.modified)}</time></span>"
        )
    terms = [f"category-{quote(c.lower().replace(' ', '-'))}" for c in article.categories]
    terms += [f"tag-{quote(t.lower().replace(' ', '-'))}" for t in article.tags]
    return {
        "title": _esc(article.title),
        "term_classes": " ".join(terms),
        "thumbnail": _fill(_TT1, "thumbnail", image=image, caption=caption),
        "content": "\n\n".join(_body_parts(article)),
        "sharing": _tt1_sharing(article, noise, url),
        "published": article.published,
        "date_display": _date_en(article.published),
        "updated": updated,
        "cat_links": ", ".join(
            f'<a href="{_category_url(site, c)}" rel="category tag">{_esc(c)}</a>'
            for c in article.categories
        ),
        "tag_links": ", ".join(
            f'<a href="{site["home"]}tag/{quote(t)}/" rel="tag">{_esc(t)}</a>' for t in article.tags
        ),
        **_author_values(article),
        **_neighbours(article),
    }


def _tt1_comments(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    box = ""
    total = _comment_total(noise)
    if noise.comments:
        items = _comment_items(article, noise, url, _TT1)
        count_text = "1 comment" if total == 1 else f"{total} comments"
        box = _fill(_TT1, "comment_box", count_text=count_text, items=items)
    return {
        "comments_class": "show-avatars" if noise.comments else "show-avatars no-comments",
        "comment_box": box,
        "respond": _respond(article, noise, url, _TT1),
    }


def _tt1_widgets(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """The widget area: recent posts (newer ones push in), recent comments, archives."""
    site = _site(article.lang)
    offset = _number(noise, "recent-offset", 0, 3)
    recent = [_post_values(site, post, "") for post in site["posts"][offset : offset + 5]]
    comments = [
        {
            "author": _esc(author),
            "permalink": _esc(url),
            "comment_id": article.post_id * 10 + n + 1,
            "title": _esc(article.title),
        }
        for n, (author, _text) in enumerate(noise.comments)
    ]
    moment = datetime.fromisoformat(noise.timestamp)
    months = [(moment.year * 12 + moment.month - 1 - back) for back in range(6)]
    archives = "\n".join(
        f"\t\t\t\t<li><a href='{site['home']}{m // 12}/{m % 12 + 1:02d}/'>"
        f"{_MONTHS[m % 12]} {m // 12}</a></li>"
        for m in months
    )
    return {
        "recent_posts": _items(_TT1, "recent_post", recent),
        "recent_comments": "".join(_fill(_TT1, "recent_comment", **c) for c in comments[::-1]),
        "archives": archives,
        "categories": _category_items(site, noise),
        "main_menu": _menu(article, _TT1, 20),
        "footer_menu": _menu(article, _TT1, 40, "footer_menu"),
    }


def _render_tt1(article: SampleArticle, noise: Noise, url: str) -> str:
    values = {
        **_page_values(article, noise, url),
        **_tt1_article(article, noise, url),
        **_tt1_comments(article, noise, url),
        **_tt1_widgets(article, noise, url),
        "canonical_js": url.replace("/", "\\/"),
        "api_nonce": _token(noise, "api-nonce"),
        "stats_hash": _token(noise, "stats-hash", 32),
        "generated": _generated(noise),
    }
    return _fill(_TT1, "page", **values)


# --- entry points -------------------------------------------------------------------------------


def render_page(
    article: SampleArticle, noise: Noise | None = None, *, url: str | None = None
) -> str:
    """The article's whole HTML page in its theme (Jannah for "ja", Twenty Twenty-One for "en")."""
    noise = noise or Noise()
    if article.theme == "jannah":
        return _render_jannah(article, noise, url or article.url)
    return _render_tt1(article, noise, url or article.url)


def error_page(kind: str, noise: Noise | None = None) -> str:
    """A 200-status page that is not the article: maintenance, soft 404, bot challenge, login."""
    if kind not in ERROR_KINDS:
        raise ValueError(f"unknown error page {kind!r}; allowed: {', '.join(ERROR_KINDS)}")
    noise = noise or Noise()
    moment = datetime.fromisoformat(noise.timestamp)
    return _fill(
        "errors.tmpl",
        kind,
        request_id=_token(noise, "request", 8),
        when=f"{moment:%Y-%m-%d %H:%M}",
        year=moment.year,
        nonce=_token(noise, "error-nonce"),
        ray=f"{_token(noise, 'ray', 16)}-NRT",
        hash=_token(noise, "hash", 32),
        token=_token(noise, "cf-token", 40),
        md=_token(noise, "md", 64),
    )

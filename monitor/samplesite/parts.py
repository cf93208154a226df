"""Page parts both themes share: the ``<head>``, JSON-LD, menus, comments, links to other posts.

The markup is what WordPress core and a Yoast-style SEO plugin print; ``template`` arguments
name the theme's template file where the two themes word the same part differently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from monitor.samplesite.article import SampleArticle, description
from monitor.samplesite.data import data_text, fill, load_site
from monitor.samplesite.markup import avatar, clock, date_en, date_ja, esc, json_script
from monitor.samplesite.noise import Noise, randint, shuffled, token


def page_values(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """The ``<head>`` values both themes share."""
    site = load_site(article.lang)
    separator = " - " if article.theme == "jannah" else " – "
    return {
        "title_tag": esc(article.title + separator + site["name"]),
        "title_attr": esc(article.title),
        "head_meta": _head_meta(article, url),
        "jsonld": _jsonld(article, url),
        "site_name": esc(site["name"]),
        "tagline": esc(site["tagline"]),
        "home": site["home"],
        "uploads": site["uploads"],
        "canonical": esc(url),
        "canonical_q": quote(url, safe=""),
        "global_css": data_text("global_styles.css").rstrip("\n"),
        "post_id": article.post_id,
        "slug": article.slug,
        "cache_buster": token(noise, "cache-buster", 8),
    }


def _head_meta(article: SampleArticle, url: str) -> str:
    """Canonical link, description, OpenGraph and Twitter meta tags (Yoast SEO style)."""
    site = load_site(article.lang)
    locale = "ja_JP" if article.lang == "ja" else "en_US"
    pairs = [
        ("property", "og:locale", locale),
        ("property", "og:type", "article"),
        ("property", "og:title", article.title),
        ("property", "og:description", description(article)),
        ("property", "og:url", url),
        ("property", "og:site_name", site["name"]),
        ("property", "article:published_time", article.published),
        ("property", "article:modified_time", article.modified),
        ("property", "og:image", lead_image_url(article)),
        ("property", "og:image:width", "1200"),
        ("property", "og:image:height", "800"),
        ("name", "author", article.byline),
        ("name", "twitter:card", "summary_large_image"),
        *(("property", "article:section", category) for category in article.categories),
        *(("property", "article:tag", tag) for tag in article.tags),
    ]
    tags = [f'<meta {attr}="{esc(n)}" content="{esc(v)}" />' for attr, n, v in pairs]
    head = [
        f'<meta name="description" content="{esc(description(article))}" />',
        f'<link rel="canonical" href="{esc(url)}" />',
    ]
    return "\n".join(head + tags)


def lead_image_url(article: SampleArticle) -> str:
    """The URL of the article's featured (lead) image."""
    moment = datetime.fromisoformat(article.published)
    slug = article.slug.rsplit("/", 1)[-1]
    return f"{load_site(article.lang)['uploads']}{moment:%Y/%m}/{slug}-lead.jpg"


def _jsonld(article: SampleArticle, url: str) -> str:
    """A Yoast-like ``@graph`` with the NewsArticle, its WebPage and the WebSite."""
    site = load_site(article.lang)
    author = {"@type": "Person", "name": article.byline, "url": author_url(article)}
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
    image = {"@type": "ImageObject", "@id": f"{url}#primaryimage", "url": lead_image_url(article)}
    org = {"@type": "Organization", "@id": f"{site['home']}#organization", "name": site["name"]}
    graph = [news, page, image, org]
    return json_script({"@context": "https://schema.org", "@graph": graph})


# --- links and navigation -----------------------------------------------------------------------


def author_url(article: SampleArticle) -> str:
    """The author archive URL of the article's byline."""
    return f"{load_site(article.lang)['home']}author/{article.author_slug}/"


def author_values(article: SampleArticle) -> dict[str, object]:
    """Template values of the author box and byline."""
    return {
        "author_id": 14,
        "author_url": author_url(article),
        "avatar": avatar(article.byline),
        "byline": esc(article.byline),
        "bio": esc(load_site(article.lang)["author_bio"]),
    }


def category_url(site: dict[str, Any], label: str) -> str:
    """The category archive URL: the menu's link if the menu has one."""
    for item_label, path in site["menu"]:
        if item_label == label:
            return f"{site['home']}{path}"
    return f"{site['home']}category/{quote(label.lower().replace(' ', '-'))}/"


def category_items(site: dict[str, Any], noise: Noise) -> str:
    """The categories widget's ``<li>`` items with noise-driven post counts."""
    items = []
    for number, (label, path) in enumerate(site["menu"]):
        if path.startswith("category/"):
            count = randint(noise, f"count-{path}", 20, 400)
            items.append(
                f'\t\t\t\t<li class="cat-item cat-item-{30 + number}"><a href="{site["home"]}'
                f'{path}">{esc(label)}</a> <span>({count})</span></li>'
            )
    return "\n".join(items)


def menu(article: SampleArticle, template: str, first_id: int, key: str = "menu") -> str:
    """A navigation menu of the site, with the article's first category marked as current."""
    site = load_site(article.lang)
    current = article.categories[0] if article.categories else None
    items = []
    for number, (label, path) in enumerate(site[key]):
        kind = "taxonomy menu-item-object-category" if path.startswith("category/") else "custom"
        item_class = f"menu-item-type-{kind}"
        if label == current:
            item_class += " current-post-ancestor current-menu-parent"
        values = {"item_id": first_id + number, "item_class": item_class, "label": esc(label)}
        items.append(fill(template, "menu_item", url=f"{site['home']}{path}", **values))
    return "\n".join(items)


def fill_each(template: str, section: str, values: Iterable[Mapping[str, object]]) -> str:
    """One filled ``section`` per mapping of ``values``, one per line."""
    return "\n".join(fill(template, section, **item) for item in values)


# --- other posts of the site --------------------------------------------------------------------


def post_url(site: dict[str, Any], post: Sequence[str]) -> str:
    """The URL of another post of the site (``post`` is ``[title, slug, iso date]``)."""
    return f"{site['home']}{post[1]}/"


def _thumb(site: dict[str, Any], post: Sequence[str], size: str) -> str:
    year, month = post[2][:4], post[2][5:7]
    return f"{site['uploads']}{year}/{month}/{post[1].rsplit('/', 1)[-1]}-{size}.jpg"


def post_values(site: dict[str, Any], post: Sequence[str], size: str) -> dict[str, object]:
    """Template values of a link to another post: title, URL, thumbnail and date."""
    date = date_ja(post[2]) if site["home"].endswith("/ja/") else date_en(post[2])
    return {
        "title": esc(post[0]),
        "url": post_url(site, post),
        "thumb": _thumb(site, post, size),
        "date": date,
    }


def related_posts(article: SampleArticle, noise: Noise) -> list[list[str]]:
    """Other posts in a noise-driven order, as Jannah's "random" related posts are."""
    return shuffled(load_site(article.lang)["posts"], noise, "related")


def neighbours(article: SampleArticle) -> dict[str, str]:
    """Previous and next post links (the site's two newest other posts)."""
    site = load_site(article.lang)
    prev, after = site["posts"][0], site["posts"][1]
    return {
        "prev_url": post_url(site, prev),
        "prev_title": esc(prev[0]),
        "prev_thumb": _thumb(site, prev, "390x220"),
        "next_url": post_url(site, after),
        "next_title": esc(after[0]),
        "next_thumb": _thumb(site, after, "390x220"),
    }


# --- comments -----------------------------------------------------------------------------------


def comment_items(article: SampleArticle, noise: Noise, url: str, template: str) -> str:
    """The ``ol.comment-list`` items (WordPress core markup) for the noise's comments."""
    items = []
    for index, (author, text) in enumerate(noise.comments):
        moment = datetime.fromisoformat(article.published) + timedelta(hours=3 * index + 2)
        when = date_ja(moment.isoformat()) if article.lang == "ja" else date_en(moment.isoformat())
        values = {
            "comment_id": article.post_id * 10 + index + 1,
            "parity": "odd" if index % 2 else "even",
            "author": esc(author),
            "text": esc(text),
            "avatar": avatar(author),
            "iso": moment.isoformat(),
            "when": f"{when} {clock(moment.isoformat())}",
            "permalink": esc(url),
            "post_id": article.post_id,
        }
        items.append(fill(template, "comment", **values))
    return "\n".join(items)


def respond(article: SampleArticle, noise: Noise, url: str, template: str) -> str:
    """The comment form (``#respond``) with its anti-spam nonces."""
    site = load_site(article.lang)
    return fill(
        template,
        "respond",
        home=site["home"],
        permalink=esc(url),
        post_id=article.post_id,
        akismet_nonce=token(noise, "akismet"),
        unfiltered_nonce=token(noise, "unfiltered"),
        ak_js=randint(noise, "ak_js", 10, 999),
    )

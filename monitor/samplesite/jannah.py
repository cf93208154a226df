"""The Japanese sample page: a WordPress post in the Jannah theme (``jannah.tmpl``).

Layout of the page (see ``shared/research/jannah.md``)::

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

from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from monitor.samplesite.article import SampleArticle, article_text, description, lead_caption
from monitor.samplesite.data import fill, load_site
from monitor.samplesite.markup import body_parts, date_ja, esc, img_tag, json_script
from monitor.samplesite.noise import Noise, cache_comment, comment_total, randint, shuffled, token
from monitor.samplesite.parts import (
    author_url,
    author_values,
    category_items,
    category_url,
    comment_items,
    fill_each,
    lead_image_url,
    menu,
    neighbours,
    page_values,
    post_url,
    post_values,
    related_posts,
    respond,
)

_JANNAH: Final = "jannah.tmpl"
_WEEKDAYS_JA: Final = "月火水木金土日"
_ADS: Final = {
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


def render(article: SampleArticle, noise: Noise, url: str) -> str:
    """The whole Jannah page of ``article``."""
    values = {
        **page_values(article, noise, url),
        **_chrome(article, noise),
        **_post(article, noise, url),
    }
    return fill(_JANNAH, "page", **values)


# --- article#the-post and the post components ---------------------------------------------------


def _post(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """``article#the-post`` and the post components below it."""
    site = load_site(article.lang)
    related = [post_values(site, post, "390x220") for post in related_posts(article, noise)[2:8]]
    return {
        "entry_header": _entry_header(article, noise),
        "featured": _featured(article),
        "share_top": fill(
            _JANNAH,
            "share",
            where="top",
            style="icons-only",
            links=_share(article, url, "screen-reader-text"),
        ),
        "content": _content(article, noise),
        "date_display": date_ja(article.published),
        "tie_schema": _tie_schema(article, url),
        "share_bottom": fill(
            _JANNAH,
            "share",
            where="bottom",
            style="share-skew icons-text",
            links=_share(article, url, "social-text"),
        ),
        "share_mobile": _share(article, url, "screen-reader-text", 4),
        "about_author": fill(_JANNAH, "about_author", **author_values(article)),
        "prev_next": fill(_JANNAH, "prev_next", **neighbours(article)),
        "related": fill(_JANNAH, "related", items=fill_each(_JANNAH, "related_item", related)),
        "comments": _comments(article, noise, url),
    }


def _entry_header(article: SampleArticle, noise: Noise) -> str:
    """Breadcrumb, category chips, the h1 title and the post meta line with the byline."""
    site = load_site(article.lang)
    first = article.categories[0] if article.categories else site["menu"][0][0]
    cats = "".join(
        f'<a class="post-cat tie-cat-{30 + n}" href="{category_url(site, c)}">{esc(c)}</a>'
        for n, c in enumerate(article.categories)
    )
    last_updated = ""
    if article.modified != article.published:
        last_updated = (
            f'<span class="meta-item last-updated">最終更新日: {date_ja(article.modified)}</span>'
        )
    return fill(
        _JANNAH,
        "entry_header",
        home=site["home"],
        cat_url=category_url(site, first),
        cat_label=esc(first),
        title=esc(article.title),
        breadcrumb_json=_breadcrumb(site, first),
        cats=cats,
        last_updated=last_updated,
        comment_count=comment_total(noise),
        views=f"{randint(noise, 'views', 1200, 48000):,}",
        reading_time=max(1, len(article_text(article)) // 600),
        date_display=date_ja(article.published),
        **author_values(article),
    )


def _breadcrumb(site: dict[str, Any], category: str) -> str:
    """The BreadcrumbList JSON-LD: home, then the article's first category."""
    crumbs = [("ホーム", site["home"]), (category, category_url(site, category))]
    breadcrumb = {
        "@context": "http://schema.org",
        "@type": "BreadcrumbList",
        "@id": "#Breadcrumb",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "item": {"name": name, "@id": link}}
            for n, (name, link) in enumerate(crumbs, start=1)
        ],
    }
    return json_script(breadcrumb)


def _featured(article: SampleArticle) -> str:
    """The featured image; its ``figcaption.single-caption-text`` holds the lead caption."""
    slug = article.slug.rsplit("/", 1)[-1]
    css = "attachment-jannah-image-post size-jannah-image-post wp-post-image"
    image = img_tag(article, f"{slug}-lead", css)
    lead = lead_caption(article)
    if lead is None:
        return (
            '\t\t<div class="featured-area"><div class="featured-area-inner">'
            f'<figure class="single-featured-image">{image}</figure></div></div>'
        )
    return fill(_JANNAH, "featured", image=image, caption=esc(lead))


def _content(article: SampleArticle, noise: Noise) -> str:
    """``div.entry-content``: the body with ads, an inline related box and the tags inside."""
    site = load_site(article.lang)
    stream_ad, code_block = _in_body_ads(noise)
    inline = [post_values(site, post, "220x150") for post in related_posts(article, noise)[:2]]
    extras = {
        2: stream_ad,
        4: code_block,
        6: fill(_JANNAH, "inline_related", items=fill_each(_JANNAH, "inline_related_item", inline)),
    }
    parts = body_parts(article)
    out = [_ad(noise, "above-post-content", 728, 90)]
    for number, part in enumerate(parts, start=1):
        out.append(part)
        if number in extras and number < len(parts):
            out.append(extras[number])
    links = " ".join(
        f'<a href="{site["home"]}tag/{quote(tag)}/" rel="tag">{esc(tag)}</a>'
        for tag in article.tags
    )
    out += [fill(_JANNAH, "tags", tags=links), _ad(noise, "below-post-content", 728, 90)]
    return "\n\n".join(out)


def _tie_schema(article: SampleArticle, url: str) -> str:
    """Jannah's own Article JSON-LD, printed inside ``#the-post``."""
    site = load_site(article.lang)
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
        "description": description(article),
        "copyrightYear": article.published[:4],
        "articleSection": ",".join(article.categories),
        "publisher": {"@id": "#Publisher", "@type": "Organization", "name": site["name"]},
        "author": {"@type": "Person", "name": article.byline, "url": author_url(article)},
        "mainEntityOfPage": {"@type": "WebPage", "@id": url},
        "image": {"@type": "ImageObject", "url": lead_image_url(article), "width": 1200},
    }
    return json_script(schema)


def _share(article: SampleArticle, url: str, label_class: str, count: int = 6) -> str:
    """Jannah share links; network names are visually hidden or short labels."""
    links = []
    for network, icon, label, pattern in _SHARE_NETWORKS[:count]:
        href = pattern.format(u=quote(url, safe=""), t=quote(article.title, safe=""))
        links.append(
            fill(
                _JANNAH,
                "share_link",
                href=esc(href),
                network=network,
                icon=icon,
                label=esc(label),
                label_class=label_class,
                extra="large-share-button" if network in ("facebook", "twitter") else "",
            )
        )
    return "\n".join(links)


def _comments(article: SampleArticle, noise: Noise, url: str) -> str:
    box = ""
    if noise.comments:
        items = comment_items(article, noise, url, _JANNAH)
        box = fill(_JANNAH, "comment_box", count=comment_total(noise), items=items)
    return fill(_JANNAH, "comments", comment_box=box, respond=respond(article, noise, url, _JANNAH))


# --- ads ----------------------------------------------------------------------------------------


def _ad(noise: Noise, position: str, width: int, height: int) -> str:
    """A Jannah ``div.stream-item`` ad slot whose ids and creative change with the noise."""
    return fill(
        _JANNAH,
        "ad",
        position=position,
        ad_id=token(noise, f"ad-{position}", 8),
        refresh=randint(noise, f"refresh-{position}", 30, 90),
        creative=f"cr-{randint(noise, f'creative-{position}', 1000, 9999)}",
        width=width,
        height=height,
    )


def _in_body_ads(noise: Noise) -> tuple[str, str]:
    """The two ads inside the post body: a theme ``stream-item`` and an Ad Inserter block."""
    stream = fill(
        _JANNAH,
        "ad_inpost",
        ad_id=token(noise, "ad-in-post", 8),
        refresh=randint(noise, "refresh-in-post", 30, 90),
        creative=f"cr-{randint(noise, 'creative-in-post', 1000, 9999)}",
    )
    code_block = fill(
        _JANNAH, "code_block_ad", slot=randint(noise, "adsense-slot", 10**9, 10**10 - 1)
    )
    return stream, code_block


# --- chrome: header, sidebar, footer, scripts ---------------------------------------------------


def _chrome(article: SampleArticle, noise: Noise) -> dict[str, object]:
    """Everything around the post: header, menus, ads, sidebar, footer, scripts."""
    site = load_site(article.lang)
    moment = datetime.fromisoformat(noise.timestamp)
    breaking = [
        {"title": esc(post[0]), "url": post_url(site, post)}
        for post in shuffled(site["posts"], noise, "breaking")[:5]
    ]
    ads = {key: _ad(noise, *spec) for key, spec in _ADS.items()}
    return {
        **ads,
        "today": f"{date_ja(noise.timestamp)} {_WEEKDAYS_JA[moment.weekday()]}曜日",
        "breaking": fill_each(_JANNAH, "breaking_item", breaking),
        "main_menu": menu(article, _JANNAH, 1200),
        "mobile_menu": menu(article, _JANNAH, 1300),
        "sidebar": _sidebar(article, noise),
        "footer": _footer(article, noise),
        "tie_nonce": token(noise, "tie-nonce"),
        "views_nonce": token(noise, "views-nonce"),
        "api_nonce": token(noise, "api-nonce"),
        "api_root": f"{site['home']}wp-json/".replace("/", "\\/"),
        "ajaxurl": f"{site['home']}wp-admin/admin-ajax.php".replace("/", "\\/"),
        "generated": cache_comment(noise),
    }


def _sidebar(article: SampleArticle, noise: Noise) -> str:
    """Search, an ad widget, the rotating 人気記事 list, categories and a clock widget."""
    site = load_site(article.lang)
    popular = []
    for post in shuffled(site["posts"], noise, "popular")[:5]:
        views = f"{randint(noise, f'views-{post[1]}', 300, 90000):,}"
        popular.append({**post_values(site, post, "220x150"), "views": views})
    ad = _ad(noise, "widget", 300, 250)
    moment = datetime.fromisoformat(noise.timestamp)
    return fill(
        _JANNAH,
        "sidebar",
        home=site["home"],
        ad_sidebar=fill(_JANNAH, "ad_widget", ad=ad),
        popular=fill_each(_JANNAH, "popular_item", popular),
        category_items=category_items(site, noise),
        updated=f"{date_ja(noise.timestamp)} {moment:%H:%M}",
        about=esc(site["about"]),
    )


def _footer(article: SampleArticle, noise: Noise) -> str:
    site = load_site(article.lang)
    recent = "\n".join(
        f'\t\t\t\t\t\t\t\t<li><a href="{post_url(site, post)}">{esc(post[0])}</a></li>'
        for post in site["posts"][:5]
    )
    cloud = " ".join(
        f'<a href="{site["home"]}tag/{quote(label)}/" class="tag-cloud-link" '
        f'style="font-size: {randint(noise, f"tag-{label}", 8, 22)}pt;">{esc(label)}</a>'
        for label, path in site["menu"]
        if path.startswith("category/")
    )
    return fill(
        _JANNAH,
        "footer",
        site_name=esc(site["name"]),
        about=esc(site["about"]),
        recent=recent,
        tag_cloud=cloud,
        year=datetime.fromisoformat(noise.timestamp).year,
        footer_menu=menu(article, _JANNAH, 1400, "footer_menu"),
    )

"""The English sample page: a plain WordPress theme (Twenty Twenty-One, with Jetpack).

Jetpack's share buttons, likes and related posts sit inside ``.entry-content`` after the body;
the byline and dates are in the entry footer; recent posts, recent comments and archives fill
the widget area below the comments.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final
from urllib.parse import quote

from monitor.samplesite.article import SampleArticle, lead_caption
from monitor.samplesite.data import fill, load_site
from monitor.samplesite.markup import MONTHS, body_parts, date_en, esc, img_tag
from monitor.samplesite.noise import Noise, cache_comment, comment_total, randint, token
from monitor.samplesite.parts import (
    author_values,
    category_items,
    category_url,
    comment_items,
    fill_each,
    menu,
    neighbours,
    page_values,
    post_values,
    related_posts,
    respond,
)

_TT1: Final = "twentyone.tmpl"
_JETPACK_SHARES: Final = (
    ("facebook", "Facebook", "Click to share on Facebook"),
    ("x", "X", "Click to share on X"),
    ("linkedin", "LinkedIn", "Click to share on LinkedIn"),
    ("reddit", "Reddit", "Click to share on Reddit"),
    ("email", "Email", "Click to email a link to a friend"),
    ("print", "Print", "Click to print"),
)


def render(article: SampleArticle, noise: Noise, url: str) -> str:
    """The whole Twenty Twenty-One page of ``article``."""
    values = {
        **page_values(article, noise, url),
        **_article(article, noise, url),
        **_comments(article, noise, url),
        **_widgets(article, noise, url),
        "canonical_js": url.replace("/", "\\/"),
        "api_nonce": token(noise, "api-nonce"),
        "stats_hash": token(noise, "stats-hash", 32),
        "generated": cache_comment(noise),
    }
    return fill(_TT1, "page", **values)


def _article(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """``article.post``: title, thumbnail, content and the entry footer with the byline."""
    site = load_site(article.lang)
    slug = article.slug.rsplit("/", 1)[-1]
    lead = lead_caption(article)
    caption = f'\t\t\t<figcaption class="wp-caption-text">{esc(lead)}</figcaption>' if lead else ""
    image = img_tag(article, f"{slug}-lead", "attachment-post-thumbnail size-post-thumbnail")
    updated = ""
    if article.modified != article.published:
        updated = (
            f'<span class="updated-on">Updated <time class="updated" datetime="{article.modified}">'
            f"{date_en(article.modified)}</time></span>"
        )
    terms = [f"category-{quote(c.lower().replace(' ', '-'))}" for c in article.categories]
    terms += [f"tag-{quote(t.lower().replace(' ', '-'))}" for t in article.tags]
    return {
        "title": esc(article.title),
        "term_classes": " ".join(terms),
        "thumbnail": fill(_TT1, "thumbnail", image=image, caption=caption),
        "content": "\n\n".join(body_parts(article)),
        "sharing": _sharing(article, noise, url),
        "published": article.published,
        "date_display": date_en(article.published),
        "updated": updated,
        "cat_links": ", ".join(
            f'<a href="{category_url(site, c)}" rel="category tag">{esc(c)}</a>'
            for c in article.categories
        ),
        "tag_links": ", ".join(
            f'<a href="{site["home"]}tag/{quote(t)}/" rel="tag">{esc(t)}</a>' for t in article.tags
        ),
        **author_values(article),
        **neighbours(article),
    }


def _sharing(article: SampleArticle, noise: Noise, url: str) -> str:
    """Jetpack's share buttons, likes widget and related posts, appended to the content."""
    links = fill_each(
        _TT1,
        "share_link",
        (
            {
                "network": network,
                "label": label,
                "title": title,
                "href": esc(f"{url}?share={network}&nb=1"),
                "post_id": article.post_id,
            }
            for network, label, title in _JETPACK_SHARES
        ),
    )
    return fill(
        _TT1,
        "sharing",
        links=links,
        post_id=article.post_id,
        like_id=token(noise, "like-id", 13),
        related=fill_each(_TT1, "related_item", _related(article, noise)),
    )


def _related(article: SampleArticle, noise: Noise) -> list[dict[str, object]]:
    """Template values of Jetpack's three related posts."""
    site = load_site(article.lang)
    context = article.categories[0] if article.categories else ""
    return [
        {
            **post_values(site, post, "350x200"),
            "index": index,
            "related_id": 4000 + index,
            "context": context,
            "post_id": article.post_id,
        }
        for index, post in enumerate(related_posts(article, noise)[:3])
    ]


def _comments(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    box = ""
    total = comment_total(noise)
    if noise.comments:
        items = comment_items(article, noise, url, _TT1)
        count_text = "1 comment" if total == 1 else f"{total} comments"
        box = fill(_TT1, "comment_box", count_text=count_text, items=items)
    return {
        "comments_class": "show-avatars" if noise.comments else "show-avatars no-comments",
        "comment_box": box,
        "respond": respond(article, noise, url, _TT1),
    }


def _widgets(article: SampleArticle, noise: Noise, url: str) -> dict[str, object]:
    """The widget area: recent posts (newer ones push in), recent comments, archives."""
    site = load_site(article.lang)
    offset = randint(noise, "recent-offset", 0, 3)
    recent = [post_values(site, post, "") for post in site["posts"][offset : offset + 5]]
    comments = [
        {
            "author": esc(author),
            "permalink": esc(url),
            "comment_id": article.post_id * 10 + n + 1,
            "title": esc(article.title),
        }
        for n, (author, _text) in enumerate(noise.comments)
    ]
    return {
        "recent_posts": fill_each(_TT1, "recent_post", recent),
        "recent_comments": "".join(fill(_TT1, "recent_comment", **c) for c in comments[::-1]),
        "archives": _archives(site["home"], noise),
        "categories": category_items(site, noise),
        "main_menu": menu(article, _TT1, 20),
        "footer_menu": menu(article, _TT1, 40, "footer_menu"),
    }


def _archives(home: str, noise: Noise) -> str:
    """The archives widget: the six months up to the site's clock."""
    moment = datetime.fromisoformat(noise.timestamp)
    months = [(moment.year * 12 + moment.month - 1 - back) for back in range(6)]
    return "\n".join(
        f"\t\t\t\t<li><a href='{home}{m // 12}/{m % 12 + 1:02d}/'>"
        f"{MONTHS[m % 12]} {m // 12}</a></li>"
        for m in months
    )

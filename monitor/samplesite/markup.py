"""HTML building blocks both themes use: escaping, dates, images and the article body."""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Final

from monitor.samplesite.article import MEDIA_KINDS, Block, SampleArticle
from monitor.samplesite.data import load_site

MONTHS: Final = (
    "January February March April May June July August September October November December"
).split()


def esc(text: str) -> str:
    """``text`` escaped for an HTML text node or a quoted attribute."""
    return html.escape(text, quote=True)


def date_ja(iso: str) -> str:
    """A date as Japanese WordPress sites print it ("2026年11月27日")."""
    moment = datetime.fromisoformat(iso)
    return f"{moment.year}年{moment.month}月{moment.day}日"


def date_en(iso: str) -> str:
    """A date as English WordPress sites print it ("November 27, 2026")."""
    moment = datetime.fromisoformat(iso)
    return f"{MONTHS[moment.month - 1]} {moment.day}, {moment.year}"


def clock(iso: str) -> str:
    """12-hour clock as WordPress prints it ("9:05 AM")."""
    moment = datetime.fromisoformat(iso)
    return f"{(moment.hour - 1) % 12 + 1}:{moment.minute:02d} {'AM' if moment.hour < 12 else 'PM'}"


def avatar(name: str) -> str:
    """The Gravatar URL WordPress prints for ``name``."""
    digest = hashlib.sha256(name.strip().lower().encode()).hexdigest()
    return f"https://secure.gravatar.com/avatar/{digest}"


def json_script(value: object) -> str:
    """Compact JSON that is safe inside a ``<script>`` element."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def img_tag(article: SampleArticle, name: str, css: str, alt: str = "") -> str:
    """An ``<img>`` with the srcset WordPress prints for a 1200x800 upload."""
    moment = datetime.fromisoformat(article.published)
    base = f"{load_site(article.lang)['uploads']}{moment:%Y/%m}/{name}"
    srcset = ", ".join(
        [f"{base}.jpg 1200w"]
        + [f"{base}-{w}x{h}.jpg {w}w" for w, h in ((300, 200), (1024, 683), (768, 512))]
    )
    return (
        f'<img decoding="async" width="1200" height="800" src="{base}.jpg" class="{css}" '
        f'alt="{esc(alt)}" srcset="{srcset}" sizes="(max-width: 1200px) 100vw, 1200px" />'
    )


# --- body blocks --------------------------------------------------------------------------------


def body_parts(article: SampleArticle) -> list[str]:
    """The body blocks (without the lead caption) as HTML, one string per group."""
    blocks = [b for b in article.blocks if b.kind != "lead"]
    return [_group_html(article, g, n) for n, g in enumerate(_group_blocks(blocks), start=1)]


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


def _group_html(article: SampleArticle, group: list[Block], number: int) -> str:
    kind, text = group[0].kind, esc(group[0].text)
    block_class = "" if article.theme == "jannah" else ' class="wp-block-{}"'
    if kind in MEDIA_KINDS:
        return _media_html(article, group, number)
    if kind == "li":
        items = "\n".join(f"<li>{esc(b.text)}</li>" for b in group)
        return f"<ul{block_class.format('list')}>\n{items}\n</ul>"
    if kind == "quote":
        return f'<blockquote class="wp-block-quote"><p>{text}</p></blockquote>'
    if kind in ("h2", "h3"):
        return f"<{kind}{block_class.format('heading')}>{text}</{kind}>"
    return f"<p>{text}</p>"


def _media_html(article: SampleArticle, group: list[Block], number: int) -> str:
    """A captioned image or video, classic ``wp-caption`` (Jannah) or block markup."""
    caption = "<br />".join(esc(b.text) for b in group)
    stem = f"{article.slug.rsplit('/', 1)[-1]}-{number}"
    moment = datetime.fromisoformat(article.published)
    if group[0].kind == "video":
        src = f"{load_site(article.lang)['uploads']}{moment:%Y/%m}/{stem}.mp4"
        media = (
            f'<div style="width: 1280px;" class="wp-video"><video class="wp-video-shortcode" '
            f'id="video-{article.post_id}-{number}" width="1280" height="720" '
            f'preload="metadata" controls="controls">'
            f'<source type="video/mp4" src="{src}?_={number}" />'
            f'<a href="{src}">{src}</a></video></div>'
        )
    else:
        media = img_tag(article, stem, f"size-full wp-image-{article.post_id + number}")
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

"""The sample articles: the data model, loading, edits and the ground-truth text and metadata."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Final

from monitor.models import Metadata
from monitor.samplesite.data import data_text, load_site

SAMPLE_NAMES: Final = ("ja", "en")
BLOCK_KINDS: Final = frozenset({"lead", "p", "h2", "h3", "li", "quote", "image", "video", "credit"})
MEDIA_KINDS: Final = frozenset({"image", "video"})


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
        return f"{load_site(self.lang)['home']}{self.slug}/"


def _check_block_order(blocks: Sequence[Block]) -> None:
    """A lead caption only comes first; a credit only follows a media caption or a credit."""
    for index, block in enumerate(blocks):
        if block.kind == "lead" and index != 0:
            raise ValueError(f"a lead caption must be the first block, not block {index}")
        previous = blocks[index - 1].kind if index else ""
        if block.kind == "credit" and previous not in MEDIA_KINDS | {"credit"}:
            raise ValueError(f"credit block {index} does not follow an image or video caption")


def load_article(name: str) -> SampleArticle:
    """The sample article ``name`` ("ja": Jannah theme, "en": a plain WordPress theme)."""
    if name not in SAMPLE_NAMES:
        raise ValueError(f"unknown sample article {name!r}; allowed: {', '.join(SAMPLE_NAMES)}")
    data = json.loads(data_text(f"sample_{name}.json"))
    blocks = tuple(Block(item["kind"], item["text"]) for item in data.pop("blocks"))
    data["categories"], data["tags"] = tuple(data["categories"]), tuple(data["tags"])
    return SampleArticle(blocks=blocks, **data)


# --- ground truth -------------------------------------------------------------------------------


def article_text(article: SampleArticle) -> str:
    """The ground truth: the title line, then one line per block in page order (no final newline).

    This is what a perfect extractor returns as ``Article.document``; the byline, dates,
    categories and tags are metadata, not text.
    """
    return "\n".join([article.title, *(block.text for block in article.blocks)])


def article_metadata(article: SampleArticle, url: str | None = None) -> Metadata:
    """The metadata the rendered page declares (JSON-LD, OpenGraph, canonical link)."""
    site = load_site(article.lang)
    return Metadata(
        canonical_url=url or article.url,
        author=article.byline,
        published_at=article.published,
        modified_at=article.modified,
        language=article.lang,
        description=description(article),
        site_name=site["name"],
    )


def description(article: SampleArticle) -> str:
    """The meta description: the first paragraph, shortened as an SEO plugin does."""
    first = next((b.text for b in article.blocks if b.kind == "p"), article.title)
    limit = 110 if article.lang == "ja" else 155
    return first if len(first) <= limit else first[:limit].rstrip() + "…"


def lead_caption(article: SampleArticle) -> str | None:
    """The lead-image caption, if the article has one."""
    first = article.blocks[0] if article.blocks else None
    return first.text if first and first.kind == "lead" else None


# --- edits --------------------------------------------------------------------------------------


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

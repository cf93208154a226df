"""Built-in rule packs: the markup of common publishing platforms, known boilerplate included.

A pack applies when its ``detect`` selector matches the page; site rules from config.toml
take precedence, and their ``remove`` and ``title`` selectors are added to the pack's.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.config import Rules


@dataclass(frozen=True)
class RulePack:
    """Built-in rules for one platform, used when ``detect`` matches the page."""

    name: str
    detect: str
    rules: Rules


#: WordPress core and its most common plugins: what they add around or inside a post body.
WORDPRESS_REMOVE = (
    "#respond",
    "#comments",
    ".comments-area",
    ".sharedaddy",
    ".sd-sharing-enabled",
    "#jp-relatedposts",
    ".jp-relatedposts",
    ".yarpp-related",
    ".crp_related",
    ".addtoany_share_save_container",
    ".a2a_kit",
    ".dpsp-content-wrapper",  # Grow Social (Social Pug)
    ".swp_social_panel",  # Social Warfare
    ".shared-counts-wrap",  # Shared Counts
    ".heateor_sss_sharing_container",  # Sassy Social Share
    ".wp-block-latest-posts",
    ".post-navigation",
    ".entry-footer",
    ".wpcnt",
    ".jp-post-flair",
)

JANNAH = RulePack(
    name="jannah",
    detect="article#the-post .entry-content",
    rules=Rules(
        content=(
            "article#the-post figure.single-featured-image figcaption",
            "article#the-post .entry-content",
        ),
        title=("article#the-post h1.post-title", "h1.post-title.entry-title", "h1.entry-title"),
        remove=(
            ".stream-item",
            ".post-bottom-meta",
            "#inline-related-post",
            ".share-buttons",
            "#related-posts",
            "#post-extra-info",
            ".code-block",
            ".tie-icon-camera",
            *WORDPRESS_REMOVE,  # Jannah is a WordPress theme: the same plugins show up
        ),
    ),
)

WORDPRESS = RulePack(
    name="wordpress",
    detect="article .entry-content, .hentry .entry-content, .type-post .entry-content",
    rules=Rules(
        content=(
            # the featured image's caption (core themes: figure.post-thumbnail) is article
            # text, as it is in the Jannah theme: the same article in either theme reads alike
            "article .post-thumbnail figcaption",
            "article .entry-content",
            ".hentry .entry-content",
            ".type-post .entry-content",
        ),
        title=("article h1.entry-title", "h1.entry-title", "h1.post-title", ".entry-title"),
        remove=WORDPRESS_REMOVE,
    ),
)

#: Built-in rule packs, most specific first.
RULE_PACKS: tuple[RulePack, ...] = (JANNAH, WORDPRESS)

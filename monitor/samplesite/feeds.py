"""The sample site's feeds: a WordPress-like RSS 2.0 ``/feed/``, an Atom 1.0 feed, a sitemap
(with Google News tags) and a sitemap index. Pure functions of their items, like the pages."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from monitor.samplesite.markup import esc


@dataclass(frozen=True)
class FeedItem:
    """One article as the site's feeds list it."""

    url: str
    title: str
    summary: str
    published: datetime  # aware


def rss(items: list[FeedItem], *, title: str, home: str) -> str:
    """A WordPress-style RSS 2.0 feed (``/feed/``), newest item first."""
    entries = "".join(
        f"""
	<item>
		<title>{esc(item.title)}</title>
		<link>{esc(item.url)}</link>
		<dc:creator><![CDATA[editor]]></dc:creator>
		<pubDate>{format_datetime(item.published)}</pubDate>
		<category><![CDATA[News]]></category>
		<guid isPermaLink="false">{esc(item.url)}</guid>
		<description><![CDATA[<p>{esc(item.summary)}</p>]]></description>
	</item>"""
        for item in _newest_first(items)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"
	xmlns:content="http://purl.org/rss/1.0/modules/content/"
	xmlns:dc="http://purl.org/dc/elements/1.1/"
	xmlns:atom="http://www.w3.org/2005/Atom"
	xmlns:sy="http://purl.org/rss/1.0/modules/syndication/">
<channel>
	<title>{esc(title)}</title>
	<atom:link href="{esc(home)}feed/" rel="self" type="application/rss+xml" />
	<link>{esc(home)}</link>
	<description>Just another WordPress site</description>
	<language>en-US</language>
	<sy:updatePeriod>hourly</sy:updatePeriod>
	<generator>https://wordpress.org/?v=6.7</generator>{entries}
</channel>
</rss>
"""


def atom(items: list[FeedItem], *, title: str, home: str) -> str:
    """An Atom 1.0 feed, newest entry first."""
    entries = "".join(
        f"""
  <entry>
    <title type="html">{esc(item.title)}</title>
    <link rel="alternate" type="text/html" href="{esc(item.url)}"/>
    <id>{esc(item.url)}</id>
    <published>{item.published.isoformat()}</published>
    <updated>{item.published.isoformat()}</updated>
    <summary type="html">{esc(item.summary)}</summary>
  </entry>"""
        for item in _newest_first(items)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>{esc(title)}</title>
  <link rel="alternate" href="{esc(home)}"/>
  <id>{esc(home)}</id>
  <updated>2026-11-27T09:00:00Z</updated>{entries}
</feed>
"""


def sitemap(items: list[FeedItem], *, news: bool = False) -> str:
    """A sitemap (``<urlset>``); with ``news``, Google News tags (publication date, title)."""
    urls = []
    for item in items:
        extra = ""
        if news:
            extra = (
                "<news:news><news:publication><news:name>Sample</news:name>"
                "<news:language>en</news:language></news:publication>"
                f"<news:publication_date>{item.published.isoformat()}</news:publication_date>"
                f"<news:title>{esc(item.title)}</news:title></news:news>"
            )
        else:
            extra = f"<lastmod>{item.published.isoformat()}</lastmod>"
        urls.append(f"<url><loc>{esc(item.url)}</loc>{extra}</url>")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n"
    )


def sitemap_index(sitemaps: list[tuple[str, datetime]]) -> str:
    """A sitemap index listing ``(url, lastmod)`` sitemaps."""
    rows = "\n".join(
        f"<sitemap><loc>{esc(url)}</loc><lastmod>{lastmod.isoformat()}</lastmod></sitemap>"
        for url, lastmod in sitemaps
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        f"{rows}\n</sitemapindex>\n"
    )


def _newest_first(items: list[FeedItem]) -> list[FeedItem]:
    return sorted(items, key=lambda item: item.published, reverse=True)

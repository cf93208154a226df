"""Following whole sites: feeds and sitemaps -> new articles -> watches on a decaying schedule.

Modules::

    parse.py     RSS 2.0 / Atom 1.0 (feedparser) and sitemaps (lxml, safely) -> entries
    poll.py      fetching a feed with the Fetcher (conditional requests, sitemap indexes)
    discover.py  entries -> new watches (deduplicated), feed-side metadata changes
    pacer.py     how often each article found through a feed is checked

The URL keys (:mod:`monitor.urls`) and the decaying schedule (:mod:`monitor.pace`) sit at the
bottom of the import graph, below config and store, which use them too.
"""

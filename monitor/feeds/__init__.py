"""Following whole sites: feeds and sitemaps -> new articles -> watches on a decaying schedule.

Modules::

    urls.py      the key of a URL: what makes two feed links the same article
    pace.py      the decaying schedule: interval_for(age, last_change_age, schedule)
    parse.py     RSS 2.0 / Atom 1.0 (feedparser) and sitemaps (lxml, safely) -> entries
    poll.py      fetching a feed with the Fetcher (conditional requests, sitemap indexes)
    discover.py  entries -> new watches (deduplicated), feed-side metadata changes, pacing

Nothing here imports this package's heavy modules at import time, so :mod:`monitor.config` and
:mod:`monitor.store` can use ``urls`` and ``pace`` cheaply.
"""

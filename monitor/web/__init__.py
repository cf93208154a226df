"""The read-only web UI and JSON API over the database (``monitor serve``).

Public API::

    create_app(db_path, *, token=None, allowed_hosts=(), default_interval=None) -> Starlette
                                                       the ASGI app
    serve(db_path, host, port, token)                  run it (blocking; monitor serve)
    build_server(app, host, port) -> uvicorn.Server    run it in an existing event loop
    EmbeddedWeb(db_path, host, port, token)            bound at once; await run(), stop()

Modules::

    app.py        routes, templates, error handling (one place)
    security.py   security headers, the access token (or, without one, a loopback Host),
                  ?token= kept out of the access log
    db.py         a pool of read-only connections, one per request
    views.py      what pages and API share: lookups (404s), the watch-list query, rendering
    pages.py      the HTML pages            api.py      the JSON API
    feeds.py      the Atom feeds            openapi.py  the API's OpenAPI 3.1 description
    diffview.py   a diff laid out as paragraphs, folded, inline or side by side
    diffcache.py  an LRU of computed comparisons (stored changes carry their own diff)
    search.py     full-text search (FTS5 trigram; a bounded scan for short words)
    server.py     uvicorn: serve() and build_server()
    templates/    Jinja2 (autoescaped)      static/     CSS and the diff page's keyboard JS
"""

from __future__ import annotations

from monitor.web.app import create_app
from monitor.web.server import EmbeddedWeb, build_server, is_loopback, serve

__all__ = ["EmbeddedWeb", "build_server", "create_app", "is_loopback", "serve"]

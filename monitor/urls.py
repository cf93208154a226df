"""The key of a URL: two links with the same key are the same article.

Scheme and host are lowercased, an internationalised host written in punycode (IDNA) and its
trailing dot dropped, the default port and the fragment dropped, and tracking parameters
removed (``utm_*``, ``pk_*``, ``mtm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``mc_eid``,
``ref_src``, ...). Every other query parameter stays, in its order: ``?p=123`` is an article
of its own, and ``?ref=main`` (a branch on GitHub or GitLab) is kept. The path is kept as
written (``/a`` and ``/a/`` may be different pages on some sites), but for its dot segments,
resolved as a browser resolves them (``/news/../news/a`` is ``/news/a``); so is the scheme:
``http://`` and ``https://`` are not folded together (a site may serve different things on
each; a page naming the other one as its ``<link rel=canonical>`` is found as the same
article anyway).
"""

from __future__ import annotations

import functools
import ipaddress
from urllib.parse import unquote_plus, urljoin, urlsplit, urlunsplit

import idna
from publicsuffixlist import PublicSuffixList

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "twclid",
        "igshid",
        "mc_cid",
        "mc_eid",
        "ref_src",  # Twitter/X embeds
        "ref_url",
        "_hsenc",
        "_hsmi",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt_mc",
        "cmpid",
        "ito",
        # AT Internet / Piano Analytics campaign parameters (exactly these, not every at_*)
        "at_medium",
        "at_campaign",
        "at_platform",
        "at_creation",
        "at_variant",
        "at_format",
        "at_send_date",
        "at_recipient_id",
        "at_recipient_list",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_")  # Google Analytics, Matomo (Piwik)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking(name: str) -> bool:
    """True for a query parameter that only tracks where a click came from."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def normal_host(host: str) -> str:
    """A host name lowercased, without its trailing dot, in punycode (``bücher.example`` ->
    ``xn--bcher-kva.example``); one IDNA cannot encode is only lowercased."""
    host = host.lower().rstrip(".")
    if host.isascii():
        return host
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError:
        return host


def url_key(url: str) -> str:
    """The canonical key of ``url`` (see the module docstring); a bad URL is its own key."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = normal_host(parts.hostname or "")
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    path = parts.path or "/"
    if "/." in path:  # dot segments resolved as a browser does: /news/../news/a = /news/a
        path = urlsplit(urljoin("http://h/", path)).path
    return urlunsplit((scheme, host, path, _without_tracking(parts.query), ""))


def _without_tracking(query: str) -> str:
    """The query string without tracking parameters, the others untouched and in order."""
    kept = [
        piece
        for piece in query.split("&")
        if piece and not is_tracking(unquote_plus(piece.split("=", 1)[0]))
    ]
    return "&".join(kept)


def canonical_key(canonical_url: str | None) -> str | None:
    """The key of a page's ``<link rel=canonical>``, or None when it says nothing useful: absent,
    or a site's home page (some sites give every article the home page as canonical): no path
    and no query (``/?p=123``, a WordPress plain permalink, is an article)."""
    if not canonical_url or not canonical_url.startswith(("http://", "https://")):
        return None
    key = url_key(canonical_url)
    parts = urlsplit(key)
    return None if parts.path in ("", "/") and not parts.query else key


def clean_url(url: str) -> str:
    """The URL a watch found through a feed gets: :func:`url_key`'s form of ``url``: scheme
    and host lowercased, the host in punycode and without a trailing dot, the default port,
    the fragment and tracking parameters dropped, an empty path made ``/``; the scheme, the
    path and the other query parameters (in order) kept as written."""
    return url_key(url)


# -- whose site an entry is on --------------------------------------------------------------


@functools.cache
def _suffixes() -> PublicSuffixList:
    """The list bundled with the package (it never fetches one), read when first needed:
    reading it costs about 50 ms, which a `monitor check` of pages without site-bound
    headers or cookies never needs to pay."""
    return PublicSuffixList()


def site_of(host: str) -> str:
    """The registrable part of a host name by the Public Suffix List, its private section
    included (``news.example.co.uk`` -> ``example.co.uk``; ``foo.blogspot.com`` and
    ``foo.github.io`` are sites of their own). An IP address, a public suffix itself or a
    name the list cannot place (``localhost``) is itself."""
    host = normal_host(host)
    try:
        ipaddress.ip_address(host.strip("[]"))
        return host
    except ValueError:
        pass
    return _suffixes().privatesuffix(host) or host


def host_of(url: str) -> str:
    """The normalised host of ``url`` (empty for a URL without one)."""
    try:
        return normal_host(urlsplit(url.strip()).hostname or "")
    except ValueError:
        return ""


def is_web_url(url: str) -> bool:
    """An http(s) URL with a host (not ``javascript:``, ``mailto:``, ``file:``, ``ftp:``...)."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def same_site(url: str, feed_url: str) -> bool:
    """Whether ``url`` is on the site of ``feed_url``: the same registrable domain by the
    Public Suffix List (a feed at example.com lists www.example.com and news.example.com;
    evil.blogspot.com is not foo.blogspot.com)."""
    host, feed_host = host_of(url), host_of(feed_url)
    if not host or not feed_host:
        return False
    return host == feed_host or site_of(host) == site_of(feed_host)


#: what schema version 4's :func:`url_key` also dropped: ``ref`` and every ``at_*``
_V4_DROPPED = ("ref",)


def legacy_key(url: str) -> str:
    """The URL key schema version 4 gave ``url``: :func:`url_key` without ``ref`` nor any
    ``at_*`` parameter either (a watch a feed found then was stored under that URL)."""
    key = url_key(url)
    parts = urlsplit(key)
    kept = [
        piece
        for piece in parts.query.split("&")
        if piece
        and (name := unquote_plus(piece.split("=", 1)[0]).lower()) not in _V4_DROPPED
        and not name.startswith("at_")
    ]
    return urlunsplit(parts._replace(query="&".join(kept)))


def page_key(url: str) -> tuple[str, str]:
    """What makes two URLs the same page: host (without www.) and path (without a trailing
    slash); scheme, query and fragment aside."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    return host, parts.path.rstrip("/") or "/"

"""The key of a URL: two links with the same key are the same article.

Scheme and host are lowercased, the default port and the fragment dropped, and tracking
parameters removed (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``mc_eid``, ``ref``, ...).
Every other query parameter stays, in its order: ``?p=123`` is an article of its own.
The path is kept as written (``/a`` and ``/a/`` may be different pages on some sites).
"""

from __future__ import annotations

from urllib.parse import unquote_plus, urlsplit, urlunsplit

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
        "ref",
        "ref_src",
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
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "at_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking(name: str) -> bool:
    """True for a query parameter that only tracks where a click came from."""
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def url_key(url: str) -> str:
    """The canonical key of ``url`` (see the module docstring); a bad URL is its own key."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    return urlunsplit((scheme, host, parts.path or "/", _without_tracking(parts.query), ""))


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
    or a site's home page (some sites give every article the home page as canonical)."""
    if not canonical_url or not canonical_url.startswith(("http://", "https://")):
        return None
    key = url_key(canonical_url)
    return None if urlsplit(key).path in ("", "/") else key


def clean_url(url: str) -> str:
    """``url`` without tracking parameters and fragment: the URL a discovered watch gets."""
    return url_key(url)

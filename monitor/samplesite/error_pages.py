"""Pages a site serves with status 200 instead of the article (``errors.tmpl``)."""

from __future__ import annotations

from datetime import datetime
from typing import Final

from monitor.samplesite.data import fill
from monitor.samplesite.noise import Noise, token

ERROR_KINDS: Final = ("maintenance", "not_found", "challenge", "login")


def error_page(kind: str, noise: Noise | None = None) -> str:
    """A 200-status page that is not the article: maintenance, soft 404, bot challenge, login."""
    if kind not in ERROR_KINDS:
        raise ValueError(f"unknown error page {kind!r}; allowed: {', '.join(ERROR_KINDS)}")
    noise = noise or Noise()
    moment = datetime.fromisoformat(noise.timestamp)
    return fill(
        "errors.tmpl",
        kind,
        request_id=token(noise, "request", 8),
        when=f"{moment:%Y-%m-%d %H:%M}",
        year=moment.year,
        nonce=token(noise, "error-nonce"),
        ray=f"{token(noise, 'ray', 16)}-NRT",
        hash=token(noise, "hash", 32),
        token=token(noise, "cf-token", 40),
        md=token(noise, "md", 64),
    )

"""Conditional-request validators that can be true, and only those.

A validator is sent back as ``If-None-Match`` / ``If-Modified-Since`` on every later request
of the page, so a wrong one does lasting harm: a ``Last-Modified`` in the future makes an
origin that follows RFC 9110 answer 304 until that date, and the watch sees no edit meanwhile.
So an ETag that is not an entity-tag (``"..."`` or ``W/"..."``, RFC 9110 section 8.8.3) and a
Last-Modified that is no HTTP date, or one later than the answer's own ``Date`` (an origin
must not send one, RFC 9110 section 8.8.2.1), are dropped when the answer is read; before a
stored one is sent, a Last-Modified ahead of this machine's clock (by more than
:data:`CLOCK_SKEW`) is dropped too.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from monitor.models import Validators

_ENTITY_TAG = re.compile(r'(?:W/)?"[\x21\x23-\x7e\x80-\xff]*"')
MAX_ETAG = 1024
#: How far a server's clock may run ahead of ours before its Last-Modified is not sent back.
CLOCK_SKEW = timedelta(minutes=5)


def http_date(value: str | None) -> datetime | None:
    """An HTTP date (any of RFC 9110's three forms) as an aware datetime; None if it is not one."""
    if not value or len(value) > 100:
        return None
    try:
        moment = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sane_validators(validators: Validators, now: datetime) -> Validators:
    """``validators`` without those that cannot be true at ``now`` (the answer's Date)."""
    etag = validators.etag
    if etag is not None and (len(etag) > MAX_ETAG or not _ENTITY_TAG.fullmatch(etag.strip())):
        etag = None
    last_modified = validators.last_modified
    if last_modified is not None:
        moment = http_date(last_modified)
        if moment is None or moment > now:
            last_modified = None
    return Validators(etag=etag.strip() if etag else None, last_modified=last_modified)

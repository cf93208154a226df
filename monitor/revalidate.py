"""Which validators a check sends: conditional requests, confirmed now and then.

A page that answers 304 costs one round trip; but an origin whose validators went wrong (a
Last-Modified in the future, a CDN answering 304 to everything) could hide an edit for good,
so a run of 304s is confirmed by an unconditional fetch now and then.
"""

from __future__ import annotations

import logging
from datetime import datetime

from monitor.models import Validators
from monitor.store import Store, Watch

log = logging.getLogger(__name__)

#: A run of 304 answers is confirmed now and then by an unconditional fetch: once this many
#: checks in a row were answered 304, or this long after the last full answer (by the
#: checker's clock), whichever comes first. An origin whose validators went wrong (a
#: Last-Modified in the future, a CDN answering 304 to everything) cannot hide an edit longer.
REVALIDATE_AFTER_304S = 10
REVALIDATE_AFTER_SECONDS = 24 * 3600


def validators_to_send(store: Store, watch: Watch, now: str) -> Validators:
    """The validators a check of ``watch`` sends: none without a baseline, and none when a
    run of 304s is due to be confirmed (:data:`REVALIDATE_AFTER_304S`,
    :data:`REVALIDATE_AFTER_SECONDS`, ``now`` being the checker's clock)."""
    if watch.current_snapshot_id is None or not (watch.etag or watch.last_modified):
        return Validators()
    run, last_full = store.versions.not_modified_run(watch.id)
    if run >= REVALIDATE_AFTER_304S:
        log.info("watch=%s: %d answers of 304 in a row: fetching in full", watch.label, run)
        return Validators()
    if run and last_full is not None:
        age = _seconds_between(last_full, now)
        if age is not None and age >= REVALIDATE_AFTER_SECONDS:
            log.info("watch=%s: no full answer for %.0fs: fetching in full", watch.label, age)
            return Validators()
    return Validators(watch.etag, watch.last_modified)


def _seconds_between(earlier: str, later: str) -> float | None:
    """Seconds from one ISO-8601 time to another; None if either is not one."""
    try:
        start, end = datetime.fromisoformat(earlier), datetime.fromisoformat(later)
        if (start.tzinfo is None) != (end.tzinfo is None):
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        return (end - start).total_seconds()
    except ValueError:
        return None

"""The notifications a check raises, and the failure state they go by.

    change      the check found a change (not a flap)
    removed     the page answered 404/410 on ``gone_after`` checks in a row; returned: back
    failing     the watch's failure is told (below)
    recovered   a good check ended a failure that was told

A failure is a run of failed checks, from the first to the good check that ends it. It is
told once (``failing``), when it has lasted ``notify_after_errors`` checks; its end is told
(``recovered``) only if the failure was. A watch is *flapping* when a failure begins less
than :data:`FLAPPING_WINDOW` after it recovered from one that was told (or from one that
began while it was flapping already): its failure is told only once it has lasted
:data:`FLAPPING_FACTOR` times as many checks, or the whole window, whichever comes first,
and the notice says it was held back. A site that fails and recovers in turns tells one
failure and its recovery, then nothing while it goes on; a long outage is always told.
A failure is told only to a channel: while none takes ``failing`` it stays untold.

Why these numbers: a flaky site's failures each last about ``notify_after_errors`` checks,
which is what made every one of them a notice; a failure four times that long is not its
usual flap. Counting checks scales with the watch's interval, as the setting does; the day
bounds the delay for a watch checked rarely (4 × 3 daily checks would be 12 days): no
outage goes untold longer than a day, or than ``notify_after_errors`` checks take. The state
(:class:`~monitor.store.FailureState`) is stored with the check, in its transaction, so it
survives restarts and a crash leaves notices and state agreeing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from monitor.clock import parse_moment
from monitor.models import CheckStatus
from monitor.store import CheckRecord, FailureState, OutboxItem, Watch

#: A failure that begins this soon after the last recovery is a flap.
FLAPPING_WINDOW = timedelta(days=1)
#: A flapping watch's failure is told after this many times ``notify_after_errors`` checks
#: (or once it has lasted :data:`FLAPPING_WINDOW`, if that comes first).
FLAPPING_FACTOR = 4

Payload = tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Notice:
    """One notification a check raises, before it is addressed to channels."""

    kind: str
    payload: Payload = ()


def check_notices(
    watch: Watch, record: CheckRecord, threshold: int, channels: Mapping[str, tuple[str, ...]]
) -> tuple[tuple[OutboxItem, ...], FailureState]:
    """What the check of ``watch`` that ``record`` describes tells, to each of the
    ``channels`` that takes it (event kind -> channel names), and the watch's failure state
    after it (``threshold``: the setting ``notify_after_errors``). A failure is told only to
    a channel: with none for ``failing`` (``monitor check --no-notify``, none configured
    yet) it stays untold, and is told by the first check that has one."""
    found: list[Notice] = []
    if record.change is not None and record.change.kind != "flap":
        found.append(Notice("change"))
    if record.status.is_error:
        tells = bool(channels.get("failing"))
        told, failure = _after_failed_check(watch, record, threshold, tells=tells)
    else:
        told, failure = _after_good_check(watch, record)
    # a page back online before what changed on it ("back", then "changed" in a chat)
    return _outbox_items((*told, *found), channels), failure


def _outbox_items(
    notices: tuple[Notice, ...], channels: Mapping[str, tuple[str, ...]]
) -> tuple[OutboxItem, ...]:
    """``notices`` for each channel that takes their kind."""
    return tuple(
        OutboxItem(notice.kind, channel, notice.payload)
        for notice in notices
        for channel in channels.get(notice.kind, ())
    )


def is_flapping(recovered_at: str | None, since: str | None) -> bool:
    """Whether a failure that began at ``since`` began within :data:`FLAPPING_WINDOW` of
    the recovery at ``recovered_at``."""
    if recovered_at is None or since is None:
        return False
    return parse_moment(since) - parse_moment(recovered_at) < FLAPPING_WINDOW


def is_due(streak: int, since: str, now: str, threshold: int, *, flapping: bool) -> bool:
    """Whether a failure of ``streak`` failed checks, begun at ``since``, is told at ``now``."""
    if streak < threshold:
        return False
    if not flapping:
        return True
    lasted = parse_moment(now) - parse_moment(since)
    return streak >= FLAPPING_FACTOR * threshold or lasted >= FLAPPING_WINDOW


def _after_failed_check(
    watch: Watch, record: CheckRecord, threshold: int, *, tells: bool
) -> tuple[list[Notice], FailureState]:
    """A removal, or the failure told (if a channel ``tells`` failures); the failure goes
    on (or begins)."""
    state = watch.failure
    streak, since = watch.error_streak + 1, state.since or record.checked_at
    failure = FailureState(since, state.told_at, state.recovered_at)
    if record.status is CheckStatus.GONE:
        if watch.last_status == CheckStatus.GONE.value:
            return [], failure
        return [Notice("removed", (("error", record.error), ("streak", streak)))], failure
    if not tells or state.told_at is not None:
        return [], failure
    flapping = is_flapping(state.recovered_at, since)
    if not is_due(streak, since, record.checked_at, threshold, flapping=flapping):
        return [], failure
    payload: Payload = (("error", record.error), ("streak", streak), ("since", since))
    if flapping:
        payload += (("flapping", True), ("recovered_at", state.recovered_at))
    told = FailureState(since, record.checked_at, state.recovered_at)
    return [Notice("failing", payload)], told


def _after_good_check(watch: Watch, record: CheckRecord) -> tuple[list[Notice], FailureState]:
    """The page back (after a removal) or the told failure's recovery; no failure now."""
    state = watch.failure
    if watch.error_streak == 0:
        return [], FailureState(recovered_at=state.recovered_at)
    found: list[Notice] = []
    if watch.last_status == CheckStatus.GONE.value:
        found.append(Notice("returned", (("streak", watch.error_streak),)))
    elif state.told_at is not None:
        payload = (("streak", watch.error_streak), ("since", state.since))
        found.append(Notice("recovered", payload))
    flapped = state.told_at is not None or is_flapping(state.recovered_at, state.since)
    return found, FailureState(recovered_at=record.checked_at if flapped else state.recovered_at)

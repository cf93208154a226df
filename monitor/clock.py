"""Time as monitor reads it: one clock, passed in wherever "now" matters.

Code that asks what time it is takes a :data:`Clock` (a function returning an aware UTC
``datetime``), defaulting to :func:`system_clock`; tests pass a clock of their own, so no
result depends on the day the code runs. Times are stored as UTC ISO-8601 strings with
seconds (:func:`iso`) and read back with :func:`parse_moment`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

#: A source of the current time: an aware datetime in UTC.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The machine's current time, in UTC."""
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    """``moment`` as stored: UTC ISO-8601 with seconds (a naive time is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def parse_moment(value: str) -> datetime:
    """A stored ISO-8601 time as an aware datetime (no offset: UTC)."""
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

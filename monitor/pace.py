"""The decaying schedule of an article found through a feed, as pure functions of time.

A new article is checked often while it is fresh and less as it ages (as NewsDiffs and
diffengine do): by default every 15 minutes for its first 6 hours, hourly up to 2 days, every
6 hours up to 2 weeks, daily up to 60 days, then never again (the watch is *retired*; its
history stays) unless ``keep_after`` keeps it at a slow pace. A detected change brings it back
to the first tier's pace for ``reset_for`` (the first tier's length, by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from monitor.clock import iso, parse_moment

MINUTE, HOUR, DAY = 60.0, 3600.0, 86400.0


@dataclass(frozen=True)
class Tier:
    """Up to age ``until`` (seconds since publication), check every ``every`` seconds."""

    until: float
    every: float


@dataclass(frozen=True)
class DecaySchedule:
    """Tiers in order of age; after the last one, ``keep_after`` seconds or retirement."""

    tiers: tuple[Tier, ...]
    keep_after: float | None = None
    reset_for: float | None = None  # after a change, the first tier's pace for this long

    @property
    def reset_window(self) -> float:
        """How long after a change the first tier's pace applies again."""
        return self.reset_for if self.reset_for is not None else self.tiers[0].until

    @property
    def horizon(self) -> float:
        """The age at which the tiers end."""
        return self.tiers[-1].until


DEFAULT_DECAY = DecaySchedule(
    tiers=(
        Tier(6 * HOUR, 15 * MINUTE),
        Tier(2 * DAY, HOUR),
        Tier(14 * DAY, 6 * HOUR),
        Tier(60 * DAY, DAY),
    )
)


@dataclass(frozen=True)
class Pace:
    """How often an article is checked now, and why (``age 3h: every 15m``)."""

    interval: float | None  # None: retired, no more checks
    reason: str


def pace(age: float, last_change_age: float | None, schedule: DecaySchedule) -> Pace:
    """The pace of an article ``age`` seconds old whose last change was ``last_change_age``
    seconds ago (None: never changed)."""
    first = schedule.tiers[0]
    if last_change_age is not None and 0 <= last_change_age < schedule.reset_window:
        why = f"changed {format_duration(last_change_age)} ago"
        return Pace(first.every, f"{why}: every {format_duration(first.every)}")
    aged = f"age {format_duration(max(age, 0.0))}"
    for tier in schedule.tiers:
        if age < tier.until:
            return Pace(tier.every, f"{aged}: every {format_duration(tier.every)}")
    if schedule.keep_after is not None:
        return Pace(schedule.keep_after, f"{aged}: every {format_duration(schedule.keep_after)}")
    return Pace(None, f"{aged}: retired (older than {format_duration(schedule.horizon)})")


def interval_for(
    age: float, last_change_age: float | None, schedule: DecaySchedule = DEFAULT_DECAY
) -> float | None:
    """Seconds until the next check of an article, or None when it is retired."""
    return pace(age, last_change_age, schedule).interval


def article_pace(
    schedule: DecaySchedule, now: datetime, born: str, changed: str | None = None
) -> Pace:
    """The pace at ``now`` of an article published (or found) at ``born`` and last changed at
    ``changed`` (ISO-8601 times; None: never changed)."""
    since_change = (now - parse_moment(changed)).total_seconds() if changed else None
    return pace((now - parse_moment(born)).total_seconds(), since_change, schedule)


def next_due(
    schedule: DecaySchedule, now: datetime, born: str, checked: str | None, changed: str | None
) -> str | None:
    """When an article is due under ``schedule``: its last check plus the interval for its
    age now (now if never checked); None if the schedule retires it (its next check does)."""
    interval = article_pace(schedule, now, born, changed).interval
    if interval is None:
        return None
    return iso(parse_moment(checked) + timedelta(seconds=interval) if checked else now)


_UNITS = (("d", DAY), ("h", HOUR), ("m", MINUTE), ("s", 1.0))


def format_duration(seconds: float) -> str:
    """``5400`` -> ``1h30m``; ``172800`` -> ``2d``; at most two units, rounded down."""
    seconds = int(seconds)
    parts: list[str] = []
    for unit, size in _UNITS:
        count, seconds = divmod(seconds, int(size))
        if count and len(parts) < 2:
            parts.append(f"{count}{unit}")
        elif parts:
            break
    return "".join(parts) or "0s"

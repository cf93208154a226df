"""Scheduling with a steppable clock: first runs after a start, intervals and jitter bounds."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from monitor.schedule import WatchTiming, make_trigger, plan_first_runs


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def step(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now


def test_future_checks_keep_their_time_after_a_restart() -> None:
    clock = Clock()
    later = clock.now + timedelta(minutes=20)
    plan = plan_first_runs([WatchTiming(1, 3600, later.isoformat())], clock.now, spread=60)
    assert plan[1] == later


def test_overdue_and_new_watches_are_spread_not_all_at_once() -> None:
    clock = Clock()
    overdue = (clock.now - timedelta(hours=5)).isoformat()
    timings = [WatchTiming(i, 3600, overdue if i % 2 else None) for i in range(200)]
    plan = plan_first_runs(timings, clock.now, spread=60, rng=random.Random(1).random)
    offsets = sorted((t - clock.now).total_seconds() for t in plan.values())
    assert offsets[0] >= 0 and offsets[-1] <= 20  # 200 watches at 10 per second
    assert len({round(o) for o in offsets}) > 15  # spread over the window, not one burst
    assert sum(1 for o in offsets if o < 1) < 25


def test_a_few_watches_start_at_once_many_are_capped_by_spread() -> None:
    clock = Clock()
    few = plan_first_runs([WatchTiming(i, 3600) for i in range(3)], clock.now, spread=60)
    assert max((t - clock.now).total_seconds() for t in few.values()) <= 1
    many = [WatchTiming(i, 3600) for i in range(10_000)]
    plan = plan_first_runs(many, clock.now, spread=60, rng=lambda: 0.999)
    assert max((t - clock.now).total_seconds() for t in plan.values()) <= 60


def test_spread_never_exceeds_the_interval() -> None:
    clock = Clock()
    plan = plan_first_runs([WatchTiming(1, 5, None)], clock.now, spread=600, rng=lambda: 0.999)
    assert (plan[1] - clock.now).total_seconds() <= 5


def test_naive_stored_times_are_utc() -> None:
    clock = Clock()
    stored = (clock.now + timedelta(minutes=1)).replace(tzinfo=None).isoformat()
    plan = plan_first_runs([WatchTiming(1, 60, stored)], clock.now, spread=10)
    assert plan[1] == clock.now + timedelta(minutes=1)


def test_interval_and_jitter_bounds() -> None:
    clock = Clock()
    first = clock.now + timedelta(seconds=30)
    trigger = make_trigger(600, 60, first)
    fire = trigger.get_next_fire_time(None, clock.now)
    assert first <= fire <= first + timedelta(seconds=60)
    previous = first
    for _ in range(50):
        clock.step(600)
        fire = trigger.get_next_fire_time(previous, clock.now)
        assert previous + timedelta(seconds=600) <= fire <= previous + timedelta(seconds=660)
        previous = previous + timedelta(seconds=600)


def test_no_jitter_is_exact() -> None:
    clock = Clock()
    trigger = make_trigger(60, 0, clock.now)
    assert trigger.get_next_fire_time(clock.now, clock.now) == clock.now + timedelta(seconds=60)


def test_jitter_is_at_most_a_fifth_of_the_interval() -> None:
    clock = Clock()
    trigger = make_trigger(2, 60, clock.now)
    for _ in range(50):
        fire = trigger.get_next_fire_time(clock.now, clock.now)
        assert clock.now + timedelta(seconds=2) <= fire <= clock.now + timedelta(seconds=2.4)


def test_a_shortened_interval_brings_a_stored_next_check_forward() -> None:
    clock = Clock()
    far = (clock.now + timedelta(hours=1)).isoformat()
    plan = plan_first_runs([WatchTiming(1, 60, far)], clock.now, spread=10)
    assert plan[1] == clock.now + timedelta(seconds=60)


def test_an_interval_stored_before_intervals_had_a_limit_is_held_to_a_year() -> None:
    """`monitor add --interval 9999999d` was once accepted: the scheduler could compute no
    date for it and stopped checking every watch. Such a stored interval is a year now."""
    from monitor.config import MAX_INTERVAL, Config
    from monitor.service import _interval
    from monitor.store.watches import Scheduled

    stored = Scheduled(1, "https://example.test/a", None, 9999999 * 86400.0, None)
    assert _interval(stored, Config()) == MAX_INTERVAL
    now = datetime(2026, 12, 8, tzinfo=UTC)
    trigger = make_trigger(_interval(stored, Config()), 0, now)
    assert trigger.get_next_fire_time(now, now + timedelta(seconds=1)) == now + timedelta(days=365)


def test_a_check_still_running_at_its_next_time_is_no_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A page slower than its interval is checked once at a time: APScheduler's "skipped:
    maximum number of running instances" is debug, not a warning at every interval."""
    import logging

    from monitor.schedule import WatchScheduler

    WatchScheduler(lambda watch_id: None)  # type: ignore[arg-type,return-value]
    scheduler_log = logging.getLogger("apscheduler.scheduler")
    with caplog.at_level(logging.INFO):
        scheduler_log.warning(
            'Execution of job "%s" skipped: maximum number of running instances reached (%d)',
            "watch-1",
            1,
        )
        scheduler_log.warning("another warning")
    assert [r.getMessage() for r in caplog.records] == ["another warning"]

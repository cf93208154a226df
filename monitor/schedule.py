"""When each watch is checked: APScheduler 3 behind a small interface.

This is the only module that imports APScheduler. Each watch is one job with an interval
trigger (its interval, plus a random jitter of up to ``jitter`` seconds, at most a fifth of
the interval, on every run). Jobs
never overlap for one watch, and a run that comes late is run late, once, not skipped.

Articles found through feeds (possibly tens of thousands, each on a pace that changes after
every check) are not jobs: one dispatcher job (:mod:`monitor.follow`) reads the due ones from
SQLite (``watches.next_check_at``, indexed) every second, in batches; see
``bench/feeds.py`` for the comparison with one job per article.

Next-check times live in SQLite (``watches.next_check_at``), so after a restart
:func:`plan_first_runs` keeps every watch's schedule: watches still due later keep their
time, overdue and new ones are checked soon but spread over a window, not all at once.
"""

from __future__ import annotations

import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

log = logging.getLogger(__name__)


class _StillRunning(logging.Filter):
    """APScheduler's warning that a job was skipped because its last run has not ended: a
    page slower than its interval is checked once at a time, as meant (its next check is
    simply the next due time), not a fault to warn of at every interval. Kept at debug."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "maximum number of running instances" in str(record.msg):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)
        return True


RunCheck = Callable[[int], Awaitable[None]]
Job = Callable[[], Awaitable[None]]
MIN_SPREAD = 1.0
MAX_JITTER_SHARE = 0.2
STARTUP_RATE = 10.0  # overdue watches checked per second, at most, right after a start


@dataclass(frozen=True)
class WatchTiming:
    """What the scheduler needs to know of a watch."""

    watch_id: int
    interval: float
    next_check_at: str | None = None


def plan_first_runs(
    watches: Iterable[WatchTiming],
    now: datetime,
    *,
    spread: float,
    rate: float = STARTUP_RATE,
    rng: Callable[[], float] = random.random,
) -> dict[int, datetime]:
    """The first check time of each watch after a start.

    A stored next check still ahead is kept (brought forward to one interval from now if the
    interval was shortened since). Overdue and never-checked watches are spread
    at random from ``now`` over a window that grows with their number (``rate`` checks per
    second) up to ``spread`` seconds, and never beyond a watch's interval: a restart after a
    long stop does not fetch everything at once, and a few watches are checked at once.
    """
    timings = list(watches)
    plan: dict[int, datetime] = {}
    due = []
    for timing in timings:
        stored = _parse(timing.next_check_at)
        if stored is not None and stored > now:
            plan[timing.watch_id] = min(stored, now + timedelta(seconds=timing.interval))
        else:
            due.append(timing)
    window = min(spread, len(due) / rate)
    for timing in due:
        seconds = max(MIN_SPREAD, min(window, timing.interval))
        plan[timing.watch_id] = now + timedelta(seconds=rng() * seconds)
    return plan


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def effective_jitter(interval: float, jitter: float) -> float:
    """The jitter actually applied: at most a fifth of the interval."""
    return min(jitter, interval * MAX_JITTER_SHARE)


def make_trigger(interval: float, jitter: float, first_run: datetime) -> IntervalTrigger:
    """Every ``interval`` seconds from ``first_run``, each run up to ``jitter`` s later
    (jitter capped at a fifth of the interval, so short intervals stay short)."""
    spread = effective_jitter(interval, jitter)
    return IntervalTrigger(
        seconds=interval, start_date=first_run, jitter=spread or None, timezone=UTC
    )


class WatchScheduler:
    """One APScheduler job per watch, calling ``run_check(watch_id)`` on the event loop."""

    def __init__(self, run_check: RunCheck) -> None:
        self._run_check = run_check
        self._scheduler = AsyncIOScheduler(
            timezone=UTC,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._intervals: dict[int, float] = {}
        scheduler_log = logging.getLogger("apscheduler.scheduler")
        if not any(isinstance(f, _StillRunning) for f in scheduler_log.filters):
            scheduler_log.addFilter(_StillRunning())

    def start(self) -> None:
        """Start running jobs (call from inside the running event loop)."""
        self._scheduler.start()

    def pause(self) -> None:
        """Submit no more jobs; jobs already running go on."""
        self._scheduler.pause()

    def shutdown(self) -> None:
        """Stop the scheduler (call once running jobs have finished)."""
        if self._scheduler.running:
            self._scheduler.shutdown(wait=False)

    def schedule(self, watch_id: int, interval: float, jitter: float, first_run: datetime) -> None:
        """Check ``watch_id`` at ``first_run``, then every ``interval`` seconds."""
        self._scheduler.add_job(
            self._run_check,
            make_trigger(interval, jitter, first_run),
            args=[watch_id],
            id=str(watch_id),
            name=f"check watch {watch_id}",
            replace_existing=True,
        )
        self._intervals[watch_id] = interval

    def unschedule(self, watch_id: int) -> None:
        """Stop checking ``watch_id``."""
        self._intervals.pop(watch_id, None)
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(str(watch_id))

    def every(self, job_id: str, job: Job, interval: float, first_run: datetime) -> None:
        """Run ``job`` at ``first_run``, then every ``interval`` seconds (a feed's polls, the
        due-articles dispatcher); ``job_id`` must not be a watch id."""
        self._scheduler.add_job(
            job,
            IntervalTrigger(seconds=interval, start_date=first_run, timezone=UTC),
            id=job_id,
            name=job_id,
            replace_existing=True,
        )

    def cancel(self, job_id: str) -> None:
        """Stop running the job ``job_id`` (scheduled with :meth:`every`)."""
        with contextlib.suppress(JobLookupError):
            self._scheduler.remove_job(job_id)

    def interval(self, watch_id: int) -> float | None:
        """The interval ``watch_id`` is scheduled with, if it is scheduled."""
        return self._intervals.get(watch_id)

    def scheduled(self) -> set[int]:
        """The ids of the scheduled watches."""
        return set(self._intervals)

    def next_run(self, watch_id: int) -> datetime | None:
        """When ``watch_id`` is checked next."""
        job = self._scheduler.get_job(str(watch_id))
        return job.next_run_time if job is not None else None

"""Failure notices (monitor.notices): a failure is told once and its recovery only if it was
told; a watch that fails again soon after a told failure (flapping) is quiet but for a long
outage, which is always told and says why it came late; the state is stored with each check
and survives restarts. A real HTTP server on 127.0.0.1, a real database file, a steppable
clock (no test depends on the day, none sleeps)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from harness import Harness, Site, StepClock, static
from server import Response

from monitor import samplesite
from monitor.errors import StoreError
from monitor.notices import FLAPPING_FACTOR, FLAPPING_WINDOW, is_due, is_flapping
from monitor.notify import event_payload
from monitor.outbox import Outbox
from monitor.pipeline import CheckResult
from monitor.store import OutboxRow, Store, Watch

KINDS = ("change", "failing", "recovered", "removed", "returned")
CHANNELS = {kind: ("hook",) for kind in KINDS}
T0 = "2026-12-01T09:00:00+00:00"


class Watched:
    """A watch of ``site`` checked by ``harness`` once per step of the clock (an hour unless
    told), its notices (for ``channels``) read back from the outbox. Added and checked once
    (its first version, at T0 + 1h) unless ``watch`` is given."""

    def __init__(
        self,
        harness: Harness,
        site: Site,
        clock: StepClock,
        watch: Watch | None = None,
        channels: dict[str, tuple[str, ...]] = CHANNELS,
    ) -> None:
        self.harness, self.site, self.clock, self.channels = harness, site, clock, channels
        if watch is None:
            watch = harness.store.watches.add(site.url, name="flaky")
            self.watch = watch
            self.run("o")
        self.watch = watch

    def run(self, pattern: str, *, hours: float = 1) -> list[CheckResult]:
        """One check per letter: ``x`` the server answers 503, ``g`` 410, ``o`` the page."""
        answers = {"x": static(Response(503, {}, b"down")), "g": static(Response(410, {}, b""))}
        results = []
        for letter in pattern:
            self.clock.step(hours=hours)
            self.site.override = answers.get(letter)
            results.append(self.harness.check(self.watch, clock=self.clock, channels=self.channels))
        return results

    def rows(self) -> list[OutboxRow]:
        return self.harness.store.outbox.of(self.watch)

    def told(self) -> list[str]:
        return [row.kind for row in self.rows()]

    def state(self) -> Watch:
        return self.harness.store.watches.get(self.watch.id)


@pytest.fixture
def clock() -> StepClock:
    return StepClock()


@pytest.fixture
def watched(harness: Harness, ja_site: Site, clock: StepClock) -> Watched:
    return Watched(harness, ja_site, clock)


def at(hours: float) -> str:
    """The clock's time ``hours`` after the watch's first check (at T0 + 1h)."""
    return (StepClock().now + timedelta(hours=1 + hours)).isoformat(timespec="seconds")


# -- the rule ------------------------------------------------------------------------------


def test_a_failure_is_due_at_the_threshold_unless_the_watch_is_flapping() -> None:
    assert not is_due(2, T0, "2026-12-01T11:00:00+00:00", 3, flapping=False)
    assert is_due(3, T0, "2026-12-01T11:00:00+00:00", 3, flapping=False)
    # flapping: FLAPPING_FACTOR times the checks, or the whole window, whichever is first
    assert not is_due(3, T0, "2026-12-01T11:00:00+00:00", 3, flapping=True)
    assert not is_due(FLAPPING_FACTOR * 3 - 1, T0, "2026-12-01T19:00:00+00:00", 3, flapping=True)
    assert is_due(FLAPPING_FACTOR * 3, T0, "2026-12-01T20:00:00+00:00", 3, flapping=True)
    assert not is_due(2, T0, "2026-12-05T09:00:00+00:00", 3, flapping=True)  # rare checks...
    assert is_due(4, T0, "2026-12-02T09:00:00+00:00", 3, flapping=True)  # ...told in a day
    assert timedelta(days=1) == FLAPPING_WINDOW


def test_a_failure_is_a_flap_if_it_begins_within_a_day_of_the_last_recovery() -> None:
    assert not is_flapping(None, T0)
    assert is_flapping(T0, "2026-12-02T08:59:59+00:00")
    assert not is_flapping(T0, "2026-12-02T09:00:00+00:00")


# -- through the checks --------------------------------------------------------------------


def test_a_flaky_site_tells_one_failure_and_its_recovery_then_goes_quiet(
    watched: Watched,
) -> None:
    watched.run("xxxo")
    assert watched.told() == ["failing", "recovered"]
    for _ in range(8):  # two days more of three failed checks and a good one, in turns
        watched.run("xxxo")
    assert watched.told() == ["failing", "recovered"]
    state = watched.state()
    assert state.recovered_at == at(36)  # its last recovery: flapping goes on
    assert (state.failing_since, state.failing_told_at, state.error_streak) == (None, None, 0)


def test_a_long_outage_after_a_flap_is_told_and_says_it_was_held_back(
    watched: Watched,
) -> None:
    watched.run("xxxo")  # told, recovered at +4h
    watched.run("xxxo")  # a flap: quiet; recovered at +8h
    results = watched.run("x" * 12)  # from +9h: a real outage
    assert watched.told() == ["failing", "recovered", "failing"]
    failing = watched.rows()[-1]
    assert failing.check_id == watched.harness.store.versions.checks(watched.watch)[0]["id"]
    assert failing.created_at == results[-1].checked_at == at(20)
    assert failing.payload == {
        "error": "HTTP 503 Service Unavailable",
        "streak": FLAPPING_FACTOR * 3,
        "since": at(9),
        "flapping": True,
        "recovered_at": at(8),
    }
    sent = event_payload(Outbox(watched.harness.store, watched.harness.config).event(failing))
    assert sent["summary"] == "failing (flapping): flaky: HTTP 503 Service Unavailable"
    assert sent["error_streak"] == 12
    assert sent["failure"] == {
        "since": at(9),
        "seconds": 11 * 3600,
        "flapping": True,
        "last_recovered_at": at(8),
    }
    watched.run("xxo")
    assert watched.told()[-1] == "recovered"
    recovered = watched.rows()[-1]
    assert recovered.payload == {"streak": 14, "since": at(9)}
    sent = event_payload(Outbox(watched.harness.store, watched.harness.config).event(recovered))
    assert (sent["error_streak"], sent["failure"]["seconds"]) == (14, 14 * 3600)


def test_a_flapping_watch_checked_rarely_is_told_within_a_day(watched: Watched) -> None:
    watched.run("xxxo", hours=8)
    watched.run("xxxx", hours=8)  # the fourth failed check is a day after the first
    failing = watched.rows()[-1]
    assert failing.kind == "failing" and failing.payload["streak"] == 4
    assert failing.payload["flapping"] is True


def test_a_watch_good_for_a_day_is_told_at_the_threshold_again(watched: Watched) -> None:
    watched.run("xxxo")
    watched.run("o" * 24)
    watched.run("xxx")
    assert watched.told() == ["failing", "recovered", "failing"]
    assert "flapping" not in watched.rows()[-1].payload


def test_recovered_is_never_sent_for_a_failure_that_was_not_told(watched: Watched) -> None:
    watched.run("xxo")  # under notify_after_errors (3): nothing to tell
    assert watched.told() == []
    watched.run("xxxo")
    watched.run("xxxxxo")  # a flap held back past the threshold, then over
    assert watched.told() == ["failing", "recovered"]


def test_removed_and_returned_are_told_as_before_even_while_flapping(watched: Watched) -> None:
    watched.run("xxxo")
    watched.run("gggo")  # gone_after (2) checks of 410: removed; then back
    watched.run("xxxggo")  # a flap, then removed, then back: no "failing", no "recovered"
    assert watched.told() == ["failing", "recovered", "removed", "returned", "removed", "returned"]
    assert watched.rows()[2].payload == {"error": "HTTP 410 Gone on 2 checks in a row", "streak": 2}


def test_the_failure_state_survives_a_restart(
    watched: Watched, harness: Harness, ja_site: Site, clock: StepClock
) -> None:
    watched.run("xx")

    @contextmanager
    def restarted() -> Iterator[Watched]:
        """The watch in another process's store (the daemon started again)."""
        with Store(harness.config.settings.database) as store:
            yield Watched(Harness(store, harness.config), ja_site, clock, watched.watch)

    with restarted() as later:  # the third failed check
        later.run("x")
        assert later.told() == ["failing"]
    with restarted() as later:
        later.run("xo")
        assert later.told() == ["failing", "recovered"]
        assert later.rows()[-1].payload == {"streak": 4, "since": at(1)}
    with restarted() as later:  # flapping is remembered too
        later.run("xxxo")
        assert later.told() == ["failing", "recovered"]
        assert later.state().recovered_at == at(9)


@pytest.mark.parametrize(
    "crash",
    [
        "BEFORE INSERT ON checks",
        "BEFORE INSERT ON outbox",
        "BEFORE UPDATE OF failing_told_at ON watches",
    ],
)
def test_a_check_that_cannot_be_written_leaves_the_notice_and_its_state_untold(
    watched: Watched, crash: str
) -> None:
    watched.run("xx")
    db = watched.harness.store.db
    db.execute(f"CREATE TRIGGER crash {crash} BEGIN SELECT RAISE(ABORT, 'crash'); END")
    with pytest.raises(StoreError, match="crash"):
        watched.run("x")
    state = watched.state()
    assert (state.error_streak, state.failing_told_at, watched.told()) == (2, None, [])
    db.execute("DROP TRIGGER crash")
    watched.run("x")  # told now, once, with the check that wrote it
    state = watched.state()
    assert (state.error_streak, state.failing_told_at) == (3, watched.rows()[0].created_at)
    assert watched.told() == ["failing"]


def test_a_failure_no_channel_took_is_told_by_the_first_check_that_has_one(
    harness: Harness, ja_site: Site, clock: StepClock
) -> None:
    watched = Watched(harness, ja_site, clock, channels={})  # `monitor check --no-notify`
    watched.run("xxx")
    assert (watched.told(), watched.state().failing_told_at) == ([], None)
    watched.channels = CHANNELS  # the daemon
    watched.run("xo")
    assert watched.told() == ["failing", "recovered"]
    assert watched.rows()[0].payload["streak"] == 4


def test_a_page_back_with_new_text_tells_it_is_back_before_what_changed(
    watched: Watched,
) -> None:
    """A chat reads "recovered", then "changed": not the change of a page still down."""
    watched.run("xxx")
    watched.site.article = samplesite.replace_text(watched.site.article, "1万人", "1万2000人")
    watched.run("o")
    assert watched.told() == ["failing", "recovered", "change"]

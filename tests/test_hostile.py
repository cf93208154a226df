"""Round 2 of the fault suite: every fault of monitor.samplesite.hostile, checked for real.

Each fault is served by a :class:`HostileFarm` on 127.0.0.1 (raw sockets for the bodies cut
short), to one watch, as a live site would: the good page (the baseline), the fault on several
checks in a row, the good page again, then the good page with one real edit. The fault must end
in the status it expects on every check (an error, or ``unchanged``: the article), store no
version, report no change and leave the baseline; and the edit must be seen and be exactly the
edit. Faults that are an origin's behaviour (validators, cookies) hold from the baseline on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from harness import Harness

from monitor.fetch import Fetcher
from monitor.models import CheckStatus
from monitor.pipeline import Checker, CheckResult
from monitor.revalidate import REVALIDATE_AFTER_304S
from monitor.samplesite import hostile
from monitor.samplesite.farm import HostileFarm
from monitor.samplesite.farmrun import FarmRun, free_port, judge_run, judge_web
from monitor.store import Watch

FAULTS = hostile.faults(lambda article: article)  # names and items only
SLOW_ITEMS = {9}
FAULT_CHECKS = 4  # more than collapse_confirm: a stand-in must never be confirmed
GOOD = {CheckStatus.UNCHANGED, CheckStatus.NOT_MODIFIED}
#: What the diff of the farm's edit (farm.EDITS) shows, and nothing else.
EDIT_OPS = {"ja": ["2000"], "en": ["7-2", "6-3"]}


@pytest.fixture
def farm() -> Iterator[HostileFarm]:
    farm = HostileFarm(langs=("ja", "en"))
    farm.start()
    try:
        yield farm
    finally:
        farm.stop()


@pytest.fixture
def hostile_harness(harness: Harness) -> Harness:
    """No more than 3 s per check (a trickle meets the whole-fetch deadline, a hung server
    the read timeout), one retry, a fast backoff."""
    fetch = replace(
        harness.config.settings.fetch,
        connect_timeout=1.0,
        read_timeout=1.4,
        total_timeout=3.0,
        retries=1,
        backoff=0.05,
    )
    harness.config = replace(harness.config, settings=replace(harness.config.settings, fetch=fetch))
    return harness


class Session:
    """Checks in one event loop with one fetcher (its clients cost ~40 ms to make)."""

    def __init__(self, harness: Harness) -> None:
        self.harness = harness
        self.runner = asyncio.Runner()
        self.fetcher = Fetcher(harness.config.settings.fetch)
        self.checker = Checker(harness.store, self.fetcher, harness.config)

    def check(self, watch: Watch) -> CheckResult:
        fresh = self.harness.store.watches.get(watch.id)
        return self.runner.run(self.checker.check(fresh))

    def close(self) -> None:
        self.runner.run(self.fetcher.aclose())
        self.runner.close()


@pytest.fixture
def session(hostile_harness: Harness) -> Iterator[Session]:
    session = Session(hostile_harness)
    try:
        yield session
    finally:
        session.close()


def _expected(fault: hostile.Fault, result: CheckResult) -> bool:
    if hostile.ARTICLE in fault.expect and result.status in GOOD:
        return True
    return result.status.value in fault.expect


def _assert_bounded(harness: Harness, result: CheckResult) -> None:
    """A slow server: a trickle is not retried (it answers), and every attempt together fits
    total_timeout; the backoff comes on top (a loaded machine may wake late: the bound has
    room, but a retried trickle, 2 x 3 s, would not fit)."""
    fetch = harness.config.settings.fetch
    attempts = harness.store.versions.checks(result.watch)[0]["attempts"]
    if "total timeout" in (result.error or ""):
        assert attempts == 1
    assert attempts <= fetch.retries + 1
    assert result.duration_ms / 1000 < fetch.total_timeout + fetch.backoff * 2 + 2.5


def _path(farm: HostileFarm, name: str, lang: str) -> str:
    return next(p.path for p in farm.pages.values() if p.fault.name == name and p.lang == lang)


@pytest.mark.parametrize(
    ("name", "lang"),
    [
        (fault.name, lang)
        for fault in FAULTS
        for lang in ("ja", "en")
        if lang == "ja" or fault.item not in SLOW_ITEMS  # the slow ones take seconds each
    ],
)
def test_a_hostile_answer_is_never_a_version_and_the_next_edit_is_seen(
    session: Session, farm: HostileFarm, name: str, lang: str
) -> None:
    harness, _check = session.harness, lambda watch: session.check(watch)
    path = _path(farm, name, lang)
    fault = farm.pages[path].fault
    watch = harness.store.watches.add(farm.url(path))
    assert _check(watch).status is CheckStatus.NEW
    farm.set_phase("fault")
    for _ in range(1 if fault.item in SLOW_ITEMS else FAULT_CHECKS):
        result = _check(watch)
        assert _expected(fault, result), (result.status, result.error)
        if result.status.is_error:
            assert fault.error.lower() in (result.error or "").lower(), result.error
        assert result.report is None
        if fault.item in SLOW_ITEMS:
            _assert_bounded(harness, result)
    assert len(harness.store.versions.of(watch)) == 1
    assert harness.store.changes.of(watch) == []
    farm.set_phase("recovered")
    assert _check(watch).status in GOOD
    farm.set_phase("edited")
    for _ in range(REVALIDATE_AFTER_304S + 1):
        result = _check(watch)
        if result.status is not CheckStatus.NOT_MODIFIED:
            break
    assert result.status is CheckStatus.CHANGED, (result.status, result.error)
    assert result.report is not None and result.report.old is not None
    assert result.report.old.version == 1
    assert [op.text for op in result.report.diff.ops if op.op] == EDIT_OPS[lang]
    assert len(harness.store.versions.of(watch)) == 2
    assert len(harness.store.changes.of(watch)) == 1


def test_a_page_setting_1000_cookies_never_gets_another_watch_refused(
    session: Session, farm: HostileFarm
) -> None:
    harness, _check = session.harness, lambda watch: session.check(watch)
    flood = harness.store.watches.add(farm.url(_path(farm, "1,000 cookies", "ja")))
    other = harness.store.watches.add(farm.url(_path(farm, "comment count", "ja")))
    for _ in range(3):
        assert _check(flood).status in {CheckStatus.NEW, *GOOD}
        assert _check(other).status in {CheckStatus.NEW, *GOOD}
    assert farm.refusals == 0


def test_the_daemon_on_the_hostile_farm(tmp_path: Path, daemons: list[object]) -> None:
    """bench/hostile.py in short: the daemon against every fault at once (the Japanese pages),
    phases advancing once every watch was checked enough in the one before."""
    farm = HostileFarm(langs=("ja",))
    farm.start()
    settings = {
        "interval": '"1s"',
        "jitter": '"0s"',
        "read_timeout": '"1.4s"',
        "total_timeout": '"3s"',
        "retries": "1",
        "backoff": '"0.05s"',
        "per_host_concurrency": "6",
        "shutdown_grace": '"5s"',
    }
    run = FarmRun(farm, tmp_path, free_port(), settings)
    try:
        run.start()
        daemons.append(_Started(run))
        pages = set(farm.pages)
        slow = {path for path, page in farm.pages.items() if page.fault.item in SLOW_ITEMS}

        def checked(phase: str, times: int) -> bool:
            done = run.checks_since(phase)
            return all(done[path] >= (1 if path in slow else times) for path in pages)

        assert run.wait_until(lambda: checked("good", 1), 90), run.checks_since("good")
        run.enter("fault")
        assert run.wait_until(lambda: checked("fault", 4), 120), run.checks_since("fault")
        run.enter("recovered")
        assert run.wait_until(lambda: checked("recovered", 1), 60)
        run.enter("edited")
        assert run.wait_until(lambda: run.changed() >= pages, 120), pages - run.changed()
        run.load_watch_ids()
        web_problems, _ = judge_web(run)
        assert run.stop() == 0
    finally:
        farm.stop()
    verdict = judge_run(run, EDIT_OPS)
    assert verdict.problems + web_problems == [], verdict.figures
    assert "Traceback" not in (tmp_path / "daemon.log").read_text(encoding="utf-8")


class _Started:
    """The daemons fixture's view of a run's daemon (killed at the end if still running)."""

    def __init__(self, run: FarmRun) -> None:
        assert run.daemon is not None
        self.process = run.daemon

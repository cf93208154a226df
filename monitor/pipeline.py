"""check(watch): where the stages meet.

    fetch -> classify -> extract -> compare -> store -> diff -> report

The CPU-heavy part (parsing, extraction, diffing) runs in an executor as one pure function,
:func:`monitor.analyse.analyse_page`, so it never blocks the event loop and can run in a
process pool. What checks stored is read back by :mod:`monitor.history` (reports of stored
changes, comparisons of any two versions, re-extraction).
Errors never become snapshots: a failed or soft-error check is recorded as a check only,
and the next good fetch is compared with the last good version.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import zlib
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import BrokenExecutor, Executor
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from monitor.analyse import (
    Analysis,
    analyse_page,
    replay_page,
    second_look_at,
)
from monitor.classify import classify_fetch
from monitor.commits import CommitGroup
from monitor.compare import FLIP_WINDOW, Comparer
from monitor.config import Config, Rules
from monitor.errors import ExtractError, FetchCancelled, StaleBaselineError
from monitor.extract import EXTRACTOR_VERSION, Volatility
from monitor.extract.learned import Learned, Learning
from monitor.fetch import Fetcher
from monitor.history import change_report_of
from monitor.learn import (
    after_unchanged,
    document,
    first_look,
    fresh,
    learned_for,
    rules_changed,
    second_look,
)
from monitor.models import (
    ChangeReport,
    CheckStatus,
    Confidence,
    FetchOutcome,
    FetchResult,
    Validators,
    VersionRef,
)
from monitor.notices import check_notices
from monitor.reextract import reextract_watch
from monitor.request import RequestOptions
from monitor.revalidate import validators_to_send
from monitor.store import (
    Baseline,
    CheckRecord,
    Queued,
    Recorded,
    Requested,
    Snapshot,
    Store,
    Watch,
    utcnow,
)
from monitor.urls import page_key
from monitor.workers import WorkerPool, run_in

log = logging.getLogger(__name__)
_T = TypeVar("_T")

STALE_RETRIES = 3


@dataclass(frozen=True)
class CheckResult:
    """How one check of one watch ended."""

    watch: Watch
    status: CheckStatus
    checked_at: str
    http_status: int | None = None
    error: str | None = None
    snapshot_id: int | None = None
    version: int | None = None
    change_id: int | None = None
    report: ChangeReport | None = None
    duration_ms: int = 0
    confidence: Confidence | None = None  # of the version this check stored, if it stored one
    replayed: bool = False  # found unchanged by replaying what the watch learned

    def as_dict(self) -> dict[str, Any]:
        """The ``check --json`` object."""
        data: dict[str, Any] = {
            "watch": self.watch.label,
            "watch_id": self.watch.id,
            "url": self.watch.url,
            "status": self.status.value,
            "checked_at": self.checked_at,
            "snapshot_id": self.snapshot_id,
            "version": self.version,
            "http_status": self.http_status,
            "error": self.error,
            "duration_ms": self.duration_ms,
            "replayed": self.replayed,
        }
        if self.confidence is not None:
            data["confidence"] = self.confidence.as_dict()
        if self.report is not None and self.status is CheckStatus.CHANGED:
            diff = self.report.diff
            data["change"] = {
                "change_id": self.change_id,
                "chars_added": diff.chars_added,
                "chars_removed": diff.chars_removed,
                "share_changed": diff.share_changed,
                "reverted_to": self.report.reverted_to,
                "silent_edit": self.report.silent_edit,
                "kind": self.report.kind,
            }
        return data


#: Whether the running check holds a slot of :attr:`Checker._pages` (a check that a caller
#: runs through :meth:`Checker.check_fetched` holds none).
_HOLDS_PAGE: ContextVar[bool] = ContextVar("holds_page", default=False)


#: Watches fetched without a browser per extraction process: below this many, threads.
WATCHES_PER_WORKER = 25


def auto_workers(
    config: Config,
    watches: Iterable[Watch | Requested | Queued],
    feed_urls: Mapping[int, str],
    cpus: int | None = None,
) -> int:
    """How many extraction processes to run for ``watches`` when the user does not say: one
    per :data:`WATCHES_PER_WORKER` watches fetched without a browser, up to one per CPU but
    the one the event loop keeps busy (fetching, storing; at least one process), none below.
    A process costs about 35 MB and its start-up, worth it from a few dozen pages on. On two
    CPUs a second one is slower: pass 2 of the article farm (1,000 pages, the farm on the
    same machine) took 5.0-5.4 s with two against 4.2-5.1 s with one in three interleaved
    pairs (2026-12-07; the checker, one worker and the farm fill both cores). A rendered
    check spends its time in the browser, so it does not count: 50 rendered watches run
    with threads, 45 MB less.
    ``feed_urls``: the URL of each feed by id (an article a feed found is requested as that
    feed says, as :meth:`Checker.request_for`); ``cpus``: :func:`usable_cpus` unless given."""
    plain = sum(
        not config.request_for(watch.url, feed_urls.get(watch.feed_id or 0)).uses_browser
        for watch in watches
    )
    spare = max((cpus or usable_cpus()) - 1, 1)
    return min(spare, plain // WATCHES_PER_WORKER)


def usable_cpus() -> int:
    """The CPUs this process may run on (``taskset``, a container's cpuset), else all."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


def process_pool(workers: int) -> Executor | None:
    """``workers`` processes for :func:`analyse_page` (both cores: parsing is CPU-bound);
    None (the event loop's threads) for 0."""
    if workers < 1:
        return None
    return WorkerPool(workers)


def content_key(raw: bytes, rules: Rules, final_url: str | None = None) -> str:
    """Identity of (page bytes, where they came from, rules, extractor): equal keys give
    equal text from the same page (the same bytes after a redirect elsewhere are looked at)."""
    digest = hashlib.sha256(EXTRACTOR_VERSION.encode())
    digest.update(json.dumps(rules.__dict__, sort_keys=True).encode())
    digest.update(repr(page_key(final_url) if final_url else None).encode())
    digest.update(raw)
    return digest.hexdigest()


class Checker:
    """Runs checks: one fetcher, one store, one config, an optional executor."""

    def __init__(
        self,
        store: Store,
        fetcher: Fetcher,
        config: Config,
        *,
        executor: Executor | None = None,
        clock: Callable[[], str] = utcnow,
        channels: Mapping[str, tuple[str, ...]] | None = None,
        plan_next: Callable[[Watch, CheckRecord], CheckRecord] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        analyse: Callable[..., Analysis] = analyse_page,
    ) -> None:
        self.store = store
        # Sets the next check (or retires the watch) of articles found through feeds, whose
        # pace decays with age and quickens after a change (monitor.feeds.pacer.FeedPacer).
        self.plan_next = plan_next
        self.fetcher = fetcher
        self.config = config
        self.executor = executor
        self.clock = clock
        self.channels = channels or {}  # event kind -> the notification channels it goes to
        # Fetching outpaces parsing: pages fetched but not yet analysed are bounded, so
        # memory stays flat however many watches are checked at once.
        self._pages = asyncio.Semaphore(2 * config.settings.fetch.concurrency)
        self.comparer = Comparer(store, config)
        self.commits = CommitGroup(store)  # the checks that finish together commit together
        self.sleep = sleep  # how the first check waits for its second fetch (tests pass theirs)
        self.analyse = analyse  # the full analysis of a page (picklable, for worker processes)
        self.replays = 0  # checks that a replay found unchanged, without a full analysis
        self._feed_urls: dict[int, str] = {}

    async def check(self, watch: Watch, *, next_check_at: str | None = None) -> CheckResult:
        """Fetch, classify, extract, compare and store one check of ``watch``."""
        async with self._pages:
            token = _HOLDS_PAGE.set(True)
            try:
                validators = validators_to_send(self.store, watch, self.clock())
                fetched = await self.fetcher.fetch(watch.url, validators, self.request_for(watch))
                return await self.check_fetched(watch, fetched, next_check_at)
            finally:
                _HOLDS_PAGE.reset(token)

    def request_for(self, watch: Watch) -> RequestOptions:
        """How ``watch``'s page is requested (headers, cookies, proxy, a browser): as the
        config says for its URL and, for an article a feed found, that feed."""
        feed_url = None
        if watch.feed_id is not None and self.config.feeds:
            feed_url = self._feed_urls.get(watch.feed_id)
            if feed_url is None:
                feed_url = self._feed_urls[watch.feed_id] = self.store.feeds.get_feed(
                    watch.feed_id
                ).url
        return self.config.request_for(watch.url, feed_url)

    async def check_fetched(
        self, watch: Watch, fetched: FetchResult, next_check_at: str | None = None
    ) -> CheckResult:
        """Decide and record a fetched check (again, if another process got there first)."""
        for _ in range(STALE_RETRIES):
            record = await self.decide(watch, fetched, next_check_at)
            try:
                recorded = await self.commits.record(record)
                break
            except StaleBaselineError:
                # Another process (`monitor check` beside the daemon) stored a check of this
                # watch meanwhile: decide again against what it stored.
                watch = self.store.watches.get(watch.id)
        else:
            raise StaleBaselineError(f"{watch.label} keeps changing under this check")
        return self.result(watch, record, recorded)

    async def decide(
        self, watch: Watch, fetched: FetchResult, next_check_at: str | None = None
    ) -> CheckRecord:
        """What a check of ``watch`` that fetched ``fetched`` found, with the notifications
        it raises and its next check: the record to store (nothing is written here)."""
        record = await self._decide(watch, fetched)
        threshold = self.config.settings.notify_after_errors
        events, failure = check_notices(watch, record, threshold, self.channels)
        record = _with(record, next_check_at=next_check_at, events=events, failure=failure)
        if self.plan_next is not None:
            record = self.plan_next(watch, record)
        return record

    def result(self, watch: Watch, record: CheckRecord, recorded: Recorded) -> CheckResult:
        """How the check of ``watch`` that ``record`` describes ended, once stored."""
        result = CheckResult(
            watch=watch,
            status=record.status,
            checked_at=record.checked_at,
            http_status=record.http_status,
            error=record.error,
            snapshot_id=recorded.snapshot_id,
            version=recorded.version or record.version or self._version(recorded.snapshot_id),
            change_id=recorded.change_id,
            report=change_report(watch, record, recorded),
            duration_ms=record.duration_ms,
            confidence=record.new_snapshot.confidence if record.new_snapshot else None,
            replayed=record.replayed,
        )
        log.info(
            "checked watch=%s status=%s http=%s%s",
            watch.label,
            result.status.value,
            result.http_status,
            f" error={result.error!r}" if result.error else "",
            extra={"watch": watch.label, "status": result.status.value},
        )
        return result

    def _version(self, snapshot_id: int | None) -> int | None:
        return self.store.versions.number(snapshot_id) if snapshot_id else None

    async def _decide(self, watch: Watch, fetched: FetchResult) -> CheckRecord:
        """The record of this check: an error, unchanged, new, changed or a revert. A page
        whose replay fingerprint is the one learned is unchanged without a full analysis;
        the baseline's text is read only when the page has to be analysed."""
        settings = self.config.settings
        baseline = watch.current_snapshot_id
        base = _base_record(watch, fetched, self.clock())
        verdict = classify_fetch(fetched, watch.gone_streak, settings.gone_after)
        if verdict.status is CheckStatus.NOT_MODIFIED and baseline is not None:
            return _with(base, status=CheckStatus.NOT_MODIFIED, snapshot_id=baseline)
        if verdict.status is not None:
            return _with(base, status=verdict.status, error=verdict.error)
        rules = self.config.rules_for(watch.url, watch.rules)
        key = content_key(fetched.content, rules, fetched.final_url)
        if baseline is not None and key == watch.content_key:
            return _with(base, status=CheckStatus.UNCHANGED, snapshot_id=baseline, content_key=key)
        learned = learned_for(watch.learned, rules)
        if baseline is not None and await self._replays(fetched, learned, rules):
            self.replays += 1
            return _with(
                base,
                status=CheckStatus.UNCHANGED,
                snapshot_id=baseline,
                content_key=key,
                replayed=True,
            )
        held = self._baseline(watch)
        if held.current is not None and (
            held.current.extractor_version != EXTRACTOR_VERSION
            or (learned is None and rules_changed(watch.learned, rules))
        ):
            watch = self._rebaseline(watch)
            held = self._baseline(watch)
            base = _with(base, baseline_id=watch.current_snapshot_id)
            learned = None
        current = held.current
        try:
            looked = await self._look(watch, fetched, rules, current, learned)
        except BrokenExecutor as exc:
            raise ExtractError(f"the extraction workers stopped: {exc}") from exc
        except Exception as exc:  # a page that breaks the extractor is a failed check
            log.exception("extraction failed for watch=%s", watch.label)
            error = f"cannot extract the article: {type(exc).__name__}: {exc}"
            return _with(base, status=CheckStatus.SOFT_ERROR, error=error[:500])
        if looked.fetched is not fetched:  # the second fetch is the one analysed
            fetched = looked.fetched
            key = content_key(fetched.content, rules, fetched.final_url)
        analysis = looked.analysis
        base = _with(
            base,
            candidate_sha256=analysis.text_sha256,
            content_key=key,
            learned=_learned_json(watch, looked.learned),
        )
        html_gz = None
        if current is None or analysis.diff is not None:
            # A new version is likely: compress its page in a thread (zlib releases the GIL).
            html_gz = await asyncio.get_running_loop().run_in_executor(
                None, zlib.compress, fetched.content, 6
            )
        record = self.comparer.compare(watch, held, fetched, analysis, base, html_gz)
        return record if _agrees_with_baseline(record) else _with(record, learned=None)

    async def _replays(self, fetched: FetchResult, learned: Learned | None, rules: Rules) -> bool:
        """Whether the page replays what the watch learned (the same fingerprint)."""
        if learned is None:
            return False
        found = await replayed(fetched.text, learned.learning, learned.churn, rules, self.executor)
        return found == learned.fingerprint

    async def _look(
        self,
        watch: Watch,
        fetched: FetchResult,
        rules: Rules,
        current: Snapshot | None,
        learned: Learned | None,
    ) -> Looked:
        """The full analysis of the page, and what the watch learns from it: a first check
        and a check that sees the article change look at the page a second time."""
        churn = learned.article if learned is not None else Volatility()
        previous = document(current.title, current.text, churn) if current else None
        url = fetched.final_url or watch.url
        analysis = await self._cpu(self.analyse, fetched.text, url, rules, previous, churn)
        if current is not None and analysis.diff is None:
            return Looked(fetched, analysis, after_unchanged(learned, analysis, rules))
        second = await self._second_fetch(watch, first_check=current is None)
        if second is None:
            origin = "one fetch (the second failed)"
            return Looked(fetched, analysis, learned or fresh(analysis, rules, origin))
        if await shows_the_same(second, fetched, analysis, learned, rules, self.executor):
            # The second fetch replays what the first one's analysis found: its analysis
            # would find the same article, and no churn between the two.
            again, second = analysis, fetched
        else:
            again = await self._cpu(self.analyse, second.text, url, rules, previous, churn)
        if current is None:
            wait = self.config.settings.fetch.second_fetch
            found, analysis = first_look(analysis, again, rules, f"two fetches {wait:g}s apart")
            return Looked(second, analysis, found)
        baseline = (current.title, current.text)
        found, analysis = second_look(learned, analysis, again, rules, baseline)
        return Looked(second, analysis, found)

    async def _second_fetch(self, watch: Watch, *, first_check: bool) -> FetchResult | None:
        """The page again, unconditionally: a few seconds after a first check's fetch, at
        once after a fetch that showed a change. None if it did not come back whole, or
        was not started because monitor is stopping (the check ends on its first fetch)."""
        if first_check:
            await self._wait(self.config.settings.fetch.second_fetch)
        try:
            again = await self.fetcher.fetch(watch.url, Validators(), self.request_for(watch))
        except FetchCancelled:
            log.info("watch=%s: no second fetch: monitor is stopping", watch.label)
            return None
        if again.outcome is not FetchOutcome.OK or classify_fetch(again, 0, 1).status is not None:
            log.info("watch=%s: the second fetch failed: %s", watch.label, again.error)
            return None
        return again

    async def _wait(self, seconds: float) -> None:
        """Wait for a first check's second fetch, the check's page slot given back meanwhile
        (a thousand first checks do not queue behind each other's waits)."""
        if not _HOLDS_PAGE.get():
            await self.sleep(seconds)
            return
        self._pages.release()
        try:
            await self.sleep(seconds)
        finally:
            await self._pages.acquire()

    async def _cpu(self, function: Callable[..., _T], *args: Any) -> _T:
        """``function(*args)`` in the executor (a worker process, or a thread)."""
        return await run_in(self.executor, function, *args)

    def _baseline(self, watch: Watch) -> Baseline:
        """Everything the comparison needs from the store, in one read."""
        settings = self.config.settings
        candidates = max(self.config.confirm_for(watch.url), settings.collapse_confirm) - 1
        return self.store.versions.baseline(watch, candidates, FLIP_WINDOW)

    def _rebaseline(self, watch: Watch) -> Watch:
        """The baseline was extracted by an older extractor, or under site rules the user
        has changed since: extract its stored page again first (a new baseline if the text
        differs, as `monitor reextract` does), so that what this check compares is what the
        page changed, not what the upgrade or the new rules did."""
        done = reextract_watch(self.store, self.config, watch)
        log.info(
            "watch=%s baseline re-extracted after an upgrade or new rules: %s",
            watch.label,
            done.note,
        )
        return self.store.watches.get(watch.id)


@dataclass(frozen=True)
class Looked:
    """A full analysis: the fetch it analysed (the second, when there was one), the analysis
    and what the watch learned."""

    fetched: FetchResult
    analysis: Analysis
    learned: Learned | None


async def replayed(
    html: str,
    learning: Learning,
    churn: Volatility,
    rules: Rules,
    executor: Executor | None = None,
) -> str | None:
    """The replay fingerprint of a page (:func:`~monitor.analyse.replay_page`) in
    ``executor`` (the extraction workers; None: a thread). A replay costs about 2 ms of a
    100 kB page, several times what sending the page to a worker costs: in a worker, the
    event loop is free for the fetches (article farm: a quarter more checks a second than
    in a thread). A page that breaks the replay is analysed in full (None)."""
    try:
        return await run_in(executor, replay_page, html, learning, churn, rules)
    except BrokenExecutor:
        return None  # the full analysis says the workers stopped, and they are replaced
    except Exception:
        log.exception("replay failed; the page is analysed in full")
        return None


async def shows_the_same(
    second: FetchResult,
    first: FetchResult,
    analysis: Analysis,
    learned: Learned | None,
    rules: Rules,
    executor: Executor | None = None,
) -> bool:
    """Whether a page fetched again shows what ``analysis`` (of the ``first`` fetch) found
    wherever a check looks: the same replay fingerprint less the churn known in the article
    (the region's lines, the title sources, the prose around), the same signals (a consent
    banner on one fetch only is no reason to judge by the other), the same metadata and the
    same final URL. Then its full analysis would find what the first one found, and no
    churn between the two. Churn learned around the article (for the fingerprint only) is
    not left out: an article line that differs between the two fetches is evidence that the
    comparison with the stored version needs (a line drawn anew on every request). The look
    runs in ``executor`` (the extraction workers; None: a thread), as a replay does."""
    if analysis.learning is None or second.final_url != first.final_url:
        return False
    churn = learned.article if learned is not None else Volatility()
    url = first.final_url or first.url
    try:
        look = await run_in(
            executor, second_look_at, second.text, url, analysis.learning, churn, rules
        )
    except BrokenExecutor:
        return False  # as in a replay
    except Exception:
        log.exception("second look failed; the page is analysed again in full")
        return False
    return (
        look.fingerprint == analysis.learning.fingerprint(churn)
        and look.signals == analysis.signals
        and look.metadata == analysis.article.metadata
    )


def change_report(watch: Watch, record: CheckRecord, recorded: Recorded) -> ChangeReport | None:
    """The report of the change a check found, once stored, from what the check held (the
    versions it compared and the diff it made): nothing is read back."""
    change = record.change
    if change is None or recorded.change_id is None:
        return None
    assert change.diff is not None, "a check's change holds its diff"
    new = change.returned_to
    if new is None:
        stored = record.new_snapshot
        assert stored is not None and recorded.snapshot_id is not None
        assert recorded.version is not None
        new = VersionRef(
            snapshot_id=recorded.snapshot_id,
            version=recorded.version,
            created_at=record.checked_at,
            title=stored.title,
            modified_at=stored.metadata.modified_at,
        )
    return change_report_of(
        watch,
        change.old,
        new,
        change.diff,
        change_id=recorded.change_id,
        detected_at=record.checked_at,
        kind=change.kind,
        silent_edit=change.silent_edit,
    )


def _agrees_with_baseline(record: CheckRecord) -> bool:
    """Whether the page this check analysed shows the version it leaves as the baseline
    (unchanged, or a new version or a revert stored): only then is what it learned kept,
    since a replay of it must find that version (not an error page, not a version still
    awaiting confirmation)."""
    if record.status in (CheckStatus.NEW, CheckStatus.CHANGED):
        return True
    return record.status is CheckStatus.UNCHANGED and record.error is None


def _learned_json(watch: Watch, learned: Learned | None) -> str | None:
    """What to store of ``learned`` (None: nothing new to store)."""
    if learned is None:
        return None
    text = learned.to_json()
    return None if text == watch.learned else text


def _base_record(watch: Watch, fetched: FetchResult, now: str) -> CheckRecord:
    return CheckRecord(
        watch_id=watch.id,
        baseline_id=watch.current_snapshot_id,
        status=CheckStatus.NETWORK_ERROR,
        checked_at=now,
        http_status=fetched.http_status,
        duration_ms=fetched.duration_ms,
        final_url=fetched.final_url,
        size=len(fetched.content),
        attempts=fetched.attempts,
        etag=fetched.validators.etag if fetched.outcome is FetchOutcome.OK else None,
        last_modified=fetched.validators.last_modified
        if fetched.outcome is FetchOutcome.OK
        else None,
    )


def _with(record: CheckRecord, **changes: Any) -> CheckRecord:
    return replace(record, **changes)

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
import multiprocessing
import zlib
from collections.abc import Callable, Mapping
from concurrent.futures import BrokenExecutor, Executor, ProcessPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from monitor.analyse import Analysis, analyse_page, worker_ignores_signals
from monitor.classify import Verdict, classify_article, classify_fetch, is_collapse
from monitor.config import Config, Rules
from monitor.errors import ExtractError, StaleBaselineError
from monitor.extract import EXTRACTOR_VERSION
from monitor.fetch import Fetcher, decode_html
from monitor.history import build_report, is_silent_edit
from monitor.identity import PageSignals, Seen, first_check_gate, judge, page_signals
from monitor.models import (
    ChangeReport,
    CheckStatus,
    Confidence,
    FetchOutcome,
    FetchResult,
    Metadata,
    Validators,
)
from monitor.reextract import reextract_watch
from monitor.store import (
    CheckRecord,
    NewChange,
    OutboxItem,
    Recorded,
    Snapshot,
    Store,
    Watch,
    utcnow,
)
from monitor.store.records import new_snapshot
from monitor.urls import page_key

log = logging.getLogger(__name__)

STALE_RETRIES = 3
#: A run of 304 answers is confirmed now and then by an unconditional fetch: once this many
#: checks in a row were answered 304, or this long after the last full answer (by the
#: checker's clock), whichever comes first. An origin whose validators went wrong (a
#: Last-Modified in the future, a CDN answering 304 to everything) cannot hide an edit longer.
REVALIDATE_AFTER_304S = 10
REVALIDATE_AFTER_SECONDS = 24 * 3600
#: A return to a version one of the last this-many checks saw is flapping (an A/B test, a CDN
#: serving two versions), recorded but not reported; an older version back is a revert.
FLAP_WINDOW = 2


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


def process_pool(workers: int) -> Executor | None:
    """``workers`` processes for :func:`analyse_page` (both cores: parsing is CPU-bound);
    None (the event loop's threads) for 0."""
    if workers < 1:
        return None
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(
        max_workers=workers, mp_context=context, initializer=worker_ignores_signals
    )


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
    ) -> None:
        self.store = store
        # Sets the next check (or retires the watch) of articles found through feeds, whose
        # pace decays with age and quickens after a change (monitor.feeds.discover.FeedPacer).
        self.plan_next = plan_next
        self.fetcher = fetcher
        self.config = config
        self.executor = executor
        self.clock = clock
        self.channels = channels or {}  # event kind -> the notification channels it goes to
        # Fetching outpaces parsing: pages fetched but not yet analysed are bounded, so
        # memory stays flat however many watches are checked at once.
        self._pages = asyncio.Semaphore(2 * config.settings.fetch.concurrency)
        self._signals = StoredSignals(store)

    async def check(self, watch: Watch, *, next_check_at: str | None = None) -> CheckResult:
        """Fetch, classify, extract, compare and store one check of ``watch``."""
        async with self._pages:
            validators = validators_to_send(self.store, watch, self.clock())
            fetched = await self.fetcher.fetch(watch.url, validators)
            return await self.check_fetched(watch, fetched, next_check_at)

    async def check_fetched(
        self, watch: Watch, fetched: FetchResult, next_check_at: str | None = None
    ) -> CheckResult:
        """Decide and record a fetched check (again, if another process got there first)."""
        for _ in range(STALE_RETRIES):
            record = await self.decide(watch, fetched, next_check_at)
            try:
                recorded = self.store.record_check(record)
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
        events = self._events(watch, record)
        record = _with(record, next_check_at=next_check_at, events=events)
        if self.plan_next is not None:
            record = self.plan_next(watch, record)
        return record

    def result(self, watch: Watch, record: CheckRecord, recorded: Recorded) -> CheckResult:
        """How the check of ``watch`` that ``record`` describes ended, once stored."""
        report = None
        if record.change is not None and recorded.change_id is not None:
            report = self.change_report(recorded.change_id)
        result = CheckResult(
            watch=watch,
            status=record.status,
            checked_at=record.checked_at,
            http_status=record.http_status,
            error=record.error,
            snapshot_id=recorded.snapshot_id,
            version=self._version(recorded.snapshot_id),
            change_id=recorded.change_id,
            report=report,
            duration_ms=record.duration_ms,
            confidence=record.new_snapshot.confidence if record.new_snapshot else None,
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

    def _events(self, watch: Watch, record: CheckRecord) -> tuple[OutboxItem, ...]:
        """Notifications this check raises: a change (not a flap), the start of a failure or
        a recovery, a page removed (gone) or back."""
        threshold = self.config.settings.notify_after_errors
        status, was_gone = record.status, watch.last_status == CheckStatus.GONE.value
        found: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
        if record.change is not None and record.change.kind != "flap":
            found.append(("change", ()))
        if status is CheckStatus.GONE and not was_gone:
            found.append(("removed", (("error", record.error), ("streak", watch.error_streak + 1))))
        elif (
            status.is_error
            and status is not CheckStatus.GONE
            and watch.error_streak + 1 == threshold
        ):
            found.append(("failing", (("error", record.error), ("streak", threshold))))
        if status.is_good and was_gone:
            found.append(("returned", (("streak", watch.error_streak),)))
        elif status.is_good and watch.error_streak >= threshold:
            found.append(("recovered", (("streak", watch.error_streak),)))
        return tuple(
            OutboxItem(kind, channel, payload)
            for kind, payload in found
            for channel in self.channels.get(kind, ())
        )

    def _version(self, snapshot_id: int | None) -> int | None:
        return self.store.versions.number(snapshot_id) if snapshot_id else None

    async def _decide(self, watch: Watch, fetched: FetchResult) -> CheckRecord:
        """The record of this check: an error, unchanged, new, changed or a revert. The
        baseline's text is read only when the page has to be analysed."""
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
        current = self.store.versions.current(watch)
        if current is not None and current.extractor_version != EXTRACTOR_VERSION:
            watch, current = self._rebaseline(watch)
            base = _with(base, baseline_id=watch.current_snapshot_id)
        try:
            analysis = await asyncio.get_running_loop().run_in_executor(
                self.executor,
                analyse_page,
                fetched.text,
                fetched.final_url or watch.url,
                rules,
                current.document if current else None,
            )
        except BrokenExecutor as exc:
            raise ExtractError(f"the extraction workers stopped: {exc}") from exc
        except Exception as exc:  # a page that breaks the extractor is a failed check
            log.exception("extraction failed for watch=%s", watch.label)
            error = f"cannot extract the article: {type(exc).__name__}: {exc}"
            return _with(base, status=CheckStatus.SOFT_ERROR, error=error[:500])
        base = _with(base, candidate_sha256=analysis.text_sha256, content_key=key)
        html_gz = None
        if current is None or analysis.text_sha256 != current.text_sha256:
            # A new version is likely: compress its page in a thread (zlib releases the GIL).
            html_gz = await asyncio.get_running_loop().run_in_executor(
                None, zlib.compress, fetched.content, 6
            )
        return self._compare(watch, current, fetched, analysis, base, html_gz)

    def _rebaseline(self, watch: Watch) -> tuple[Watch, Snapshot | None]:
        """The baseline was extracted by an older extractor: extract its stored page again
        first (a new baseline if the text differs, as `monitor reextract` does), so that
        what this check compares is what the page changed, not what the upgrade did."""
        done = reextract_watch(self.store, self.config, watch)
        log.info("watch=%s baseline re-extracted after an upgrade: %s", watch.label, done.note)
        watch = self.store.watches.get(watch.id)
        return watch, self.store.versions.current(watch)

    def _compare(
        self,
        watch: Watch,
        current: Snapshot | None,
        fetched: FetchResult,
        analysis: Analysis,
        base: CheckRecord,
        html_gz: bytes | None = None,
    ) -> CheckRecord:
        article, sha = analysis.article, analysis.text_sha256
        verdict = classify_article(article)
        if verdict.status is not None or current is None:
            verdict = _gated(verdict, analysis)
        if verdict.status is None and current is not None and sha != current.text_sha256:
            verdict = self._identity(watch, current, fetched, analysis)
        if verdict.status is not None:
            return _with(base, status=verdict.status, error=verdict.error)
        if current is not None and sha == current.text_sha256:
            return _with(base, status=CheckStatus.UNCHANGED, snapshot_id=current.id)
        if current is not None and not self._seen_before(watch, sha):
            return _with(
                base,
                status=CheckStatus.UNCHANGED,
                snapshot_id=current.id,
                content_key=None,  # the page must be read again next time, to confirm,
                etag=watch.etag,  # and not as a 304 to the new version's validators
                last_modified=watch.last_modified,
                error=f"a new version awaits confirmation ({self.config.confirm_for(watch.url)} "
                "checks in a row)",
            )
        earlier = self.store.versions.by_sha(watch.id, sha)
        if earlier is not None:
            recent = self.store.versions.recent_seen(watch.id, FLAP_WINDOW)
            kind = "flap" if earlier.id in recent else "revert"
            change = _change(current, earlier.id, kind, analysis)
            return _with(base, status=CheckStatus.CHANGED, snapshot_id=earlier.id, change=change)
        snapshot = new_snapshot(article, sha, fetched, html_gz, extractor_version=EXTRACTOR_VERSION)
        if current is None:
            return _with(base, status=CheckStatus.NEW, new_snapshot=snapshot)
        change = _change(current, None, "changed", analysis)
        return _with(base, status=CheckStatus.CHANGED, new_snapshot=snapshot, change=change)

    def _seen_before(self, watch: Watch, sha: str) -> bool:
        """With ``confirm = N``, a new text counts once the N-1 checks before saw it too
        (flapping CDNs and A/B tests never settle, so they are never reported)."""
        needed = self.config.confirm_for(watch.url) - 1
        seen = self.store.versions.recent_candidates(watch.id, needed) if needed else []
        return len(seen) == needed and all(s == sha for s in seen)

    def _identity(
        self, watch: Watch, current: Snapshot, fetched: FetchResult, analysis: Analysis
    ) -> Verdict:
        """A page that is not this article (:func:`monitor.identity.judge`) is a soft error
        however often it is seen; a collapse of the text is one until seen on enough checks,
        and only if the shrunk text comes from the article."""
        last_final = self.store.versions.last_final_url(watch.id) or current.final_url
        baseline = _seen(current.title, current.text, last_final, current.metadata)
        baseline = replace(baseline, signals=self._signals.of(current))
        article = analysis.article
        page = _seen(article.title, article.text, fetched.final_url, article.metadata)
        judgement = judge(baseline, replace(page, signals=analysis.signals))
        if judgement.stand_in is not None:
            return Verdict(CheckStatus.SOFT_ERROR, judgement.stand_in)
        if not is_collapse(current.document, article.document, self.config.settings.collapse_ratio):
            return Verdict(None)
        reason = (
            f"article text collapsed from {len(current.document)} to "
            f"{len(article.document)} characters"
        )
        if not judgement.contained:
            return Verdict(CheckStatus.SOFT_ERROR, f"{reason}, to text not from the article")
        return self._unless_confirmed(watch, analysis.text_sha256, reason)

    def _unless_confirmed(self, watch: Watch, sha: str, reason: str) -> Verdict:
        """No verdict if the same text was seen on the last ``collapse_confirm - 1`` checks
        too (it is real, then); else a soft error saying why."""
        confirm = self.config.settings.collapse_confirm
        seen = self.store.versions.recent_candidates(watch.id, confirm - 1)
        if len(seen) == confirm - 1 and all(s == sha for s in seen):
            log.info("watch=%s %s: confirmed on %d checks", watch.label, reason, confirm)
            return Verdict(None)
        return Verdict(
            CheckStatus.SOFT_ERROR,
            f"{reason} (kept as an error until it is seen on {confirm} checks in a row)",
        )

    def change_report(self, change_id: int) -> ChangeReport:
        """The report of a stored change."""
        row = self.store.changes.get(change_id)
        return build_report(self.store, row)


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


class StoredSignals:
    """The :class:`~monitor.identity.PageSignals` of stored versions' pages, read from the
    stored page once per version and kept (a bounded number of them)."""

    KEPT = 1024

    def __init__(self, store: Store) -> None:
        self.store = store
        self._kept: dict[int, PageSignals] = {}

    def of(self, snapshot: Snapshot) -> PageSignals:
        signals = self._kept.get(snapshot.id)
        if signals is None:
            raw, encoding = self.store.versions.page(snapshot.id)
            html = _decoded(raw, encoding)
            signals = page_signals(html, snapshot.final_url) if html else PageSignals()
            if len(self._kept) >= self.KEPT:
                self._kept.pop(next(iter(self._kept)))
            self._kept[snapshot.id] = signals
        return signals


def _seen(title: str, text: str, final_url: str | None, metadata: Metadata) -> Seen:
    return Seen(title, text, final_url, metadata.canonical_url, metadata.language)


def _gated(verdict: Verdict, analysis: Analysis) -> Verdict:
    """A short page showing a gate (a redirect, login, challenge or consent page) says so,
    whatever else was found wrong with it (the first check has no baseline to judge by)."""
    gate = first_check_gate(analysis.signals, analysis.article.text)
    if gate is None:
        return verdict
    reason = f" ({verdict.error})" if verdict.error else ""
    return Verdict(CheckStatus.SOFT_ERROR, f"{gate}, not an article{reason}")


def _decoded(raw: bytes, encoding: str | None) -> str:
    """A stored page as text (with the encoding it was read with, if it still decodes)."""
    if not raw:
        return ""
    if encoding:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    return decode_html(raw, None)[0]


def _seconds_between(earlier: str, later: str) -> float | None:
    """Seconds from one ISO-8601 time to another; None if either is not one."""
    try:
        start, end = datetime.fromisoformat(earlier), datetime.fromisoformat(later)
        if (start.tzinfo is None) != (end.tzinfo is None):
            start, end = start.replace(tzinfo=None), end.replace(tzinfo=None)
        return (end - start).total_seconds()
    except ValueError:
        return None


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


def _change(
    current: Snapshot | None, new_id: int | None, kind: str, analysis: Analysis
) -> NewChange:
    diff = analysis.diff
    assert diff is not None, "a change always has a diff against the current version"
    return NewChange(
        old_snapshot_id=current.id if current else None,
        new_snapshot_id=new_id,
        kind=kind,
        chars_added=diff.chars_added,
        chars_removed=diff.chars_removed,
        share_changed=diff.share_changed,
        silent_edit=is_silent_edit(current, analysis.article),
        diff_json=json.dumps(
            {"granularity": diff.granularity, "ops": [[op.op, op.text] for op in diff.ops]},
            ensure_ascii=False,
        ),
    )

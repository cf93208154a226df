"""Deliver what checks queued: report files and notifications (the outbox).

A check writes its notifications into the ``outbox`` table in the same transaction as the
check itself, so nothing is lost when the process dies right after. Delivery happens after
the commit: each row is claimed, sent, then marked sent or failed. A failure that surely did
not reach anyone (connection refused, a 5xx) is retried later; any other failure is not, and a
row left claimed by a crash is never sent again, so a notification is never sent twice.

The ``reports`` channel writes each change as HTML and Markdown under the reports directory
(``<reports_dir>/<watch>/<YYYYmmdd-HHMMSS>-change<id>.html``); writing a file again is
harmless, so it is simply retried after a crash.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from monitor.clock import parse_moment
from monitor.config import Config, NotifyConfig
from monitor.errors import NotifyError
from monitor.history import build_report
from monitor.models import ChangeReport, Event
from monitor.report import render
from monitor.store import OutboxRow, Store, utcnow

log = logging.getLogger(__name__)

REPORTS_CHANNEL = "reports"
MAX_ATTEMPTS = 4
RETRY_BASE = timedelta(seconds=30)
_UNSAFE = re.compile(r"[^\w.-]+")

Sender = Callable[[NotifyConfig, Event], Awaitable[None]]


def channel_map(config: Config) -> dict[str, tuple[str, ...]]:
    """Event kind -> the channels it goes to (report files for every change)."""
    mapping: dict[str, tuple[str, ...]] = {"change": (REPORTS_CHANNEL,)}
    for channel in config.notify:
        for kind in channel.events:
            mapping[kind] = (*mapping.get(kind, ()), channel.name)
    return mapping


def report_stem(reports_dir: str | Path, report: ChangeReport) -> Path:
    """Where a change's report files go, without the extension: stable and readable."""
    folder = _UNSAFE.sub("-", report.watch_name.split("://")[-1]).strip("-")[:80] or "watch"
    moment = datetime.fromisoformat(report.detected_at or utcnow()).astimezone(UTC)
    name = f"{moment:%Y%m%d-%H%M%S}-change{report.change_id}"
    return Path(reports_dir) / folder / name


def write_reports(reports_dir: str | Path, report: ChangeReport) -> list[Path]:
    """Write the HTML and Markdown reports of a change (atomically); their paths."""
    stem = report_stem(reports_dir, report)
    stem.parent.mkdir(parents=True, exist_ok=True)
    written = []
    for suffix, fmt in ((".html", "html"), (".md", "markdown")):
        path = stem.with_suffix(suffix)
        _write_atomically(path, render(report, fmt))
        written.append(path)
    return written


def _write_atomically(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


class Outbox:
    """Sends what the outbox holds, through the configured channels."""

    def __init__(
        self,
        store: Store,
        config: Config,
        *,
        send: Sender | None = None,
        clock: Callable[[], str] = utcnow,
    ) -> None:
        self.store = store
        self.config = config
        self.channels = {c.name: c for c in config.notify}
        self.send = send or _default_sender
        self.clock = clock

    def recover(self, stale_after: timedelta | None = None) -> None:
        """After a crash: retry report files; never resend a maybe-delivered notification.
        ``stale_after``: only what was claimed at least that long ago (another process,
        a daemon, may be sending the rest right now)."""
        now = self.clock()
        before = None
        if stale_after is not None:
            before = (parse_moment(now) - stale_after).isoformat(timespec="seconds")
        lost = self.store.outbox.abandon_claimed((REPORTS_CHANNEL,), now, before)
        if lost:
            log.warning("%d notifications were being sent when monitor stopped; not resent", lost)

    async def deliver(self) -> int:
        """Deliver every due row; the number delivered."""
        delivered = 0
        while rows := self.store.outbox.due(self.clock()):
            progress = False
            for row in rows:
                if self.store.outbox.claim(row.id, self.clock()):
                    progress = True
                    delivered += await self._deliver(row)
            if not progress:
                break
        return delivered

    async def _deliver(self, row: OutboxRow) -> int:
        try:
            event = self.event(row)
            if row.channel == REPORTS_CHANNEL:
                self._write(event)
            else:
                await self._notify(row, event)
        except NotifyError as exc:
            self._failed(row, str(exc), exc.retryable)
            return 0
        except OSError as exc:
            self._failed(row, f"cannot write reports: {exc}", True)
            return 0
        self.store.outbox.finish(row.id, "sent", self.clock())
        return 1

    async def _notify(self, row: OutboxRow, event: Event) -> None:
        channel = self.channels.get(row.channel)
        if channel is None:
            raise NotifyError(
                "this channel is no longer configured", channel=row.channel, retryable=False
            )
        await self.send(channel, event)
        log.info(
            "notified channel=%s event=%s watch=%s",
            row.channel,
            row.kind,
            event.watch_name,
            extra={"watch": event.watch_name, "status": event.status},
        )

    def _write(self, event: Event) -> None:
        if event.report is not None:
            paths = write_reports(self.config.settings.reports_dir, event.report)
            log.info("report written: %s", paths[0], extra={"watch": event.watch_name})

    def _failed(self, row: OutboxRow, error: str, retryable: bool) -> None:
        now = self.clock()
        if retryable and row.attempts + 1 < MAX_ATTEMPTS:
            delay = RETRY_BASE * 2**row.attempts
            retry_at = (datetime.fromisoformat(now) + delay).isoformat(timespec="seconds")
            self.store.outbox.finish(row.id, "pending", now, error, retry_at)
            log.warning("%s; retrying at %s", error, retry_at)
        else:
            self.store.outbox.finish(row.id, "failed", now, error)
            log.error("notification failed for good: %s", error)

    def event(self, row: OutboxRow) -> Event:
        """The Event a queued row stands for, rebuilt from the database."""
        watch = self.store.watches.get(row.watch_id)
        check = self.store.versions.check(row.check_id) if row.check_id else {}
        report = (
            build_report(self.store, self.store.changes.get(row.change_id))
            if row.change_id
            else None
        )
        return Event(
            kind=row.kind,
            watch_id=watch.id,
            watch_name=watch.label,
            url=watch.url,
            occurred_at=row.created_at,
            status=str(check.get("status", "")),
            error=row.payload.get("error"),
            error_streak=int(row.payload.get("streak", 0)),
            report=report,
            failing_since=row.payload.get("since"),
            flapping=bool(row.payload.get("flapping", False)),
            recovered_at=row.payload.get("recovered_at"),
        )


async def _default_sender(channel: NotifyConfig, event: Event) -> None:
    from monitor.notify import send_event

    await send_event(channel, event)

"""The outbox: report files and notifications delivered once, after the check is committed."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from monitor.analyse import text_sha256
from monitor.config import Config, NotifyConfig, Settings
from monitor.errors import NotifyError
from monitor.models import CheckStatus, Event, Metadata
from monitor.outbox import REPORTS_CHANNEL, Outbox, channel_map, report_stem
from monitor.store import CheckRecord, NewChange, NewSnapshot, OutboxItem, Store

HOOK = NotifyConfig(type="webhook", name="hook", url="http://127.0.0.1:9/hook")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "m.db") as s:
        yield s  # type: ignore[misc]


def config(tmp_path: Path) -> Config:
    return Config(settings=Settings(reports_dir=str(tmp_path / "reports")), notify=(HOOK,))


def snapshot(text: str) -> NewSnapshot:
    return NewSnapshot("T", text, text_sha256(f"T\n{text}"), Metadata(), None, "generic", b"", None)


def record_change(store: Store) -> int:
    watch = store.watches.add("https://x.test/a", name="a/b: c")
    first = store.record_check(
        CheckRecord(
            watch.id, CheckStatus.NEW, "2026-11-27T09:00:00+00:00", new_snapshot=snapshot("one")
        )
    )
    ops = '{"granularity": "token", "ops": [[0, "T\\n"], [-1, "one"], [1, "two"]]}'
    change = NewChange(first.snapshot_id, None, "changed", 3, 3, 0.5, False, ops)
    events = (OutboxItem("change", REPORTS_CHANNEL), OutboxItem("change", "hook"))
    second = store.record_check(
        CheckRecord(
            watch.id,
            CheckStatus.CHANGED,
            "2026-11-27T09:05:00+00:00",
            new_snapshot=snapshot("two"),
            change=change,
            events=events,
            baseline_id=first.snapshot_id,
        )
    )
    assert second.change_id is not None
    return second.change_id


class Sender:
    def __init__(self, failures: list[NotifyError] | None = None) -> None:
        self.sent: list[tuple[str, Event]] = []
        self.failures = failures or []

    async def __call__(self, channel: NotifyConfig, event: Event) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append((channel.name, event))


def test_channel_map() -> None:
    other = NotifyConfig(type="webhook", name="x", url="http://h/", events=("failing",))
    mapping = channel_map(Config(notify=(HOOK, other)))
    assert mapping == {
        "change": ("reports", "hook"),
        "failing": ("hook", "x"),
        "recovered": ("hook",),
        "removed": ("hook",),
        "returned": ("hook",),
    }


def test_delivers_reports_and_notifications_once(tmp_path: Path, store: Store) -> None:
    change_id = record_change(store)
    sender = Sender()
    outbox = Outbox(store, config(tmp_path), send=sender)
    assert asyncio.run(outbox.deliver()) == 2
    assert asyncio.run(outbox.deliver()) == 0
    ((name, event),) = sender.sent
    assert name == "hook" and event.kind == "change"
    assert event.report is not None and event.report.change_id == change_id
    assert event.report.diff.chars_added == 3
    files = sorted(p.name for p in (tmp_path / "reports").rglob("*") if p.is_file())
    assert files == [
        f"20261127-090500-change{change_id}.html",
        f"20261127-090500-change{change_id}.md",
    ]
    assert [r.state for r in store.outbox.of()] == ["sent", "sent"]


def test_report_folder_name_is_safe(tmp_path: Path, store: Store) -> None:
    change_id = record_change(store)
    report = Outbox(store, config(tmp_path)).event(store.outbox.of()[0]).report
    assert report is not None
    stem = report_stem(tmp_path, report)
    assert stem.parent == tmp_path / "a-b-c"
    assert stem.name == f"20261127-090500-change{change_id}"


def test_retryable_failures_are_retried_later_others_not(tmp_path: Path, store: Store) -> None:
    record_change(store)
    sender = Sender([NotifyError("refused", channel="hook", retryable=True)])
    now = ["2026-11-27T10:00:00+00:00"]
    outbox = Outbox(store, config(tmp_path), send=sender, clock=lambda: now[0])
    assert asyncio.run(outbox.deliver()) == 1  # the report; the hook failed
    hook_row = store.outbox.of()[1]
    assert (hook_row.state, hook_row.attempts) == ("pending", 1)
    assert asyncio.run(outbox.deliver()) == 0  # not yet due
    now[0] = "2026-11-27T10:01:00+00:00"
    assert asyncio.run(outbox.deliver()) == 1
    assert len(sender.sent) == 1

    sender.failures = [NotifyError("404", channel="hook", retryable=False)]
    record_change_again = store.record_check(
        CheckRecord(1, CheckStatus.HTTP_ERROR, now[0], events=(OutboxItem("failing", "hook"),))
    )
    assert record_change_again.check_id
    asyncio.run(outbox.deliver())
    assert store.outbox.of()[-1].state == "failed"


def test_after_a_crash_claimed_notifications_are_never_resent(tmp_path: Path, store: Store) -> None:
    record_change(store)
    for row in store.outbox.of():
        assert store.outbox.claim(row.id, "2026-11-27T10:00:00+00:00")
    # ... the process dies here, then starts again:
    outbox = Outbox(store, config(tmp_path), send=(sender := Sender()))
    outbox.recover()
    asyncio.run(outbox.deliver())
    assert sender.sent == []
    states = {row.channel: row.state for row in store.outbox.of()}
    assert states == {"reports": "sent", "hook": "unknown"}


def test_a_later_check_recovers_only_what_was_claimed_long_ago(
    tmp_path: Path, store: Store
) -> None:
    """A `monitor check` killed while sending left its rows claimed: the next `monitor
    check` (cron users run no daemon) recovers them, but not rows another process claimed
    a moment ago and may be sending now."""
    record_change(store)
    old, fresh = store.outbox.of()
    assert store.outbox.claim(old.id, "2026-11-27T09:00:00+00:00")
    assert store.outbox.claim(fresh.id, "2026-11-27T09:59:00+00:00")
    now = "2026-11-27T10:00:00+00:00"
    outbox = Outbox(store, config(tmp_path), send=Sender(), clock=lambda: now)
    outbox.recover(stale_after=timedelta(minutes=15))
    states = {row.id: row.state for row in store.outbox.of()}
    assert states == {old.id: "pending", fresh.id: "claimed"}  # the report is written again


def test_a_removed_channel_fails_cleanly(tmp_path: Path, store: Store) -> None:
    record_change(store)
    outbox = Outbox(store, Config(settings=Settings(reports_dir=str(tmp_path))), send=Sender())
    asyncio.run(outbox.deliver())
    hook = store.outbox.of()[1]
    assert hook.state == "failed"

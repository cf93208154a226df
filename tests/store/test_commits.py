"""Grouped commits: concurrent checks share a transaction, and each is written whole or not
at all."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.commits import CommitGroup
from monitor.errors import StaleBaselineError, StoreError
from monitor.models import CheckStatus, Metadata
from monitor.store import CheckRecord, NewChange, NewSnapshot, Recorded, Store
from monitor.store.read import ReadOnlyStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "m.db") as s:
        yield s


def new(watch_id: int, text: str, at: str = "2026-11-01T00:00:00+00:00") -> CheckRecord:
    snapshot = NewSnapshot(
        title="T",
        text=text,
        text_sha256=f"sha-{text}",
        metadata=Metadata(),
        final_url="https://x.test/",
        extractor="generic",
        raw=text.encode(),
        encoding="utf-8",
    )
    return CheckRecord(watch_id, CheckStatus.NEW, at, new_snapshot=snapshot)


def changed(watch_id: int, text: str, baseline: int) -> CheckRecord:
    record = new(watch_id, text, "2026-11-02T00:00:00+00:00")
    diff = NewChange(baseline, None, "changed", 3, 1, 0.1, False, '[[0, "a"]]')
    return CheckRecord(
        watch_id,
        CheckStatus.CHANGED,
        record.checked_at,
        new_snapshot=record.new_snapshot,
        change=diff,
        baseline_id=baseline,
    )


def dangling(watch_id: int) -> CheckRecord:
    """A check whose change points at a version that does not exist."""
    record = changed(watch_id, "one", 999999)
    return CheckRecord(
        watch_id,
        CheckStatus.CHANGED,
        record.checked_at,
        new_snapshot=record.new_snapshot,
        change=record.change,
    )


def together(group: CommitGroup, records: list[CheckRecord]) -> list[Recorded | BaseException]:
    """The records handed in at once, as concurrent checks do; what each came back with."""

    async def run() -> list[Recorded | BaseException]:
        return await asyncio.gather(*(group.record(r) for r in records), return_exceptions=True)

    return asyncio.run(run())


def begins(store: Store) -> list[str]:
    """The transactions the store's connection opens from now on (its BEGIN statements)."""
    seen: list[str] = []
    store.database.conn.set_trace_callback(
        lambda sql: seen.append(sql) if sql.startswith("BEGIN") else None
    )
    return seen


def test_checks_that_finish_together_share_one_transaction(store: Store) -> None:
    watches = [store.watches.add(f"https://x.test/{i}") for i in range(3)]
    transactions = begins(store)
    outcomes = together(CommitGroup(store), [new(w.id, f"text {w.id}") for w in watches])
    assert transactions == ["BEGIN IMMEDIATE"]
    for watch, outcome in zip(watches, outcomes, strict=True):
        assert isinstance(outcome, Recorded)
        assert outcome.version == 1
        assert [v.text for v in store.versions.of(watch)] == [f"text {watch.id}"]
        assert store.watches.get(watch.id).current_snapshot_id == outcome.snapshot_id


def test_a_check_returns_only_once_its_group_is_committed(store: Store) -> None:
    watch = store.watches.add("https://x.test/a")
    group = CommitGroup(store)

    async def run() -> int:
        await group.record(new(watch.id, "one"))
        with ReadOnlyStore(store.path) as other:  # another connection sees only commits
            return len(other.versions.checks(watch))

    assert asyncio.run(run()) == 1


def test_a_failed_commit_fails_every_check_of_its_group_and_writes_none(store: Store) -> None:
    a, b = store.watches.add("https://x.test/a"), store.watches.add("https://x.test/b")
    store.db.execute("PRAGMA defer_foreign_keys = ON")  # checked at COMMIT, not before
    outcomes = together(CommitGroup(store), [new(b.id, "b one"), dangling(a.id)])
    assert all(isinstance(o, StoreError) for o in outcomes), outcomes
    assert "FOREIGN KEY" in str(outcomes[0])
    assert store.versions.checks(a) == [] and store.versions.checks(b) == []


def test_a_stale_check_fails_alone_and_writes_nothing(store: Store) -> None:
    a, b = store.watches.add("https://x.test/a"), store.watches.add("https://x.test/b")
    first = store.record_check(new(a.id, "one"))
    assert first.snapshot_id is not None
    store.record_check(changed(a.id, "two", first.snapshot_id))  # another process got there
    stale = changed(a.id, "three", first.snapshot_id)  # decided against version 1
    outcomes = together(CommitGroup(store), [stale, new(b.id, "b one")])
    assert isinstance(outcomes[0], StaleBaselineError)
    assert isinstance(outcomes[1], Recorded)
    assert [v.text for v in store.versions.of(a)] == ["one", "two"]
    assert len(store.versions.checks(a)) == 2
    assert len(store.changes.of(a)) == 1
    assert [v.text for v in store.versions.of(b)] == ["b one"]


def test_a_check_that_breaks_a_constraint_is_undone_alone(store: Store) -> None:
    a, b = store.watches.add("https://x.test/a"), store.watches.add("https://x.test/b")
    outcomes = together(CommitGroup(store), [dangling(a.id), new(b.id, "b one")])
    assert isinstance(outcomes[0], StoreError)
    assert "FOREIGN KEY" in str(outcomes[0])
    assert store.versions.of(a) == [] and store.versions.checks(a) == []
    assert isinstance(outcomes[1], Recorded)
    assert len(store.versions.checks(b)) == 1


def test_a_check_that_cannot_be_written_for_any_reason_fails_alone(store: Store) -> None:
    a, b = store.watches.add("https://x.test/a"), store.watches.add("https://x.test/b")
    metadata = Metadata(author={"not", "json"})  # type: ignore[arg-type]
    snapshot = NewSnapshot("T", "one", "s1", metadata, "https://x.test/", "generic", b"1", "utf-8")
    broken = CheckRecord(a.id, CheckStatus.NEW, "2026-11-01T00:00:00+00:00", new_snapshot=snapshot)
    outcomes = together(CommitGroup(store), [broken, new(b.id, "b one")])
    assert isinstance(outcomes[0], Exception) and not isinstance(outcomes[0], StoreError)
    assert store.versions.checks(a) == []
    assert isinstance(outcomes[1], Recorded)
    assert len(store.versions.checks(b)) == 1


def test_an_error_that_ends_the_transaction_fails_the_whole_group(store: Store) -> None:
    a, b = store.watches.add("https://x.test/a"), store.watches.add("https://x.test/b")
    store.db.execute(
        f"CREATE TEMP TRIGGER full BEFORE INSERT ON checks WHEN NEW.watch_id = {b.id} "
        "BEGIN SELECT RAISE(ROLLBACK, 'database or disk is full'); END"
    )
    outcomes = together(CommitGroup(store), [new(a.id, "a one"), new(b.id, "b one")])
    assert all(isinstance(o, StoreError) for o in outcomes), outcomes
    assert "disk is full" in str(outcomes[0])
    assert store.versions.checks(a) == [] and not store.database.conn.in_transaction


def test_a_failed_transaction_leaves_the_group_ready_for_the_next(store: Store) -> None:
    watches = [store.watches.add(f"https://x.test/{i}") for i in range(2)]
    store.db.execute("PRAGMA query_only = ON")  # the database refuses every write
    group = CommitGroup(store)
    outcomes = together(group, [new(w.id, "text") for w in watches])
    assert all(isinstance(o, StoreError) for o in outcomes)
    store.db.execute("PRAGMA query_only = OFF")
    assert all(store.versions.checks(w) == [] for w in watches)
    (outcome,) = together(group, [new(watches[0].id, "text")])
    assert isinstance(outcome, Recorded)


def test_a_cancelled_check_writes_nothing_and_does_not_stop_its_group(store: Store) -> None:
    a, b = store.watches.add("https://x.test/a"), store.watches.add("https://x.test/b")
    group = CommitGroup(store)

    async def run() -> Recorded:
        cancelled = asyncio.create_task(group.record(new(a.id, "a one")))
        kept = asyncio.create_task(group.record(new(b.id, "b one")))
        await asyncio.sleep(0)  # both handed in
        cancelled.cancel()
        return await kept

    assert asyncio.run(run()).version == 1
    assert [v.text for v in store.versions.of(b)] == ["b one"]
    assert store.versions.checks(a) == []


def test_a_loop_that_stops_with_a_group_open_leaves_nothing_stuck(store: Store) -> None:
    a, b = store.watches.add("https://x.test/a"), store.watches.add("https://x.test/b")
    group = CommitGroup(store, window=3600)  # the loop stops long before the group is due

    async def stop_early() -> None:
        task = asyncio.create_task(group.record(new(a.id, "a one")))
        await asyncio.sleep(0)
        task.cancel()  # as asyncio.run does to what is left when the main task ends

    asyncio.run(stop_early())
    group.window = 0.0
    (outcome,) = together(group, [new(b.id, "b one")])  # a new loop, as the next run's
    assert isinstance(outcome, Recorded)
    assert store.versions.checks(a) == []

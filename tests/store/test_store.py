"""The snapshot database: schema, migrations, one transaction per check, history reads."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from monitor.config import Config, Rules, WatchConfig
from monitor.errors import ConfigError, StaleBaselineError, StoreError, UsageError
from monitor.models import CheckStatus, Metadata
from monitor.store import (
    SCHEMA_VERSION,
    CheckRecord,
    FailureState,
    NewChange,
    NewSnapshot,
    Store,
)
from monitor.store.read import ReadOnlyStore
from monitor.store.watches import Queued


@pytest.fixture
def store(tmp_path: Path) -> Store:
    with Store(tmp_path / "m.db") as s:
        yield s  # type: ignore[misc]


def snapshot(text: str, sha: str) -> NewSnapshot:
    return NewSnapshot(
        title="T",
        text=text,
        text_sha256=sha,
        metadata=Metadata(author="Ann", modified_at="2026-01-01"),
        final_url="https://x.test/a",
        extractor="generic",
        raw=b"<html>" + text.encode() + b"</html>",
        encoding="utf-8",
    )


def change(old: int | None) -> NewChange:
    return NewChange(old, None, "changed", 3, 1, 0.1, False, '[[0, "a"]]')


def test_new_file_is_migrated_and_in_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "m.db"
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"watches", "snapshots", "checks", "changes", "snapshots_fts"} <= tables
    conn.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade monitor"):
        Store(path)


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="cannot open database"):
        Store(path)


def test_add_and_find_watches(store: Store) -> None:
    watch = store.watches.add("https://x.test/a", name="a", interval=60)
    assert store.watches.find("a") == watch
    assert store.watches.find(str(watch.id)) == watch
    assert store.watches.find("https://x.test/a") == watch
    with pytest.raises(UsageError, match="already watched"):
        store.watches.add("https://x.test/a")
    with pytest.raises(UsageError, match="no watch named"):
        store.watches.find("b")


def test_a_pass_queues_the_active_watches_by_a_few_columns(store: Store) -> None:
    first = store.watches.add("https://x.test/a")
    dropped = store.watches.add("https://x.test/b")
    third = store.watches.add("https://x.test/c")
    assert store.watches.drop_unread_page(dropped.url) == dropped.id  # inactive now
    assert store.watches.queued() == [
        (first.id, first.url, None, True),
        (third.id, third.url, None, True),
    ]
    assert store.watches.queued()[0] == Queued.of(first)


def test_a_daemon_schedules_from_a_few_columns(store: Store) -> None:
    named = store.watches.add("https://x.test/a", name="a", interval=60)
    plain = store.watches.add("https://x.test/b")
    store.watches.set_next_check(plain.id, "2026-12-07T10:00:00+00:00")
    assert store.watches.interval_watches() == [
        (named.id, named.url, "a", 60, None),
        (plain.id, plain.url, None, None, "2026-12-07T10:00:00+00:00"),
    ]
    assert [w.label for w in store.watches.interval_watches()] == ["a", plain.url]


def test_sync_config_adds_updates_and_deactivates(store: Store) -> None:
    one = Config(watches=(WatchConfig("https://x.test/1", "one"), WatchConfig("https://x.test/2")))
    store.sync_config(one)
    assert [w.label for w in store.watches.all()] == ["one", "https://x.test/2"]
    two = Config(watches=(WatchConfig("https://x.test/1", "uno", 600, Rules(remove=(".x",))),))
    store.sync_config(two)
    (watch,) = store.watches.all()
    assert (watch.name, watch.interval, watch.rules.remove) == ("uno", 600, (".x",))
    assert len(store.watches.all(active_only=False)) == 2
    store.watches.add("https://x.test/cli")
    store.sync_config(two)
    assert [w.url for w in store.watches.all()] == ["https://x.test/1", "https://x.test/cli"]


def test_record_check_writes_snapshot_change_and_state(store: Store) -> None:
    watch = store.watches.add("https://x.test/a")
    first = store.record_check(
        CheckRecord(
            watch.id,
            CheckStatus.NEW,
            "2026-11-01T00:00:00+00:00",
            new_snapshot=snapshot("one", "s1"),
            etag='"e1"',
            content_key="k1",
        )
    )
    assert (first.version, first.change_id) == (1, None)
    second = store.record_check(
        CheckRecord(
            watch.id,
            CheckStatus.CHANGED,
            "2026-11-02T00:00:00+00:00",
            new_snapshot=snapshot("two", "s2"),
            change=change(first.snapshot_id),
            baseline_id=first.snapshot_id,
        )
    )
    assert second.version == 2
    state = store.watches.get(watch.id)
    assert state.current_snapshot_id == second.snapshot_id
    assert state.last_change_at == "2026-11-02T00:00:00+00:00"
    (row,) = store.changes.of(state)
    assert (row["old_snapshot_id"], row["new_snapshot_id"]) == (
        first.snapshot_id,
        second.snapshot_id,
    )
    assert [s.text for s in store.versions.of(state)] == ["one", "two"]
    assert store.versions.page(first.snapshot_id or 0) == (b"<html>one</html>", "utf-8")
    assert store.versions.by_sha(watch.id, "s1") is not None
    assert store.versions.at(state, "2026-11-01T12:00:00+00:00").text == "one"
    assert store.versions.by_number(state, 2).metadata.author == "Ann"


def test_errors_never_move_the_baseline(store: Store) -> None:
    watch = store.watches.add("https://x.test/a")
    good = store.record_check(
        CheckRecord(
            watch.id,
            CheckStatus.NEW,
            "2026-11-01T00:00:00+00:00",
            new_snapshot=snapshot("one", "s1"),
            etag='"e1"',
        )
    )
    for status, http in (
        (CheckStatus.HTTP_ERROR, 404),
        (CheckStatus.GONE, 404),
        (CheckStatus.SOFT_ERROR, 200),
    ):
        store.record_check(
            CheckRecord(
                watch.id,
                status,
                "2026-11-02T00:00:00+00:00",
                http_status=http,
                error="x",
                etag='"bad"',
            )
        )
    state = store.watches.get(watch.id)
    assert state.current_snapshot_id == good.snapshot_id
    assert state.etag == '"e1"'
    assert (state.error_streak, state.gone_streak) == (3, 0)
    store.record_check(
        CheckRecord(
            watch.id,
            CheckStatus.UNCHANGED,
            "2026-11-03T00:00:00+00:00",
            snapshot_id=good.snapshot_id,
            baseline_id=good.snapshot_id,
        )
    )
    assert store.watches.get(watch.id).error_streak == 0
    assert len(store.versions.checks(state)) == 5


def test_a_failed_check_writes_nothing(store: Store) -> None:
    watch = store.watches.add("https://x.test/a")
    bad = CheckRecord(
        watch.id,
        CheckStatus.CHANGED,
        "2026-11-01T00:00:00+00:00",
        new_snapshot=snapshot("one", "s1"),
        change=change(999999),
    )
    with pytest.raises(StoreError, match="FOREIGN KEY"):
        store.record_check(bad)
    assert store.versions.of(watch) == []
    assert store.versions.checks(watch) == []


def test_a_failed_check_keeps_the_failure_another_process_stored(store: Store) -> None:
    watch = store.watches.add("https://x.test/a")
    at = "2026-11-01T0{}:00:00+00:00".format
    told = FailureState(since=at(0), told_at=at(2))
    store.record_check(CheckRecord(watch.id, CheckStatus.HTTP_ERROR, at(2), failure=told))
    stale = FailureState(since=at(3))  # decided from a read of the watch before that check
    store.record_check(CheckRecord(watch.id, CheckStatus.NETWORK_ERROR, at(3), failure=stale))
    assert store.watches.get(watch.id).failure == told  # not told twice, nor begun anew
    recovered = FailureState(recovered_at=at(4))
    store.record_check(CheckRecord(watch.id, CheckStatus.NOT_MODIFIED, at(4), failure=recovered))
    assert store.watches.get(watch.id).failure == recovered
    store.record_check(CheckRecord(watch.id, CheckStatus.SOFT_ERROR, at(5)))  # no state given
    store.record_check(CheckRecord(watch.id, CheckStatus.SOFT_ERROR, at(6)))
    assert store.watches.get(watch.id).failure == FailureState(since=at(5), recovered_at=at(4))


def test_full_text_search_finds_japanese_substrings(store: Store) -> None:
    watch = store.watches.add("https://x.test/a")
    store.record_check(
        CheckRecord(
            watch.id,
            CheckStatus.NEW,
            "2026-11-01T00:00:00+00:00",
            new_snapshot=snapshot("北朝鮮のロシアに対する軍事的支援", "s1"),
        )
    )
    rows = list(
        store.db.query("SELECT rowid FROM snapshots_fts WHERE snapshots_fts MATCH ?", ["軍事的"])
    )
    assert len(rows) == 1


def test_readonly_open(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with pytest.raises(StoreError, match="no database"):
        ReadOnlyStore(path)
    Store(path).close()
    with ReadOnlyStore(path) as ro:
        assert ro.watches.all() == []
        assert not any(hasattr(ro.watches, name) for name in ("add", "insert", "sync_config"))
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            ro.db.execute("INSERT INTO watches (url, created_at) VALUES ('https://x.test/', '')")


def test_a_config_entry_for_a_cli_watch_does_not_take_it_over(store: Store) -> None:
    added = store.watches.add("https://x.test/a", name="article")
    store.sync_config(Config(watches=(WatchConfig("https://x.test/a", interval=60),)))
    watch = store.watches.get(added.id)
    assert (watch.name, watch.source, watch.interval) == ("article", "cli", 60)
    store.sync_config(Config())  # the entry is removed again
    assert store.watches.get(added.id).active


def test_a_name_can_move_to_another_url(store: Store) -> None:
    store.sync_config(Config(watches=(WatchConfig("https://x.test/1", "w0"),)))
    store.sync_config(Config(watches=(WatchConfig("https://x.test/2", "w0"),)))
    assert store.watches.find("w0").url == "https://x.test/2"
    old = store.watches.find("https://x.test/1")
    assert (old.name, old.active) == (None, False)


def test_a_config_name_held_by_a_cli_watch_is_a_config_error(store: Store) -> None:
    store.watches.add("https://x.test/1", name="mine")
    with pytest.raises(ConfigError, match="added with `monitor add`"):
        store.sync_config(Config(watches=(WatchConfig("https://x.test/2", "mine"),)))


def test_a_check_decided_against_a_replaced_baseline_is_refused(store: Store) -> None:
    watch = store.watches.add("https://x.test/a")
    first = store.record_check(
        CheckRecord(
            watch.id,
            CheckStatus.NEW,
            "2026-11-01T00:00:00+00:00",
            new_snapshot=snapshot("one", "s1"),
        )
    )
    # Two processes both decided "changed" against version 1; the first one wins.
    for attempt in range(2):
        record = CheckRecord(
            watch.id,
            CheckStatus.CHANGED,
            "2026-11-02T00:00:00+00:00",
            new_snapshot=snapshot("two", "s2"),
            change=change(first.snapshot_id),
            baseline_id=first.snapshot_id,
        )
        if attempt == 0:
            store.record_check(record)
        else:
            with pytest.raises(StaleBaselineError):
                store.record_check(record)
    assert len(store.changes.of(watch)) == 1
    assert len(store.versions.of(watch)) == 2


def test_a_feed_name_moves_to_the_config_feed_that_now_has_it(tmp_path: Path) -> None:
    """The demo run again in its folder: the same feed name on another URL (its port)."""
    from monitor.config import Config, FeedConfig, Settings

    with Store(tmp_path / "m.db") as store:
        first = FeedConfig(url="http://127.0.0.1:1111/feed", name="sample")
        store.sync_config(Config(settings=Settings(), feeds=(first,)))
        again = FeedConfig(url="http://127.0.0.1:2222/feed", name="sample")
        store.sync_config(Config(settings=Settings(), feeds=(again,)))
        feeds = {f.url: (f.name, f.active) for f in store.feeds.all(active_only=False)}
        assert feeds == {first.url: (None, False), again.url: ("sample", True)}
        store.feeds.add_feed("https://cli.example/feed", name="mine")
        mine = FeedConfig(url="https://other.example/feed", name="mine")
        with pytest.raises(ConfigError, match="followed with `monitor add --follow-feed`"):
            store.sync_config(Config(settings=Settings(), feeds=(again, mine)))


def test_removing_the_config_entry_of_a_cli_watch_leaves_it_as_it_was_added(
    store: Store,
) -> None:
    """An entry gave the watch an interval, rules and a name; without the entry it is the
    watch `monitor add` made again (no rules applying unseen, that nothing could edit)."""
    added = store.watches.add("https://x.test/a", name="article")
    entry = WatchConfig("https://x.test/a", "fire", interval=10800, rules=Rules(remove=(".by",)))
    store.sync_config(Config(watches=(entry,)))
    watch = store.watches.get(added.id)
    assert (watch.name, watch.interval, watch.rules) == ("fire", 10800, Rules(remove=(".by",)))
    store.sync_config(Config(watches=(replace(entry, interval=3600),)))  # edited: still kept
    store.sync_config(Config())
    watch = store.watches.get(added.id)
    assert (watch.name, watch.interval, watch.rules) == ("article", None, Rules())
    assert (watch.source, watch.active) == ("cli", True)
    store.sync_config(Config(watches=(entry,)))  # and again, with its name taken meanwhile
    store.watches.add("https://x.test/b", name="other")
    store.sync_config(Config(watches=(WatchConfig("https://x.test/b", "article"),)))
    assert store.watches.get(added.id).name == "fire"


def test_a_watch_removed_from_the_config_shows_no_next_check(store: Store) -> None:
    store.sync_config(Config(watches=(WatchConfig("https://x.test/1", "w1"),)))
    watch = store.watches.find("w1")
    store.watches.set_next_check(watch.id, "2026-12-08T10:00:00+00:00")
    store.sync_config(Config())
    assert (store.watches.get(watch.id).active, store.watches.get(watch.id).next_check_at) == (
        False,
        None,
    )


def test_a_new_database_logs_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("INFO", logger="monitor.store.database"):
        Store(tmp_path / "m.db").close()
    assert [r.getMessage().split(" (")[0][-7:] for r in caplog.records] == ["created"]


def test_a_daemon_without_a_config_file_leaves_a_cli_watch_as_its_entry_set_it(
    store: Store,
) -> None:
    """`monitor run` without config.toml syncs an empty config that deactivates nothing:
    no entry was removed, so nothing is put back as added."""
    added = store.watches.add("https://x.test/a", name="article")
    store.sync_config(Config(watches=(WatchConfig("https://x.test/a", "fire", interval=600),)))
    store.sync_config(Config(), deactivate=False)
    watch = store.watches.get(added.id)
    assert (watch.name, watch.interval) == ("fire", 600)

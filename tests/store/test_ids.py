"""Ids leave the database (webhooks' ``change_id`` and ``watch_id``, the Atom feed's entry
ids, /changes/ID, /watches/ID, the API's version and check ids), so none is ever given
twice, also after `monitor remove --purge` deleted the rows with the highest (schema 12:
AUTOINCREMENT). A database of the release before (schema 11) is rebuilt so, in one
transaction, keeping every row, id, search and key. Real SQLite files, a real HTTP server
on 127.0.0.1."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils
from harness import FAST, Harness, Site

from monitor import samplesite
from monitor.config import Config, Settings
from monitor.models import CheckStatus
from monitor.store import SCHEMA_VERSION, Store, search
from monitor.store import database as database_module
from monitor.store.schema import KEPT_IDS, MIGRATIONS, keep_ids

#: The schema of the release before this one.
RELEASE_SCHEMA = 11
CHANNELS = {"change": ("hook",)}
#: The tables whose ids a test follows: all those of KEPT_IDS a check writes.
CHECKED = ("watches", "snapshots", "changes", "checks", "outbox")


@pytest.fixture
def sites(http_server: Any) -> tuple[Site, Site]:
    """px (the Japanese sample article) and py (the English one)."""
    return (
        Site(http_server, samplesite.load_article("ja"), path="/px/"),
        Site(http_server, samplesite.load_article("en"), path="/py/"),
    )


def harness_of(path: Path) -> Harness:
    return Harness(Store(path), Config(settings=Settings(database=str(path), fetch=FAST)))


def edit(site: Site, old: str, new: str) -> None:
    site.article = samplesite.replace_text(site.article, old, new)


def highest(conn: Any) -> dict[str, int]:
    return {t: conn.execute(f"SELECT coalesce(max(id), 0) FROM {t}").fetchone()[0] for t in CHECKED}


def dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but the full-text index's own, in id (or key) order."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'snapshots_fts%' AND name != 'sqlite_sequence'"
            )
        ]
        return {t: conn.execute(f"SELECT * FROM {t} ORDER BY 1, 2").fetchall() for t in tables}
    finally:
        conn.close()


def test_a_purge_gives_none_of_its_ids_again(tmp_path: Path, sites: tuple[Site, Site]) -> None:
    """The trial's case: px's change is the newest when px is purged; py's next change, its
    version, check and notification, and the next watch, all get ids never seen before."""
    px_site, py_site = sites
    path = tmp_path / "m.db"
    harness = harness_of(path)
    py = harness.store.watches.add(py_site.url, name="py")
    px = harness.store.watches.add(px_site.url, name="px")
    for watch in (py, px):
        assert harness.check(watch, channels=CHANNELS).status is CheckStatus.NEW
    edit(px_site, "1万人", "1万2000人")
    px_change = harness.check(px, channels=CHANNELS)
    assert px_change.status is CheckStatus.CHANGED, px_change.error
    before = highest(harness.store.db)
    assert before["changes"] == px_change.change_id
    assert before["watches"] == px.id
    harness.store.watches.purge(harness.store.watches.get(px.id))
    assert highest(harness.store.db)["changes"] == 0  # px held every row of the highest ids
    harness.store.close()

    # another process, as `monitor check` after `monitor remove --purge`
    harness = harness_of(path)
    edit(py_site, "Tuesday night", "Wednesday night")
    py_change = harness.check(harness.store.watches.get(py.id), channels=CHANNELS)
    assert py_change.status is CheckStatus.CHANGED, py_change.error
    assert py_change.change_id is not None and py_change.change_id > before["changes"]
    pz = harness.store.watches.add(px_site.url, name="pz")  # px's very URL again
    assert pz.id > before["watches"]
    after = highest(harness.store.db)
    assert all(after[t] > before[t] for t in CHECKED), (before, after)
    version = harness.store.versions.current(harness.store.watches.get(py.id))
    assert version is not None and version.id == after["snapshots"]
    harness.store.close()


def release_database(path: Path, sites: tuple[Site, Site], monkeypatch: Any) -> None:
    """What the release before leaves: px and py checked, edited and checked again with a
    hook for changes, a third watch purged, a feed with its baseline, sitemap and an entry
    change. Written by today's code with the migrations stopped at the release's schema."""
    px_site, py_site = sites
    with monkeypatch.context() as release:
        release.setattr(database_module, "MIGRATIONS", MIGRATIONS[:RELEASE_SCHEMA])
        release.setattr(database_module, "SCHEMA_VERSION", RELEASE_SCHEMA)
        harness = harness_of(path)
        assert harness.store.schema_version == RELEASE_SCHEMA
        gone = harness.store.watches.add(px_site.server.url("/gone/"), name="gone")
        px = harness.store.watches.add(px_site.url, name="px")
        py = harness.store.watches.add(py_site.url, name="py")
        for watch in (px, py):
            assert harness.check(watch, channels=CHANNELS).status is CheckStatus.NEW
        edit(px_site, "1万人", "1万2000人")
        edit(py_site, "Tuesday night", "Wednesday night")
        for watch in (px, py):
            assert harness.check(watch, channels=CHANNELS).status is CheckStatus.CHANGED
        harness.store.watches.purge(harness.store.watches.get(gone.id))
        db = harness.store.db
        with harness.store.transaction():
            db.execute(
                "INSERT INTO feeds (id, url, created_at) VALUES (1, ?, '2026-12-01T09:00:00')",
                [px_site.server.url("/feed.xml")],
            )
            db.execute("UPDATE watches SET feed_id = 1 WHERE id = ?", [py.id])
            db.execute("INSERT INTO feed_baseline (feed_id, url_key) VALUES (1, 'k')")
            db.execute("INSERT INTO feed_sitemaps (feed_id, url) VALUES (1, 'https://s/x')")
            db.execute(
                "INSERT INTO feed_entry_changes (watch_id, feed_id, detected_at, field, old, "
                "new) VALUES (?, 1, '2026-12-01T10:00:00', 'title', 'a', 'b')",
                [py.id],
            )
        harness.store.close()


def found(store: Store, query: str) -> list[int]:
    hits = search.search(store, query, limit=10)
    assert not hits.scanned, query  # the full-text index, not a scan
    return [hit.snapshot_id for hit in hits.hits]


def fts_whole(conn: Any) -> None:
    """The full-text index matches the snapshots it indexes, row for row (FTS5's own check
    of an external-content index)."""
    conn.execute("INSERT INTO snapshots_fts (snapshots_fts, rank) VALUES ('integrity-check', 1)")


def test_a_release_database_keeps_every_row_id_search_and_key(
    tmp_path: Path, sites: tuple[Site, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "release.db"
    release_database(path, sites, monkeypatch)
    conn = sqlite3.connect(path)  # someone's own view, in a file read with sqlite3
    conn.execute(
        "CREATE VIEW recent AS SELECT w.name, c.id, c.detected_at FROM changes c "
        "JOIN watches w ON w.id = c.watch_id"
    )
    conn.close()
    rows = dump(path)
    assert all(rows[t] for t in (*KEPT_IDS, "feed_baseline", "feed_sitemaps")), rows.keys()
    recent = view(path)
    assert len(recent) == 2
    with Store(path) as store:
        before = {q: found(store, q) for q in ("1万2000人", "Wednesday night", "安全保障")}
    assert all(before.values()), before

    store = Store(path)  # migrates
    try:
        assert store.schema_version == SCHEMA_VERSION == RELEASE_SCHEMA + 1
        assert dump(path) == rows  # every row, with its id
        assert {q: found(store, q) for q in before} == before
        conn = store.db.conn
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        fts_whole(conn)
        sequence = dict(conn.execute("SELECT name, seq FROM sqlite_sequence").fetchall())
        assert sequence == {t: max(row[0] for row in rows[t]) for t in KEPT_IDS}
        with pytest.raises(sqlite3.IntegrityError):  # the keys hold as before
            conn.execute(
                "INSERT INTO changes (watch_id, new_snapshot_id, detected_at, kind, "
                "chars_added, chars_removed, share_changed, diff_json) "
                "VALUES (999, 1, 'x', 'changed', 0, 0, 0, '[]')"
            )
    finally:
        store.close()
    assert view(path) == recent
    assert schema(path) == [*schema(new_database(tmp_path)), ("view", "recent", None)]


def view(path: Path) -> list[tuple[Any, ...]]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT * FROM recent ORDER BY id").fetchall()
    finally:
        conn.close()


def schema(path: Path) -> list[tuple[str, str, str | None]]:
    """Every table, index and trigger with its SQL; views by name."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT type, name, iif(type = 'view', NULL, sql) FROM sqlite_master "
            "ORDER BY type, name"
        ).fetchall()
    finally:
        conn.close()


def new_database(tmp_path: Path) -> Path:
    path = tmp_path / "new.db"
    Store(path).close()
    return path


KILLED = """
import os, signal, sys
from monitor.store import Store, schema

rebuild = schema._autoincrement


def killed(db, table):
    if table == "checks":  # feeds, watches, snapshots and changes rebuilt, not committed
        os.kill(os.getpid(), signal.SIGKILL)
    rebuild(db, table)


schema._autoincrement = killed
Store(sys.argv[1])
"""


def test_a_kill_during_the_upgrade_leaves_the_release_database(
    tmp_path: Path, sites: tuple[Site, Site], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "release.db"
    release_database(path, sites, monkeypatch)
    rows, old = dump(path), schema(path)
    killed = subprocess.run([sys.executable, "-c", KILLED, str(path)], capture_output=True)
    assert killed.returncode == -9, killed.stderr
    assert schema(path) == old  # no table rebuilt, none left half made
    assert dump(path) == rows
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == RELEASE_SCHEMA
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()
    with Store(path) as store:  # the next open upgrades it
        assert store.schema_version == SCHEMA_VERSION
    assert dump(path) == rows


def test_the_rebuild_refuses_to_run_with_foreign_keys_on(tmp_path: Path) -> None:
    """Dropping a table others refer to with foreign keys on would delete through them:
    the step stops first, and Database runs it with them off."""
    conn = sqlite3.connect(tmp_path / "m.db")
    db = sqlite_utils.Database(conn)
    for migration in MIGRATIONS[:RELEASE_SCHEMA]:
        migration(db)
    conn.execute("PRAGMA foreign_keys = ON")
    with pytest.raises(sqlite3.OperationalError, match="foreign_keys = OFF"):
        keep_ids(db)
    assert "AUTOINCREMENT" not in schema(tmp_path / "m.db")[0][2]
    conn.close()

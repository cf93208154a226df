"""A full disk or a read-only database gives a clear error, loses nothing, corrupts nothing."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from server import LocalServer

from monitor import samplesite
from monitor.errors import StoreError
from monitor.models import CheckStatus, Metadata
from monitor.store import CheckRecord, NewSnapshot, Store


def snapshot(text: str) -> NewSnapshot:
    return NewSnapshot("T", text, str(hash(text)), Metadata(), None, "generic", b"x" * 50_000, None)


def integrity(path: Path) -> str:
    conn = sqlite3.connect(path)
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def test_a_full_database_is_a_clear_error_and_nothing_is_lost(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as store:
        watch = store.watches.add("https://x.test/a")
        store.record_check(
            CheckRecord(
                watch.id, CheckStatus.NEW, "2026-11-27T09:00:00+00:00", new_snapshot=snapshot("one")
            )
        )
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full now
        with pytest.raises(StoreError, match="database or disk is full"):
            store.record_check(
                CheckRecord(
                    watch.id,
                    CheckStatus.CHANGED,
                    "2026-11-27T10:00:00+00:00",
                    new_snapshot=snapshot("two " * 20_000),
                    baseline_id=1,
                )
            )
        assert [s.text for s in store.versions.of(watch)] == ["one"]
        assert len(store.versions.checks(watch)) == 1
    assert integrity(path) == "ok"
    with Store(path) as store:  # space again: writing works
        store.record_check(
            CheckRecord(
                1, CheckStatus.UNCHANGED, "2026-11-27T11:00:00+00:00", snapshot_id=1, baseline_id=1
            )
        )
        assert len(store.versions.checks(store.watches.get(1))) == 2


def test_a_read_only_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "m.db"
    with Store(path) as store:
        watch = store.watches.add("https://x.test/a")
        store.db.execute("PRAGMA query_only = 1")
        with pytest.raises(StoreError, match="readonly database"):
            store.record_check(CheckRecord(watch.id, CheckStatus.HTTP_ERROR, "2026-11-27"))
    assert integrity(path) == "ok"


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 600 kB tmpfs (needs root and mount permission; skipped without them)."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=600k", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0 or os.geteuid() != 0:
        pytest.skip("cannot mount a tmpfs here; the PRAGMA-based tests cover a full disk")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def test_check_on_a_really_full_disk(tiny_disk: Path, http_server: LocalServer) -> None:
    article = samplesite.load_article("ja")
    http_server.set("/a", samplesite.render_page(article))
    db = tiny_disk / "m.db"
    monitor = [sys.executable, "-m", "monitor", "--db", str(db)]
    subprocess.run([*monitor, "add", http_server.url("/a")], check=True, capture_output=True)
    first = subprocess.run([*monitor, "check", "--no-notify"], capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    filler = tiny_disk / "filler"
    try:
        with filler.open("ab") as handle:
            while True:
                handle.write(b"\0" * 4096)
                handle.flush()
    except OSError:
        pass  # the disk is full
    edited = samplesite.replace_text(article, "1万人", "1万2000人")
    http_server.set("/a", samplesite.render_page(edited) + "<!--" + "x" * 400_000 + "-->")
    second = subprocess.run([*monitor, "check", "--no-notify"], capture_output=True, text=True)
    assert second.returncode == 1
    assert "Traceback" not in second.stderr
    assert "full" in second.stderr or "disk" in second.stderr
    filler.unlink()
    assert integrity(db) == "ok"
    log = subprocess.run([*monitor, "log", "1", "--json"], capture_output=True, text=True)
    assert log.returncode == 0, log.stderr

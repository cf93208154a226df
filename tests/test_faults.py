"""The fault suite: every fault of tests/faults.py, checked for real.

Each fault must end in one recorded check with the right status and a useful error, within
bounded time and memory, with no snapshot and no change, and the next good fetch must be
compared with the last good version.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import subprocess
import sys
import time
import tracemalloc
from dataclasses import replace
from pathlib import Path

import pytest
from faults import EXPECTED, closed_port, fault_handlers, install_faults
from harness import Harness, Site
from server import LocalServer

from monitor import samplesite
from monitor.fetch import Fetcher
from monitor.models import CheckStatus
from monitor.pipeline import Checker, CheckResult
from monitor.store import Watch

FAULT_LIMIT_SECONDS = 20  # a hang fails the test instead of blocking the suite
MEMORY_LIMIT = 40 * 1024 * 1024


def check(harness: Harness, watch: Watch) -> tuple[CheckResult, int]:
    """One check, bounded in time; its result and the peak of Python memory during it."""

    async def run() -> CheckResult:
        async with Fetcher(harness.config.settings.fetch) as fetcher:
            checker = Checker(harness.store, fetcher, harness.config)
            fresh = harness.store.watches.get(watch.id)
            return await asyncio.wait_for(checker.check(fresh), FAULT_LIMIT_SECONDS)

    tracemalloc.start()
    try:
        result = asyncio.run(run())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return result, peak


@pytest.fixture
def small(harness: Harness) -> Harness:
    """The harness with a 2 MB body limit, so the size faults hit it, no retries, and a read
    timeout above 1 s, so that a 1 byte/s trickle meets the whole-fetch deadline instead."""
    fetch = replace(
        harness.config.settings.fetch,
        max_bytes=2 * 1024 * 1024,
        retries=0,
        read_timeout=2.0,
        total_timeout=3.0,
    )
    harness.config = replace(harness.config, settings=replace(harness.config.settings, fetch=fetch))
    return harness


@pytest.mark.parametrize("fault", [name for name in EXPECTED if name != "connection refused"])
def test_a_fault_is_one_recorded_error_and_the_baseline_stays(
    small: Harness, ja_site: Site, http_server: LocalServer, fault: str
) -> None:
    status, error = EXPECTED[fault]
    watch = small.store.watches.add(ja_site.url)
    first, _ = check(small, watch)
    assert first.status is CheckStatus.NEW
    ja_site.override = fault_handlers(http_server)[fault]
    failed, peak = check(small, watch)
    assert failed.status is status, failed.error
    assert error.lower() in (failed.error or "").lower()
    assert failed.snapshot_id is None and failed.report is None
    assert peak < MEMORY_LIMIT, f"{fault}: {peak / 1e6:.1f} MB"
    assert len(small.store.versions.of(watch)) == 1
    assert small.store.changes.of(watch) == []
    assert len(small.store.versions.checks(watch)) == 2
    ja_site.override = None
    ja_site.article = samplesite.replace_text(ja_site.article, "1万人", "1万2000人")
    back, _ = check(small, watch)
    assert back.status is CheckStatus.CHANGED and back.report is not None
    assert back.report.old is not None and back.report.old.version == 1
    assert [op.text for op in back.report.diff.ops if op.op] == ["2000"]


def test_connection_refused(small: Harness) -> None:
    watch = small.store.watches.add(f"http://127.0.0.1:{closed_port()}/article/")
    result, _ = check(small, watch)
    assert result.status is CheckStatus.NETWORK_ERROR
    assert "refused" in (result.error or "")
    assert small.store.versions.of(watch) == []


def test_a_collapsed_article_is_an_error_until_it_settles(small: Harness, ja_site: Site) -> None:
    watch = small.store.watches.add(ja_site.url)
    check(small, watch)
    ja_site.article = replace(ja_site.article, blocks=ja_site.article.blocks[:1])
    statuses = [check(small, watch)[0].status for _ in range(3)]
    assert statuses == [CheckStatus.SOFT_ERROR, CheckStatus.SOFT_ERROR, CheckStatus.CHANGED]


PAGES = {
    "invalid UTF-8": (
        "<html><head><meta charset='utf-8'><title>T</title></head><body><article><p>"
        "壊れたバイトの後も本文は読める。</p></article></body></html>"
    ).encode()
    + b"\xff\xfe<p>tail</p>",
    "charset lie (UTF-8 declared Shift_JIS)": (
        "<html><head><meta charset='Shift_JIS'><title>T</title></head><body><article><p>"
        "宣言は嘘だが本文は正しく読める。</p></article></body></html>"
    ).encode(),
    "NUL bytes in text": (
        b"<html><head><title>T</title></head><body><article><p>NUL\x00 in the middle of "
        b"a sentence that is still an article.</p></article></body></html>"
    ),
}


@pytest.mark.parametrize("page", list(PAGES))
def test_broken_but_readable_pages_are_read_right(
    small: Harness, http_server: LocalServer, page: str
) -> None:
    http_server.set("/odd", PAGES[page], headers={"Content-Type": "text/html"})
    watch = small.store.watches.add(http_server.url("/odd"))
    result, _ = check(small, watch)
    assert result.status is CheckStatus.NEW
    (snapshot,) = small.store.versions.of(watch)
    assert "\x00" not in snapshot.text  # control characters never reach the text
    assert "本文は" in snapshot.text or "still an article" in snapshot.text  # no mojibake


def test_the_daemon_keeps_running_through_every_fault(
    tmp_path: Path, http_server: LocalServer
) -> None:
    urls = install_faults(http_server)
    good = Site(http_server, samplesite.load_article("en"), path="/good/")
    config = tmp_path / "config.toml"
    lines = [
        "[monitor]",
        f'database = "{tmp_path / "m.db"}"',
        'interval = "2s"',
        'jitter = "0s"',
        "retries = 0",
        'second_fetch = "0s"',
        'read_timeout = "2s"',
        'total_timeout = "3.5s"',
        'max_size = "2MB"',
        'shutdown_grace = "5s"',
        "[[watch]]",
        f'url = "{good.url}"',
        'name = "good"',
    ]
    for number, url in enumerate(urls.values()):
        lines += ["[[watch]]", f'url = "{url}"', f'name = "fault{number}"']
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = tmp_path / "daemon.log"
    with log.open("wb") as err:
        daemon = subprocess.Popen(
            [sys.executable, "-m", "monitor", "--config", str(config), "run", "--workers", "1"],
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and _checked_watches(tmp_path / "m.db") < len(urls) + 1:
            time.sleep(0.2)
        time.sleep(2)  # a few more rounds
        assert daemon.poll() is None, log.read_text()
    finally:
        daemon.send_signal(signal.SIGTERM)
        code = daemon.wait(20)
    assert code == 0
    conn = sqlite3.connect(tmp_path / "m.db")
    rows = conn.execute(
        "SELECT w.url, c.status, c.error, c.snapshot_id FROM checks c JOIN watches w "
        "ON w.id = c.watch_id"
    ).fetchall()
    snapshots = conn.execute("SELECT count(*) FROM snapshots").fetchone()[0]
    conn.close()
    by_url = {url: name for name, url in urls.items()}
    for url, status, error, snapshot_id in rows:
        if url == good.url:
            assert status in ("new", "unchanged", "not_modified")
            continue
        expected, message = EXPECTED[by_url[url]]
        assert status == expected.value, (by_url[url], status, error)
        assert message.lower() in (error or "").lower()
        assert snapshot_id is None
    assert snapshots == 1  # only the good page ever became a version
    assert "Traceback" not in log.read_text(encoding="utf-8")


def _checked_watches(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db, timeout=5)
    try:
        return int(conn.execute("SELECT count(DISTINCT watch_id) FROM checks").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()

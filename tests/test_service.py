"""`monitor run` as a real subprocess against a local test server: edits, signals, crashes."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from daemon import Daemon, Hook, Page, count, query, wait_for, write_config
from server import LocalServer, Response

from monitor.service import woken

KILLS = 20


def test_run_detects_an_edit_notifies_once_and_stops_cleanly(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    page, hook = Page(http_server, "/a/"), Hook(http_server)
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [page.url], hook.url)
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'new'") == 1)
    page.edit("voted 7-2", "voted 6-3")
    edited_at = time.monotonic()
    wait_for(lambda: count(db, "SELECT count(*) FROM changes") == 1)
    assert time.monotonic() - edited_at < 8  # within a few 1 s intervals, on a busy machine too
    wait_for(lambda: len(hook.events) == 1)
    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < 6
    assert hook.changes() == [1]
    assert hook.events[0]["change"]["stats"]["chars_added"] == 3  # type: ignore[index]
    reports = sorted(p.suffix for p in (tmp_path / "reports").rglob("*change1.*"))
    assert reports == [".html", ".md"]
    log = daemon.output()
    assert "scheduled 1 watch" in log and "stopped after" in log
    assert "status=changed" in log
    assert count(db, "SELECT count(*) FROM outbox WHERE state = 'sent'") == 2


def test_a_second_daemon_on_the_same_database_is_refused(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    page = Page(http_server, "/a/")
    config = tmp_path / "config.toml"
    write_config(config, [page.url])
    daemons.append(first := Daemon(config))
    wait_for(lambda: count(tmp_path / "m.db", "SELECT count(*) FROM checks") > 0)
    daemons.append(second := Daemon(config))
    assert second.process.wait(10) == 1
    assert "already running" in second.output()
    assert first.process.poll() is None
    assert first.stop() == 0


def test_sighup_reloads_watches(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    one, two = Page(http_server, "/one/"), Page(http_server, "/two/", "ja")
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [one.url])
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks") > 0)
    assert two.requests == 0
    write_config(config, [two.url])
    daemon.process.send_signal(signal.SIGHUP)
    wait_for(lambda: two.requests > 0)
    wait_for(lambda: "configuration reloaded" in daemon.output())
    checked_one = one.requests
    time.sleep(2.5)
    assert one.requests <= checked_one + 1  # removed from the schedule
    assert count(db, "SELECT count(*) FROM watches WHERE active = 1") == 1
    (config.parent / "config.toml").write_text("[monitor\n", encoding="utf-8")
    daemon.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "reload failed" in daemon.output())
    assert daemon.process.poll() is None
    assert daemon.stop() == 0


def test_a_restart_keeps_the_schedule(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    pages = [Page(http_server, f"/p{i}/") for i in range(3)]
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [p.url for p in pages], interval="1h")
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks") == 3, timeout=45)
    assert daemon.stop() == 0
    stored = query(db, "SELECT next_check_at FROM watches")
    assert all(row[0] for row in stored)
    before = [p.requests for p in pages]
    daemons.append(again := Daemon(config))
    wait_for(lambda: "scheduled 3 watches" in again.output())
    time.sleep(1.5)
    assert [p.requests for p in pages] == before  # nothing re-fetched: not due for an hour
    assert again.stop() == 0


def test_json_logs(tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]) -> None:
    page = Page(http_server, "/a/")
    config = tmp_path / "config.toml"
    write_config(config, [page.url])
    log = tmp_path / "json.log"
    with log.open("wb") as err:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "monitor",
                "--config",
                str(config),
                "run",
                "--workers",
                "0",
                "--log-format",
                "json",
            ],
            stderr=err,
        )
    try:
        wait_for(lambda: '"status": "new"' in log.read_text(encoding="utf-8"))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(10) == 0
    events = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    checked = [e for e in events if e.get("status") == "new"]
    assert checked and checked[0]["watch"] == "w0" and checked[0]["level"] == "info"


def test_kill_9_at_random_moments_loses_nothing_and_notifies_once(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    """20 times: edit the article, start the daemon, kill -9 it at a random moment."""
    page, hook = Page(http_server, "/a/"), Hook(http_server)
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [page.url], hook.url, "1s", "notify_after_errors = 100")
    rng = random.Random(7)
    before = "voted 7-2"
    for round_number in range(KILLS):
        after = f"voted 7-{round_number + 3}"  # a new text every round: every change is new
        page.edit(before, after)
        before = after
        daemons.append(daemon := Daemon(config))
        wait_for(
            lambda: "scheduled" in daemon.output(), timeout=30
        )  # started, whatever the machine
        time.sleep(rng.random() * 1.5)  # then killed at a random moment of its work
        daemon.process.send_signal(signal.SIGKILL)
        daemon.process.wait(10)
        if db.exists():  # a kill before the first write leaves no database yet
            assert query(db, "PRAGMA integrity_check") == [("ok",)]
    checked = count(db, "SELECT count(*) FROM checks")
    daemons.append(final := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks") > checked)  # final is running
    wait_for(lambda: count(db, "SELECT count(*) FROM outbox WHERE state = 'pending'") == 0)
    assert final.stop() == 0
    assert query(db, "PRAGMA integrity_check") == [("ok",)]
    assert query(db, "PRAGMA foreign_key_check") == []
    versions = [row[0] for row in query(db, "SELECT version FROM snapshots ORDER BY version")]
    assert versions == list(range(1, len(versions) + 1))
    texts = [row[0] for row in query(db, "SELECT text_sha256 FROM snapshots")]
    assert len(texts) == len(set(texts)), "each version stored once"
    pairs = query(db, "SELECT old_snapshot_id, new_snapshot_id FROM changes")
    assert len(pairs) == len(set(pairs)), "each change recorded once"
    changes = {row[0] for row in query(db, "SELECT id FROM changes")}
    assert changes, "edits were detected between the kills"
    delivered = hook.changes()
    assert len(delivered) == len(set(delivered)), "no change notified twice"
    assert set(delivered) <= changes
    # a kill between the webhook's answer and the row marked sent leaves it 'unknown' (it
    # may or may not have been delivered): delivered and marked may overlap
    unsure = (
        "SELECT change_id FROM outbox WHERE channel = 'hook'  AND state IN ('unknown', 'failed')"
    )
    marked = {row[0] for row in query(db, unsure)}
    states = query(db, "SELECT change_id, channel, state, error FROM outbox")
    assert changes == set(delivered) | marked, f"every change notified or marked: {states}"


def test_cli_reads_while_the_daemon_writes(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    pages = [Page(http_server, f"/p{i}/", "ja" if i % 2 else "en") for i in range(20)]
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [p.url for p in pages], None, "1s", "per_host_concurrency = 10")
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks") >= 20)
    pages[0].edit("voted 7-2", "voted 6-3")
    readers = [
        ["log", "w0"],
        ["list", "--json"],
        ["status"],
        ["show", "w1"],
        ["diff", "w0", "1"],
        ["log", "w2", "--json"],
    ]
    shell = shutil.which("sqlite3")
    failures = []
    deadline = time.monotonic() + 4
    while time.monotonic() < deadline:
        for args in readers:
            result = subprocess.run(
                [sys.executable, "-m", "monitor", "--config", str(config), *args],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                failures.append(result.stderr)
        conn = sqlite3.connect(db, timeout=0.1)
        conn.execute("SELECT count(*) FROM checks").fetchone()
        conn.close()
        if shell:  # the sqlite3 shell, with no busy timeout at all
            sql = "SELECT count(*) FROM checks; SELECT count(*) FROM snapshots;"
            done = subprocess.run([shell, str(db), sql], capture_output=True, text=True)
            if done.returncode != 0 or "locked" in done.stderr:
                failures.append(done.stderr)
    assert failures == []
    assert count(db, "SELECT count(*) FROM checks") > 60  # the daemon kept writing meanwhile
    assert daemon.stop() == 0


def test_tells_systemd_when_ready_and_stopping(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = Page(http_server, "/a/")
    config = tmp_path / "config.toml"
    write_config(config, [page.url])
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(address)
        listener.settimeout(15)
        monkeypatch.setenv("NOTIFY_SOCKET", address)
        daemons.append(daemon := Daemon(config))
        assert listener.recv(100) == b"READY=1"
        daemon.process.send_signal(signal.SIGTERM)
        assert listener.recv(100) == b"STOPPING=1"
        assert daemon.process.wait(10) == 0


def test_sigterm_to_the_process_group_spares_the_worker_processes(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    page, db, daemon, _ = _daemon_with_a_worker(tmp_path, http_server, daemons)
    page.edit("voted 7-2", "voted 6-3")
    wait_for(lambda: count(db, "SELECT count(*) FROM changes") == 1)
    os.killpg(daemon.process.pid, signal.SIGTERM)  # what Ctrl-C or systemd does
    assert daemon.process.wait(15) == 0
    log = daemon.output()
    assert "Traceback" not in log and "BrokenProcessPool" not in log


def test_a_killed_worker_is_replaced_and_no_edit_is_lost(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    page, db, daemon, worker = _daemon_with_a_worker(tmp_path, http_server, daemons)
    os.kill(worker, signal.SIGKILL)  # out of memory, or a user's kill -9
    wait_for(lambda: "starting new ones" in daemon.output(), timeout=30)
    page.edit("voted 7-2", "voted 6-3")
    wait_for(lambda: count(db, "SELECT count(*) FROM changes") == 1, timeout=30)
    (replacement,) = _children(daemon.process.pid)
    assert replacement != worker
    assert daemon.stop() == 0
    assert "Traceback" not in daemon.output()


def _daemon_with_a_worker(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> tuple[Page, Path, Daemon, int]:
    """A daemon with one extraction worker watching one page, once it has checked it
    twice (the worker has started): the page, the database, the daemon, the worker's pid."""
    page = Page(http_server, "/a/")
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [page.url])
    daemons.append(daemon := Daemon(config, workers=1))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks") >= 2, timeout=30)
    (worker,) = _children(daemon.process.pid)
    return page, db, daemon, worker


def _children(pid: int) -> list[int]:
    """The child processes of ``pid``'s main thread, which starts the extraction workers."""
    found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(child) for child in found]


def test_the_workers_stop_when_the_daemon_is_killed(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    """kill -9 of the daemon leaves no worker behind: each stops at the end of its stdin."""
    _, _, daemon, worker = _daemon_with_a_worker(tmp_path, http_server, daemons)
    daemon.process.kill()
    daemon.process.wait(10)
    wait_for(lambda: _stopped(worker), timeout=30)


def _stopped(pid: int) -> bool:
    """Whether ``pid`` has exited (a zombie no one reaped yet has)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status


def test_stopping_starts_no_new_fetches(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    slow = [http_server.url(f"/slow{i}/") for i in range(8)]
    for index in range(8):
        http_server.route(
            f"/slow{index}/",
            http_server.slow(1.5, Response(200, {"Content-Type": "text/html"}, b"<p>x</p>")),
        )
    config = tmp_path / "config.toml"
    write_config(config, slow, None, "1s", "per_host_concurrency = 1")
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: len(http_server.requests) >= 1)
    started = time.monotonic()
    assert daemon.stop() == 0
    assert time.monotonic() - started < 4  # one request in flight, the others never started
    assert len(http_server.requests) <= 2


def test_run_follows_feeds_discovers_checks_and_reloads(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    from datetime import UTC, datetime

    from monitor.samplesite.feeds import FeedItem, rss

    first, second = Page(http_server, "/2026/a/"), Page(http_server, "/2026/b/", "ja")
    now = datetime.now(UTC)
    items = [FeedItem(first.url, "First", "one", now)]

    def publish() -> None:
        body = rss(items, title="Site", home=http_server.url("/"))
        http_server.set("/feed/", body, headers={"Content-Type": "application/rss+xml"})

    publish()
    http_server.set("/broken/feed/", "<html><body>Oops</body></html>")
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    feed = [
        "[[feed]]",
        f'url = "{http_server.url("/feed/")}"',
        'interval = "1s"',
        'schedule = [["1d", "1s"]]',
    ]
    write_config(config, [], None, "1h")
    config.write_text(config.read_text() + "\n".join(feed) + "\n", encoding="utf-8")
    daemons.append(daemon := Daemon(config))
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'new'") == 1)
    first.edit("voted 7-2", "voted 6-3")
    wait_for(lambda: count(db, "SELECT count(*) FROM changes") == 1)
    items.append(FeedItem(second.url + "?utm_source=rss", "Second", "two", now))
    items.append(FeedItem(first.url + "#comments", "First", "one", now))
    publish()
    wait_for(lambda: second.requests > 0)
    assert count(db, "SELECT count(*) FROM watches WHERE feed_id IS NOT NULL") == 2
    broken = ["[[feed]]", f'url = "{http_server.url("/broken/feed/")}"', 'interval = "1s"']
    config.write_text(config.read_text() + "\n".join(broken) + "\n", encoding="utf-8")
    daemon.process.send_signal(signal.SIGHUP)
    wait_for(lambda: count(db, "SELECT count(*) FROM feeds WHERE error_streak > 1") == 1)
    assert daemon.process.poll() is None
    assert daemon.stop() == 0
    log = daemon.output()
    assert "Traceback" not in log and "an HTML page, not a feed" in log


def test_run_serves_the_web_ui_while_it_checks(
    tmp_path: Path, http_server: LocalServer, daemons: list[Daemon]
) -> None:
    page = Page(http_server, "/a/")
    config, db = tmp_path / "config.toml", tmp_path / "m.db"
    write_config(config, [page.url])
    daemons.append(daemon := Daemon(config, 0, "--web", "127.0.0.1:0"))
    wait_for(lambda: "web UI (read-only) at http://" in daemon.output())
    url = re.search(r"web UI \(read-only\) at (http://\S+)", daemon.output())
    assert url is not None
    wait_for(lambda: count(db, "SELECT count(*) FROM checks WHERE status = 'new'") == 1)
    page.edit("voted 7-2", "voted 6-3")
    wait_for(lambda: count(db, "SELECT count(*) FROM changes") == 1)
    changes = httpx.get(url.group(1) + "api/changes", timeout=5).json()
    assert [c["chars_added"] for c in changes["changes"]] == [3]
    listing = httpx.get(url.group(1), timeout=5)
    assert listing.status_code == 200 and "w0" in listing.text
    assert daemon.stop() == 0


def test_run_web_refuses_a_public_address_without_a_token_and_a_port_in_use(
    tmp_path: Path, http_server: LocalServer
) -> None:
    config = tmp_path / "config.toml"
    write_config(config, [Page(http_server, "/a/").url])
    base = [sys.executable, "-m", "monitor", "--config", str(config), "run"]
    env = {k: v for k, v in os.environ.items() if k != "MONITOR_WEB_TOKEN"}
    public = subprocess.run(
        [*base, "--web", "0.0.0.0:0"], capture_output=True, text=True, timeout=30, env=env
    )
    assert public.returncode == 2 and "without an access token" in public.stderr
    assert "--token" not in public.stderr  # run has no such option: it says what works
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        busy = subprocess.run(
            [*base, "--web", f"127.0.0.1:{port}"], capture_output=True, text=True, timeout=30
        )
    assert busy.returncode == 1
    assert f"cannot serve the web UI on 127.0.0.1:{port}" in busy.stderr
    assert count(tmp_path / "m.db", "SELECT count(*) FROM checks") == 0  # nothing started


def test_a_stop_is_never_lost_when_the_outbox_is_woken_in_the_same_step() -> None:
    """The outbox loop waits on an event that every finished check sets: a stop (a cancel)
    that comes in the loop step the event is set must still end the loop. Python 3.11's
    ``asyncio.wait_for`` dropped it in most of these steps, and the daemon never exited."""

    async def loop(event: asyncio.Event) -> None:
        while True:
            await woken(event, 30)
            event.clear()
            await asyncio.sleep(0)

    async def main() -> list[bool]:
        ended = []
        for steps in range(40):
            event = asyncio.Event()
            task = asyncio.create_task(loop(event))
            for _ in range(steps % 4):
                await asyncio.sleep(0)
            event.set()
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=5)
            ended.append(task in done and task.cancelled())
        return ended

    assert all(asyncio.run(main()))

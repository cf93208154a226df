"""A command that writes leaves the database whole in its one file when it ends, normally or
on a signal, even while another program has it open; a crash leaves a write-ahead log that
the next open recovers."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from harness import assert_whole
from server import LocalServer, Response

from monitor import samplesite
from monitor.store import Store


def monitor(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "monitor", "--config", "/dev/null", "--db", str(db)]
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)


def test_add_and_check_leave_the_file_whole_beside_an_open_reader(
    tmp_path: Path, http_server: LocalServer
) -> None:
    http_server.set("/a/", samplesite.render_page(samplesite.load_article("ja")))
    db = tmp_path / "monitor.db"
    Store(db).close()
    reader = sqlite3.connect(db)  # a tool that keeps the file open (Datasette, a backup)
    try:
        assert monitor(db, "add", http_server.url("/a/")).returncode == 0
        edited = samplesite.replace_text(samplesite.load_article("ja"), "1万人", "1万2000人")
        http_server.set("/a/", samplesite.render_page(edited))
        checked = monitor(db, "check", "--no-notify")
        assert checked.returncode == 0 and checked.stdout.startswith("changed")
        assert_whole(db)
        assert reader.execute("SELECT count(*) FROM snapshots").fetchone() == (2,)
    finally:
        reader.close()


def test_sigterm_during_check_leaves_the_file_whole(
    tmp_path: Path, http_server: LocalServer
) -> None:
    page = samplesite.render_page(samplesite.load_article("en"))
    http_server.set("/fast/", page)
    http_server.set("/slow/", page)
    db = tmp_path / "monitor.db"
    assert monitor(db, "add", http_server.url("/fast/")).returncode == 0
    assert monitor(db, "add", http_server.url("/slow/")).returncode == 0
    slow = Response(200, {"Content-Type": "text/html"}, page.encode())
    http_server.route("/slow/", http_server.slow(60, slow))  # now it hangs
    reader = sqlite3.connect(f"file:{db}?mode=ro", uri=True)  # the web UI, say
    command = [sys.executable, "-m", "monitor", "--config", "/dev/null", "--db", str(db)]
    checking = subprocess.Popen(
        [*command, "check", "--no-notify"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        deadline = time.monotonic() + 30
        while reader.execute("SELECT count(*) FROM checks").fetchone()[0] < 3:
            assert time.monotonic() < deadline and checking.poll() is None
            time.sleep(0.05)  # polls the database: the fast page's check is stored
        while sum(r.path == "/slow/" for r in http_server.requests) < 2:
            assert time.monotonic() < deadline
            time.sleep(0.05)  # the slow page is being fetched
        os.kill(checking.pid, signal.SIGTERM)
        assert checking.wait(30) != 0
    finally:
        if checking.poll() is None:
            checking.kill()
        checking.communicate()
    try:
        assert_whole(db)
    finally:
        reader.close()
    with Store(db) as store:
        assert [w.last_status for w in store.watches.all()] == ["unchanged", "new"]
        assert (
            len(store.versions.checks(store.watches.get(2), 10)) == 1
        )  # the interrupted one: not stored


def test_a_killed_writer_leaves_a_log_that_the_next_open_recovers(tmp_path: Path) -> None:
    db = tmp_path / "monitor.db"
    script = (
        "import os, sys\n"
        "from monitor.store import Store\n"
        "store = Store(sys.argv[1])\n"
        "store.watches.add('https://x.test/a')\n"
        "os.kill(os.getpid(), 9)\n"
    )
    killed = subprocess.run([sys.executable, "-c", script, str(db)], timeout=60, check=False)
    assert killed.returncode == -signal.SIGKILL
    assert Path(f"{db}-wal").stat().st_size > 0  # the commit is in the log only
    with Store(db) as store:
        assert [w.url for w in store.watches.all()] == ["https://x.test/a"]
    assert_whole(db)

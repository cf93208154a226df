"""`monitor demo` end to end: it runs offline, ends by itself and reports exactly the scripted
edits, never the noise or the errors; the commands it prints work."""

from __future__ import annotations

import re
import shlex
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import httpx
from harness import assert_whole

from monitor.demo import ADDED_PARAGRAPH, FRESH_TITLE


def monitor(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_demo_reports_exactly_the_scripted_edits(tmp_path: Path) -> None:
    result = monitor("demo", "--duration", "20", "--dir", str(tmp_path / "demo"))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "3 changes (the script made 3 real edits" in out
    db = tmp_path / "demo" / "monitor.db"
    assert_whole(db)
    conn = sqlite3.connect(db)
    changes = conn.execute(
        "SELECT w.name, o.text, n.text FROM changes c JOIN watches w ON w.id = c.watch_id "
        "JOIN snapshots o ON o.id = c.old_snapshot_id JOIN snapshots n ON n.id = c.new_snapshot_id "
        "ORDER BY c.id"
    ).fetchall()
    statuses = {row[0] for row in conn.execute("SELECT DISTINCT status FROM checks")}
    found = conn.execute(
        "SELECT w.name, count(c.id) FROM watches w JOIN checks c ON c.watch_id = w.id "
        "WHERE w.source = 'feed' GROUP BY w.id"
    ).fetchall()
    conn.close()
    assert [name for name, _, _ in changes] == ["jannah-ja", "budget-en", "jannah-ja"]
    assert [name for name, _ in found] == [FRESH_TITLE]  # found through the feed, checked
    assert found[0][1] >= 1
    (_, old1, new1), (_, old2, new2), (_, old3, new3) = changes
    assert new1 == old1.replace("違法な戦争", "不法な戦争")
    assert new2 == old2.replace("voted 7-2", "voted 6-3")
    assert ADDED_PARAGRAPH in new3 and new3.replace(ADDED_PARAGRAPH + "\n", "") == old3
    assert {"new", "unchanged", "changed", "http_error", "soft_error"} <= statuses
    assert len(list((tmp_path / "demo" / "reports").rglob("*.html"))) == 3

    printed = [line.strip() for line in out.splitlines() if line.strip().startswith("monitor --db")]
    assert len(printed) >= 4
    for line in printed:
        args = shlex.split(line.split(">")[0])[1:]
        explored = monitor(*args, timeout=30)
        assert explored.returncode == 0, (line, explored.stderr)
        assert explored.stdout.strip()
    assert re.search(r"\{\+不\+\}", monitor("--db", str(db), "diff", "jannah-ja", "1", "2").stdout)


def test_demo_prints_its_web_ui_and_keeps_serving_it_with_serve(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "monitor", "demo", "--duration", "10", "--serve"]
    with subprocess.Popen(
        [*command, "--port", "0", "--dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    ) as process:
        try:
            url = _serving_url(process)
            changes = httpx.get(url + "changes", timeout=10)
            assert changes.status_code == 200
            assert "jannah-ja" in changes.text and "budget-en" in changes.text
            assert len(httpx.get(url + "api/changes", timeout=10).json()["changes"]) == 3
            process.send_signal(signal.SIGINT)
            assert process.wait(15) == 0
            assert_whole(tmp_path / "demo" / "monitor.db")
        finally:
            if process.poll() is None:
                process.kill()


def _serving_url(process: subprocess.Popen[str]) -> str:
    """The URL on the demo's last line: "web UI:   http://… (serving until Ctrl-C)"."""
    assert process.stdout is not None
    lines: list[str] = []
    while not (lines and "(serving until Ctrl-C)" in lines[-1]):
        line = process.stdout.readline()
        assert line, "".join(lines)  # the demo ended without serving
        lines.append(line)
    url = lines[-1].split()[2]
    assert url.startswith("http://127.0.0.1:")
    return url

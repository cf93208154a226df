"""`monitor demo` end to end: it runs offline, ends by itself and reports exactly the scripted
edits, never the noise or the errors; the commands it prints work."""

from __future__ import annotations

import re
import shlex
import sqlite3
import subprocess
import sys
from pathlib import Path

from monitor.demo import ADDED_PARAGRAPH


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
    conn = sqlite3.connect(db)
    changes = conn.execute(
        "SELECT w.name, o.text, n.text FROM changes c JOIN watches w ON w.id = c.watch_id "
        "JOIN snapshots o ON o.id = c.old_snapshot_id JOIN snapshots n ON n.id = c.new_snapshot_id "
        "ORDER BY c.id"
    ).fetchall()
    statuses = {row[0] for row in conn.execute("SELECT DISTINCT status FROM checks")}
    conn.close()
    assert [name for name, _, _ in changes] == ["jannah-ja", "budget-en", "jannah-ja"]
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

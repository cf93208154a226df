"""The daemon against the hostile farm: run it through the farm's phases, then judge the result.

Used by ``bench/hostile.py`` (ten minutes, by hand) and the hostile-farm test (a short run whose
phases advance when every watch has been checked enough, not after sleeps). :func:`judge_run`
reads the database the daemon wrote and asks the web UI for every page and feed; a run passes
when no version is a stand-in or a fault, no change but the real edit was reported, every
baseline held until the edit, the edit was seen on every page, ``PRAGMA integrity_check`` is
ok, every page and feed of the web UI answered 200 and the too-big requests 414/431, and the
farm never refused a request for its cookies.
"""

from __future__ import annotations

import contextlib
import json
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from monitor.samplesite.farm import HostileFarm


@dataclass
class FarmRun:
    """One run: its files, the daemon, and when each phase started (ISO-8601, UTC)."""

    farm: HostileFarm
    directory: Path
    web_port: int
    settings: dict[str, str]
    daemon: subprocess.Popen[bytes] | None = None
    phase_started: dict[str, str] = field(default_factory=dict)
    watch_ids: dict[str, int] = field(default_factory=dict)  # farm path -> watch id

    @property
    def database(self) -> Path:
        return self.directory / "monitor.db"

    def write_config(self) -> Path:
        """config.toml: the settings and one [[watch]] per farm page."""
        lines = ["[monitor]", f'database = "{self.database}"']
        lines += [f"{key} = {value}" for key, value in self.settings.items()]
        for number, url in enumerate(self.farm.urls().values()):
            lines += ["[[watch]]", f'url = "{url}"', f'name = "page{number:02d}"']
        path = self.directory / "config.toml"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def start(self) -> None:
        """Start the daemon (one extraction worker, the web UI in-process)."""
        config = self.write_config()
        command = [sys.executable, "-m", "monitor", "--config", str(config), "run"]
        command += ["--workers", "1", "--web", f"127.0.0.1:{self.web_port}"]
        with (self.directory / "daemon.log").open("wb") as log:
            self.daemon = subprocess.Popen(command, stderr=log)
        self.phase_started["good"] = self.now()

    def stop(self) -> int:
        """SIGTERM the daemon; its exit status."""
        assert self.daemon is not None
        self.daemon.terminate()
        return self.daemon.wait(60)

    def load_watch_ids(self) -> None:
        """Which watch each farm page is."""
        paths = {url: path for path, url in self.farm.urls().items()}
        for watch_id, url in self._query("SELECT id, url FROM watches"):
            if url in paths:
                self.watch_ids[paths[str(url)]] = int(str(watch_id))

    def enter(self, phase: str) -> None:
        self.phase_started[phase] = self.now()
        self.farm.set_phase(phase)

    def now(self) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime())

    def checks_since(self, phase: str) -> Counter[str]:
        """Per farm path, the checks finished since ``phase`` began."""
        rows = self._query(
            "SELECT w.url, count(*) FROM checks c JOIN watches w ON w.id = c.watch_id "
            "WHERE c.checked_at >= ? GROUP BY w.url",
            [self.phase_started[phase]],
        )
        paths = {url: path for path, url in self.farm.urls().items()}
        return Counter({paths[url]: count for url, count in rows if url in paths})

    def changed(self) -> set[str]:
        """Farm paths with a change recorded."""
        rows = self._query(
            "SELECT DISTINCT w.url FROM changes c JOIN watches w ON w.id = c.watch_id"
        )
        paths = {url: path for path, url in self.farm.urls().items()}
        return {paths[url] for (url,) in rows if url in paths}

    def _query(self, sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
        if not self.database.exists():
            return []
        conn = sqlite3.connect(f"file:{self.database}?mode=ro", uri=True, timeout=10)
        try:
            return list(conn.execute(sql, params or []).fetchall())
        except sqlite3.OperationalError:
            return []  # the schema is not there yet
        finally:
            conn.close()

    def wait_until(self, done: Callable[[], bool], timeout: float, poll: float = 0.5) -> bool:
        """Poll ``done`` until it is true or ``timeout`` seconds passed (the daemon must live)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.daemon is not None and self.daemon.poll() is not None:
                raise RuntimeError(f"the daemon exited ({self.daemon.returncode})")
            if done():
                return True
            time.sleep(poll)
        return done()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Verdict:
    """What a run did, and what went wrong (``problems`` empty: it passed)."""

    problems: list[str] = field(default_factory=list)
    figures: dict[str, object] = field(default_factory=dict)


def judge_run(run: FarmRun, edit_ops: dict[str, list[str]]) -> Verdict:
    """Read the run's database and the web UI (see the module doc)."""
    verdict = Verdict()
    conn = sqlite3.connect(f"file:{run.database}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        _judge_versions(run, conn, verdict, edit_ops)
        _judge_checks(run, conn, verdict)
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        verdict.figures["integrity_check"] = integrity
        if integrity != "ok":
            verdict.problems.append(f"integrity_check: {integrity}")
    finally:
        conn.close()
    verdict.figures["cookie refusals"] = run.farm.refusals
    if run.farm.refusals:
        verdict.problems.append(f"the farm refused {run.farm.refusals} requests for their cookies")
    return verdict


def _judge_versions(
    run: FarmRun, conn: sqlite3.Connection, verdict: Verdict, edit_ops: dict[str, list[str]]
) -> None:
    edited_at = run.phase_started.get("edited", "9999")

    for path, url in run.farm.urls().items():
        page = run.farm.pages[path]
        row = conn.execute("SELECT id FROM watches WHERE url = ?", [url]).fetchone()
        if row is None:
            verdict.problems.append(f"{path}: no watch")
            continue
        versions = conn.execute(
            "SELECT version, created_at FROM snapshots WHERE watch_id = ? ORDER BY version",
            [row["id"]],
        ).fetchall()
        changes = conn.execute(
            "SELECT kind, diff_json, detected_at FROM changes WHERE watch_id = ?", [row["id"]]
        ).fetchall()
        label = f"{path} ({page.fault.name})"
        if len(versions) != 2 or versions[1]["created_at"] < edited_at:
            verdict.problems.append(f"{label}: versions {[tuple(v) for v in versions]}")
        if len(changes) != 1 or changes[0]["kind"] != "changed":
            verdict.problems.append(f"{label}: changes {[c['kind'] for c in changes]}")
            continue
        ops = [text for op, text in json.loads(changes[0]["diff_json"])["ops"] if op]
        if ops != edit_ops[page.lang]:
            verdict.problems.append(f"{label}: the change is {ops!r}, not the edit")


def _judge_checks(run: FarmRun, conn: sqlite3.Connection, verdict: Verdict) -> None:
    fault_start = run.phase_started.get("fault", "")
    rows = conn.execute(
        "SELECT w.url, c.status, c.duration_ms, c.checked_at FROM checks c "
        "JOIN watches w ON w.id = c.watch_id"
    ).fetchall()
    statuses = Counter(row["status"] for row in rows)
    paths = {url: path for path, url in run.farm.urls().items()}
    in_fault = Counter(
        paths[row["url"]]
        for row in rows
        if row["checked_at"] >= fault_start
        and row["checked_at"] < run.phase_started.get("recovered", "9")
    )
    slowest = max((row["duration_ms"] for row in rows), default=0)
    verdict.figures.update(
        {
            "watches": len(run.farm.pages),
            "checks": len(rows),
            "checks by status": dict(sorted(statuses.items())),
            "fault-phase checks per watch (min)": min(in_fault.values(), default=0),
            "slowest check (s)": round(slowest / 1000, 1),
        }
    )


def judge_web(run: FarmRun) -> tuple[list[str], dict[str, object]]:
    """Every page and feed of the web UI for the run's watches, then the requests it must
    refuse; the problems, and figures."""
    base = f"http://127.0.0.1:{run.web_port}"
    problems: list[str] = []
    paths = ["/", "/changes", "/feed.atom", "/search?q=2000", "/api", "/openapi.json", "/feeds"]
    for watch_id in run.watch_ids.values():
        paths += [f"/watches/{watch_id}", f"/watches/{watch_id}/feed.atom"]
        paths += [f"/watches/{watch_id}/diff/1/2", f"/watches/{watch_id}/versions/1"]
        paths += [f"/watches/{watch_id}/versions/2", f"/watches/{watch_id}/versions/1/raw"]
    slowest = 0.0
    with httpx.Client(timeout=30) as client:
        for path in paths:
            started = time.monotonic()
            try:
                status = client.get(base + path).status_code
            except httpx.HTTPError as exc:
                status = 0
                problems.append(f"web {path}: {exc!r}")
            slowest = max(slowest, time.monotonic() - started)
            if status != 200:
                problems.append(f"web {path}: {status}")
    attacks = {
        b"GET /?q=" + b"a" * 1_000_000 + b" HTTP/1.1\r\nHost: localhost\r\n\r\n": b" 414 ",
        b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"b" * 200_000 + b"\r\n\r\n": b" 431 ",
        b"GET / HTTP/1.1\r\nHost: [::1].evil.example\r\nConnection: close\r\n\r\n": b" 400 ",
    }
    for request, expected in attacks.items():
        answer = _raw(run.web_port, request)
        if expected not in answer[:16]:
            problems.append(f"web attack {request[:40]!r}: answered {answer[:40]!r}")
    return problems, {"web pages asked": len(paths), "slowest web page (s)": round(slowest, 2)}


def _raw(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        with contextlib.suppress(OSError):  # it may stop reading once it has answered
            sock.sendall(request)
        answer = b""
        with contextlib.suppress(OSError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer

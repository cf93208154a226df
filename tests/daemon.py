"""`monitor run` in a subprocess for tests, and what they need around it: an article page
whose text they edit, a webhook receiver, a config file, and reads of its database."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from server import LocalServer, Request, Response

from monitor import samplesite


class Page:
    """An article page on the test server whose text tests change."""

    def __init__(self, server: LocalServer, path: str, name: str = "en") -> None:
        self.article = samplesite.load_article(name)
        self.requests = 0
        self.path = path
        server.route(path, self.respond)
        self.url = server.url(path)

    def respond(self, request: Request) -> Response:
        self.requests += 1
        noise = samplesite.Noise(seed=self.requests)
        body = samplesite.render_page(self.article, noise).encode("utf-8")
        return Response(200, {"Content-Type": "text/html; charset=utf-8"}, body)

    def edit(self, old: str, new: str) -> None:
        self.article = samplesite.replace_text(self.article, old, new)


class Hook:
    """A webhook receiver on the test server."""

    def __init__(self, server: LocalServer) -> None:
        self.events: list[dict[str, object]] = []
        server.route("/hook", self.receive)
        self.url = server.url("/hook")

    def receive(self, request: Request) -> Response:
        self.events.append(json.loads(request.body))
        return Response(204)

    def changes(self) -> list[object]:
        return [e["change"]["change_id"] for e in self.events if e["event"] == "change"]  # type: ignore[index]


def write_config(
    path: Path, urls: list[str], hook: str | None = None, interval: str = "1s", *extra: str
) -> None:
    lines = [
        "[monitor]",
        *extra,
        f'database = "{path.parent / "m.db"}"',
        f'reports_dir = "{path.parent / "reports"}"',
        f'interval = "{interval}"',
        'jitter = "0s"',
        "retries = 0",
        'second_fetch = "0s"',
        'shutdown_grace = "5s"',
    ]
    for number, url in enumerate(urls):
        lines += ["[[watch]]", f'url = "{url}"', f'name = "w{number}"']
    if hook:
        lines += ["[[notify]]", 'type = "webhook"', f'url = "{hook}"', 'name = "hook"']
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Daemon:
    """`monitor run` in a subprocess, its stderr in a file."""

    def __init__(self, config: Path, workers: int = 0, *options: str) -> None:
        self.log = config.parent / f"daemon-{time.monotonic_ns()}.log"
        command = [sys.executable, "-m", "monitor", "--config", str(config), "run", *options]
        with self.log.open("wb") as err:
            self.process = subprocess.Popen(
                [*command, "--workers", str(workers)],
                stdout=subprocess.DEVNULL,
                stderr=err,
                start_new_session=True,  # its own process group, as under a shell or systemd
            )

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)


def query(db: Path, sql: str) -> list[tuple[object, ...]]:
    if not db.exists():
        return []
    conn = sqlite3.connect(f"{db.as_uri()}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet
    finally:
        conn.close()


def wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


def count(db: Path, sql: str) -> int:
    rows = query(db, sql)
    return int(rows[0][0]) if rows else 0
